"""A model-based test: a hypothesis state machine drives the real app in process (SQLite) with
sends, retries, edits, recalls, reads, joins, leaves and reconnects, against a model a few
dozen lines long, and checks after every step that the server tells the truth:

- every member's history equals the model (ids, gapless seqs, senders, bodies, edits,
  recalled messages as tombstones with no content);
- every member's read cursor and unread count equal the model's (unread = last seq - read seq;
  sending reads up to your own message; joining starts you at the join);
- a non-member gets 404 for the conversation, its history and its messages, exactly as for
  something that does not exist;
- a reconnect (sync from the client's last position) brings every message created since, once,
  in order, as it is now, for the conversations the user is in, and nothing from others.

Each example builds a fresh app on a copy of a migrated database. ``LAKESIDE_MODEL_EXAMPLES``
(default 10) sets how many runs of up to 25 steps are tried.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from lakeside.app import build_app
from lakeside.config import Settings
from lakeside.store import migrate
from lakeside.store.engine import Database
from tests.conftest import PASSWORD

USERS = 4  # user 0 owns the group; everyone is friends with everyone
WORDS = ["你好", "hello", "回头见 ok", "周报 draft", "**粗体** text", "emoji 🎉", "línea ñ"]

_template: Path | None = None


def template_database(loop: asyncio.AbstractEventLoop) -> Path:
    """A migrated SQLite file, made once per test run and copied for every example."""
    global _template
    if _template is None:
        path = Path(tempfile.mkdtemp(prefix="lakeside-model-")) / "template.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        loop.run_until_complete(migrate.upgrade(db))
        loop.run_until_complete(db.dispose())
        _template = path
    return _template


@dataclass
class Msg:
    id: int
    seq: int
    sender: int  # user index
    kind: str
    client_msg_id: str | None
    body: str
    created: int  # the model's global creation counter, for reconnects
    edited: bool = False
    recalled: bool = False
    sent_body: str = ""  # the body as first sent, which a retry carries again


@dataclass
class Conv:
    id: int
    kind: str
    members: dict[int, int] = field(default_factory=dict)  # user index -> read seq
    messages: list[Msg] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return len(self.messages)


class MessagingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.tmp = Path(tempfile.mkdtemp(prefix="lakeside-model-example-"))
        data_dir = self.tmp / "data"
        data_dir.mkdir()
        shutil.copy(template_database(self.loop), data_dir / "lakeside.db")
        self.settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir / 'lakeside.db'}",
            secret_key="model-secret",
            migrate_on_start=False,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
        )
        self.counter = 0  # messages created, in the model's order
        self.next_cid = 0
        self.probes = 0
        self.run(self._start())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.stack.aclose())
        self.loop.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- set-up -----------------------------------------------------------------------------

    async def _start(self) -> None:
        app = build_app(self.settings)
        await self.stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app)
        self.http = await self.stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://lakeside.test")
        )
        self.tokens: list[str] = []
        self.ids: list[int] = []
        for i in range(USERS):
            response = await self.http.post(
                "/api/v1/auth/register",
                json={"username": f"user{i}", "password": PASSWORD, "display_name": f"用户{i}"},
            )
            assert response.status_code == 201, response.text
            self.tokens.append(response.json()["token"])
            self.ids.append(response.json()["user"]["id"])
        for a in range(USERS):
            for b in range(a + 1, USERS):
                response = await self.call(
                    a, "POST", "/api/v1/friends/requests", json={"user_id": self.ids[b]}
                )
                assert response.status_code == 201, response.text
                accepted = await self.call(
                    b, "POST", f"/api/v1/friends/requests/{response.json()['id']}/accept"
                )
                assert accepted.status_code == 200, accepted.text
        group = await self.call(
            0, "POST", "/api/v1/conversations", json={"title": "模型", "member_ids": self.ids[1:3]}
        )
        direct = await self.call(0, "POST", "/api/v1/conversations/direct", json={"user_id": self.ids[1]})
        assert group.status_code == 201 and direct.status_code == 201
        # The model starts from what the server holds after set-up.
        self.convs = [
            Conv(group.json()["id"], "group", {0: 0, 1: 0, 2: 0}),
            Conv(direct.json()["id"], "direct", {0: 0, 1: 0}),
        ]
        for conv in self.convs:
            for m in await self._history(0, conv.id):
                self.counter += 1
                conv.messages.append(
                    Msg(m["id"], m["seq"], self.ids.index(m["sender_id"]), m["kind"], None, m["body"], 0)
                )
            for user in conv.members:
                page = (await self.call(user, "GET", f"/api/v1/conversations/{conv.id}")).json()
                conv.members[user] = page["read_seq"]
        self.positions = []
        for user in range(USERS):
            response = await self.call(user, "GET", "/api/v1/sync")
            self.positions.append(response.json()["position"])
        self.marks = [self.counter] * USERS

    async def call(self, user: int, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def _history(self, user: int, conversation_id: int) -> list[dict[str, Any]]:
        response = await self.call(
            user,
            "GET",
            f"/api/v1/conversations/{conversation_id}/messages",
            params={"after_seq": 0, "limit": 200},
        )
        assert response.status_code == 200, response.text
        assert response.json()["has_more"] is False
        return list(response.json()["messages"])

    def request(self, user: int, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.call(user, method, url, **kwargs))

    # -- model helpers ----------------------------------------------------------------------

    def system_message(self, conv: Conv, actor: int, message_id: int | None = None) -> None:
        """Joins and leaves add a system message by the actor, who has read it."""
        self.counter += 1
        seq = conv.last_seq + 1
        conv.messages.append(Msg(message_id or -1, seq, actor, "system", None, "", self.counter))
        if actor in conv.members:
            conv.members[actor] = max(conv.members[actor], seq)

    def sent(self) -> list[tuple[Conv, Msg]]:
        return [(c, m) for c in self.convs for m in c.messages if m.kind == "text"]

    def pick_sent(self, pick: int) -> tuple[Conv, Msg]:
        choices = self.sent()
        return choices[pick % len(choices)]

    def fix_system_ids(self, conv: Conv) -> None:
        """System messages get their ids from the server; learn them from the history."""
        if any(m.id == -1 for m in conv.messages):
            viewer = next(iter(conv.members), None)
            if viewer is None:
                return
            by_seq = {m["seq"]: m["id"] for m in self.run(self._history(viewer, conv.id))}
            for m in conv.messages:
                if m.id == -1:
                    m.id = by_seq[m.seq]

    # -- rules ------------------------------------------------------------------------------

    @rule(user=st.integers(0, USERS - 1), which=st.integers(0, 1), word=st.sampled_from(WORDS))
    def send(self, user: int, which: int, word: str) -> None:
        conv = self.convs[which]
        self.next_cid += 1
        cid = f"m{self.next_cid}"
        body = f"{word} {self.next_cid}"
        response = self.request(
            user,
            "POST",
            f"/api/v1/conversations/{conv.id}/messages",
            json={"client_msg_id": cid, "body": body},
        )
        if user not in conv.members:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 201, response.text
        message = response.json()
        self.counter += 1
        assert message["seq"] == conv.last_seq + 1
        conv.messages.append(
            Msg(message["id"], message["seq"], user, "text", cid, body, self.counter, sent_body=body)
        )
        conv.members[user] = max(conv.members[user], message["seq"])

    @precondition(lambda self: self.sent())
    @rule(pick=st.integers(0, 10_000), same=st.booleans())
    def retry(self, pick: int, same: bool) -> None:
        conv, msg = self.pick_sent(pick)
        body = msg.sent_body if same else "another message under the same id"
        response = self.request(
            msg.sender,
            "POST",
            f"/api/v1/conversations/{conv.id}/messages",
            json={"client_msg_id": msg.client_msg_id, "body": body},
        )
        if msg.sender not in conv.members:
            assert response.status_code == 404, response.text
            return
        if not same and not (msg.edited or msg.recalled):
            # The same id for another message: refused (an edited or recalled original no longer
            # holds the body it was sent with, so only its conversation and kind are compared).
            assert response.status_code == 409, response.text
            assert response.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
            return
        assert response.status_code == 200, response.text
        assert (response.json()["id"], response.json()["body"]) == (msg.id, msg.body)

    @precondition(lambda self: self.sent())
    @rule(pick=st.integers(0, 10_000), other=st.integers(0, USERS - 1), word=st.sampled_from(WORDS))
    def edit(self, pick: int, other: int, word: str) -> None:
        conv, msg = self.pick_sent(pick)
        body = f"{word} (edited)"
        response = self.request(other, "PATCH", f"/api/v1/messages/{msg.id}", json={"body": body})
        if other not in conv.members:
            assert response.status_code == 404, response.text
        elif other != msg.sender:
            assert response.status_code == 403, response.text
        elif msg.recalled:
            assert response.status_code == 422, response.text
        else:
            assert response.status_code == 200, response.text
            msg.body, msg.edited = body, True

    @precondition(lambda self: self.sent())
    @rule(pick=st.integers(0, 10_000), other=st.integers(0, USERS - 1))
    def recall(self, pick: int, other: int) -> None:
        conv, msg = self.pick_sent(pick)
        response = self.request(other, "POST", f"/api/v1/messages/{msg.id}/recall")
        if other not in conv.members:
            assert response.status_code == 404, response.text
        elif other != msg.sender:
            assert response.status_code == 403, response.text
        else:
            assert response.status_code == 200, response.text
            assert response.json()["recalled"] is True and response.json()["body"] == ""
            msg.recalled, msg.body = True, ""

    @rule(user=st.integers(0, USERS - 1), which=st.integers(0, 1), back=st.integers(-2, 3))
    def read(self, user: int, which: int, back: int) -> None:
        conv = self.convs[which]
        seq = max(0, conv.last_seq - back)
        response = self.request(user, "POST", f"/api/v1/conversations/{conv.id}/read", json={"seq": seq})
        if user not in conv.members:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 200, response.text
        conv.members[user] = max(conv.members[user], min(seq, conv.last_seq))
        assert response.json()["read_seq"] == conv.members[user]
        assert response.json()["unread"] == conv.last_seq - conv.members[user]

    @rule(adder=st.integers(0, USERS - 1), newcomer=st.integers(0, USERS - 1))
    def join(self, adder: int, newcomer: int) -> None:
        conv = self.convs[0]
        response = self.request(
            adder, "POST", f"/api/v1/conversations/{conv.id}/members", json={"user_ids": [self.ids[newcomer]]}
        )
        if adder not in conv.members:
            assert response.status_code == 404, response.text
        elif newcomer in conv.members:
            assert response.status_code == 409, response.text
        else:
            assert response.status_code == 200, response.text
            conv.members[newcomer] = conv.last_seq  # a new member starts at the join
            self.system_message(conv, adder)
            self.fix_system_ids(conv)

    @rule(user=st.integers(0, USERS - 1), which=st.integers(0, 1))
    def leave(self, user: int, which: int) -> None:
        conv = self.convs[which]
        response = self.request(user, "POST", f"/api/v1/conversations/{conv.id}/leave")
        if user not in conv.members:
            assert response.status_code == 404, response.text
        elif conv.kind == "direct":
            assert response.status_code == 422, response.text
        elif user == 0 and len(conv.members) > 1:
            assert response.status_code == 409, response.text  # the owner hands over first
        else:
            assert response.status_code == 200, response.text
            self.system_message(conv, user)
            del conv.members[user]
            self.fix_system_ids(conv)

    @rule(user=st.integers(0, USERS - 1))
    def reconnect(self, user: int) -> None:
        """Catch up from the last position, as a client coming back does."""
        events: list[dict[str, Any]] = []
        position = self.positions[user]
        while True:
            response = self.request(user, "GET", "/api/v1/sync", params={"since": position, "limit": 50})
            assert response.status_code == 200, response.text
            page = response.json()
            events.extend(page["events"])
            position = page["position"]
            if not page["has_more"]:
                break
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids))
        created = [e for e in events if e["type"] == "message" and e["op"] == "created"]
        for conv in self.convs:
            got = [e["data"] for e in created if e["conversation_id"] == conv.id]
            if user not in conv.members:
                assert not [e for e in events if e["conversation_id"] == conv.id], "a non-member's stream"
                continue
            expected = [m for m in conv.messages if m.created > self.marks[user]]
            assert [d["id"] for d in got] == [m.id for m in expected]
            for data, msg in zip(got, expected, strict=True):
                assert data["recalled"] is msg.recalled
                if msg.kind != "system":
                    assert data["body"] == msg.body  # replayed as it is now
        self.positions[user] = position
        self.marks[user] = self.counter

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def server_matches_model(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        for user in range(USERS):
            response = await self.call(user, "GET", "/api/v1/conversations")
            assert response.status_code == 200
            listed = {c["id"]: c for c in response.json()["conversations"]}
            for conv in self.convs:
                if user not in conv.members:
                    assert conv.id not in listed
                    continue
                view = listed[conv.id]
                assert view["last_seq"] == conv.last_seq
                assert view["read_seq"] == conv.members[user], (user, conv.id)
                assert view["unread"] == conv.last_seq - conv.members[user]
                assert view["member_count"] == len(conv.members)
        for conv in self.convs:
            outsiders = [u for u in range(USERS) if u not in conv.members]
            if conv.members:
                viewer = sorted(conv.members)[(conv.last_seq) % len(conv.members)]
                history = await self._history(viewer, conv.id)
                assert [m["seq"] for m in history] == list(range(1, conv.last_seq + 1))
                for got, msg in zip(history, conv.messages, strict=True):
                    assert got["id"] == msg.id
                    assert got["sender_id"] == self.ids[msg.sender]
                    assert got["kind"] == msg.kind
                    assert got["recalled"] is msg.recalled
                    if msg.kind == "text":
                        assert got["body"] == msg.body
                        assert got["client_msg_id"] == msg.client_msg_id
                        assert (got["edited_at"] is not None) is msg.edited
                    if msg.recalled:
                        assert got["body"] == "" and got["html"] is None and got["file"] is None
                        assert got["recalled_by"] == self.ids[msg.sender]
            if outsiders:
                # One outsider and one way in per step (rotating): every probe costs a request.
                self.probes += 1
                outsider = outsiders[self.probes % len(outsiders)]
                known = [m.id for m in conv.messages if m.id > 0]  # a last leaver's farewell has none
                urls = [f"/api/v1/conversations/{conv.id}", f"/api/v1/conversations/{conv.id}/messages"]
                urls += [f"/api/v1/messages/{known[-1]}"] if known else []
                url = urls[self.probes % len(urls)]
                response = await self.call(outsider, "GET", url)
                assert response.status_code == 404, (outsider, url, response.text)


MessagingMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("LAKESIDE_MODEL_EXAMPLES", "10")),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestMessagingModel = MessagingMachine.TestCase
