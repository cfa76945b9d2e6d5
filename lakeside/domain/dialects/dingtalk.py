"""DingTalk's robot message types (自定义机器人 and an outgoing robot's reply), as lakeside posts.

text, markdown, link, actionCard (one button, or several laid out in a row or a column) and
feedCard; ``at`` by mobiles, user ids and ``isAtAll``. The shapes are those of DingTalk's
documentation for the custom robot's ``send`` API.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from lakeside.domain.dialects import Answer, DialectError, Post, mapping, string, strings

TYPES = ("text", "markdown", "link", "actionCard", "feedCard")
# DingTalk's markdown colours text with <font color="…">; lakeside's markdown allows no raw HTML,
# so the words are kept and the tag dropped (as for WeCom) rather than shown as text.
_FONT = re.compile(r"</?font\b[^>]*>", re.IGNORECASE)
# DingTalk refuses a message over 20000 bytes ("message too long, exceed 20000 bytes").
BODY_LIMIT = 20_000

# DingTalk's answers (HTTP 200 with an errcode, as oapi.dingtalk.com/robot/send answers; sources in
# docs/integrations/webhooks.md). The 310000 family says which security setting refused.
ERRORS: dict[str, tuple[int, str]] = {
    "ok": (0, "ok"),
    "no_token": (40035, "缺少参数 access_token"),
    "bad_token": (300001, "token is not exist"),
    "bad_json": (40035, "缺少参数 json"),
    "too_large": (460101, "message too long, exceed 20000 bytes"),
    "invalid_payload": (40035, "缺少参数 {detail}"),
    "no_text": (40035, "缺少参数 {detail}"),
    "unsupported_type": (40008, "不合法的msgtype类型"),
    "keywords": (310000, "keywords not in content"),
    "ip": (310000, "ip {detail} not in whitelist"),
    "sign": (310000, "sign not match"),
    "timestamp": (310000, "invalid timestamp"),
    "throttled": (130101, "send too fast, exceed 20 times per minute"),
    "refused": (400, "{detail}"),
}


def answer(reason: str, detail: str = "") -> Answer:
    code, message = ERRORS.get(reason, ERRORS["invalid_payload"])
    body = {"errcode": code, "errmsg": message.replace("{detail}", detail)}
    return Answer(200, orjson.dumps(body))


def _link(value: str) -> str:
    """A link as DingTalk's clients open it: ``dingtalk://dingtalkclient/page/link?url=…`` (how
    DingTalk's SDKs ask for a link to open in the app or its side panel) is the URL it wraps."""
    if value.startswith("dingtalk://dingtalkclient/page/link?"):
        inner = parse_qs(urlsplit(value).query).get("url", [""])[0]
        return inner or value
    return value


def translate(payload: Any) -> Post:
    payload = mapping(payload, "The message")
    msgtype = payload.get("msgtype")
    if not isinstance(msgtype, str) or not msgtype:
        raise DialectError("invalid_payload", "msgtype is required.")
    if msgtype not in TYPES:
        raise DialectError("unsupported_type", f"msgtype {msgtype} is not supported.")
    at = mapping(payload.get("at") or {}, "at")
    mentions = {
        "at_mobiles": strings(at.get("atMobiles"), "at.atMobiles"),
        "at_user_ids": strings(at.get("atUserIds"), "at.atUserIds"),
        "at_all": at.get("isAtAll") is True or str(at.get("isAtAll")).lower() == "true",
    }
    body = mapping(payload.get(msgtype), msgtype)
    if msgtype == "text":
        content = string(body.get("content"), "text.content", required=True)
        if not content.strip():
            raise DialectError("no_text", "text.content is empty.")
        return Post(kind="text", text=content, **mentions)
    if msgtype == "markdown":
        title = string(body.get("title"), "markdown.title")
        text = _FONT.sub("", string(body.get("text"), "markdown.text", required=True))
        if not text.strip():
            raise DialectError("no_text", "markdown.text is empty.")
        return Post(kind="markdown", text=text, words=f"{title}\n{text}", **mentions)
    if msgtype == "link":
        title = string(body.get("title"), "link.title", required=True)
        text = string(body.get("text"), "link.text", required=True)
        url = _link(string(body.get("messageUrl"), "link.messageUrl", required=True))
        section: dict[str, Any] = {"type": "section", "title": title, "title_url": url, "text": text}
        if pic := string(body.get("picUrl"), "link.picUrl"):
            section["image_url"] = pic
        return Post(kind="card", card={"blocks": [section]}, words=f"{title}\n{text}", **mentions)
    if msgtype == "actionCard":
        title = string(body.get("title"), "actionCard.title", required=True)
        text = _FONT.sub("", string(body.get("text"), "actionCard.text", required=True))
        layout = "horizontal" if str(body.get("btnOrientation", "0")) == "1" else "vertical"
        if body.get("singleTitle") is not None or body.get("singleURL") is not None:
            buttons = [
                {
                    "title": string(body.get("singleTitle"), "actionCard.singleTitle", required=True),
                    "url": _link(string(body.get("singleURL"), "actionCard.singleURL", required=True)),
                }
            ]
        else:
            raw = body.get("btns")
            if not isinstance(raw, list) or not raw:
                raise DialectError("invalid_payload", "actionCard needs singleTitle/singleURL or btns.")
            buttons = [
                {
                    "title": string(mapping(b, "btns[]").get("title"), "btns[].title", required=True),
                    "url": _link(string(b.get("actionURL"), "btns[].actionURL", required=True)),
                }
                for b in raw
            ]
        # The title is what DingTalk shows in notifications and the chat list, not in the card
        # (whose text usually repeats it as a heading): it stays in the words, not in a block.
        blocks = [
            {"type": "markdown", "text": text},
            {"type": "buttons", "layout": layout, "buttons": buttons},
        ]
        words = "\n".join([title, text, *(b["title"] for b in buttons)])
        return Post(kind="card", card={"blocks": blocks}, words=words, **mentions)
    links = mapping(body, "feedCard").get("links")
    if not isinstance(links, list) or not links:
        raise DialectError("invalid_payload", "feedCard.links must be a non-empty list.")
    items = []
    for link in links:
        link = mapping(link, "feedCard.links[]")
        item = {
            "title": string(link.get("title"), "links[].title", required=True),
            "url": _link(string(link.get("messageURL"), "links[].messageURL", required=True)),
        }
        if pic := string(link.get("picURL"), "links[].picURL"):
            item["image_url"] = pic
        items.append(item)
    words = "\n".join(i["title"] for i in items)
    return Post(kind="card", card={"blocks": [{"type": "links", "items": items}]}, words=words, **mentions)
