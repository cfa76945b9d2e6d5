"""Slack's and Mattermost's incoming webhooks (``POST /hooks/<key>``), as lakeside posts.

One dialect serves both: Mattermost's incoming webhooks take Slack's payload and add to it. Read
here: ``text`` (Slack's mrkdwn, converted to markdown unless ``mrkdwn`` is false), ``username``
(a per-post name, shown with the robot's badge), ``icon_url``/``icon_emoji`` (accepted, not
shown: the robot keeps its avatar), ``channel`` (the service checks it names the bound
conversation), ``attachments`` (pretext, title, title_link, text, fields, color, footer,
image_url, author_name, fallback), Block Kit ``blocks`` as far as they map (header, section,
context, image, divider) and Mattermost's ``props.card``. The answers are Slack's: ``200 ok`` and
its error strings as plain text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lakeside.domain.dialects import Answer, DialectError, Post, mapping, string

# Slack's limits: at most 100 attachments; text over 40,000 characters is truncated by Slack, and
# a body far over that is refused here before it is parsed.
BODY_LIMIT = 100_000
MAX_ATTACHMENTS = 100
MAX_TEXT = 40_000

ERRORS: dict[str, tuple[int, str]] = {
    "ok": (200, "ok"),
    "bad_token": (404, "no_service"),
    "bad_json": (400, "invalid_payload"),
    "too_large": (400, "invalid_payload"),
    "invalid_payload": (400, "invalid_payload"),
    "unsupported_type": (400, "invalid_payload"),
    "no_text": (400, "no_text"),
    "too_many_attachments": (400, "too_many_attachments"),
    "keywords": (403, "action_prohibited"),
    "ip": (403, "action_prohibited"),
    "sign": (403, "action_prohibited"),
    "timestamp": (403, "action_prohibited"),
    "throttled": (429, "rate_limited"),
    "channel_not_found": (404, "channel_not_found"),
    "no_token": (404, "no_service"),
    "refused": (403, "action_prohibited"),
}


def answer(reason: str, detail: str = "", *, retry_after: int = 0) -> Answer:
    status, text = ERRORS.get(reason, ERRORS["invalid_payload"])
    headers = {"Retry-After": str(retry_after)} if reason == "throttled" and retry_after else {}
    return Answer(status, text.encode(), "text/plain; charset=utf-8", headers)


# -- mrkdwn -----------------------------------------------------------------------------------------

_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_ANGLE = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
EVERYONE_WORDS = ("channel", "here", "everyone")


def _angle(match: re.Match[str], everyone: list[bool]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123> or <@U123|name>: a person
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general>: a channel
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!channel>, <!here>, <!everyone>, <!subteam^…|@team>, <!date…>
        word = target[1:].split("^", 1)[0]
        if word in EVERYONE_WORDS:
            everyone[0] = True
            return "@所有人"
        return label or word
    if re.match(r"^(https?|mailto):", target, re.IGNORECASE):
        url = target.replace(")", "%29").replace(" ", "%20")
        text = (label or target).replace("[", "\\[").replace("]", "\\]")
        return f"[{text}]({url})"
    return match.group(0)


def mrkdwn_to_markdown(text: str) -> tuple[str, bool]:
    """Slack's mrkdwn as CommonMark: ``*bold*`` → ``**bold**``, ``_italic_`` → ``*italic*``,
    ``~strike~`` → ``~~strike~~``, ``<url|text>`` → ``[text](url)``, ``<@U1>`` → ``@U1``,
    ``<#C1|name>`` → ``#name``, ``<!channel>``/``<!here>``/``<!everyone>`` → ``@所有人``
    (and says so: the second value); ``&lt; &gt; &amp;`` unescaped. Code spans and blocks are
    left as written."""
    everyone = [False]
    out: list[str] = []
    last = 0
    for code in _CODE.finditer(text):
        out.append(_convert(text[last : code.start()], everyone))
        out.append(html.unescape(code.group(0)))
        last = code.end()
    out.append(_convert(text[last:], everyone))
    return "".join(out), everyone[0]


def _convert(text: str, everyone: list[bool]) -> str:
    # Links first (their URLs may hold _ and *), kept aside while the emphasis is converted.
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(_angle(match, everyone))
        return f"\x00{len(kept) - 1}\x00"

    text = _ANGLE.sub(keep, text)
    text = _ITALIC.sub(lambda m: f"\x01{m.group(1)}\x01", text)
    text = _BOLD.sub(lambda m: f"**{m.group(1)}**", text)
    text = text.replace("\x01", "*")
    text = _STRIKE.sub(lambda m: f"~~{m.group(1)}~~", text)
    text = html.unescape(text)
    return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)


# -- payloads -----------------------------------------------------------------------------------


def _text(value: Any, what: str, convert: bool, everyone: list[bool]) -> str:
    text = string(value, what)
    if not convert:
        return text
    converted, at_all = mrkdwn_to_markdown(text)
    everyone[0] = everyone[0] or at_all
    return converted


def _attachment(raw: Any, convert: bool, everyone: list[bool]) -> dict[str, Any] | None:
    item = mapping(raw, "attachments[]")
    section: dict[str, Any] = {"type": "section"}
    pretext = _text(item.get("pretext"), "attachments[].pretext", convert, everyone)
    author = string(item.get("author_name"), "attachments[].author_name")
    if author:
        pretext = f"{pretext}\n{author}".strip()
    if pretext:
        section["pretext"] = pretext
    if title := string(item.get("title"), "attachments[].title"):
        section["title"] = title
        if link := string(item.get("title_link"), "attachments[].title_link"):
            section["title_url"] = link
    text = _text(item.get("text"), "attachments[].text", convert, everyone)
    if not text and not item.get("fields") and not pretext and "title" not in section:
        text = string(item.get("fallback"), "attachments[].fallback")
    if text:
        section["text"] = text
    fields = item.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            raise DialectError("invalid_payload", "attachments[].fields must be a list.")
        section["fields"] = [
            {
                "title": string(mapping(f, "fields[]").get("title"), "fields[].title"),
                "value": _text(f.get("value"), "fields[].value", convert, everyone),
                "short": f.get("short") is True,
            }
            for f in fields
        ]
    if color := string(item.get("color"), "attachments[].color"):
        section["color"] = color
    if footer := string(item.get("footer"), "attachments[].footer"):
        section["footer"] = footer
    if image := string(item.get("image_url") or item.get("thumb_url"), "attachments[].image_url"):
        section["image_url"] = image
    return section if len(section) > 1 else None


def _block_text(value: Any) -> str:
    if value is None:
        return ""
    obj = mapping(value, "blocks[].text")
    text = string(obj.get("text"), "blocks[].text.text")
    return text if obj.get("type") == "plain_text" else mrkdwn_to_markdown(text)[0]


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise DialectError("invalid_payload", "blocks must be a list.")
    out: list[dict[str, Any]] = []
    for block in raw:
        block = mapping(block, "blocks[]")
        kind = block.get("type")
        if kind == "header":
            if text := _block_text(block.get("text")):
                out.append({"type": "markdown", "text": f"**{text}**"})
        elif kind == "section":
            section: dict[str, Any] = {"type": "section"}
            if text := _block_text(block.get("text")):
                section["text"] = text
            if isinstance(block.get("fields"), list):
                section["fields"] = [
                    {"value": _block_text(f), "short": True} for f in block["fields"] if _block_text(f)
                ]
            if len(section) > 1:
                out.append(section)
        elif kind == "context":
            parts = [
                _block_text(e) for e in block.get("elements") or [] if isinstance(e, dict) and "text" in e
            ]
            if any(parts):
                out.append({"type": "markdown", "text": " ".join(p for p in parts if p)})
        elif kind == "image":
            url = string(block.get("image_url"), "blocks[].image_url")
            if url:
                out.append({"type": "image", "url": url, "alt": string(block.get("alt_text"), "alt_text")})
    return out


def translate(payload: Any) -> Post:
    payload = mapping(payload, "The message")
    convert = payload.get("mrkdwn") is not False
    everyone = [False]
    text = _text(payload.get("text"), "text", convert, everyone)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    attachments = payload.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise DialectError("invalid_payload", "attachments must be a list.")
    if attachments and len(attachments) > MAX_ATTACHMENTS:
        raise DialectError("too_many_attachments", "At most 100 attachments.")
    sections = [s for s in (_attachment(a, convert, everyone) for a in attachments or []) if s]
    blocks = _blocks(payload["blocks"]) if payload.get("blocks") is not None else []
    props = payload.get("props")
    card_text = ""
    if props is not None:
        card_text = string(mapping(props, "props").get("card"), "props.card")
    username = string(payload.get("username"), "username").strip()[:64] or None
    channel = string(payload.get("channel"), "channel").strip()
    string(payload.get("icon_url"), "icon_url")
    string(payload.get("icon_emoji"), "icon_emoji")
    if not text.strip() and not sections and not blocks:
        raise DialectError("no_text", "No text specified.")
    words = "\n".join(
        [text, *(str(s.get(k, "")) for s in sections for k in ("pretext", "title", "text")), card_text]
    )
    if not sections and not blocks and not card_text and username is None:
        return Post(kind="markdown", text=text, at_all=everyone[0], channel=channel, words=words)
    card_blocks: list[dict[str, Any]] = []
    if text.strip():
        card_blocks.append({"type": "markdown", "text": text})
    card_blocks.extend(blocks)
    card_blocks.extend(sections)
    if card_text.strip():
        card_blocks.append({"type": "markdown", "text": card_text})
    card: dict[str, Any] = {"blocks": card_blocks[:20]}
    if username:
        card["sender_name"] = username
    return Post(
        kind="card", card=card, at_all=everyone[0], sender_name=username, channel=channel, words=words
    )
