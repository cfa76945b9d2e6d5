"""Daily reports (日志), the rules without I/O: the built-in templates, a template's fields and
the answers a report gives them, and the period (day, week, month) a report covers.

A template is a list of typed fields. A report keeps a copy of the fields it was written with,
so that a template changed later (its version moves) never changes a report already written.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from lakeside.domain import text
from lakeside.errors import Invalid

FIELD_TYPES = ("text", "textarea", "number", "date", "attachment", "image")
PERIODS = ("day", "week", "month")
MAX_FIELDS = 30
MAX_TEXT = 500  # characters of a one-line answer
MAX_TEXTAREA_BYTES = 20_000  # of a long answer
MAX_FILES = 9  # per attachment or image field
MAX_NUMBER = 1e15
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _field(key: str, label: str, type_: str, required: bool) -> dict[str, Any]:
    return {"key": key, "label": label, "type": type_, "required": required}


# The built-in templates, made for each organization on first use. Their keys name the labels'
# translations in the web client (reports.field.<key>).
BUILTINS: dict[str, dict[str, Any]] = {
    "daily": {
        "name": "日报",
        "period": "day",
        "fields": [
            _field("done", "今日完成工作", "textarea", True),
            _field("undone", "未完成工作", "textarea", False),
            _field("coordinate", "需协调工作", "textarea", False),
            _field("remark", "备注", "textarea", False),
            _field("files", "附件", "attachment", False),
        ],
    },
    "weekly": {
        "name": "周报",
        "period": "week",
        "fields": [
            _field("week_done", "本周完成工作", "textarea", True),
            _field("next_plan", "下周工作计划", "textarea", False),
            _field("coordinate", "需协调工作", "textarea", False),
            _field("files", "附件", "attachment", False),
        ],
    },
    "monthly": {
        "name": "月报",
        "period": "month",
        "fields": [
            _field("month_done", "本月工作内容", "textarea", True),
            _field("month_summary", "本月工作总结", "textarea", False),
            _field("next_month_plan", "下月工作计划", "textarea", False),
            _field("coordinate", "需协调工作", "textarea", False),
            _field("files", "附件", "attachment", False),
        ],
    },
}


def parse_date(value: str, *, field: str = "date") -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise Invalid(f"The {field} must be a date written YYYY-MM-DD.", code="INVALID_DATE", field=field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"The {field} is not a date.", code="INVALID_DATE", field=field) from None
    if not 2000 <= day.year <= 2999:
        raise Invalid(f"The {field} is out of range.", code="INVALID_DATE", field=field)
    return day


def period_start(period: str, day: date) -> date:
    """The day a report for ``day`` covers: the day itself, its week's Monday, its month's 1st."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def check_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A template's fields as an admin designed them: 1 to 30, unique keys, known types, a label."""
    if not fields:
        raise Invalid("A template needs at least one field.", code="INVALID_TEMPLATE")
    if len(fields) > MAX_FIELDS:
        raise Invalid(f"A template has at most {MAX_FIELDS} fields.", code="INVALID_TEMPLATE")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, field in enumerate(fields):
        key = field.get("key") or f"f{index + 1}"
        if not isinstance(key, str) or not _KEY.match(key):
            raise Invalid("A field's key is a-z, 0-9 and _, at most 32.", code="INVALID_TEMPLATE", field=key)
        if key in seen:
            raise Invalid("Two fields have the same key.", code="INVALID_TEMPLATE", field=key)
        seen.add(key)
        type_ = field.get("type")
        if type_ not in FIELD_TYPES:
            raise Invalid("Unknown field type.", code="INVALID_TEMPLATE", field=key)
        label = text.clean_name(str(field.get("label", "")), field="label", max_length=64)
        cleaned.append(_field(key, label, type_, bool(field.get("required", False))))
    return cleaned


def check_answers(fields: list[dict[str, Any]], answers: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """The answers cleaned against the fields; ``complete`` (sending, not saving a draft) wants
    every required field answered. Answers to fields that do not exist are refused."""
    by_key = {field["key"]: field for field in fields}
    unknown = set(answers) - set(by_key)
    if unknown:
        raise Invalid("No such field.", code="UNKNOWN_FIELD", field=sorted(unknown)[0])
    cleaned: dict[str, Any] = {}
    for key, field in by_key.items():
        value = _answer(field, answers.get(key))
        if value is None:
            if complete and field["required"]:
                raise Invalid(f"「{field['label']}」 is required.", code="FIELD_REQUIRED", field=key)
            continue
        cleaned[key] = value
    return cleaned


def _answer(field: dict[str, Any], value: Any) -> Any:
    key, type_ = field["key"], field["type"]
    if value is None or value == "" or value == []:
        return None
    if type_ in ("text", "textarea"):
        if not isinstance(value, str):
            raise Invalid("The answer must be text.", code="INVALID_ANSWER", field=key)
        body = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
        if not body.strip():
            return None
        if type_ == "text" and ("\n" in body.strip() or len(body) > MAX_TEXT):
            raise Invalid(
                f"A one-line answer, at most {MAX_TEXT} characters.", code="INVALID_ANSWER", field=key
            )
        try:
            return text.clean_body(body, max_bytes=MAX_TEXTAREA_BYTES)
        except Invalid as error:
            raise Invalid(error.message, code="INVALID_ANSWER", field=key) from None
    if type_ == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("The answer must be a number.", code="INVALID_ANSWER", field=key)
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise Invalid("The number is out of range.", code="INVALID_ANSWER", field=key)
        return value
    if type_ == "date":
        return parse_date(value, field=key).isoformat()
    # attachment, image: a list of the author's uploads
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Invalid("The answer must be a list of file ids.", code="INVALID_ANSWER", field=key)
    if len(value) > MAX_FILES or any(not 1 <= len(item) <= 32 for item in value):
        raise Invalid(f"At most {MAX_FILES} files per field.", code="INVALID_ANSWER", field=key)
    return list(dict.fromkeys(value))


def file_ids(fields: list[dict[str, Any]], answers: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for field in fields:
        if field["type"] in ("attachment", "image"):
            ids.extend(answers.get(field["key"], []))
    return list(dict.fromkeys(ids))


def summary(
    fields: list[dict[str, Any]], answers: dict[str, Any], *, limit: int = 3
) -> list[tuple[str, str]]:
    """(label, text) of the first text answers, for a card."""
    lines: list[tuple[str, str]] = []
    for field in fields:
        value = answers.get(field["key"])
        if field["type"] in ("text", "textarea", "number", "date") and value not in (None, ""):
            words = str(value)
            lines.append((field["label"], words if len(words) <= 120 else words[:119] + "…"))
        if len(lines) >= limit:
            break
    return lines
