"""Finding @mentions in message text. ``@all`` addresses everyone in a group."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MENTION_RE = re.compile(r"(?<![\w@])@([a-z][a-z0-9_.-]{2,31}|all)(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Mentions:
    usernames: frozenset[str]
    everyone: bool


def find_mentions(text: str) -> Mentions:
    names = {match.group(1).lower().rstrip(".") for match in _MENTION_RE.finditer(text)}
    everyone = "all" in names
    names.discard("all")
    return Mentions(frozenset(names), everyone)
