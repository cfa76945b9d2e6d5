"""The architecture as the docs tell it, held against the code (read with ``ast``, nothing run).

- docs/architecture.md walks one message hop by hop, naming ``file.py:Qualified.name``: every name
  must exist in that file, so the walk cannot drift from the code without failing here.
- A route calls one service (docs/architecture.md, lakeside/api/__init__.py): a handler in
  ``lakeside/api`` that calls methods of two services is doing a service's job (composing, in
  one transaction, two actions) and fails here, named.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(lakeside/[\w/]+\.py):([\w.]+)`")


def definitions(path: Path) -> set[str]:
    """Qualified names defined in a module: functions, classes, and methods as Class.name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return names


def test_the_walk_of_a_message_names_only_what_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    walk = text[text.index("## The life of a message") :]
    walk = walk[: walk.index("\n## ", 1)]
    references = REFERENCE.findall(walk)
    assert len(references) >= 30, "the walk should name the functions a message passes through"
    missing = []
    for file, name in references:
        path = ROOT / file
        if not path.exists():
            missing.append(f"{file} (no such file)")
        elif name not in definitions(path):
            missing.append(f"{file}:{name}")
    assert not missing, "docs/architecture.md names what the code does not have: " + ", ".join(missing)


def test_the_walk_test_fails_on_a_name_that_is_gone(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("class A:\n    def b(self): ...\nasync def c(): ...\n", encoding="utf-8")
    assert definitions(module) == {"A", "A.b", "c"}
    assert "A.gone" not in definitions(module)


SERVICE_CALL = re.compile(r"\bservices\.((?:[a-z_]+\.)*)[a-z_]+\(")


def services_called(source: str) -> set[str]:
    """The services whose methods a handler calls (``services.x.y.do_z(`` → ``x.y``)."""
    return {owner.rstrip(".") for owner in SERVICE_CALL.findall(source) if owner}


def test_each_route_calls_one_service() -> None:
    offenders = []
    for path in sorted((ROOT / "lakeside" / "api").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                owners = services_called(ast.get_source_segment(source, node) or "")
                if len(owners) > 1:
                    offenders.append(f"{path.name}:{node.name} calls {sorted(owners)}")
    assert not offenders, "routes that call more than one service: " + "; ".join(offenders)


def test_two_services_in_one_handler_are_seen() -> None:
    source = "x = await services.files.do_a(u)\ny = await services.accounts.do_b(u)\n"
    assert services_called(source) == {"files", "accounts"}
    assert services_called("await services.enterprise.dings.do_send(u)") == {"enterprise.dings"}


# Where naming an engine is the point: engine set-up, the dialect modules, migrations (ordered
# deltas with engine-specific steps, as Synapse's), and the id column's SQLite variant.
ENGINE_AWARE = (
    "lakeside/store/engine.py",
    "lakeside/store/inline.py",
    "lakeside/store/dialects/",
    "lakeside/store/migrations/",
    "lakeside/store/tables/base.py",
)
# The engine's name compared (``db.dialect == "sqlite"``), not a webhook's vendor dialect.
ENGINE_BRANCH = re.compile(
    r"dialect\.name|sqlalchemy\.dialects import|\bis_sqlite\b|\.dialect\s*[!=]=\s*[\"'](?:sqlite|postgresql)"
)


def test_only_the_dialect_modules_branch_on_the_engine() -> None:
    """Queries that differ by engine live in lakeside/store/dialects (one module per engine), not
    as branches inside each query: no other module asks which engine it runs on."""
    branching = []
    for path in sorted((ROOT / "lakeside").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(ENGINE_AWARE):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ENGINE_BRANCH.search(line):
                branching.append(f"{relative}:{number}: {line.strip()}")
    assert not branching, "branches on the engine outside store/dialects:\n" + "\n".join(branching)
