"""Rules for user-supplied text: names, message bodies, and the tokens that make Chinese searchable.

Search works on both engines with their native full-text indexes (SQLite FTS5, PostgreSQL
tsvector) by indexing a token string instead of raw text: Latin words, digits and the like are
lower-cased words; runs of CJK characters become single characters plus overlapping bigrams, the
scheme Lucene's CJK analyser uses. A query is tokenised the same way and matched as phrases, so
``钉钉`` finds ``我们明天都用钉钉开会`` through the index, with no scan, on either engine.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass
from typing import Literal

from lakeside.errors import Invalid

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
RESERVED_USERNAMES = frozenset({"all", "system", "here", "everyone", "lakeside"})

# Allowed in message bodies: tab, newline. Everything else below 0x20, DEL, C1 controls and the
# bidirectional overrides (used to disguise text) is refused.
_FORBIDDEN_IN_BODY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Characters that draw nothing, or reorder what they stand among, and so let one name pass for
# another or look empty: besides every control and format character (Unicode's Cc and Cf: soft
# hyphen, the Arabic letter mark, zero-width spaces and joiners, direction marks, embeddings and
# isolates, the Mongolian vowel separator, the byte-order mark, tag characters), line and paragraph
# separators and lone surrogates, these letters and marks that render blank.
_BLANK_LOOKING = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u2800"  # Braille blank
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_invisible(char: str) -> bool:
    """True for a character that must not stand in a name (see ``_BLANK_LOOKING``)."""
    return char in _BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def strip_invisible(value: str) -> str:
    """``value`` without its invisible characters (file names: kept, but cleaned)."""
    return "".join(char for char in value if not is_invisible(char))


def _has_visible(value: str) -> bool:
    """At least one letter, digit, punctuation mark or symbol (not just spaces and marks)."""
    return any(unicodedata.category(char)[0] in "LNPS" and not is_invisible(char) for char in value)


def normalize_username(value: str) -> str:
    username = value.strip().lower()
    if not USERNAME_RE.match(username):
        raise Invalid(
            "A username is 3 to 32 characters: a letter first, then letters, digits, '_', '.' or '-'.",
            code="INVALID_USERNAME",
        )
    if username in RESERVED_USERNAMES:
        raise Invalid(f"The username '{username}' is reserved.", code="USERNAME_RESERVED")
    return username


def normalize_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    if not EMAIL_RE.match(email):
        raise Invalid("That is not a valid e-mail address.", code="INVALID_EMAIL")
    return email


def normalize_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    phone = re.sub(r"[\s()-]", "", value.strip())
    if not PHONE_RE.match(phone):
        raise Invalid("A phone number is 6 to 15 digits, optionally starting with '+'.", code="INVALID_PHONE")
    return phone


def check_password(
    password: str,
    username: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    common: Container[str] = frozenset(),
) -> None:
    """Password policy (NIST SP 800-63B 5.1.1.2): at least 8 characters, not one of the ``common``
    passwords (lower-cased), not the account's username, e-mail address (or its part before the
    ``@``) or phone number, not one repeated character."""
    if len(password) < 8:
        raise Invalid("A password needs at least 8 characters.", code="WEAK_PASSWORD")
    if len(password) > 256:
        raise Invalid("A password may have at most 256 characters.", code="INVALID_PASSWORD")
    if _FORBIDDEN_IN_BODY.search(password):
        raise Invalid("A password may not contain control characters.", code="INVALID_PASSWORD")
    folded = password.strip().lower()
    own = {username.lower(), phone or ""}
    if email:
        own |= {email.lower(), email.lower().split("@")[0]}
    if folded in own - {""} or len(set(password)) < 3:
        raise Invalid("That password is too easy to guess.", code="WEAK_PASSWORD")
    if folded in common or password.lower() in common:
        raise Invalid(
            "That password is one of the most common ones; choose another.", code="PASSWORD_TOO_COMMON"
        )


def clean_name(value: str, *, field: str, max_length: int = 64) -> str:
    """A display name, group title or remark: trimmed, NFC, no control, invisible or
    direction-changing characters, and something visible in it."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise Invalid(f"The {field} may not be empty.", code="INVALID_NAME", field=field)
    if any(is_invisible(char) for char in name):
        raise Invalid(
            f"The {field} contains control or invisible characters.", code="INVALID_NAME", field=field
        )
    if not _has_visible(name):
        raise Invalid(f"The {field} has nothing visible in it.", code="INVALID_NAME", field=field)
    if len(name) > max_length:
        raise Invalid(
            f"The {field} may have at most {max_length} characters.", code="INVALID_NAME", field=field
        )
    return name


