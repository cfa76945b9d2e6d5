"""Message search: Chinese without word spaces, prefixes, folding, query syntax that is only text,
who may find what (members only, not after leaving, never recalled), edits, filters and paging,
and that the engine's full-text index answers the query."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from lakeside.domain.text import SearchTerm, query_terms
from lakeside.store import search as search_store
from lakeside.store.dialects import DIALECTS, postgresql, sqlite
from lakeside.store.tables import message_search
from tests.conftest import Person, befriend, error_code

MEETING = "我们明天都用钉钉开会"


async def open_direct(a: Person, b: Person) -> int:
    response = await a.post("/api/v1/conversations/direct", json={"user_id": b.id})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


async def open_group(owner: Person, *members: Person, title: str = "项目组") -> int:
    for member in members:
        await befriend(owner, member)
    response = await owner.post(
        "/api/v1/conversations", json={"title": title, "member_ids": [m.id for m in members]}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def send(p: Person, conversation_id: int, body: str, **extra: Any) -> dict[str, Any]:
    payload = {"client_msg_id": uuid.uuid4().hex, "body": body, **extra}
    response = await p.post(f"/api/v1/conversations/{conversation_id}/messages", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def search(p: Person, q: str, **params: Any) -> dict[str, Any]:
    response = await p.get("/api/v1/search/messages", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def found(p: Person, q: str, **params: Any) -> list[int]:
    return [hit["message"]["id"] for hit in (await search(p, q, **params))["results"]]


@pytest.fixture
async def chat(people: dict[str, Person]) -> tuple[Person, Person, int]:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    await befriend(zhangsan, lisi)
    return zhangsan, lisi, await open_direct(zhangsan, lisi)


async def test_chinese_matches_contiguous_text(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    meeting = await send(zhangsan, cid, MEETING)
    other = await send(lisi, cid, "明天下雨，记得带伞")
    body = await search(lisi, "钉钉")
    assert [hit["message"]["id"] for hit in body["results"]] == [meeting["id"]]
    hit = body["results"][0]
    assert hit["conversation_id"] == cid
    assert hit["message"]["body"] == MEETING and hit["message"]["sender_id"] == zhangsan.id
    assert hit["snippet"] == MEETING
    assert body["next_cursor"] is None
    assert await found(lisi, "钉") == [meeting["id"]]
    assert await found(lisi, "钉钉开会") == [meeting["id"]]
    assert await found(lisi, "明天开会") == []  # both words are there, but not side by side
    assert await found(lisi, "明天") == [other["id"], meeting["id"]]
    assert await found(lisi, "明 会") == [meeting["id"]]  # separate terms: each must appear


async def test_latin_prefix_case_and_width_folding(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    meeting = await send(zhangsan, cid, "Meeting at 10 on 钉钉, room B2")
    abc = await send(lisi, cid, "abc is the code")
    wide = await send(lisi, cid, "ＸＹＺ全角")
    assert await found(zhangsan, "meet") == [meeting["id"]]
    assert await found(zhangsan, "MEETING") == [meeting["id"]]
    assert await found(zhangsan, "meeting 钉钉") == [meeting["id"]]
    assert await found(zhangsan, "钉钉meeting") == [meeting["id"]]
    assert await found(zhangsan, "meeting 开会") == []
    assert await found(zhangsan, "eting") == []  # a prefix of a word, not any substring
    assert await found(zhangsan, "ＡＢＣ") == [abc["id"]]
    assert await found(zhangsan, "xyz") == [wide["id"]]
    assert await found(zhangsan, "１０") == [meeting["id"]]


async def test_query_syntax_is_only_text(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    meeting = await send(zhangsan, cid, 'say "hello" OR NEAR(a b) col:val it\'s back\\slash 钉钉*')
    for query in [
        '"hello',
        "hello*",
        "* hello",
        "hello OR world",
        "OR",
        "NEAR(a b)",
        "NEAR(",
        "col:val",
        "words:hello",
        "chars : 钉",
        "it's",
        "back\\slash",
        "a & b | !c",
        "hello:*",
        "'hello' <-> 'world'",
        "^hello",
        "-hello",
        "{words chars}: hello",
        "钉钉*",
        "AND hello",
        "NOT",
        "x'); DROP TABLE messages; --",
    ]:
        await search(lisi, query)  # 200, whatever it finds
    # Syntax characters alone leave nothing to look for: a clean 422, never a database error.
    for query in ['"', "*", "'", "\\", ":", "(", "^", '"*"', "''"]:
        response = await lisi.get("/api/v1/search/messages", params={"q": query})
        assert response.status_code == 422, query
        assert error_code(response) == "EMPTY_QUERY"
    assert await found(lisi, '"hello" OR') == [meeting["id"]]  # OR is a word like any other here
    assert await found(lisi, "hello OR world") == []  # all terms must match: "world" is absent
    assert await found(lisi, "near(") == [meeting["id"]]
    assert await found(lisi, "it's") == [meeting["id"]]


async def test_invalid_queries(chat: tuple[Person, Person, int]) -> None:
    zhangsan, _lisi, _cid = chat
    for query in ["", "   ", "!!!", "？。，、", '"*"', "・"]:
        response = await zhangsan.get("/api/v1/search/messages", params={"q": query})
        assert response.status_code == 422, query
        assert error_code(response) == "EMPTY_QUERY"
    response = await zhangsan.get("/api/v1/search/messages", params={"q": "钉" * 201})
    assert response.status_code == 422
    assert error_code(response) == "QUERY_TOO_LONG"
    assert (await zhangsan.get("/api/v1/search/messages", params={"q": "钉" * 200})).status_code == 200
    response = await zhangsan.get("/api/v1/search/messages", params={"q": "x", "limit": 101})
    assert response.status_code == 422
    response = await zhangsan.http.get("/api/v1/search/messages", params={"q": "x"})
    assert response.status_code == 401


async def test_only_members_find_messages(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = people["zhangsan"], people["lisi"], people["wangwu"], people["mallory"]
    group = await open_group(zhangsan, lisi, wangwu)
    secret = await send(zhangsan, group, "下周发布钉钉新版本")
    await befriend(mallory, people["bob"])
    own = await open_direct(mallory, people["bob"])
    theirs = await send(mallory, own, "钉钉新版本 mallory")
    assert await found(lisi, "钉钉") == [secret["id"]]
    assert await found(wangwu, "新版本") == [secret["id"]]
    assert await found(mallory, "钉钉") == [theirs["id"]]
    assert await found(people["alice"], "钉钉") == []
    # Naming a conversation one is not in answers exactly as one that does not exist.
    response = await mallory.get("/api/v1/search/messages", params={"q": "钉钉", "conversation_id": group})
    assert response.status_code == 404
    assert error_code(response) == "CONVERSATION_NOT_FOUND"
    response = await mallory.get("/api/v1/search/messages", params={"q": "钉钉", "conversation_id": 999_999})
    assert response.status_code == 404
    assert error_code(response) == "CONVERSATION_NOT_FOUND"
    # Removed from the group, wangwu no longer finds its messages; the others still do.
    response = await zhangsan.delete(f"/api/v1/conversations/{group}/members/{wangwu.id}")
    assert response.status_code == 200, response.text
    assert await found(wangwu, "新版本") == []
    assert await found(lisi, "新版本") == [secret["id"]]
    # Leaving works the same way.
    response = await lisi.post(f"/api/v1/conversations/{group}/leave")
    assert response.status_code == 200, response.text
    assert await found(lisi, "新版本") == []


async def test_recalled_and_edited_messages(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    recalled = await send(zhangsan, cid, "密码是 hunter2 钉钉")
    kept = await send(zhangsan, cid, "钉钉群已经建好")
    edited = await send(lisi, cid, "周一上午开会 draft")
    response = await zhangsan.post(f"/api/v1/messages/{recalled['id']}/recall")
    assert response.status_code == 200, response.text
    assert await found(lisi, "hunter2") == []
    assert await found(zhangsan, "钉钉") == [kept["id"]]
    response = await lisi.patch(f"/api/v1/messages/{edited['id']}", json={"body": "周二下午改到钉钉上 final"})
    assert response.status_code == 200, response.text
    assert await found(zhangsan, "周一") == []
    assert await found(zhangsan, "draft") == []
    assert await found(zhangsan, "周二下午") == [edited["id"]]
    assert await found(zhangsan, "final") == [edited["id"]]
    hits = (await search(zhangsan, "钉钉"))["results"]
    assert [hit["message"]["id"] for hit in hits] == [edited["id"], kept["id"]]
    assert hits[0]["message"]["body"] == "周二下午改到钉钉上 final"
    assert hits[0]["message"]["edited_at"] is not None


async def test_markdown_is_searchable(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    message = await send(zhangsan, cid, "**重要**：钉钉 *meeting* notes", kind="markdown")
    assert await found(lisi, "重要") == [message["id"]]
    assert await found(lisi, "notes") == [message["id"]]


async def test_filters(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    group = await open_group(zhangsan, lisi, wangwu)
    direct = await open_direct(zhangsan, lisi)
    sent = [
        await send(zhangsan, group, "钉钉 one"),
        await send(lisi, group, "钉钉 two"),
        await send(wangwu, group, "钉钉 three"),
        await send(lisi, direct, "钉钉 four"),
        await send(zhangsan, direct, "钉钉 five"),
    ]
    newest_first = [m["id"] for m in reversed(sent)]
    assert await found(zhangsan, "钉钉") == newest_first
    assert await found(zhangsan, "钉钉", conversation_id=group) == [m["id"] for m in reversed(sent[:3])]
    assert await found(zhangsan, "钉钉", conversation_id=direct) == [m["id"] for m in reversed(sent[3:])]
    assert await found(zhangsan, "钉钉", sender_id=lisi.id) == [sent[3]["id"], sent[1]["id"]]
    assert await found(zhangsan, "钉钉", sender_id=lisi.id, conversation_id=group) == [sent[1]["id"]]
    assert await found(zhangsan, "钉钉", sender_id=people["alice"].id) == []
    # Dates: [after, before) in ms. Sends may share a millisecond, so expectations follow the
    # stored times rather than assuming they differ.
    middle = sent[2]["created_at"]
    assert await found(zhangsan, "钉钉", after=middle) == [
        m["id"] for m in reversed(sent) if m["created_at"] >= middle
    ]
    assert await found(zhangsan, "钉钉", before=middle) == [
        m["id"] for m in reversed(sent) if m["created_at"] < middle
    ]
    first, last = sent[0]["created_at"], sent[-1]["created_at"]
    assert await found(zhangsan, "钉钉", after=first, before=last + 1) == newest_first
    assert await found(zhangsan, "钉钉", after=last + 1) == []
    assert await found(zhangsan, "钉钉", before=first) == []
    assert await found(zhangsan, "钉钉", after=last + 1, before=first) == []


async def test_paging_returns_every_match_once(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    expected = []
    for i in range(11):
        expected.append((await send(zhangsan if i % 2 else lisi, cid, f"第{i}次 钉钉开会"))["id"])
        await send(zhangsan, cid, f"unrelated {i}")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        body = await search(lisi, "钉钉开会", **params)
        pages += 1
        assert len(body["results"]) <= 3
        seen.extend(hit["message"]["id"] for hit in body["results"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert cursor == seen[-1]
    assert seen == sorted(expected, reverse=True)
    assert pages == 4
    # A page that ends exactly on the last match says there is no more.
    body = await search(lisi, "钉钉开会", limit=11)
    assert len(body["results"]) == 11 and body["next_cursor"] is None
    assert len((await search(lisi, "钉钉开会", limit=100))["results"]) == 11


async def test_snippet_is_an_excerpt_around_the_match(chat: tuple[Person, Person, int]) -> None:
    zhangsan, lisi, cid = chat
    body = "开头" + "很长的前言。" * 30 + "\n\n我们明天都用钉钉开会，" + "后面还有很多内容。" * 30
    await send(zhangsan, cid, body)
    (hit,) = (await search(lisi, "钉钉开会"))["results"]
    snippet = hit["snippet"]
    assert len(snippet) <= 80
    assert "钉钉开会" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "\n" not in snippet
    (hit,) = (await search(lisi, "开头"))["results"]
    assert hit["snippet"].startswith("开头很长的前言") and hit["snippet"].endswith("…")
    assert len(hit["snippet"]) <= 80
    long_latin = "x" * 200 + " The QUARTERLY Meeting moved " + "y" * 200
    await send(lisi, cid, long_latin)
    (hit,) = (await search(zhangsan, "quarterly meet"))["results"]
    assert "The QUARTERLY Meeting moved" in hit["snippet"] and len(hit["snippet"]) <= 80
    await send(lisi, cid, "ｆｕｌｌ" + "宽" * 100 + " ＷＩＤＥ" + "字" * 100)
    (hit,) = (await search(zhangsan, "wide"))["results"]
    assert "ＷＩＤＥ" in hit["snippet"] and len(hit["snippet"]) <= 80


async def test_the_full_text_index_answers(app: FastAPI) -> None:
    db = app.state.services.ctx.db
    terms = query_terms('meet 钉钉开会 钉 "x')

    def sql(filters: search_store.SearchFilters) -> str:
        statement = search_store.search_query(DIALECTS[db.dialect], 1, terms, filters, 20)
        return str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))

    async with db.read() as conn:
        if db.is_sqlite:
            filtered = search_store.SearchFilters(
                conversation_id=1, sender_id=2, after=0, before=10**13, cursor=10**9
            )
            for query in (sql(search_store.SearchFilters()), sql(filtered)):
                rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query)
                plan = " | ".join(str(row[-1]) for row in rows)
                assert "SCAN message_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            # Which plan PostgreSQL picks depends on table statistics; what must hold is that the
            # generated conditions are the indexed expressions, so that the GIN indexes can answer.
            # With scans forbidden, each condition alone must go through its index.
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            for condition, index in zip(
                postgresql.tsvector_conditions(terms), ("words", "chars"), strict=True
            ):
                statement = select(message_search.c.message_id).where(condition)
                compiled = statement.compile(
                    dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
                )
                rows = await conn.exec_driver_sql(f"EXPLAIN {compiled}")
                plan = " | ".join(str(row[0]) for row in rows)
                assert f"Bitmap Index Scan on ix_message_search_{index}_fts" in plan, plan


def test_fts5_expression_quotes_everything() -> None:
    terms = query_terms('钉钉开会 钉 Meet "')
    assert sqlite.fts5_expression(terms) == ('words : "钉钉 钉开 开会" AND chars : "钉" AND words : "meet"*')
    hostile = [SearchTerm("prefix", ('a"b',)), SearchTerm("char", ("'",))]
    assert sqlite.fts5_expression(hostile) == 'words : "a""b"* AND chars : "\'"'
    assert postgresql.tsqueries(terms) == ("('钉钉' <-> '钉开' <-> '开会') & 'meet':*", "'钉'")
    hostile = [SearchTerm("phrase", ("it's", "a\\b"))]
    assert postgresql.tsqueries(hostile) == ("('it''s' <-> 'a\\\\b')", "")
