"""Finding @mentions in message text, as people type them in Chinese and in English.

Two ways to mention someone, as in DingTalk:

- ``@username`` in the text. Chinese is written without spaces, so what comes before the ``@``
  may be any character but a Latin letter, digit or one of ``_.+%-@`` (then it is an e-mail
  address such as ``lisi@example.com``, or ``@@x``), and the name ends at the first character
  that cannot be in a username (``@lisi请看一下``, ``@lisi，``). ``@all`` and ``@所有人`` address
  everyone in a group; the full-width ``＠`` of a Chinese keyboard counts as ``@``.
- a person picked by their display name: the text keeps a readable ``@张伟`` and the send
  carries the picked user's id (``mention_ids``), so that ``@张伟`` names that exact person even
  when two members share the name. A picked id counts only while ``@`` and the person's display
  name (or username) stand in the text (``picked_in_text``), so that nobody is notified by a
  mention that nobody can see, and deleting ``@张伟`` in an edit removes the mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

AT = "@＠"
EVERYONE = ("all", "所有人")
MAX_MENTION_IDS = 50

_MENTION_RE = re.compile(
    r"(?<![A-Za-z0-9_.+%\-@＠])[@＠](所有人|[a-z][a-z0-9_.-]{2,31}(?![a-z0-9_-]))", re.IGNORECASE
)


@dataclass(frozen=True)
class Mentions:
    usernames: frozenset[str]
    everyone: bool


def find_mentions(text: str, *, picked_names: Iterable[str] = ()) -> Mentions:
    """The usernames the text mentions and whether it says ``@all`` / ``@所有人``. The
    ``@name`` of each picked name is read as that person's mention, not as a username, so that
    ``@Zhang Wei`` picked by display name does not also mention a user called ``zhang``."""
    for name in sorted(set(picked_names), key=len, reverse=True):
        if name:
            for at in AT:
                text = text.replace(at + name, " ")
    names = {match.group(1).lower().rstrip(".") for match in _MENTION_RE.finditer(text)}
    everyone = any(word in names for word in EVERYONE)
    names.difference_update(EVERYONE)
    return Mentions(frozenset(names), everyone)


def picked_in_text(text: str, people: Mapping[int, tuple[str, str]]) -> dict[int, str]:
    """Of the picked people ({id: (username, display name)}), those whose ``@display name`` or
    ``@username`` stands in the text: {id: the name as written}."""
    found: dict[int, str] = {}
    for user_id, (username, display_name) in people.items():
        for name in (display_name, username):
            if name and any(at + name in text for at in AT):
                found[user_id] = name
                break
    return found


def mentioned_ids(
    text: str,
    usernames: frozenset[str],
    picked: Iterable[int],
    people: Mapping[int, tuple[str, str]],
) -> set[int]:
    """The ids a text mentions: its @usernames (``usernames``, what ``find_mentions`` found) and
    the picked ids whose name stands in it. ``people`` ({id: (username, display name)}) holds at
    least every user those usernames and ids name; names that name nobody are left out."""
    chosen = picked_in_text(text, {uid: people[uid] for uid in picked if uid in people})
    if chosen:
        usernames = find_mentions(text, picked_names=chosen.values()).usernames
    by_username = {username.lower(): uid for uid, (username, _) in people.items()}
    return {by_username[name] for name in usernames if name in by_username} | set(chosen)
