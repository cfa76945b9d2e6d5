"""Boundary values, field by field, for every operation of the OpenAPI document.

The random fuzzer (tests/test_fuzz_api.py) samples; this walks. For each operation it starts
from the authorization matrix's valid request (tests/authz_matrix.py, in the matrix's fixture
world, called by A's owner, who may do most things), then replaces one field at a time — every
path and query parameter and every property of the JSON body, including optional ones and the
items inside arrays — with each boundary value of the field's type:

- integers: 0, -1, 2^31 (past PostgreSQL's int4), 2^63 and 2^64 (past int8), 10^40;
- strings: empty, NUL, a lone surrogate, 100,000 characters, right-to-left, CJK;
- arrays: empty, 10,000 items, nested wrong types (a list in a list, an object, a string).

Every answer must be below 500, a 4xx must be the error JSON ``{"error": {"code",
"message"}}``, and text that no database stores (NUL; a lone surrogate in a body) must be refused
with a 4xx, never accepted. Failures are collected and reported together, one line each.

``test_every_integer_a_request_takes_is_bounded`` checks the document itself: every integer of a
parameter or a body declares bounds within 64 bits (the types of lakeside.domain.inputs).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from lakeside.app import build_app
from lakeside.config import Settings
from tests.authz_matrix import MATRIX
from tests.authz_world import World, build_world, outbound_world
from tests.conftest import BACKENDS, PASSWORD, own_database, report_figures
from tests.test_fuzz_api import VENDOR_PATHS

INTEGERS: list[Any] = [0, -1, 2**31, 2**63, 2**64, 10**40]
STRINGS: list[Any] = ["", "\x00", "a\x00b", "\ud800", "x" * 100_000, "\u202eمرحبا بالعالم", "钉钉测试"]
ARRAYS: list[Any] = [[], [[1]], [{"a": 1}], "not a list"]
HUGE_ARRAY = 10_000
URL_TEXT = 8_000
DEPTH = 4


@pytest.fixture(scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[tuple[FastAPI, World, str]]:
    data_dir = tmp_path_factory.mktemp("boundary")
    async with own_database(request.param, data_dir, sqlite_template, "lakeside_boundary") as url:
        settings = Settings(
            data_dir=data_dir,
            database_url=url,
            secret_key="test-secret",
            migrate_on_start=False,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
            sqlite_synchronous="NORMAL",
            rate_limits_enabled=False,  # thousands of calls from one address, failed log-ins among them
            outbound_worker_interval_seconds=0,  # the world's robot is never called
        )
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            # An exception escaping the app must come back as the 500 a client would get.
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4242), raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://lakeside.test") as http:
                built = await build_world(http)
                await outbound_world(app.state.services, built)
                yield app, built, request.param


class Walker:
    """Turns one OpenAPI schema node and a valid value into labelled replacements."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def options(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        """The non-null alternatives of a node (``X | None`` is an anyOf with null)."""
        schema = self.resolve(schema)
        alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if alternatives:
            found = [option for alt in alternatives for option in self.options(alt)]
            return found or [schema]
        return [] if schema.get("type") == "null" else [schema]

    def default(self, schema: dict[str, Any]) -> Any:
        for option in self.options(schema):
            if "enum" in option:
                return option["enum"][0]
            kind = option.get("type")
            if kind == "object" or "properties" in option:
                return {}
            return {"integer": 1, "number": 1, "string": "x", "boolean": True, "array": []}.get(kind, "x")
        return None

    def variants(
        self, schema: dict[str, Any], valid: Any, label: str, depth: int = 0
    ) -> Iterator[tuple[str, Any]]:
        if depth > DEPTH:
            return
        for option in self.options(schema):
            kind = option.get("type")
            if kind in ("integer", "number"):
                yield from ((f"{label}={value}", value) for value in INTEGERS)
            elif kind == "string":
                yield from ((f"{label}={short(value)}", value) for value in STRINGS)
            elif kind == "array":
                items = option.get("items", {})
                item = valid[0] if isinstance(valid, list) and valid else self.default(items)
                yield from ((f"{label}={short(value)}", value) for value in ARRAYS)
                yield f"{label}=[{HUGE_ARRAY} items]", [item] * HUGE_ARRAY
                for sub, value in self.variants(items, item, f"{label}[0]", depth + 1):
                    yield sub, [value]
            elif kind == "object" or "properties" in option:
                base = valid if isinstance(valid, dict) else {}
                for name, prop in option.get("properties", {}).items():
                    current = base.get(name, self.default(prop))
                    for sub, value in self.variants(prop, current, f"{label}.{name}", depth + 1):
                        yield sub, {**base, name: value}


def short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:30]}…({len(text)} chars)"


def encode(value: Any) -> str:
    """A path or query value as a client would put it in a URL (a lone surrogate as raw bytes)."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def unstorable(value: Any, in_url: bool) -> bool:
    """Text no database stores: NUL anywhere; a lone surrogate in a body (a URL can only carry it as
    bytes that are not UTF-8, which the server reads as U+FFFD)."""
    if isinstance(value, str):
        return "\x00" in value or (not in_url and "\ud800" in value)
    if isinstance(value, list):
        return any(unstorable(item, in_url) for item in value)
    if isinstance(value, dict):
        return any(unstorable(item, in_url) for item in value.values())
    return False


