"""@mentions as people type them: Chinese text with no spaces around the name, full-width ＠,
``@所有人``, e-mail addresses that are not mentions, and people picked by display name (the text
says ``@张伟``, the send carries that 张伟's id) — through a send, the socket, the writer's batch
and an edit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from lakeside.client import LakesideClient
from lakeside.config import Settings
from lakeside.domain.mentions import find_mentions, mentioned_ids
from tests.conftest import Person, befriend, error_code, register
from tests.live import running_server
from tests.test_messages import fetch, group_of, open_direct, send, sent

PARSER_CASES = [
    # (text, usernames, everyone)
    ("@lisi 请看一下", {"lisi"}, False),
    ("@lisi请看一下", {"lisi"}, False),
    ("你好@lisi 请看", {"lisi"}, False),
    ("你好@lisi请看", {"lisi"}, False),
    ("@lisi，请看", {"lisi"}, False),
    ("请看@lisi。", {"lisi"}, False),
    ("@lisi！明天见", {"lisi"}, False),
    ("@lisi？", {"lisi"}, False),
    ("（@lisi）", {"lisi"}, False),
    ("「@lisi」你好", {"lisi"}, False),
    ("@lisi、@wangwu 开会", {"lisi", "wangwu"}, False),
    ("@lisi@wangwu", {"lisi"}, False),  # the second @ follows a letter, as in an address
    ("＠lisi 全角", {"lisi"}, False),
    ("你好＠lisi请看", {"lisi"}, False),
    ("@LiSi 大小写", {"lisi"}, False),
    ("see @lisi.", {"lisi"}, False),
    ("@zhang.san_1-x 好", {"zhang.san_1-x"}, False),
    ("@all开会", set(), True),
    ("@all 开会", set(), True),
    ("@ALL 注意", set(), True),
    ("@所有人 开会", set(), True),
    ("请@所有人看一下", set(), True),
    ("＠所有人", set(), True),
    ("@alliance 不是所有人", {"alliance"}, False),
    ("a@b.com", set(), False),
    ("lisi@example.com", set(), False),
    ("邮箱 zhang.san@qq.com 请查收", set(), False),
    ("x+tag@lisi.cn", set(), False),
    ("@@lisi", set(), False),
    ("@@x", set(), False),
    ("@", set(), False),
    ("@li 太短", set(), False),
    ("@" + "a" * 33, set(), False),  # longer than a username can be
    ("@1abc 数字开头", set(), False),
    ("@张伟 中文名不是用户名", set(), False),
    ("no mention here", set(), False),
]


@pytest.mark.parametrize(("text", "usernames", "everyone"), PARSER_CASES)
def test_the_parser_reads_mentions_as_people_type_them(
    text: str, usernames: set[str], everyone: bool
) -> None:
    found = find_mentions(text)
    assert (set(found.usernames), found.everyone) == (usernames, everyone)


def test_a_picked_name_is_that_person_not_a_username() -> None:
    people = {7: ("zhangwei", "张伟"), 8: ("zw2", "张伟"), 9: ("zhang", "Zhang"), 10: ("wei", "Zhang Wei")}
    assert mentioned_ids("@张伟 请看", frozenset(), [8], people) == {8}  # the one picked, not the other 张伟
    assert mentioned_ids("请看", frozenset(), [8], people) == set()  # picked, but no longer written
    assert mentioned_ids("＠张伟请看", frozenset(), [7], people) == {7}
    # "@Zhang Wei" picked is Zhang Wei, not also the user "zhang".
    text = "@Zhang Wei 你好"
    assert mentioned_ids(text, find_mentions(text).usernames, [10], people) == {10}
    assert mentioned_ids(text, find_mentions(text).usernames, [], people) == {9}
    assert mentioned_ids("@zhangwei 好", frozenset({"zhangwei"}), [], people) == {7}


async def test_chinese_typing_mentions_members(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    gid = await group_of(zhangsan, lisi, wangwu)
    for body in ("@lisi请看一下", "你好@lisi 请看", "＠lisi，收到吗", "请看@lisi。"):
        assert (await sent(zhangsan, gid, body))["mentions"] == [lisi.id], body
    assert (await sent(zhangsan, gid, "发到 lisi@example.com 了"))["mentions"] == []
    assert (await sent(zhangsan, gid, "@all开会"))["mention_all"] is True
    everyone = await sent(zhangsan, gid, "@所有人 明天九点开会")
    assert everyone["mention_all"] is True and everyone["mentions"] == []
    # The same rule as @all: only the owner and admins notify everyone.
    assert (await sent(lisi, gid, "@所有人 吃饭"))["mention_all"] is False
    cid = await open_direct(zhangsan, lisi)
    assert (await sent(zhangsan, cid, "@所有人 你好@lisi"))["mention_all"] is False


async def test_a_person_picked_by_name_is_mentioned_even_when_two_share_it(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice = (people[n] for n in ("zhangsan", "lisi", "wangwu", "alice"))
    zw1 = await register(lisi.http, "zhangwei", "张伟")
    zw2 = await register(lisi.http, "zhangwei2", "张伟")
    gid = await group_of(zhangsan, lisi, zw1, zw2)
    await befriend(zhangsan, alice)  # a friend, not in the group

    message = await sent(zhangsan, gid, "@张伟 请看一下", mention_ids=[zw2.id])
    assert message["mentions"] == [zw2.id] and message["body"] == "@张伟 请看一下"
    # The mentioned person's own view of the message shows it.
    assert (await fetch(zw2, message["id"]))["mentions"] == [zw2.id]
    assert zw2.id in (await fetch(zw1, message["id"]))["mentions"]

    both = await sent(zhangsan, gid, "@张伟 @张伟 @lisi 都来", mention_ids=[zw1.id, zw2.id, zw1.id])
    assert both["mentions"] == sorted([lisi.id, zw1.id, zw2.id])
    # Members only, never the sender, and only while the name stands in the text.
    ignored = await sent(
        zhangsan, gid, "@Alice Chen @张三 @王五 你好", mention_ids=[alice.id, zhangsan.id, wangwu.id]
    )
    assert ignored["mentions"] == []
    assert (await sent(zhangsan, gid, "没有写名字", mention_ids=[zw1.id]))["mentions"] == []
    # A picked person may also be written by username.
    assert (await sent(zhangsan, gid, "@zhangwei2 看", mention_ids=[zw2.id]))["mentions"] == [zw2.id]

    # Bounded and validated like every field of the send.
    for bad in ([0], ["1"], [True], list(range(1, 52)), 5):
        response = await send(zhangsan, gid, "@张伟", cid=f"bad-{bad!s:.20}", mention_ids=bad)
        assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED", bad


async def test_edits_keep_and_change_mentions(people: dict[str, Person]) -> None:
    zhangsan, lisi = people["zhangsan"], people["lisi"]
    zw1 = await register(lisi.http, "zhangwei", "张伟")
    zw2 = await register(lisi.http, "zhangwei2", "张伟")
    gid = await group_of(zhangsan, lisi, zw1, zw2)
    message = await sent(zhangsan, gid, "@张伟 请看", mention_ids=[zw2.id])
    url = f"/api/v1/messages/{message['id']}"

    # An edit that leaves mention_ids out keeps the people picked before while their name stands.
    kept = (await zhangsan.patch(url, json={"body": "@张伟 请看一下，@lisi也看"})).json()
    assert kept["mentions"] == sorted([lisi.id, zw2.id])
    moved = (await zhangsan.patch(url, json={"body": "@张伟 还是你看", "mention_ids": [zw1.id]})).json()
    assert moved["mentions"] == [zw1.id]
    gone = (await zhangsan.patch(url, json={"body": "算了，不用看了"})).json()
    assert gone["mentions"] == []
    response = await zhangsan.patch(url, json={"body": "x", "mention_ids": list(range(1, 52))})
    assert response.status_code == 422 and error_code(response) == "VALIDATION_FAILED"


async def test_a_mention_picked_by_name_over_the_socket_and_the_python_client(settings: Settings) -> None:
    async with running_server(settings) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            zhangsan = await register(http, "zhangsan", "张三")
            zhangwei = await register(http, "zhangwei", "张伟")
            gid = await group_of(zhangsan, zhangwei)
        async with connect(url.replace("http", "ws", 1) + "/api/v1/stream") as ws:
            await ws.send(orjson.dumps({"op": "hello", "token": zhangsan.token}).decode())
            await _until(ws, lambda frame: frame.get("op") == "live")
            frame = {"op": "send", "conversation_id": gid, "body": "@张伟请看", "client_msg_id": "s1"}
            await ws.send(orjson.dumps({**frame, "mention_ids": [zhangwei.id]}).decode())
            ack = await _until(ws, lambda frame: frame.get("type") == "ack")
            assert ack["message"]["mentions"] == [zhangwei.id]
            await ws.send(orjson.dumps({**frame, "client_msg_id": "s2", "mention_ids": [0]}).decode())
            nack = await _until(ws, lambda frame: frame.get("type") == "nack")
            assert nack["error"]["code"] == "VALIDATION_FAILED"
        async with LakesideClient(url, token=zhangsan.token) as python_client:
            message = await python_client.send(gid, "＠张伟 再看", mention_ids=[zhangwei.id])
            assert message["mentions"] == [zhangwei.id]


async def _until(ws: ClientConnection, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = orjson.loads(await ws.recv())
            if match(frame):
                return dict(frame)
