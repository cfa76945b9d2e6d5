"""Voice messages: an uploaded recording (sniffed as audio: WebM/Opus, Ogg, MP4/AAC, MP3) of 1 to
60 seconds, sent as kind ``voice`` with its duration; played inline (the download is inline
audio); a red dot per listener until they play it, their other devices told, nobody else."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Person, error_code
from tests.test_group_tools import events_since, group, ok, position, sent
from tests.test_messages import png, upload

# The first bytes of what Chromium's MediaRecorder writes (audio/webm;codecs=opus): an EBML
# header with the webm doctype, then a track whose codec is A_OPUS.
WEBM_OPUS = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    b"\x42\x87\x81\x04\x42\x85\x81\x02\x18\x53\x80\x67" + b"\x00" * 8 + b"\x16\x54\xae\x6b\x86\x86A_OPUS"
) + b"\x00" * 512
OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 60 + b"OpusHead" + b"\x00" * 400


async def send_voice(person: Person, cid: int, file_id: str | None, **extra: Any) -> Any:
    body: dict[str, Any] = {"client_msg_id": uuid.uuid4().hex, "kind": "voice", "file_id": file_id, **extra}
    return await person.post(f"/api/v1/conversations/{cid}/messages", json=body)


async def test_a_voice_message_is_sent_played_and_its_dot_cleared(people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu = people["zhangsan"], people["lisi"], people["wangwu"]
    cid = await group(zhangsan, lisi, wangwu)
    file_id = await upload(zhangsan, WEBM_OPUS, "voice.webm")
    response = await send_voice(zhangsan, cid, file_id, duration_ms=5300)
    assert response.status_code == 201, response.text
    voice = response.json()
    assert voice["kind"] == "voice" and voice["duration_ms"] == 5300 and voice["body"] == ""
    assert voice["file"]["content_type"] == "audio/webm"
    # Played inline: the download is labelled as audio, not as an attachment to save.
    download = await lisi.get(voice["file"]["url"])
    assert download.status_code == 200 and download.headers["content-type"].startswith("audio/webm")
    assert not download.headers.get("content-disposition", "").startswith("attachment")

    def mine(page: dict[str, Any]) -> dict[str, Any]:
        return next(m for m in page["messages"] if m["id"] == voice["id"])

    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    assert mine(page)["played"] is False and mine(page)["duration_ms"] == 5300
    own = await ok(await zhangsan.get(f"/api/v1/conversations/{cid}/messages"))
    assert mine(own)["played"] is None  # your own voice has no dot
    # The conversation list's preview shows no JSON.
    listing = await ok(await lisi.get("/api/v1/conversations"))
    preview = next(c for c in listing["conversations"] if c["id"] == cid)["last_message"]
    assert preview["kind"] == "voice" and preview["body"] == ""

    since_lisi, since_wangwu = await position(lisi), await position(wangwu)
    played = await ok(await lisi.post(f"/api/v1/messages/{voice['id']}/played"))
    assert played == {"message_id": voice["id"], "played": True}
    again = await ok(await lisi.post(f"/api/v1/messages/{voice['id']}/played"))
    assert again["played"] is True
    page = await ok(await lisi.get(f"/api/v1/conversations/{cid}/messages"))
    assert mine(page)["played"] is True
    assert (await ok(await lisi.get(f"/api/v1/messages/{voice['id']}")))["played"] is True
    assert (await ok(await wangwu.get(f"/api/v1/messages/{voice['id']}")))["played"] is False
    # One event, to the listener's own devices only.
    events = [
        e for e in await events_since(lisi, since_lisi) if e["type"] == "message" and e["op"] == "played"
    ]
    assert [(e["data"]["message_id"], e["data"]["conversation_id"]) for e in events] == [(voice["id"], cid)]
    assert not [e for e in await events_since(wangwu, since_wangwu) if e["op"] == "played"]


async def test_what_a_voice_message_must_be(people: dict[str, Person]) -> None:
    zhangsan, lisi, mallory = people["zhangsan"], people["lisi"], people["mallory"]
    cid = await group(zhangsan, lisi)
    audio = await upload(zhangsan, OGG_OPUS, "voice.ogg")
    image = await upload(zhangsan, png(), "x.png")
    # A file that claims to be audio but is not: sniffed, refused.
    fake = await upload(zhangsan, b"<html>not audio</html>", "voice.webm")

    async def refused(file_id: str | None, **extra: Any) -> tuple[int, str]:
        response = await send_voice(zhangsan, cid, file_id, **extra)
        return response.status_code, error_code(response)

    assert (await send_voice(zhangsan, cid, audio, duration_ms=1000)).status_code == 201
    assert (await send_voice(zhangsan, cid, audio, duration_ms=60_000)).status_code == 201
    assert await refused(audio) == (422, "DURATION_REQUIRED")
    assert await refused(audio, duration_ms=999) == (422, "INVALID_DURATION")
    assert await refused(audio, duration_ms=60_001) == (422, "INVALID_DURATION")
    assert (await send_voice(zhangsan, cid, audio, duration_ms=2**70)).status_code == 422
    assert (await send_voice(zhangsan, cid, audio, duration_ms="5000")).status_code == 422
    assert await refused(None, duration_ms=3000) == (422, "FILE_REQUIRED")
    assert await refused(image, duration_ms=3000) == (422, "NOT_AUDIO")
    assert await refused(fake, duration_ms=3000) == (422, "NOT_AUDIO")
    assert await refused(audio, duration_ms=3000, body="说点什么") == (422, "UNEXPECTED_BODY")
    text = {"client_msg_id": uuid.uuid4().hex, "body": "文字", "duration_ms": 3000}
    response = await zhangsan.post(f"/api/v1/conversations/{cid}/messages", json=text)
    assert response.status_code == 422 and error_code(response) == "UNEXPECTED_DURATION"
    # Someone else's upload cannot be sent as your voice.
    theirs = await upload(lisi, OGG_OPUS, "voice.ogg")
    assert await refused(theirs, duration_ms=3000) == (404, "FILE_NOT_FOUND")
    # Only voice messages are played, and only by those who see them.
    plain = await sent(zhangsan, cid, "不是语音")
    response = await lisi.post(f"/api/v1/messages/{plain['id']}/played")
    assert response.status_code == 422 and error_code(response) == "NOT_VOICE"
    voice = (await send_voice(zhangsan, cid, audio, duration_ms=2000)).json()
    assert (await mallory.post(f"/api/v1/messages/{voice['id']}/played")).status_code == 404
    # A voice message is not edited; recalled, it cannot be played.
    edit = await zhangsan.patch(f"/api/v1/messages/{voice['id']}", json={"body": "x"})
    assert edit.status_code == 422 and error_code(edit) == "NOT_EDITABLE"
    await ok(await zhangsan.post(f"/api/v1/messages/{voice['id']}/recall"))
    response = await lisi.post(f"/api/v1/messages/{voice['id']}/played")
    assert response.status_code == 422 and error_code(response) == "MESSAGE_RECALLED"


def test_a_voice_message_is_sent_over_the_socket_too() -> None:
    """The socket's send frame is the same command: the kind and its duration are validated alike."""
    from lakeside.domain.messages import parse_send
    from lakeside.errors import Invalid

    command = parse_send(
        {"op": "send", "client_msg_id": "v1", "kind": "voice", "file_id": "x", "duration_ms": 4000}
    )
    assert command.kind == "voice" and command.duration_ms == 4000
    try:
        parse_send({"client_msg_id": "v1", "kind": "voice", "duration_ms": True})
    except Invalid as exc:
        assert exc.code == "VALIDATION_FAILED"
    else:  # pragma: no cover
        raise AssertionError("a boolean duration must be refused")
