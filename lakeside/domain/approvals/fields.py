"""The fields of an approval form, and the server's check of what an applicant submits.

A form is ``{"fields": [field, …]}``; a field a dict as the API takes it (lakeside.api.approvals
``FieldIn``). ``check_form`` checks a form's definition (unique keys, options where needed, a table's
columns); ``check_values`` checks submitted values against it and returns them normalised (the
empty optional ones left out) or raises ``Invalid`` with code ``INVALID_FIELD`` naming the field.
``computed`` gives the durations of ranges and the totals of tables; ``condition_value`` what a flow's
condition compares for a field.

Money is an integer number of fen; dates are ``YYYY-MM-DD``; a date/time range is two times in ms.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from lakeside.domain.inputs import UNSTORABLE
from lakeside.errors import Invalid

TYPES = frozenset(
    {
        "text",
        "textarea",
        "number",
        "money",
        "date",
        "daterange",
        "datetimerange",
        "select",
        "multiselect",
        "people",
        "department",
        "attachment",
        "image",
        "table",
    }
)
NUMERIC = frozenset({"number", "money"})
MAX_FILES = 9
MAX_ROWS = 50
MAX_PEOPLE = 50
MAX_SUMMARY = 3
MONEY_MAX = 10**13  # fen: ¥100,000,000,000
NUMBER_LIMIT = 10**15
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HOUR_MS = 3_600_000
# Time ranges: within 1970…2200 (ms).
TIME_MAX = 7_258_118_400_000


class FieldError(Invalid):
    code = "INVALID_FIELD"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field
        self.reason = message


def _bad_form(message: str) -> Invalid:
    return Invalid(message, code="INVALID_FORM")


def check_form(form: dict[str, Any]) -> dict[str, Any]:
    """The form's definition, checked; raises ``Invalid`` (``INVALID_FORM``)."""
    fields = form.get("fields")
    if not isinstance(fields, list) or not fields:
        raise _bad_form("A form has at least one field.")
    _check_fields(fields, nested=False)
    if sum(1 for f in fields if f.get("summary")) > MAX_SUMMARY:
        raise _bad_form(f"At most {MAX_SUMMARY} fields are shown as the summary.")
    return {"fields": fields}


def _check_fields(fields: list[dict[str, Any]], *, nested: bool) -> None:
    seen: set[str] = set()
    for field in fields:
        key = field.get("key")
        kind = field.get("type")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise _bad_form(f"A field key must be letters, digits or _ (not {key!r}).")
        if key in seen:
            raise _bad_form(f"Two fields have the key {key}.")
        seen.add(key)
        if kind not in TYPES:
            raise _bad_form(f"{key}: no field type {kind!r}.")
        label = field.get("label")
        if not isinstance(label, str) or not label.strip() or UNSTORABLE.search(label):
            raise _bad_form(f"{key}: a field needs a label.")
        if kind in ("select", "multiselect"):
            options = field.get("options") or []
            if not options or len(set(options)) != len(options):
                raise _bad_form(f"{key}: choices must be given, each once.")
        low, high = field.get("min"), field.get("max")
        if low is not None and high is not None and low > high:
            raise _bad_form(f"{key}: min is above max.")
        if nested and field.get("hidden_from_approvers"):
            # Only whole fields are hidden (detail, summary, card, CSV): hide the table instead.
            raise _bad_form(f"{key}: a table's column cannot be hidden from approvers; hide the table.")
        if kind == "table":
            if nested:
                raise _bad_form(f"{key}: a table cannot hold a table.")
            columns = field.get("columns") or []
            if not columns:
                raise _bad_form(f"{key}: a table needs columns.")
            _check_fields(columns, nested=True)
            total_of = field.get("total_of")
            if total_of is not None:
                column = next((c for c in columns if c.get("key") == total_of), None)
                if column is None or column.get("type") not in NUMERIC:
                    raise _bad_form(f"{key}: total_of must name a number or money column.")