def problem(response: httpx.Response, must_refuse: bool, vendor: bool = False) -> str | None:
    """``vendor``: an incoming webhook's vendor endpoint (lakeside/api/hooks.py), whose refusals
    are the vendor's own (Slack's plain-text errors) rather than lakeside's error JSON."""
    if must_refuse and response.status_code < 400:
        return f"{response.status_code}: accepted text that cannot be stored"
    if response.status_code >= 500:
        return f"{response.status_code} {response.text[:120]}"
    if response.status_code >= 400 and not vendor:
        try:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"{response.status_code} without the error JSON: {response.text[:120]}"
    return None


class Caller:
    """A's owner; logged in again whenever a call ended the session (log-out, a revocation)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.person = world.people["owner"]
        self.password = PASSWORD

    async def request(self, method: str, url: str, body: Any) -> httpx.Response:
        content = None if body is None else json.dumps(body).encode()  # ASCII: \ud800 stays an escape
        response = await self.send(method, url, content)
        if response.status_code == 401 and await self.renew():
            response = await self.send(method, url, content)
        if response.status_code < 300 and url.endswith("/me/password") and isinstance(body, dict):
            self.password = str(body.get("new_password", self.password))
        return response

    async def send(self, method: str, url: str, content: bytes | None) -> httpx.Response:
        headers = {**self.person.headers, "content-type": "application/json"}
        return await self.world.http.request(method, url, content=content, headers=headers)

    async def renew(self) -> bool:
        """Logs in again if the session ended (True), or leaves it (False: the 401 was the answer)."""
        if (await self.world.http.get("/api/v1/me", headers=self.person.headers)).status_code != 401:
            return False
        login = {"login": self.person.username, "password": self.password}
        renewed = await self.world.http.post("/api/v1/auth/login", json=login)
        assert renewed.status_code == 200, renewed.text
        self.person.headers["Authorization"] = f"Bearer {renewed.json()['token']}"
        return True


async def test_every_field_refuses_its_boundary_values(world: tuple[FastAPI, World, str]) -> None:
    app, w, backend = world
    spec = app.openapi()
    walker = Walker(spec)
    caller = Caller(w)
    failures: list[str] = []
    sent = 0
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            case = MATRIX.get((method, template))
            owner = w.people["owner"]
            valid_body = (
                case.body(w, "owner", owner) if case and callable(case.body) else (case and case.body)
            )
            path_values = {name: value for name, value in w.ids.items()}
            query = dict(case.query) if case else {}
            params = operation.get("parameters", [])
            requests: list[tuple[str, dict[str, Any], dict[str, Any], Any, bool]] = []
            for param in params:
                if param["in"] not in ("path", "query"):
                    continue
                valid = path_values.get(param["name"]) if param["in"] == "path" else query.get(param["name"])
                for label, value in walker.variants(param.get("schema", {}), valid, param["name"]):
                    if isinstance(value, list | dict):
                        continue  # a URL carries text; arrays and objects belong to bodies
                    if isinstance(value, str) and len(value) > URL_TEXT:
                        value = value[:URL_TEXT]  # what fits in a request line a server reads
                    where = "path" if param["in"] == "path" else "query"
                    refuse = unstorable(value, in_url=True)
                    if where == "path":
                        requests.append(
                            (label, {**path_values, param["name"]: value}, query, valid_body, refuse)
                        )
                    else:
                        requests.append(
                            (label, path_values, {**query, param["name"]: value}, valid_body, refuse)
                        )
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body_schema = content["application/json"].get("schema", {})
                for label, value in walker.variants(body_schema, valid_body or {}, "body"):
                    requests.append((label, path_values, query, value, unstorable(value, in_url=False)))
            for label, values, params_, body, refuse in requests:
                url = template
                for name in (p["name"] for p in params if p["in"] == "path"):
                    url = url.replace(f"{{{name}}}", encode(values.get(name, 1)))  # 1: none in the world
                if params_:
                    url += "?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in params_.items())
                response = await caller.request(method.upper(), url, body)
                sent += 1
                wrong = problem(response, refuse, template.startswith(VENDOR_PATHS))
                if wrong:
                    failures.append(f"{method.upper()} {template} {label}: {wrong}")
    report_figures(f"boundary values [{backend}]: {sent} requests, {len(failures)} failures")
    assert sent > 2500
    assert not failures, f"{len(failures)} answers were wrong:\n" + "\n".join(failures)


def test_every_integer_a_request_takes_is_bounded() -> None:
    """Ids and numbers are typed once (lakeside.domain.inputs: Id, Int32, Int64): an integer a
    request may carry without both bounds, or with bounds beyond 64 bits, would reach a driver."""
    app = build_app(Settings(data_dir=Path("/nonexistent"), secret_key="x"))
    spec = app.openapi()
    walker = Walker(spec)
    unbounded: set[str] = set()

    def walk(schema: dict[str, Any], label: str, depth: int = 0) -> None:
        for option in walker.options(schema):
            if option.get("type") == "integer" and "enum" not in option and "const" not in option:
                low, high = option.get("minimum"), option.get("maximum")
                # (the document writes 2^63 - 1 as a float, which rounds to 2^63)
                if low is None or high is None or float(low) < -(2.0**63) or float(high) > 2.0**63:
                    unbounded.add(f"{label} [{low}, {high}]")
            elif option.get("type") == "array" and depth < DEPTH:
                walk(option.get("items", {}), f"{label}[]", depth + 1)
            elif depth < DEPTH:
                for name, prop in option.get("properties", {}).items():
                    walk(prop, f"{label}.{name}", depth + 1)

    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                walk(param.get("schema", {}), f"{method.upper()} {template} {param['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema", {}), f"{method.upper()} {template} body")
    assert not unbounded, "integers without 64-bit bounds:\n" + "\n".join(sorted(unbounded))
