"""Messages in an organization's conversations follow the organization's rules: DingTalk's 24-hour
recall window (or the one the organization set), and owners and admins may recall any message."""

from __future__ import annotations

from tests.conftest import Person, error_code
from tests.test_organizations import company


async def _all_staff(person: Person) -> int:
    conversations = (await person.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    return next(c["id"] for c in conversations if c["kind"] == "org_all")


async def _send(person: Person, conversation_id: int, cid: str) -> dict:  # type: ignore[type-arg]
    response = await person.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"client_msg_id": cid, "body": "周报已提交"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_owner_recalls_anyones_message_members_only_their_own(people: dict[str, Person]) -> None:
    boss, zhangsan, lisi = people["admin"], people["zhangsan"], people["lisi"]
    await company(boss, [zhangsan, lisi])
    room = await _all_staff(zhangsan)
    message = await _send(zhangsan, room, "z1")
    response = await lisi.post(f"/api/v1/messages/{message['id']}/recall")
    assert response.status_code == 403
    assert error_code(response) == "NOT_SENDER"
    response = await boss.post(f"/api/v1/messages/{message['id']}/recall")
    assert response.status_code == 200, response.text
    assert response.json()["recalled"] is True and response.json()["recalled_by"] == boss.id


async def test_the_organizations_recall_window_applies(people: dict[str, Person]) -> None:
    boss, zhangsan = people["admin"], people["zhangsan"]
    org = await company(boss, [zhangsan])
    response = await boss.patch(f"/api/v1/orgs/{org['id']}", json={"recall_window_seconds": 0})
    assert response.status_code == 200, response.text
    room = await _all_staff(zhangsan)
    message = await _send(zhangsan, room, "z2")
    response = await zhangsan.post(f"/api/v1/messages/{message['id']}/recall")
    assert response.status_code == 403
    assert error_code(response) == "RECALL_WINDOW_PASSED"


async def test_the_conversation_tells_its_windows(people: dict[str, Person]) -> None:
    """A client offers recall and edit only while they are open: the conversation says how long."""
    boss, zhangsan = people["admin"], people["zhangsan"]
    org = await company(boss, [zhangsan])
    room = await _all_staff(zhangsan)
    direct = await zhangsan.post("/api/v1/conversations/direct", json={"user_id": boss.id})
    assert direct.status_code in (200, 201), direct.text
    social = direct.json()
    assert (social["recall_window_seconds"], social["edit_window_seconds"]) == (120, 86400)
    shown = (await zhangsan.get(f"/api/v1/conversations/{room}")).json()
    assert (shown["recall_window_seconds"], shown["edit_window_seconds"]) == (86400, 86400)
    response = await boss.patch(
        f"/api/v1/orgs/{org['id']}", json={"recall_window_seconds": 600, "edit_window_seconds": 300}
    )
    assert response.status_code == 200, response.text
    listed = (await zhangsan.get("/api/v1/conversations", params={"limit": 200})).json()["conversations"]
    windows = {c["id"]: (c["recall_window_seconds"], c["edit_window_seconds"]) for c in listed}
    assert windows[room] == (600, 300)
    assert windows[social["id"]] == (120, 86400)


async def test_an_organization_can_turn_read_receipts_off(people: dict[str, Person]) -> None:
    boss, zhangsan, lisi = people["admin"], people["zhangsan"], people["lisi"]
    org = await company(boss, [zhangsan, lisi])
    room = await _all_staff(zhangsan)
    message = await _send(zhangsan, room, "z3")
    assert message["unread_count"] == 2
    response = await boss.patch(f"/api/v1/orgs/{org['id']}", json={"members_see_read_receipts": False})
    assert response.status_code == 200, response.text
    history = (await zhangsan.get(f"/api/v1/conversations/{room}/messages")).json()["messages"]
    assert all(m["unread_count"] is None for m in history)
    response = await zhangsan.get(f"/api/v1/messages/{message['id']}/receipts")
    assert response.status_code == 403
    assert error_code(response) == "RECEIPTS_DISABLED"
    assert (await _send(zhangsan, room, "z4"))["unread_count"] is None
