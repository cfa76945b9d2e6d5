"""Cards: the structured messages that robots, webhooks and bots post (kind ``card``).

Every dialect an integration speaks (DingTalk's actionCard and feedCard, Slack's attachments,
Mattermost's ``props.card``, WeCom's news, Feishu's post and interactive cards) is translated into
one shape, so the web client has one renderer and the rules for what is safe live here once:

    {"sender_name": "构建机器人", "blocks": [
        {"type": "markdown", "text": "**构建失败** …"},
        {"type": "section", "color": "#d93025", "pretext": "…", "title": "…", "title_url": "https://…",
         "text": "…", "fields": [{"title": "分支", "value": "main", "short": true}],
         "image_url": "https://…", "footer": "Jenkins"},
        {"type": "buttons", "layout": "horizontal", "buttons": [{"title": "查看", "url": "https://…"}]},
        {"type": "links", "items": [{"title": "…", "url": "https://…", "image_url": "https://…"}]},
        {"type": "image", "url": "https://…", "alt": "…"}]}

Text in ``markdown`` blocks and a section's ``text`` is markdown; ``build`` renders it once, at
write time, through the same two locks as a markdown message (domain/markdown.py) and stores the
safe HTML beside it (``html``), so clients insert that and nothing else as markup. Every URL is
http or https (no ``javascript:``, no ``data:``); colours are ``#rrggbb`` or one of the named
ones. The stored body is the card as compact JSON (``encode``); ``plain_text`` is what search
indexes and what a conversation list or a notification shows.

Cards the server makes itself (work notices: services/work_notices.py) are built ``trusted``. Only
they may carry a button ``action`` — ``{"path": "/api/v1/…", "body": {…}, "done": "已同意"}``,
which the web client POSTs as the person who clicks (so the API's own rules decide) — and links to
in-app routes (``/#/approvals/5``). Anything an integration sends is built untrusted, and such a
button or link is refused.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import nh3
import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from lakeside.domain.markdown import render_markdown
from lakeside.errors import Invalid, validation_failed

MAX_BLOCKS = 20
MAX_FIELDS = 20
MAX_BUTTONS = 10
MAX_ITEMS = 10
MAX_TEXT = 20_000
MAX_URL = 2_048
MAX_ACTION_BODY = 2_048
# An action's target: a path of this server's API, nothing that climbs out of it or carries a query.
_ACTION_PATH = re.compile(r"^/api/v1(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+$")
# An in-app route of the web client (trusted cards only).
_APP_ROUTE = re.compile(r"^/#/[A-Za-z0-9/_.~%?=&-]*$")
NAMED_COLORS = {"good": "#2e7d32", "warning": "#ed6c02", "danger": "#d32f2f"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_SHORT_HEX = re.compile(r"^#?[0-9a-fA-F]{3}$|^[0-9a-fA-F]{6}$")


def _trusted(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("trusted"))


def _url(value: str, info: ValidationInfo) -> str:
    value = value.strip()
    if value.startswith("/#/") and _trusted(info):
        if not _APP_ROUTE.match(value):
            raise ValueError("not an in-app route")
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("only http and https URLs")
    if any(ch in value for ch in "\x00\r\n\t "):
        raise ValueError("a URL has no spaces or control characters")
    return value


def color(value: str | None) -> str | None:
    """A colour as stored: ``#rrggbb`` (named and 3-digit forms expanded), or None if unknown."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() in NAMED_COLORS:
        return NAMED_COLORS[value.lower()]
    if _HEX.match(value):
        return value.lower()
    if _SHORT_HEX.match(value):
        digits = value.lstrip("#")
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        return "#" + digits.lower()
    return None


def _color(value: str | None) -> str | None:
    return color(value)


def _text(limit: int) -> Any:
    return Field(default=None, max_length=limit)


