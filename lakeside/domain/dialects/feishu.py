"""Feishu's / Lark's custom bot (``POST /open-apis/bot/v2/hook/<token>``), as lakeside posts.

``msg_type`` text (``<at user_id="…">name</at>`` and ``<at user_id="all">`` mentions), post
(rich text: text, a, at, img, emotion, hr and code_block tags, in the first of zh_cn, en_us, ja_jp
or whichever language it holds) and interactive cards as far as they map (card JSON 1.0 and 2.0:
the header as a titled section in its template's colour, div/markdown/lark_md text, fields,
hr, note, img with a URL, and buttons with a URL; callbacks and selects are dropped).
image and share_chat are not translated. Signing, when the robot has a secret, is Feishu's:
``timestamp`` (seconds) and ``sign`` in the body (see domain/webhooks.py). The answers are
Feishu's ``code``/``msg`` envelope, always HTTP 200.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from lakeside.domain.cards import plain_text
from lakeside.domain.dialects import Answer, DialectError, Post, mapping, string

TYPES = ("text", "post", "interactive")
# Feishu refuses a request body over 20 KB.
BODY_LIMIT = 20_480
LANGUAGES = ("zh_cn", "en_us", "ja_jp")
TEMPLATE_COLORS = {
    "blue": "#3370ff",
    "wathet": "#50a3ff",
    "turquoise": "#14c0ff",
    "green": "#34c724",
    "yellow": "#ffc60a",
    "orange": "#ff8800",
    "red": "#f54a45",
    "carmine": "#e22e64",
    "violet": "#b33fd1",
    "purple": "#7f3bf5",
    "indigo": "#4954e6",
    "grey": "#8f959e",
}

ERRORS: dict[str, tuple[int, str]] = {
    "ok": (0, "success"),
    "bad_token": (19001, "param invalid: incoming webhook access token invalid"),
    "bad_json": (9499, "Bad Request"),
    "too_large": (9499, "Bad Request: the request body is over 20 KB"),
    "invalid_payload": (9499, "Bad Request: {detail}"),
    "no_text": (9499, "Bad Request: {detail}"),
    "unsupported_type": (9499, "Bad Request: {detail}"),
    "sign": (19021, "sign match fail or timestamp is not within one hour from current time"),
    "timestamp": (19021, "sign match fail or timestamp is not within one hour from current time"),
    "ip": (19022, "Ip Not Allowed"),
    "keywords": (19024, "Key Words Not Found"),
    "throttled": (11232, "frequency limited"),
    "no_token": (19001, "param invalid: incoming webhook access token invalid"),
    "refused": (9499, "Bad Request: {detail}"),
}


def answer(reason: str, detail: str = "") -> Answer:
    code, message = ERRORS.get(reason, ERRORS["invalid_payload"])
    body: dict[str, Any] = {"code": code, "data": {}, "msg": message.replace("{detail}", detail)}
    if reason == "ok":  # Feishu's success answer carries the old fields too
        body = {"StatusCode": 0, "StatusMessage": "success", **body}
    return Answer(200, orjson.dumps(body))


_AT_TAG = re.compile(r"<at\s+(?:user_id|id|open_id|email)\s*=\s*[\"']?([^\"'>\s]+)[\"']?\s*>(.*?)</at>", re.S)


def _text_with_ats(text: str, ids: list[str], everyone: list[bool]) -> str:
    def at(match: re.Match[str]) -> str:
        who, name = match.group(1), match.group(2).strip()
        if who == "all":
            everyone[0] = True
            return "@所有人"
        ids.append(who)
        return "@" + (name or who)

    return _AT_TAG.sub(at, text)


def _post(content: dict[str, Any], ids: list[str], everyone: list[bool]) -> tuple[str, str]:
    post = mapping(content.get("post"), "content.post")
    language = next((lang for lang in LANGUAGES if lang in post), next(iter(post), None))
    if language is None:
        raise DialectError("invalid_payload", "content.post holds no language.")
    body = mapping(post[language], f"content.post.{language}")
    title = string(body.get("title"), "title")
    paragraphs = body.get("content") or []
    if not isinstance(paragraphs, list):
        raise DialectError("invalid_payload", "content must be a list of paragraphs.")
    lines = []
    for paragraph in paragraphs:
        if not isinstance(paragraph, list):
            raise DialectError("invalid_payload", "each paragraph must be a list.")
        parts = []
        for element in paragraph:
            element = mapping(element, "paragraph[]")
            tag = element.get("tag")
            text = string(element.get("text"), "text")
            if tag == "text":
                parts.append(text)
            elif tag == "a":
                href = string(element.get("href"), "href")
                parts.append(f"[{text or href}]({href})" if href else text)
            elif tag == "at":
                who = string(element.get("user_id"), "user_id")
                if who == "all":
                    everyone[0] = True
                    parts.append("@所有人")
                elif who:
                    ids.append(who)
                    parts.append("@" + (string(element.get("user_name"), "user_name") or who))
            elif tag == "code_block":
                parts.append(f"\n```{string(element.get('language'), 'language').lower()}\n{text}\n```\n")
            elif tag == "hr":
                parts.append("\n\n---\n\n")
            elif tag == "emotion":
                parts.append(f":{string(element.get('emoji_type'), 'emoji_type')}:")
        lines.append("".join(parts))
    text = "\n\n".join(line for line in lines if line.strip())
    return title, text


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    obj = mapping(value, "text")
    return string(obj.get("content"), "text.content")


def _element(element: Any, blocks: list[dict[str, Any]], ids: list[str], everyone: list[bool]) -> None:
    element = mapping(element, "elements[]")
    tag = element.get("tag")
    if tag in ("div", "markdown", "lark_md", "plain_text"):
        text = string(element.get("content"), "content") if tag != "div" else _plain(element.get("text"))
        text = _text_with_ats(text, ids, everyone)
        section: dict[str, Any] = {"type": "section"}
        if text.strip():
            section["text"] = text
        fields = element.get("fields")
        if isinstance(fields, list):
            section["fields"] = [
                {
                    "value": _text_with_ats(_plain(mapping(f, "fields[]").get("text")), ids, everyone),
                    "short": f.get("is_short") is True,
                }
                for f in fields
            ]
        if len(section) > 1:
            blocks.append(
                section if tag == "div" or "fields" in section else {"type": "markdown", "text": text}
            )
    elif tag == "note":
        parts = [
            _plain(e) if e.get("tag") != "img" else ""
            for e in element.get("elements") or []
            if isinstance(e, dict)
        ]
        if any(parts):
            blocks.append({"type": "section", "footer": " ".join(p for p in parts if p)})
    elif tag == "action":
        buttons = []
        for action in element.get("actions") or []:
            action = mapping(action, "actions[]")
            url = action.get("url") or (mapping(action.get("multi_url") or {}, "multi_url").get("url"))
            if action.get("tag") == "button" and isinstance(url, str) and url:
                buttons.append({"title": _plain(action.get("text"))[:64] or url[:64], "url": url})
        if buttons:
            layout = "vertical" if element.get("layout") == "flow" else "horizontal"
            blocks.append({"type": "buttons", "layout": layout, "buttons": buttons})
    elif tag == "button":
        url = element.get("url")
        if isinstance(url, str) and url:
            blocks.append(
                {
                    "type": "buttons",
                    "buttons": [{"title": _plain(element.get("text"))[:64] or url[:64], "url": url}],
                }
            )
    elif tag == "img":
        url = element.get("img_url") or element.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            blocks.append({"type": "image", "url": url, "alt": _plain(element.get("alt"))})
    elif tag in ("column_set",):
        for column in element.get("columns") or []:
            for inner in mapping(column, "columns[]").get("elements") or []:
                _element(inner, blocks, ids, everyone)


def _card(card: Any, ids: list[str], everyone: list[bool]) -> dict[str, Any]:
    if isinstance(card, str):
        try:
            card = orjson.loads(card)
        except orjson.JSONDecodeError:
            raise DialectError("invalid_payload", "card is not JSON.") from None
    card = mapping(card, "card")
    blocks: list[dict[str, Any]] = []
    header = card.get("header")
    if header is not None:
        header = mapping(header, "card.header")
        title = _plain(header.get("title"))
        if title:
            head: dict[str, Any] = {"type": "section", "title": title}
            color = TEMPLATE_COLORS.get(str(header.get("template", "")).lower())
            if color:
                head["color"] = color
            if subtitle := _plain(header.get("subtitle")):
                head["text"] = subtitle
            blocks.append(head)
    elements = card.get("elements")
    if elements is None and isinstance(card.get("body"), dict):
        elements = card["body"].get("elements")
    if elements is None and isinstance(card.get("i18n_elements"), dict):
        i18n = card["i18n_elements"]
        elements = next((i18n[lang] for lang in LANGUAGES if lang in i18n), None)
    if elements is not None and not isinstance(elements, list):
        raise DialectError("invalid_payload", "card.elements must be a list.")
    for element in elements or []:
        _element(element, blocks, ids, everyone)
    if not blocks:
        raise DialectError("no_text", "The card shows nothing lakeside can render.")
    return {"blocks": blocks[:20]}


def translate(payload: Any) -> Post:
    payload = mapping(payload, "The message")
    msg_type = payload.get("msg_type")
    if not isinstance(msg_type, str) or not msg_type:
        raise DialectError("invalid_payload", "msg_type is required.")
    if msg_type not in TYPES:
        raise DialectError("unsupported_type", f"msg_type {msg_type} is not supported.")
    ids: list[str] = []
    everyone = [False]
    if msg_type == "interactive":
        card = _card(payload.get("card"), ids, everyone)
        return Post(
            kind="card", card=card, at_user_ids=tuple(ids), at_all=everyone[0], words=plain_text(card)
        )
    content = mapping(payload.get("content"), "content")
    if msg_type == "text":
        raw = string(content.get("text"), "content.text")
        if not raw.strip():
            raise DialectError("no_text", "content.text is empty.")
        text = _text_with_ats(raw, ids, everyone)
        return Post(kind="text", text=text, at_user_ids=tuple(ids), at_all=everyone[0])
    title, text = _post(content, ids, everyone)
    if not text.strip() and not title.strip():
        raise DialectError("no_text", "The post is empty.")
    body = f"**{title}**\n\n{text}" if title.strip() else text
    return Post(
        kind="markdown", text=body, at_user_ids=tuple(ids), at_all=everyone[0], words=f"{title}\n{text}"
    )
