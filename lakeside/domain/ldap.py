"""LDAP / Active Directory, the pure part: distinguished names, stable ids, filters, the mapping
of an entry's attributes to a person, and which entries are disabled.

A DN is compared by its key: the (type, value) pairs of its RDNs, unescaped and lower-cased, so
``OU=研发部,DC=Corp`` and ``ou=研发部,dc=corp`` are one place. A stable id is the text form of
the attribute the directory keeps for the life of an entry (OpenLDAP's ``entryUUID``, Active
Directory's binary ``objectGUID`` as its usual GUID text): links are made by it, never by DN.
Values typed by a person (a username to look up) enter a filter only through ``escape``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from lakeside.errors import Invalid

DnKey = tuple[tuple[str, str], ...]

# Active Directory's userAccountControl: bit 2 (ACCOUNTDISABLE) marks a disabled account.
ACCOUNT_DISABLE = 0x2
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
BINARY_IDS = frozenset({"objectguid"})


# ldap3's helpers are imported where used: importing ldap3 costs about half a second of a server's
# start, with or without a directory.


def parse_dn(dn: str) -> list[tuple[str, str, str]]:
    from ldap3.utils.dn import parse_dn as parse

    return list(parse(dn))


def escape(value: str) -> str:
    """A value as it may stand in a filter: ``*``, ``(``, ``)``, ``\\`` and NUL escaped."""
    from ldap3.utils.conv import escape_filter_chars

    return str(escape_filter_chars(value))


def check_attribute(name: str, field: str, *, optional: bool = False) -> str:
    name = name.strip()
    if not name and optional:
        return ""
    if not ATTRIBUTE_NAME.match(name):
        raise Invalid(
            f"{field} is an attribute name such as uid or sAMAccountName.", code="INVALID_LDAP_ATTRIBUTE"
        )
    return name


def check_filter(value: str) -> str:
    """An admin's filter: one parenthesised expression with balanced parentheses (a parenthesis
    inside a value is written \\28 or \\29 in a filter, so counting them is enough)."""
    value = value.strip()
    depth = 0
    closed_early = False
    for index, char in enumerate(value):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0 or (depth == 0 and index != len(value) - 1):
                closed_early = True
                break
    if (
        closed_early
        or depth != 0
        or not value.startswith("(")
        or len(value) > 1024
        or UNSTORABLE.search(value)
    ):
        raise Invalid(
            "The user filter is one parenthesised LDAP filter, e.g. (objectClass=person).",
            code="INVALID_LDAP_FILTER",
        )
    from ldap3.operation.search import parse_filter

    try:
        parse_filter(value, None, True, True, None, False)
    except Exception as exc:  # ldap3's LDAPInvalidFilterError, or worse on odd input
        raise Invalid(f"The user filter cannot be read: {exc}.", code="INVALID_LDAP_FILTER") from exc
    return value


BIND_NAME = re.compile(r"^[^=,\\@\s]+@[^=,\\@\s]+$|^[^=,\\@\s]+\\[^=,\\@\s]+$")


def check_dn(value: str, field: str, *, optional: bool = False, bind_name: bool = False) -> str:
    """A DN (or, for a service account, ``bind_name``: Active Directory's ``user@domain`` or
    ``DOMAIN\\user`` too)."""
    value = value.strip()
    if not value and optional:
        return ""
    if bind_name and BIND_NAME.match(value):
        return value
    try:
        parts = parse_dn(value)
    except Exception as exc:  # ldap3 raises its own LDAPInvalidDnError
        raise Invalid(f"{field} is not a valid DN.", code="INVALID_LDAP_DN") from exc
    if not parts:
        raise Invalid(f"{field} is not a valid DN.", code="INVALID_LDAP_DN")
    return value


def unescape_value(value: str) -> str:
    """An RDN value without RFC 4514 escapes (``\\,`` and ``\\e7\\a0\\94`` both)."""
    if "\\" not in value:
        return value
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            pair = value[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                index += 3
                continue
            out.extend(value[index + 1].encode())
            index += 2
            continue
        out.extend(char.encode())
        index += 1
    return out.decode("utf-8", errors="replace")


def dn_key(dn: str) -> DnKey:
    return tuple((kind.lower(), unescape_value(value).strip().lower()) for kind, value, _ in parse_dn(dn))


def rdn_value(dn: str) -> str:
    """The value of a DN's first RDN, as a person reads it (an OU's name)."""
    return unescape_value(parse_dn(dn)[0][1]).strip()


def below(key: DnKey, ancestor: DnKey) -> bool:
    """Whether ``key`` is strictly below ``ancestor``."""
    return len(key) > len(ancestor) and key[len(key) - len(ancestor) :] == ancestor


def stable_id(attribute: str, raw: bytes) -> str:
    """The text form of a stable id value (objectGUID's 16 bytes as a GUID, others as text)."""
    if attribute.lower() in BINARY_IDS and len(raw) == 16:
        return str(uuid.UUID(bytes_le=raw))
    return raw.decode("utf-8", errors="replace").strip().lower()


def id_filter_value(attribute: str, value: str) -> str:
    """A stable id as an escaped filter value (objectGUID is matched on its bytes)."""
    if attribute.lower() in BINARY_IDS:
        from ldap3.utils.conv import escape_bytes

        try:
            return str(escape_bytes(uuid.UUID(value).bytes_le))
        except ValueError:
            pass
    return escape(value)


def and_filter(base: str, attribute: str, escaped_value: str) -> str:
    return f"(&{base}({attribute}={escaped_value}))"


def clean_text(value: str | None, limit: int) -> str | None:
    """A directory value as lakeside stores it: control characters dropped, trimmed; None if empty."""
    if value is None:
        return None
    value = UNSTORABLE.sub("", value).strip()[:limit]
    return value or None


def disabled(user_account_control: str | None) -> bool:
    if not user_account_control:
        return False
    try:
        return bool(int(user_account_control.strip()) & ACCOUNT_DISABLE)
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Mapping:
    """Which attribute holds what (an empty name: not mapped)."""

    id: str
    username: str
    name: str
    email: str = ""
    phone: str = ""
    title: str = ""
    employee_no: str = ""

    def attributes(self) -> list[str]:
        names = [self.id, self.username, self.name, self.email, self.phone, self.title, self.employee_no]
        return sorted({name for name in names if name} | {"userAccountControl"})


@dataclass(frozen=True, slots=True)
class Person:
    stable_id: str
    dn: str
    key: DnKey
    username: str | None
    name: str | None
    email: str | None
    phone: str | None
    title: str | None
    employee_no: str | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class Unit:
    """An organizational unit: a department."""

    stable_id: str
    dn: str
    key: DnKey
    name: str


def first(raw: dict[str, list[bytes]], attribute: str) -> bytes | None:
    """The first value of an attribute, its name matched without regard to case."""
    if not attribute:
        return None
    for name, values in raw.items():
        if name.lower() == attribute.lower() and values:
            return values[0]
    return None


def text_of(raw: dict[str, list[bytes]], attribute: str, limit: int = 256) -> str | None:
    value = first(raw, attribute)
    return clean_text(value.decode("utf-8", errors="replace"), limit) if value is not None else None


def person(dn: str, raw: dict[str, list[bytes]], mapping: Mapping) -> Person | None:
    """The person an entry describes; None without a stable id."""
    identifier = first(raw, mapping.id)
    if identifier is None:
        return None
    return Person(
        stable_id=stable_id(mapping.id, identifier)[:128],
        dn=dn,
        key=dn_key(dn),
        username=text_of(raw, mapping.username, 64),
        name=text_of(raw, mapping.name, 64),
        email=text_of(raw, mapping.email, 320),
        phone=text_of(raw, mapping.phone, 32),
        title=text_of(raw, mapping.title, 64),
        employee_no=text_of(raw, mapping.employee_no, 32),
        disabled=disabled(text_of(raw, "userAccountControl", 16)),
    )


def unit(dn: str, raw: dict[str, list[bytes]], id_attribute: str) -> Unit | None:
    identifier = first(raw, id_attribute)
    name = clean_text(rdn_value(dn), 64)
    if identifier is None or name is None:
        return None
    return Unit(stable_id=stable_id(id_attribute, identifier)[:128], dn=dn, key=dn_key(dn), name=name)
