"""WeCom's (企业微信) group robot (``POST /cgi-bin/webhook/send?key=…``), as lakeside posts.

text (with ``mentioned_list`` and ``mentioned_mobile_list``; ``@all`` in either is everyone),
markdown (and markdown_v2; WeCom's ``<font color="…">`` tags keep their words, its
``<@userid>`` becomes ``@userid``) and news (one article as a section, several as a list of
links). image, file, voice and template_card are not translated (``40008 invalid message type``).
The answers are WeCom's errcode envelope, always HTTP 200.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from lakeside.domain.dialects import Answer, DialectError, Post, mapping, string, strings

TYPES = ("text", "markdown", "markdown_v2", "news")
NOT_TRANSLATED = ("image", "file", "voice", "template_card")
# WeCom's limits: text content 2048 bytes, markdown content 4096 bytes, 1 to 8 news articles. The
# body as a whole is refused over 20 KB before it is parsed.
BODY_LIMIT = 20_480
TEXT_BYTES = 2048
MARKDOWN_BYTES = 4096
MAX_ARTICLES = 8

_HINT = ", hint: [lakeside], more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
ERRORS: dict[str, tuple[int, str]] = {
    "ok": (0, "ok"),
    "bad_token": (93000, "invalid webhook url"),
    "bad_json": (40058, "invalid Request Parameter: the body is not JSON"),
    "too_large": (40058, "invalid Request Parameter: content exceed max length"),
    "invalid_payload": (40058, "invalid Request Parameter: {detail}"),
    "no_text": (44004, "empty content"),
    "unsupported_type": (40008, "invalid message type"),
    "ip": (60020, "not allow to access from your ip {detail}"),
    "keywords": (40058, "invalid Request Parameter: keywords not in content"),
    "throttled": (45009, "api freq out of limit"),
    "no_token": (93000, "invalid webhook url"),
    "refused": (40058, "invalid Request Parameter: {detail}"),
}


def answer(reason: str, detail: str = "") -> Answer:
    code, message = ERRORS.get(reason, ERRORS["invalid_payload"])
    text = message.replace("{detail}", detail)
    if code:
        text += _HINT.replace("{code}", str(code))
    return Answer(200, orjson.dumps({"errcode": code, "errmsg": text}))


_FONT = re.compile(r"</?font\b[^>]*>", re.IGNORECASE)
_AT = re.compile(r"<@([^<>\s]+)>")


def _mentions(body: dict[str, Any]) -> dict[str, Any]:
    users = strings(body.get("mentioned_list"), "mentioned_list")
    mobiles = strings(body.get("mentioned_mobile_list"), "mentioned_mobile_list")
    return {
        "at_user_ids": tuple(u for u in users if u != "@all"),
        "at_mobiles": tuple(m for m in mobiles if m != "@all"),
        "at_all": "@all" in users or "@all" in mobiles,
    }


def _limit(text: str, limit: int, what: str) -> None:
    if len(text.encode()) > limit:
        raise DialectError("too_large", f"{what} is over {limit} bytes.")


def translate(payload: Any) -> Post:
    payload = mapping(payload, "The message")
    msgtype = payload.get("msgtype")
    if not isinstance(msgtype, str) or not msgtype:
        raise DialectError("unsupported_type", "msgtype is required.")
    if msgtype not in TYPES:
        raise DialectError("unsupported_type", f"msgtype {msgtype} is not supported.")
    body = mapping(payload.get(msgtype), msgtype)
    if msgtype == "text":
        content = string(body.get("content"), "text.content")
        if not content.strip():
            raise DialectError("no_text", "text.content is empty.")
        _limit(content, TEXT_BYTES, "text.content")
        return Post(kind="text", text=content, **_mentions(body))
    if msgtype in ("markdown", "markdown_v2"):
        content = string(body.get("content"), f"{msgtype}.content")
        if not content.strip():
            raise DialectError("no_text", f"{msgtype}.content is empty.")
        _limit(content, MARKDOWN_BYTES, f"{msgtype}.content")
        named = tuple(m.group(1) for m in _AT.finditer(content))
        text = _AT.sub(lambda m: "@" + m.group(1), _FONT.sub("", content))
        return Post(
            kind="markdown",
            text=text,
            at_user_ids=tuple(n for n in named if n != "all"),
            at_all="all" in named,
        )
    articles = body.get("articles")
    if not isinstance(articles, list) or not articles:
        raise DialectError("invalid_payload", "news.articles must be a non-empty list.")
    if len(articles) > MAX_ARTICLES:
        raise DialectError("invalid_payload", f"news holds at most {MAX_ARTICLES} articles.")
    items = []
    for raw in articles:
        article = mapping(raw, "news.articles[]")
        item = {
            "title": string(article.get("title"), "articles[].title", required=True),
            "url": string(article.get("url"), "articles[].url", required=True),
            "text": string(article.get("description"), "articles[].description"),
        }
        if pic := string(article.get("picurl"), "articles[].picurl"):
            item["image_url"] = pic
        items.append(item)
    words = "\n".join(f"{i['title']}\n{i['text']}" for i in items)
    if len(items) == 1:
        only = items[0]
        section: dict[str, Any] = {"type": "section", "title": only["title"], "title_url": only["url"]}
        if only["text"]:
            section["text"] = only["text"]
        if "image_url" in only:
            section["image_url"] = only["image_url"]
        return Post(kind="card", card={"blocks": [section]}, words=words)
    links = [{k: v for k, v in i.items() if k != "text"} for i in items]
    return Post(kind="card", card={"blocks": [{"type": "links", "items": links}]}, words=words)
