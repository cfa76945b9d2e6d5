"""Imports point down: every module under ``lakeside/`` imports only from its own layer and the
layers below it. The modules are parsed with ``ast``, never imported, so the check sees every
import: top-level, inside functions, and under ``if TYPE_CHECKING:`` (a layer that needs another's
types to be written is coupled to it all the same). Relative imports are resolved first.

The rule, by the group a module belongs to (only lakeside's own modules count; the standard
library and third-party packages are not this test's business):

=============  ============================  ==================================================
group          modules                       may import, besides its own group
=============  ============================  ==================================================
root           app.py, cli.py, backup.py,    anything: it builds and wires everything else
               demo/
api            api/                          services, domain, errors, config, metrics,
                                             observability
realtime       realtime/                     services, domain, errors, config
workers        workers/                      services, domain, errors, config
services       services/                     store, bus, domain, errors, config
store          store/                        domain, errors
bus            bus/                          errors
domain         domain/                       errors
config         config.py                     domain, errors
metrics        metrics.py                    config
observability  observability.py              nothing
errors         errors.py                     nothing
client         client.py, webhook_signature, cli_send  nothing (it ships to scripts, without the server)
package        lakeside/__init__.py          nothing; every module may import it (the version)
=============  ============================  ==================================================

So ``api``/``realtime`` → ``services`` → ``store``, ``bus``, ``domain``. The edges (HTTP routes,
the WebSocket gateway) and the deferred jobs (``workers``) reach the database and the bus only
through a service; the two edges do not import each other, nor a worker. ``store`` and ``bus``
never import a service, an edge or a worker, nor each other. ``domain`` is pure and needs only the
domain errors: ``errors.py`` is a leaf without framework imports, and a rule such as "a password
needs 8 characters" raises ``Invalid`` itself. ``config.py`` validates settings with domain rules,
never with a service. ``metrics.py`` and ``observability.py`` are operational helpers of the HTTP
edge (``/metrics``, request ids in the logs) and import at most the settings' type. The
composition root may import anything, and only the root imports it (``cli`` runs ``app``,
``backup`` and ``demo``).

A new top-level module or package under ``lakeside/`` fails the test until it has a group here.
There are no exceptions: the last (the hub reading the event log and the bus itself) went with
issue 13, when the hub came to take both from services.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lakeside"

# Top-level module or package of lakeside -> its group.
GROUPS: dict[str, str] = {
    "app": "root",
    "cli": "root",
    "backup": "root",
    "demo": "root",
    "api": "api",
    "realtime": "realtime",
    "workers": "workers",
    "services": "services",
    "store": "store",
    "bus": "bus",
    "domain": "domain",
    "config": "config",
    "metrics": "metrics",
    "observability": "observability",
    "errors": "errors",
    "client": "client",
    "webhook_signature": "client",  # ships to bots, as client.py does
    "cli_send": "client",  # ``lakeside send``: an HTTP client of the server, like client.py
}
EVERYTHING = frozenset(GROUPS.values())
# Group -> the groups its modules may import (their own always included).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "root": EVERYTHING,
    "api": frozenset({"services", "domain", "errors", "config", "metrics", "observability"}),
    "realtime": frozenset({"services", "domain", "errors", "config"}),
    "workers": frozenset({"services", "domain", "errors", "config"}),
    "services": frozenset({"store", "bus", "domain", "errors", "config"}),
    "store": frozenset({"domain", "errors"}),
    "bus": frozenset({"errors"}),
    "domain": frozenset({"errors"}),
    "config": frozenset({"domain", "errors"}),
    "metrics": frozenset({"config"}),
    "observability": frozenset(),
    "errors": frozenset(),
    "client": frozenset(),
}
PACKAGE_ITSELF = "package"  # ``lakeside`` itself, whose __init__ holds the version
MAY_IMPORT[PACKAGE_ITSELF] = frozenset()


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository, e.g. lakeside/api/health.py
    line: int
    source: str  # the importing module, e.g. lakeside.api.health
    module: str  # the imported module, resolved: lakeside.store.migrate

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str, package: Path) -> bool:
    """Whether ``lakeside.x.y`` names a module or package (not a name defined in one)."""
    path = package.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path, package: Path = PACKAGE) -> list[Import]:
    """Every import of one of lakeside's modules in the file, anywhere in it, resolved."""
    name = module_name(path, package)
    parent = name if path.name == "__init__.py" else name.rpartition(".")[0]
    file = path.relative_to(package.parent).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(file, node.lineno, name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..store import y
                base = parent.split(".")[: len(parent.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # ``from lakeside import demo`` imports the module lakeside.demo;
                # ``from lakeside import __version__`` imports from the package itself.
                target = f"{origin}.{alias.name}"
                found.append(
                    Import(file, node.lineno, name, target if is_module(target, package) else origin)
                )
    # Once per (line, module): ``from lakeside.store.x import a, b`` is one import of lakeside.store.x.
    return [i for i in dict.fromkeys(found) if i.module == "lakeside" or i.module.startswith("lakeside.")]


def group_of(module: str) -> str:
    if module == "lakeside":
        return PACKAGE_ITSELF
    return GROUPS[module.split(".")[1]]


def allowed(source: str, target: str) -> bool:
    return target in (source, PACKAGE_ITSELF) or target in MAY_IMPORT[source]


def violations(imports: list[Import]) -> list[Import]:
    return [i for i in imports if not allowed(group_of(i.source), group_of(i.module))]


def all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in imports_of(path)]


def test_every_module_has_a_group() -> None:
    """A new top-level module or package needs a row in the rule table before it can land."""
    tops = {
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert sorted(tops - set(GROUPS)) == [], "give these a group in tests/test_layers.py"
    assert sorted(set(GROUPS) - tops) == [], "these modules are gone: drop them from GROUPS"


def test_imports_point_down() -> None:
    found = violations(all_imports())
    assert found == [], "imports against the layer rule in tests/test_layers.py:\n" + "\n".join(
        f"  {i} ({group_of(i.source)} may not import {group_of(i.module)})" for i in found
    )


PLANTED = [
    # An upward import at the top of a store module.
    (
        "lakeside/store/x.py",
        "from lakeside.services.accounts import AuthUser\n",
        1,
        "lakeside.services.accounts",
    ),
    # Inside a function, under an alias.
    ("lakeside/domain/x.py", "def f():\n    import lakeside.store.engine as e\n", 2, "lakeside.store.engine"),
    # Sideways between the two edges, in the form ``from lakeside import <module>``.
    ("lakeside/api/x.py", "from lakeside import realtime\n", 1, "lakeside.realtime"),
    # Relative, from a worker straight to the store.
    ("lakeside/workers/x.py", "from ..store import stream\n", 1, "lakeside.store.stream"),
    # Type-only imports count too.
    (
        "lakeside/bus/x.py",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from lakeside.services import context\n",
        4,
        "lakeside.services.context",
    ),
    # The settings validating with a service, as config.py once did.
    (
        "lakeside/config.py",
        "def v():\n    from lakeside.services.limits import check_limits\n",
        2,
        "lakeside.services.limits",
    ),
]


@pytest.mark.parametrize(("file", "text", "line", "module"), PLANTED)
def test_the_check_finds_a_planted_upward_import(
    tmp_path: Path, file: str, text: str, line: int, module: str
) -> None:
    """The check itself, on a module planted in a copy of the package's layout."""
    package = tmp_path / "lakeside"
    package.mkdir()
    (package / "__init__.py").write_text("__version__ = '0'\n")
    for top in GROUPS:
        if (PACKAGE / top).is_dir():
            (package / top).mkdir()
            (package / top / "__init__.py").write_text("")
        else:
            (package / f"{top}.py").write_text("")
    for name in (
        "services/accounts.py",
        "services/context.py",
        "services/limits.py",
        "store/engine.py",
        "store/stream.py",
    ):
        (package / name).write_text("")
    (tmp_path / file).write_text(text)
    found = violations(imports_of(tmp_path / file, package))
    assert [(i.file, i.line, i.module) for i in found] == [(file, line, module)]


def test_downward_imports_pass() -> None:
    assert allowed("root", "store") and allowed("services", "store") and allowed("api", PACKAGE_ITSELF)
    assert allowed("api", "services") and allowed("workers", "services") and allowed("domain", "errors")
    assert not allowed("api", "store") and not allowed("api", "bus") and not allowed("api", "realtime")
    assert (
        not allowed("workers", "store") and not allowed("store", "services") and not allowed("bus", "store")
    )
    assert (
        not allowed("config", "services") and not allowed("domain", "config") and not allowed("api", "root")
    )