def field_by_key(form: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((f for f in form["fields"] if f["key"] == key), None)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def check_values(
    form: dict[str, Any],
    values: Any,
    *,
    member_ids: set[int] | None = None,
    department_ids: set[int] | None = None,
    file_ids: set[str] | None = None,
) -> dict[str, Any]:
    """``values`` checked against ``form``: normalised, the empty optional fields left out.

    ``member_ids``, ``department_ids`` and ``file_ids``, when given, are the ids that exist (the
    service looks up every id the values name, see ``referenced_ids``); ids outside them are refused.
    """
    if not isinstance(values, dict):
        raise FieldError("values", "must be an object")
    known = {f["key"] for f in form["fields"]}
    for key in values:
        if key not in known:
            raise FieldError(str(key)[:32], "no such field")
    refs = _Refs(member_ids, department_ids, file_ids)
    out: dict[str, Any] = {}
    for field in form["fields"]:
        value = values.get(field["key"])
        checked = _check_value(field, value, field["key"], refs)
        if checked is not None:
            out[field["key"]] = checked
    return out


class _Refs:
    def __init__(
        self, members: set[int] | None, departments: set[int] | None, files: set[str] | None
    ) -> None:
        self.members = members
        self.departments = departments
        self.files = files


def _check_value(field: dict[str, Any], value: Any, where: str, refs: _Refs) -> Any:
    if _empty(value):
        if field.get("required"):
            raise FieldError(where, "is required")
        return None
    kind = field["type"]
    if kind in ("text", "textarea"):
        return _text(field, value, where, 200 if kind == "text" else 2000, multiline=kind == "textarea")
    if kind == "number":
        return _number(field, value, where)
    if kind == "money":
        return _money(field, value, where)
    if kind == "date":
        _date(value, where)
        return value
    if kind == "daterange":
        if not isinstance(value, dict) or set(value) != {"start", "end"}:
            raise FieldError(where, "must be {start, end}")
        start, end = _date(value["start"], where), _date(value["end"], where)
        if end < start:
            raise FieldError(where, "ends before it starts")
        if (end - start).days > 366:
            raise FieldError(where, "is longer than a year")
        return {"start": value["start"], "end": value["end"]}
    if kind == "datetimerange":
        if not isinstance(value, dict) or set(value) != {"start", "end"}:
            raise FieldError(where, "must be {start, end}")
        start, end = value["start"], value["end"]
        for point in (start, end):
            if isinstance(point, bool) or not isinstance(point, int) or not 0 <= point <= TIME_MAX:
                raise FieldError(where, "start and end are times in ms")
        if end <= start:
            raise FieldError(where, "ends before it starts")
        if end - start > 366 * 24 * HOUR_MS:
            raise FieldError(where, "is longer than a year")
        return {"start": start, "end": end}
    if kind == "select":
        if not isinstance(value, str) or value not in field["options"]:
            raise FieldError(where, "is not one of the choices")
        return value
    if kind == "multiselect":
        if not isinstance(value, list) or any(
            not isinstance(v, str) or v not in field["options"] for v in value
        ):
            raise FieldError(where, "must be choices from the list")
        return [o for o in field["options"] if o in value]
    if kind in ("people", "department"):
        return _ids(field, value, where, refs.members if kind == "people" else refs.departments)
    if kind in ("attachment", "image"):
        if not isinstance(value, list) or len(value) > MAX_FILES:
            raise FieldError(where, f"must be a list of at most {MAX_FILES} files")
        for file_id in value:
            if not isinstance(file_id, str) or not FILE_ID_RE.match(file_id):
                raise FieldError(where, "is not a file id")
            if refs.files is not None and file_id not in refs.files:
                raise FieldError(where, "names no file of yours")
        return list(dict.fromkeys(value))
    if kind == "table":
        if not isinstance(value, list) or len(value) > MAX_ROWS:
            raise FieldError(where, f"must be a list of at most {MAX_ROWS} rows")
        rows = []
        for index, row in enumerate(value):
            if not isinstance(row, dict):
                raise FieldError(f"{where}.{index}", "a row is an object")
            columns = {c["key"] for c in field["columns"]}
            for key in row:
                if key not in columns:
                    raise FieldError(f"{where}.{index}.{str(key)[:32]}", "no such column")
            if all(_empty(cell) for cell in row.values()):
                continue  # a blank row the form left: not a row
            checked_row = {}
            for column in field["columns"]:
                cell = _check_value(column, row.get(column["key"]), f"{where}.{index}.{column['key']}", refs)
                if cell is not None:
                    checked_row[column["key"]] = cell
            if checked_row:
                rows.append(checked_row)
        if not rows:
            if field.get("required"):
                raise FieldError(where, "is required")
            return None
        return rows
    raise FieldError(where, "has an unknown type")  # pragma: no cover - check_form refuses it


def _text(field: dict[str, Any], value: Any, where: str, default_max: int, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise FieldError(where, "must be text")
    if UNSTORABLE.search(value):
        raise FieldError(where, "contains a NUL character or a lone surrogate")
    value = value.strip()
    if not multiline and ("\n" in value or "\r" in value):
        raise FieldError(where, "must be one line")
    if len(value) > (field.get("max_length") or default_max):
        raise FieldError(where, "is too long")
    if not value and field.get("required"):
        raise FieldError(where, "is required")
    return value


def _bounds(field: dict[str, Any], value: float, where: str) -> None:
    if field.get("min") is not None and value < field["min"]:
        raise FieldError(where, f"must be at least {field['min']}")
    if field.get("max") is not None and value > field["max"]:
        raise FieldError(where, f"must be at most {field['max']}")


def _number(field: dict[str, Any], value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(where, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(where, "must be a finite number")
    if abs(value) > NUMBER_LIMIT:
        raise FieldError(where, "is too large")
    decimals = field.get("decimals") or 0
    if decimals == 0:
        if isinstance(value, float) and not value.is_integer():
            raise FieldError(where, "must be a whole number")
        value = int(value)
    else:
        value = round(float(value), decimals)
    _bounds(field, value, where)
    return value


def _money(field: dict[str, Any], value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(where, "must be a whole number of fen")
    if not 0 <= value <= MONEY_MAX:
        raise FieldError(where, "is out of range")
    _bounds(field, value, where)
    return value


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise FieldError(where, "must be a date YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FieldError(where, "is not a date") from None
    if not 1970 <= day.year <= 2200:
        raise FieldError(where, "is out of range")
    return day


def _ids(field: dict[str, Any], value: Any, where: str, known: set[int] | None) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_PEOPLE:
        raise FieldError(where, "must be a list of ids")
    if len(value) > 1 and not field.get("multiple"):
        raise FieldError(where, "takes one")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item < 2**63:
            raise FieldError(where, "must be a list of ids")
        if known is not None and item not in known:
            raise FieldError(
                where,
                "names no one in the organization" if field["type"] == "people" else "names no department",
            )
    return list(dict.fromkeys(value))


def referenced_ids(form: dict[str, Any], values: dict[str, Any]) -> tuple[set[int], set[int], set[str]]:
    """The user ids, department ids and file ids ``values`` name (before they are checked)."""
    people: set[int] = set()
    departments: set[int] = set()
    files: set[str] = set()

    def visit(fields: list[dict[str, Any]], row: dict[str, Any]) -> None:
        for field in fields:
            value = row.get(field["key"])
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            if field["type"] == "people":
                people.update(
                    v for v in items if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63
                )
            elif field["type"] == "department":
                departments.update(
                    v for v in items if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63
                )
            elif field["type"] in ("attachment", "image"):
                files.update(v for v in items if isinstance(v, str) and FILE_ID_RE.match(v))
            elif field["type"] == "table" and isinstance(value, list):
                for sub in value[:MAX_ROWS]:
                    if isinstance(sub, dict):
                        visit(field.get("columns") or [], sub)

    if isinstance(values, dict):
        visit(form["fields"], values)
    return people, departments, files


def duration(field: dict[str, Any], value: dict[str, Any]) -> float:
    """Days of a date range (both ends counted), hours of a date/time range (one decimal)."""
    if field["type"] == "daterange":
        start, end = dt.date.fromisoformat(value["start"]), dt.date.fromisoformat(value["end"])
        return (end - start).days + 1
    return round((value["end"] - value["start"]) / HOUR_MS, 1)


def table_total(field: dict[str, Any], rows: list[dict[str, Any]]) -> int | float:
    column = field.get("total_of")
    if not column:
        return 0
    total = sum(row.get(column, 0) for row in rows)
    return round(total, 6) if isinstance(total, float) else total


def computed(form: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Durations of the ranges and totals of the tables, by field key."""
    out: dict[str, Any] = {}
    for field in form["fields"]:
        value = values.get(field["key"])
        if value is None:
            continue
        if field["type"] in ("daterange", "datetimerange"):
            out[field["key"]] = duration(field, value)
        elif field["type"] == "table" and field.get("total_of"):
            out[field["key"]] = table_total(field, value)
    return out


def condition_value(form: dict[str, Any], values: dict[str, Any], key: str) -> Any:
    """What a flow's condition on ``key`` compares: a range's duration, a table's total, else the value."""
    field = field_by_key(form, key)
    if field is None:
        return None
    value = values.get(key)
    if value is None:
        return None
    if field["type"] in ("daterange", "datetimerange"):
        return duration(field, value)
    if field["type"] == "table":
        return table_total(field, value)
    return value


def visible_form(form: dict[str, Any], *, sees_hidden: bool) -> dict[str, Any]:
    if sees_hidden:
        return form
    return {"fields": [f for f in form["fields"] if not f.get("hidden_from_approvers")]}


def visible_values(form: dict[str, Any], values: dict[str, Any], *, sees_hidden: bool) -> dict[str, Any]:
    if sees_hidden:
        return values
    hidden = {f["key"] for f in form["fields"] if f.get("hidden_from_approvers")}
    return {k: v for k, v in values.items() if k not in hidden}


def format_money(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def display(
    field: dict[str, Any],
    value: Any,
    names: dict[int, str] | None = None,
    departments: dict[int, str] | None = None,
) -> str:
    """A value as one line of text (summaries, cards, CSV); ``names``/``departments`` name the ids."""
    kind = field["type"]
    names = names or {}
    departments = departments or {}
    if value is None:
        return ""
    if kind == "money":
        return format_money(value)
    if kind == "daterange":
        return f"{value['start']} ~ {value['end']} ({duration(field, value):g}天)"
    if kind == "datetimerange":
        start = dt.datetime.fromtimestamp(value["start"] / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        end = dt.datetime.fromtimestamp(value["end"] / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        return f"{start} ~ {end} UTC ({duration(field, value):g}小时)"
    if kind == "multiselect":
        return "、".join(value)
    if kind == "people":
        return "、".join(names.get(v, str(v)) for v in value)
    if kind == "department":
        return "、".join(departments.get(v, str(v)) for v in value)
    if kind in ("attachment", "image"):
        return f"{len(value)}"
    if kind == "table":
        total = table_total(field, value)
        column = next((c for c in field["columns"] if c["key"] == field.get("total_of")), None)
        if column is not None:
            shown = format_money(int(total)) if column["type"] == "money" else f"{total:g}"
            return f"{len(value)} × ({shown})"
        return f"{len(value)}"
    return str(value)


def files_in(form: dict[str, Any], values: dict[str, Any]) -> dict[str, bool]:
    """The file ids checked ``values`` hold: {file id: whether every field naming it is hidden
    from approvers}."""
    found: dict[str, bool] = {}

    def visit(fields_: list[dict[str, Any]], row: dict[str, Any], hidden: bool) -> None:
        for field in fields_:
            value = row.get(field["key"])
            if value is None:
                continue
            inner_hidden = hidden or bool(field.get("hidden_from_approvers"))
            if field["type"] in ("attachment", "image"):
                for file_id in value:
                    found[file_id] = found.get(file_id, True) and inner_hidden
            elif field["type"] == "table":
                for sub in value:
                    visit(field["columns"], sub, inner_hidden)

    visit(form["fields"], values, False)
    return found