def clean_body(value: str, *, max_bytes: int) -> str:
    """A message body: CRLF folded to LF, NFC, control characters refused, size capped in bytes."""
    body = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if not body.strip():
        raise Invalid("A message may not be empty.", code="EMPTY_MESSAGE")
    if _FORBIDDEN_IN_BODY.search(body):
        raise Invalid("The message contains control characters.", code="CONTROL_CHARACTERS")
    size = len(body.encode("utf-8"))
    if size > max_bytes:
        raise Invalid(
            f"The message is {size} bytes; the limit is {max_bytes}.",
            code="MESSAGE_TOO_LONG",
            limit=max_bytes,
        )
    return body


def clean_draft(value: str, *, max_bytes: int) -> str:
    """A draft: what ``clean_body`` would make of it, except that it may be empty (cleared) or
    blank (a line break typed so far): CRLF folded to LF, NFC, no control characters, capped in
    bytes as a message is, so that whatever can be sent can be drafted."""
    draft = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if _FORBIDDEN_IN_BODY.search(draft):
        raise Invalid("The draft contains control characters.", code="CONTROL_CHARACTERS")
    size = len(draft.encode("utf-8"))
    if size > max_bytes:
        raise Invalid(
            f"The draft is {size} bytes; the limit is {max_bytes}.", code="DRAFT_TOO_LONG", limit=max_bytes
        )
    return draft


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified
        or 0xAC00 <= code <= 0xD7AF  # hangul
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # extensions B-F
    )


_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
# A run of CJK characters (the ranges of ``is_cjk``), or a run of other alphanumeric characters
# (``[^\W_]`` is exactly ``str.isalnum``); everything else separates runs.
_RUN = re.compile(f"([{_CJK_RANGES}]+)|[^\\W_{_CJK_RANGES}]+")


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split text into runs of CJK characters and of other word characters; drop the rest."""
    return [
        (match.group(1) is not None, match.group(0))
        for match in _RUN.finditer(unicodedata.normalize("NFKC", text).lower())
    ]


def index_tokens(text: str) -> tuple[str, str]:
    """The two token streams stored in the full-text index for a piece of text.

    ``words``: Latin words as they are, a lone CJK character as itself, longer CJK runs as their
    overlapping bigrams (so a run's bigrams stand next to each other and a phrase query matches
    exactly that run). ``chars``: every CJK character alone, for one-character queries.
    """
    words: list[str] = []
    chars: list[str] = []
    for cjk, run in _runs(text):
        if not cjk or len(run) == 1:
            words.append(run)
        else:
            words.extend(run[i : i + 2] for i in range(len(run) - 1))
        if cjk:
            chars.extend(run)
    return " ".join(words), " ".join(chars)


@dataclass(frozen=True)
class SearchTerm:
    """One part of a query: ``phrase`` tokens must stand in order in the ``words`` stream,
    ``char`` is looked up in the ``chars`` stream, ``prefix`` matches words starting with it."""

    kind: Literal["phrase", "char", "prefix"]
    tokens: tuple[str, ...]


def query_terms(query: str) -> list[SearchTerm]:
    """A search query as terms that must all match."""
    terms: list[SearchTerm] = []
    for cjk, run in _runs(query):
        if cjk and len(run) == 1:
            terms.append(SearchTerm("char", (run,)))
        elif cjk:
            terms.append(SearchTerm("phrase", tuple(run[i : i + 2] for i in range(len(run) - 1))))
        else:
            terms.append(SearchTerm("prefix", (run,)))
    return terms
