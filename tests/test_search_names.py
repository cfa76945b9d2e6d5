"""The search view's other sections: conversations and contacts by name, full pinyin and initials,
files by name (Chinese included) — each only among what the caller may see now: their own
conversations, their friends and the colleagues of organizations they are active in, the files of
conversations they are in (not recalled)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Person, befriend, error_code, register
from tests.test_group_tools import group, ok, sent
from tests.test_messages import upload
from tests.test_organizations import company


async def conversations(person: Person, q: str) -> list[int]:
    page = await ok(await person.get("/api/v1/search/conversations", params={"q": q}))
    return [c["id"] for c in page["results"]]


async def contacts(person: Person, q: str) -> list[dict[str, Any]]:
    return list((await ok(await person.get("/api/v1/search/contacts", params={"q": q})))["results"])


async def files(person: Person, q: str, **params: Any) -> dict[str, Any]:
    return dict(await ok(await person.get("/api/v1/search/files", params={"q": q, **params})))


async def test_conversations_by_title_partner_pinyin_and_initials(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, mallory = (people[n] for n in ("zhangsan", "lisi", "wangwu", "mallory"))
    product = await group(zhangsan, lisi, title="产品组")
    outing = await group(zhangsan, wangwu, title="周末爬山")
    direct = (await ok(await zhangsan.post("/api/v1/conversations/direct", json={"user_id": lisi.id})))["id"]
    for q in ("产品", "chanpin", "cpz", "CPZ", "ｃｐｚ"):
        assert await conversations(zhangsan, q) == [product], q
    # A direct chat by the other person's name, pinyin, initials, username — or one's remark.
    for q in ("李四", "lisi", "ls"):
        assert direct in await conversations(zhangsan, q), q
    assert await conversations(zhangsan, "lisi") == [direct]  # not the group lisi is in
    await ok(await zhangsan.patch(f"/api/v1/friends/{lisi.id}", json={"remark": "老李"}))
    assert await conversations(zhangsan, "laoli") == [direct]
    assert await conversations(zhangsan, "老李") == [direct]
    assert await conversations(lisi, "laoli") == []  # the remark is zhangsan's
    # A rename follows; only the caller's own conversations; newest activity first.
    await ok(await zhangsan.patch(f"/api/v1/conversations/{outing}", json={"title": "周末露营"}))
    assert await conversations(zhangsan, "zmly") == [outing] and await conversations(zhangsan, "pashan") == []
    assert await conversations(mallory, "产品") == [] and await conversations(wangwu, "产品") == []
    await sent(zhangsan, product, "刷新")
    assert (await conversations(zhangsan, "z"))[0] == product
    # Leaving takes it out of the results.
    await ok(await lisi.post(f"/api/v1/conversations/{product}/leave"))
    assert await conversations(lisi, "cpz") == []
    hit = (await ok(await zhangsan.get("/api/v1/search/conversations", params={"q": "cpz"})))["results"][0]
    assert hit["title"] == "产品组" and hit["role"] == "owner" and "unread" in hit


async def test_queries_that_are_nothing_or_too_long_are_refused(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    for path in ("conversations", "contacts", "files"):
        for q, code in (
            ("", "EMPTY_QUERY"),
            ("  ", "EMPTY_QUERY"),
            ("！？", "EMPTY_QUERY"),
            ("\x07", "EMPTY_QUERY"),
        ):
            response = await zhangsan.get(f"/api/v1/search/{path}", params={"q": q})
            assert response.status_code == 422 and error_code(response) == code, (path, q, response.text)
        # A NUL anywhere in the address is refused at the edge, before any route (api/edge.py).
        response = await zhangsan.get(f"/api/v1/search/{path}", params={"q": "\x00"})
        assert response.status_code == 400 and error_code(response) == "INVALID_CHARACTERS", path
        response = await zhangsan.get(f"/api/v1/search/{path}", params={"q": "长" * 201})
        assert response.status_code == 422, path
    # Wildcards are text to look for, never LIKE syntax.
    await group(zhangsan, people["lisi"], title="100%_完成")
    assert await conversations(zhangsan, "0%_完") != [] and await conversations(zhangsan, "1_0") == []


async def test_contacts_are_friends_and_colleagues_by_pinyin(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    await befriend(zhangsan, lisi)
    org = await company(zhangsan, [wangwu, alice])
    # Bob is in another organization; mallory is nobody's.
    await company(bob, [mallory], name="来往")
    for q in ("王五", "wangwu", "ww"):
        hits = await contacts(zhangsan, q)
        assert [h["user"]["id"] for h in hits] == [wangwu.id], q
        assert hits[0]["is_friend"] is False
        assert hits[0]["organizations"] == [
            {"id": org["id"], "name": "湖畔科技", "member_name": "王五", "title": None}
        ]
    friend = (await contacts(zhangsan, "ls"))[0]
    assert friend["user"]["id"] == lisi.id and friend["is_friend"] is True and friend["organizations"] == []
    await ok(await zhangsan.patch(f"/api/v1/friends/{lisi.id}", json={"remark": "李总"}))
    assert [h["user"]["id"] for h in await contacts(zhangsan, "lizong")] == [lisi.id]
    assert (await contacts(zhangsan, "lizong"))[0]["remark"] == "李总"
    # A friend who is also a colleague is one hit, friends first; Latin names by initials.
    await befriend(zhangsan, alice)
    hits = await contacts(zhangsan, "a")
    assert hits[0]["user"]["id"] == alice.id and hits[0]["is_friend"] and hits[0]["organizations"]
    assert [h["user"]["id"] for h in await contacts(zhangsan, "ac")] == [alice.id]  # Alice Chen
    # Nobody outside: bob and mallory are no friends and share no organization; nor oneself.
    assert await contacts(zhangsan, "bob") == [] and await contacts(zhangsan, "mallory") == []
    assert await contacts(zhangsan, "zhangsan") == []
    assert await contacts(mallory, "wangwu") == []
    # A renamed profile is found by its new name.
    await ok(await lisi.patch("/api/v1/me", json={"display_name": "李思思"}))
    assert [h["user"]["id"] for h in await contacts(zhangsan, "lisisi")] == [lisi.id]
    # A colleague who leaves is no longer one.
    await ok(await wangwu.post(f"/api/v1/orgs/{org['id']}/leave"))
    assert await contacts(zhangsan, "wangwu") == []


async def test_files_by_name_in_the_callers_conversations_only(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, title="财务")
    report = await upload(zhangsan, b"%PDF-1.4 report", "2026第一季度销售报告.pdf")
    notes = await upload(lisi, b"plain notes", "Meeting Notes.txt")
    sent_files = []
    for sender, file_id in ((zhangsan, report), (lisi, notes)):
        response = await sender.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": file_id, "kind": "file", "file_id": file_id},
        )
        assert response.status_code == 201, response.text
        sent_files.append(response.json())
    hits = (await files(lisi, "报告"))["results"]
    assert [h["file"]["id"] for h in hits] == [report]
    assert hits[0]["message_id"] == sent_files[0]["id"] and hits[0]["conversation_id"] == cid
    assert hits[0]["file"]["filename"] == "2026第一季度销售报告.pdf" and hits[0]["sender_id"] == zhangsan.id
    assert [h["file"]["id"] for h in (await files(lisi, "季度 2026"))["results"]] == [report]
    assert [h["file"]["id"] for h in (await files(lisi, "meeting"))["results"]] == [notes]
    assert [h["file"]["id"] for h in (await files(lisi, "NOTES"))["results"]] == [notes]
    assert (await files(lisi, "销报"))["results"] == []  # contiguous, as message search
    # Uploaded but never sent: nobody finds it, not even the uploader (it is in no conversation).
    await upload(zhangsan, b"draft", "未发送的报告.pdf")
    assert [h["file"]["id"] for h in (await files(zhangsan, "报告"))["results"]] == [report]
    # Outsiders find nothing; recalled files are gone; leaving ends it.
    assert (await files(wangwu, "报告"))["results"] == []
    await ok(await lisi.post(f"/api/v1/messages/{sent_files[1]['id']}/recall"))
    assert (await files(zhangsan, "notes"))["results"] == []
    await ok(await lisi.post(f"/api/v1/conversations/{cid}/leave"))
    assert (await files(lisi, "报告"))["results"] == []


async def test_files_are_paged_newest_first(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    cid = await group(zhangsan, lisi)
    ids = []
    for i in range(5):
        file_id = await upload(zhangsan, f"content {i}".encode(), f"周报{i}.txt")
        response = await zhangsan.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": f"f{i}", "kind": "file", "file_id": file_id},
        )
        ids.append(response.json()["id"])
    first = await files(lisi, "周报", limit=3)
    assert [h["message_id"] for h in first["results"]] == ids[::-1][:3]
    rest = await files(lisi, "周报", limit=3, cursor=first["next_cursor"])
    assert [h["message_id"] for h in rest["results"]] == ids[::-1][3:] and rest["next_cursor"] is None


async def test_keys_of_people_registered_later_and_many_at_once(people: dict[str, Person]) -> None:
    zhangsan = people["zhangsan"]
    newcomer = await register(zhangsan.http, "ouyang", "欧阳娜娜")
    await befriend(zhangsan, newcomer)
    assert [h["user"]["id"] for h in await contacts(zhangsan, "oynn")] == [newcomer.id]
