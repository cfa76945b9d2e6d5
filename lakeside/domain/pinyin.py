"""Search keys for the directory: a name, its full pinyin and its initials, in lower case.

``张三`` gets the key ``张三 zhangsan zs``, so that a LIKE on the stored key finds the person by
any of the three, as DingTalk's directory does. Latin names keep their words and get initials
too (``Alice Chen`` -> ``alice chen alicechen ac``). Polyphonic characters use pypinyin's
most common reading; every reading of a surname would multiply keys for little gain.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
MAX_KEY = 500


def name_key(name: str) -> str:
    """``name full-pinyin initials`` in lower case, words separated by one space."""
    # pypinyin's dictionaries cost ~1.5 s and ~55 MiB to load: only when a name is first keyed.
    from pypinyin import Style, lazy_pinyin

    lowered = " ".join(name.lower().split())
    syllables: list[str] = []
    for chunk in lazy_pinyin(lowered, style=Style.NORMAL, errors="default"):
        syllables.extend(_WORD.findall(chunk.lower()))
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables)
    parts = [lowered]
    for extra in (full, initials):
        if extra and extra not in parts:
            parts.append(extra)
    return " ".join(parts)


def search_key(*values: str | None) -> str:
    """One key over several fields (the first is the name; the rest are matched as they are)."""
    name, *rest = values
    parts = [name_key(name or "")]
    parts.extend(value.lower() for value in rest if value)
    return " ".join(part for part in parts if part)[:MAX_KEY]


def like_pattern(query: str) -> str:
    """A LIKE pattern that finds ``query`` anywhere in a key, with wildcards escaped (use ESCAPE '\\')."""
    term = " ".join(query.lower().split())
    term = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{term}%"
