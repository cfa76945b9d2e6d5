"""A markdown and display-name XSS corpus: classic payloads sent as messages (and as edits) must
never come back as markup that runs code, and display names and titles come back exactly as
given, as plain text for clients to insert as text.

The rendered ``html`` is checked tag by tag: only allow-listed tags, no event handler and no
style attribute, and every URL attribute with an http, https or mailto scheme (after decoding
entities and dropping the whitespace and control characters browsers ignore). A payload may
of course survive as escaped *text* (``&lt;script&gt;`` is harmless), so text between tags is
allowed to say anything; it can never contain a raw ``<``.
"""

from __future__ import annotations

import html
import re
import uuid

from lakeside.domain.markdown import ALLOWED_TAGS
from tests.conftest import Person, befriend

MARKDOWN_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](  javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    '[a](https://ok.example "title" onmouseover="alert(1)")',
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '<https://ok.example/"onmouseover="alert(1)>',
    "[[nested](javascript:alert(1))](https://ok.example)",
    "[outer [inner](javascript:alert(2))](javascript:alert(1))",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">styled</p>',
    "<style>body{display:none}</style>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<base href="javascript:/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!--<script>alert(1)</script>-->",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "> <script>alert(1)</script>\n> [q](vbscript:x)",
    "**<img src=x onerror=alert(1)>** _<svg/onload=alert(1)>_",
    "[safe](https://ok.example/?q=<script>) [mail](mailto:a@ok.example)",
]

NAME_CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg onload=alert(1)>",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "&lt;b&gt;bold&lt;/b&gt;",
    "&#60;script&#62;",
    "[link](javascript:alert(1))",
    "' OR '1'='1",
    "Robert'); DROP TABLE users;--",
    "张三<b>",
    "%3Cscript%3E",
    "\\u003cscript\\u003e",
]

TAG = re.compile(r"<[^>]*>")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href", "poster", "background")
SAFE_SCHEMES = ("http:", "https:", "mailto:")
URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20]")


def assert_safe_html(rendered: str, payload: str) -> None:
    lowered = rendered.lower()
    for needle in ("<script", "<iframe", "<svg", "<img", "<object", "<embed", "<style", "<math", "<form"):
        assert needle not in lowered, (payload, rendered)
    text = TAG.sub("", rendered)
    assert "<" not in text, (payload, rendered)
    for tag in TAG.findall(rendered):
        name = re.match(r"</?\s*([a-zA-Z0-9]+)", tag)
        assert name and name.group(1).lower() in ALLOWED_TAGS, (payload, tag)
        assert not re.search(r"\son\w+\s*=", tag, re.IGNORECASE), (payload, tag)
        assert not re.search(r"\sstyle\s*=", tag, re.IGNORECASE), (payload, tag)
        for attribute, value in re.findall(r'\s([a-zA-Z:-]+)\s*=\s*"([^"]*)"', tag):
            decoded = IGNORED_BY_BROWSERS.sub("", html.unescape(value)).lower()
            for scheme in ("javascript:", "data:", "vbscript:"):
                assert scheme not in decoded, (payload, tag)
            # A URL has a scheme only if it starts with one (RFC 3986); "%6Aavascript:" is a
            # relative path, which a browser resolves against the page, harmlessly.
            scheme = URL_SCHEME.match(decoded)
            if attribute.lower() in URL_ATTRIBUTES and scheme:
                assert scheme.group(0) in SAFE_SCHEMES, (payload, tag)


async def new_group(owner: Person, *others: Person) -> int:
    response = await owner.post(
        "/api/v1/conversations", json={"title": "xss", "member_ids": [p.id for p in others]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_markdown_corpus_never_renders_active_content(people: dict[str, Person]) -> None:
    alice = people["alice"]
    conversation_id = await new_group(alice)
    assert len(MARKDOWN_CORPUS) >= 30
    sent = []
    for payload in MARKDOWN_CORPUS:
        response = await alice.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"client_msg_id": uuid.uuid4().hex, "kind": "markdown", "body": payload},
        )
        assert response.status_code == 201, (payload, response.text)
        message = response.json()
        assert message["body"] == payload  # the source is kept as sent; clients show it as text
        assert_safe_html(message["html"], payload)
        sent.append(message)
    # The same through an edit, and as history and the event log replay them.
    for message, payload in zip(sent, reversed(MARKDOWN_CORPUS), strict=True):
        response = await alice.patch(f"/api/v1/messages/{message['id']}", json={"body": payload})
        assert response.status_code == 200, response.text
        assert_safe_html(response.json()["html"], payload)
    history = await alice.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 200})
    for message in history.json()["messages"]:
        if message["kind"] == "markdown":
            assert_safe_html(message["html"], message["body"])
    events = (await alice.get("/api/v1/sync", params={"since": 0})).json()["events"]
    for event in events:
        if event["type"] == "message" and event["data"].get("kind") == "markdown":
            assert_safe_html(event["data"]["html"], event["data"]["body"])
    # A safe link survives as a link: the sanitizer is an allow-list, not a blanket strip.
    assert '<a href="https://ok.example/?q=%3Cscript%3E"' in sent[-1]["html"]
    assert 'href="mailto:a@ok.example"' in sent[-1]["html"]


async def test_text_messages_are_never_rendered(people: dict[str, Person]) -> None:
    alice = people["alice"]
    conversation_id = await new_group(alice)
    for payload in MARKDOWN_CORPUS[:10]:
        response = await alice.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"client_msg_id": uuid.uuid4().hex, "body": payload},
        )
        assert response.status_code == 201
        assert response.json()["html"] is None and response.json()["body"] == payload


async def test_display_names_and_titles_come_back_exactly(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    await befriend(alice, bob)
    conversation_id = await new_group(alice, bob)
    for name in NAME_CORPUS:
        response = await bob.patch("/api/v1/me", json={"display_name": name})
        assert response.status_code == 200, (name, response.text)
        assert response.json()["display_name"] == name
        seen = await alice.get(f"/api/v1/users/{bob.id}")
        assert seen.json()["display_name"] == name
        members = await alice.get(f"/api/v1/conversations/{conversation_id}/members")
        assert {m["user"]["display_name"] for m in members.json() if m["user"]["id"] == bob.id} == {name}
        response = await alice.patch(f"/api/v1/conversations/{conversation_id}", json={"title": name})
        assert response.status_code == 200, (name, response.text)
        assert response.json()["title"] == name
    # Invisible and direction-changing characters (a name that renders as someone else's) are refused.
    for name in ("admin\u202egnp.exe", "ad\u200bmin", "line\nbreak", "\u2066spoof\u2069"):
        response = await bob.patch("/api/v1/me", json={"display_name": name})
        assert response.status_code == 422, (name, response.text)
