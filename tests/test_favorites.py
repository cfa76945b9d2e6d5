"""Favourites (收藏): saving text, markdown (a link is a text message), images and files; newest
first, paged, searchable as messages are (Chinese included); a favourite stays readable, its file
downloadable, after the saver leaves; a recall scrubs the copy (the entry stays, recalled); a
message recalled before saving cannot be saved; and one user never reaches another's favourites (404)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from lakeside.store.tables import files
from tests.conftest import Person, error_code
from tests.test_group_tools import events_since, group, ok, position, sent
from tests.test_messages import png, upload

NOWHERE = 10**12


async def save(person: Person, message_id: int) -> httpx.Response:
    return await person.post("/api/v1/favorites", json={"message_id": message_id})


async def favorites(person: Person, **params: Any) -> dict[str, Any]:
    return dict(await ok(await person.get("/api/v1/favorites", params=params)))


async def found(person: Person, q: str) -> list[int]:
    return [f["message_id"] for f in (await favorites(person, q=q))["favorites"]]


async def test_saving_copies_the_message_and_its_source(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi, title="产品组")
    text = await sent(lisi, cid, "我们明天都用钉钉开会 https://example.com/agenda")
    since = await position(zhangsan)
    response = await save(zhangsan, text["id"])
    assert response.status_code == 201, response.text
    favorite = response.json()
    assert favorite["message_id"] == text["id"] and favorite["conversation_id"] == cid
    assert favorite["source"] == {"kind": "group", "title": "产品组"}
    assert favorite["sender"] == {"id": lisi.id, "name": "李四"}
    assert favorite["kind"] == "text" and favorite["body"] == text["body"] and favorite["file"] is None
    assert favorite["sent_at"] == text["created_at"] and favorite["created_at"] >= text["created_at"]
    again = await save(zhangsan, text["id"])  # saving twice: the same favourite, 200
    assert again.status_code == 200 and again.json() == favorite
    events = [e for e in await events_since(zhangsan, since) if e["type"] == "favorite"]
    assert [(e["op"], e["user_id"], e["data"]["id"]) for e in events] == [
        ("added", zhangsan.id, favorite["id"])
    ]

    markdown = await ok(
        await lisi.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "md", "kind": "markdown", "body": "**加粗** 和 `代码`"},
        )
    )
    saved = await ok(await save(zhangsan, markdown["id"]))
    assert saved["kind"] == "markdown" and "<strong>加粗</strong>" in saved["html"]

    # In a direct chat the source is the other person.
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})))["id"]
    mine = await sent(zhangsan, direct, "私聊的话")
    assert (await ok(await save(zhangsan, mine["id"])))["source"] == {"kind": "direct", "title": "李四"}


async def test_what_cannot_be_saved_and_by_whom(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    message = await sent(zhangsan, cid, "撤回前")
    await ok(await zhangsan.post(f"/api/v1/messages/{message['id']}/recall"))
    response = await save(lisi, message["id"])
    assert response.status_code == 422 and error_code(response) == "MESSAGE_RECALLED"
    history = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/messages"))
    system = next(m for m in history["messages"] if m["kind"] == "system")
    assert error_code(await save(lisi, system["id"])) == "NOT_FAVORABLE"
    secret = await sent(zhangsan, cid, "机密内容")
    # A message the caller cannot see is not found, exactly as one that does not exist.
    assert error_code(await save(mallory, secret["id"])) == "MESSAGE_NOT_FOUND"
    assert error_code(await save(mallory, NOWHERE)) == "MESSAGE_NOT_FOUND"
    for bad in ({"message_id": "1"}, {"message_id": 0}, {"message_id": 2**63}, {}, {"message_id": 1, "x": 1}):
        assert (await mallory.post("/api/v1/favorites", json=bad)).status_code == 422, bad
    assert (await favorites(mallory))["favorites"] == []


async def test_a_favourite_outlives_leaving_but_not_a_recall(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu, title="项目群")
    file_id = await upload(zhangsan, png(), "季度报告.png")
    image = await ok(
        await zhangsan.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "img", "kind": "image", "file_id": file_id},
        )
    )
    text = await sent(zhangsan, cid, "会议纪要：下周上线")
    kept = await ok(await save(lisi, image["id"]))
    await ok(await save(lisi, text["id"]))
    await ok(await save(wangwu, image["id"]))
    assert kept["file"]["filename"] == "季度报告.png" and kept["file"]["url"] == f"/api/v1/files/{file_id}"
    assert kept["recalled"] is False

    await ok(await lisi.post(f"/api/v1/conversations/{cid}/leave"))
    assert error_code(await lisi.get(f"/api/v1/conversations/{cid}/messages")) == "CONVERSATION_NOT_FOUND"
    listed = (await favorites(lisi))["favorites"]
    assert [f["message_id"] for f in listed] == [text["id"], image["id"]]
    assert listed[0]["body"] == "会议纪要：下周上线" and listed[1]["source"]["title"] == "项目群"
    # The saver keeps the file (and its thumbnail) though no longer in the conversation.
    assert (await lisi.get(f"/api/v1/files/{file_id}")).status_code == 200
    assert (await lisi.get(f"/api/v1/files/{file_id}/thumbnail")).status_code == 200

    # The sender recalls both: 撤回 deletes the content from the server, the savers' copies too.
    # The entries stay, shown as recalled, findable by the sender's and the group's names.
    await ok(await zhangsan.post(f"/api/v1/messages/{image['id']}/recall"))
    await ok(await zhangsan.post(f"/api/v1/messages/{text['id']}/recall"))
    listed = (await favorites(lisi))["favorites"]
    assert [(f["message_id"], f["recalled"], f["body"], f["file"]) for f in listed] == [
        (text["id"], True, "", None),
        (image["id"], True, "", None),
    ]
    assert (await favorites(lisi, q="下周上线"))["favorites"] == []
    assert len((await favorites(lisi, q="项目群"))["favorites"]) == 2
    for person in (lisi, wangwu, people["mallory"]):
        assert (await person.get(f"/api/v1/files/{file_id}")).status_code == 404

    async with app.state.services.ctx.db.read() as conn:
        count = await conn.scalar(select(func.count()).select_from(files).where(files.c.id == file_id))
    assert count == 0
    # Removing a recalled favourite works as any other.
    await ok(await lisi.delete(f"/api/v1/favorites/{kept['id']}"))


async def test_removing_is_for_the_saver_only(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    favorite = await ok(await save(lisi, (await sent(zhangsan, cid, "留着"))["id"]))
    assert error_code(await zhangsan.delete(f"/api/v1/favorites/{favorite['id']}")) == "FAVORITE_NOT_FOUND"
    assert error_code(await zhangsan.delete(f"/api/v1/favorites/{NOWHERE}")) == "FAVORITE_NOT_FOUND"
    since = await position(lisi)
    await ok(await lisi.delete(f"/api/v1/favorites/{favorite['id']}"))
    assert error_code(await lisi.delete(f"/api/v1/favorites/{favorite['id']}")) == "FAVORITE_NOT_FOUND"
    removed = [e for e in await events_since(lisi, since) if e["type"] == "favorite"]
    assert [(e["op"], e["data"]) for e in removed] == [
        ("removed", {"id": favorite["id"], "message_id": favorite["message_id"]})
    ]
    assert (await favorites(lisi))["favorites"] == []


async def test_newest_first_paged_and_searched_as_messages_are(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi, title="产品项目组")
    bodies = [
        "我们明天都用钉钉开会",
        "Release notes for v2",
        "预算表在附件里",
        "钉子户的故事",
        "明天 review the PR",
    ]
    ids = []
    for body in bodies:
        message = await sent(lisi, cid, body)
        await ok(await save(zhangsan, message["id"]))
        ids.append(message["id"])
    file_id = await upload(lisi, b"%PDF-1.4 minimal", "第一季度销售报告.pdf")
    document = await ok(
        await lisi.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "doc", "kind": "file", "file_id": file_id},
        )
    )
    await ok(await save(zhangsan, document["id"]))
    ids.append(document["id"])

    first = await favorites(zhangsan, limit=4)
    assert [f["message_id"] for f in first["favorites"]] == ids[::-1][:4]
    rest = await favorites(zhangsan, limit=4, cursor=first["next_cursor"])
    assert [f["message_id"] for f in rest["favorites"]] == ids[::-1][4:] and rest["next_cursor"] is None

    assert await found(zhangsan, "钉钉") == [ids[0]]  # contiguous Chinese, not 钉子
    assert await found(zhangsan, "钉") == [ids[3], ids[0]]  # one character: anywhere
    assert await found(zhangsan, "明天 review") == [ids[4]]  # every word must match
    assert await found(zhangsan, "REL") == [ids[1]]  # Latin words by prefix, any case
    assert await found(zhangsan, "lease") == []  # a prefix, not a substring
    assert await found(zhangsan, "销售报告") == [document["id"]]  # the file's name
    assert await found(zhangsan, "李四") == ids[::-1]  # the sender's name
    assert await found(zhangsan, "项目组") == ids[::-1]  # the source's name
    assert await found(zhangsan, '钉钉 "%_ OR') == []  # query syntax is only text: "or" matches nothing
    for q, code in (("！？", "EMPTY_QUERY"), ("长" * 201, "VALIDATION_FAILED")):
        response = await zhangsan.get("/api/v1/favorites", params={"q": q})
        assert response.status_code == 422 and error_code(response) == code, q
    assert (await favorites(lisi, q="钉钉"))["favorites"] == []  # only one's own


async def test_saving_twice_at_once_makes_one_favourite(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    message = await sent(zhangsan, cid, "两台设备同时收藏")
    answers = await asyncio.gather(*(save(lisi, message["id"]) for _ in range(4)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201], [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert len((await favorites(lisi))["favorites"]) == 1