Url = Annotated[str, Field(max_length=MAX_URL), AfterValidator(_url)]
Color = Annotated[str | None, Field(default=None, max_length=32), AfterValidator(_color)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CardField(_Strict):
    title: str = Field(default="", max_length=200)
    value: str = Field(default="", max_length=2_000)
    short: bool = False


class CardAction(_Strict):
    """What a button of a trusted card does: a POST of ``body`` to ``path``, as the person who
    clicks; ``done`` is shown in the buttons' place once it succeeded."""

    path: str = Field(max_length=256)
    body: dict[str, Any] | None = None
    done: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _checked(self) -> CardAction:
        if not _ACTION_PATH.match(self.path) or ".." in self.path:
            raise ValueError("an action's path is a path of this server's API (/api/v1/…)")
        if self.body is not None and len(orjson.dumps(self.body)) > MAX_ACTION_BODY:
            raise ValueError(f"an action's body is at most {MAX_ACTION_BODY} bytes of JSON")
        return self


class CardButton(_Strict):
    title: str = Field(min_length=1, max_length=64)
    url: Url | None = None
    action: CardAction | None = None
    style: Literal["default", "primary", "danger"] | None = None

    @model_validator(mode="after")
    def _checked(self, info: ValidationInfo) -> CardButton:
        if self.action is not None and not _trusted(info):
            raise ValueError("only the server's own cards have action buttons")
        if self.url is None and self.action is None:
            raise ValueError("a button has a url or an action")
        return self


class CardItem(_Strict):
    title: str = Field(min_length=1, max_length=300)
    url: Url
    image_url: Url | None = None


class MarkdownBlock(_Strict):
    type: Literal["markdown"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    html: str | None = None  # set by build()


class SectionBlock(_Strict):
    type: Literal["section"]
    color: Color = None
    pretext: str | None = _text(3_000)
    title: str | None = _text(300)
    title_url: Url | None = None
    text: str | None = _text(MAX_TEXT)
    html: str | None = None  # the text rendered, set by build()
    fields: list[CardField] = Field(default_factory=list, max_length=MAX_FIELDS)
    image_url: Url | None = None
    footer: str | None = _text(300)


class ButtonsBlock(_Strict):
    type: Literal["buttons"]
    layout: Literal["horizontal", "vertical"] = "vertical"
    buttons: list[CardButton] = Field(min_length=1, max_length=MAX_BUTTONS)


class LinksBlock(_Strict):
    type: Literal["links"]
    items: list[CardItem] = Field(min_length=1, max_length=MAX_ITEMS)


class ImageBlock(_Strict):
    type: Literal["image"]
    url: Url
    alt: str = Field(default="", max_length=300)


Block = Annotated[
    MarkdownBlock | SectionBlock | ButtonsBlock | LinksBlock | ImageBlock, Field(discriminator="type")
]


class Card(_Strict):
    """A card message. ``sender_name`` is the name one post shows instead of the robot's own (Slack's
    ``username`` override, where the hook allows it); the robot's badge is shown either way."""

    sender_name: str | None = Field(default=None, max_length=64)
    blocks: list[Block] = Field(min_length=1, max_length=MAX_BLOCKS)


_card = TypeAdapter(Card)


def _has_nul_or_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_nul_or_surrogate(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul_or_surrogate(v) for v in value)
    return False


def build(value: dict[str, Any], *, trusted: bool = False) -> dict[str, Any]:
    """A card from a dialect's translation: validated, markdown rendered to safe HTML, as a plain
    dict ready for ``encode``. Raises ``Invalid`` (VALIDATION_FAILED or INVALID_CARD).
    ``trusted``: the server made it (action buttons and in-app links allowed)."""
    if _has_nul_or_surrogate(value):
        raise Invalid("A card's text has no NUL characters or lone surrogates.", code="INVALID_CARD")
    if isinstance(value, dict) and isinstance(value.get("blocks"), list):
        # ``html`` is the server's rendering, never the sender's.
        blocks = [
            {k: v for k, v in b.items() if k != "html"} if isinstance(b, dict) else b for b in value["blocks"]
        ]
        value = {**value, "blocks": blocks}
    try:
        card = _card.validate_python(value, context={"trusted": trusted})
    except ValidationError as exc:
        raise validation_failed(exc.errors(include_url=False, include_context=False)) from None
    out = card.model_dump(exclude_none=True)
    for block in out["blocks"]:
        if block["type"] == "markdown" or (block["type"] == "section" and block.get("text")):
            block["html"] = render_markdown(block["text"])
        elif block["type"] == "section":
            block.pop("html", None)
    return out


def encode(card: dict[str, Any]) -> str:
    return orjson.dumps(card).decode()


def decode(body: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _words_of(block: dict[str, Any]) -> str:
    """A markdown text's words without its syntax (``### 发布`` → ``发布``): from the safe HTML
    rendered at write time, tags dropped and entities decoded."""
    rendered = block.get("html")
    if not rendered:
        return str(block.get("text") or "")
    words = nh3.clean(rendered.replace("</p>", "</p>\n").replace("<br>", "\n"), tags=set())
    return html.unescape(words)


def plain_text(card: dict[str, Any]) -> str:
    """The card's words, one line per piece: what search indexes and a preview shows."""
    parts: list[str] = []
    for block in card.get("blocks", []):
        kind = block.get("type")
        if kind == "markdown":
            parts.append(_words_of(block))
        elif kind == "section":
            parts.extend(block.get(k) or "" for k in ("pretext", "title"))
            parts.append(_words_of(block))
            for item in block.get("fields", []):
                parts.append(f"{item.get('title', '')} {item.get('value', '')}".strip())
            parts.append(block.get("footer") or "")
        elif kind == "buttons":
            parts.extend(b.get("title", "") for b in block.get("buttons", []))
        elif kind == "links":
            parts.extend(i.get("title", "") for i in block.get("items", []))
        elif kind == "image":
            parts.append(block.get("alt", ""))
    return "\n".join(p for p in (p.strip() for p in parts) if p)
