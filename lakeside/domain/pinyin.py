"""Search keys for the directory: a name, its full pinyin and its initials, in lower case.

``张三`` gets the key ``张三 zhangsan zs``, so that a LIKE on the stored key finds the person by
any of the three, as DingTalk's directory does. Latin names keep their words and get initials
too (``Alice Chen`` -> ``alice chen alicechen ac``).

Chinese characters often have several readings, and a surname is read its own way: 单 is
``dan`` in words but ``shan`` as a surname, 曾 ``ceng`` / ``zeng``, 解 ``jie`` / ``xie``. The
first reading of the key takes the surname's reading for the name's first character (or its
first two, for compound surnames such as 尉迟 ``yuchi``), from ``SURNAMES`` below: pypinyin
(0.55) has no surname mode of its own. Every other reading of each character that pypinyin
knows (its heteronyms) is indexed too, as further spellings after the first, so that ``sl``,
``dl`` and ``shanlei`` all find 单磊, whichever reading the searcher has in mind. The spellings
are bounded (``MAX_SPELLINGS``): a name of many polyphonic characters gets its main reading,
each one-character variation of it, then as many mixed ones as fit.

``KEY_VERSION`` names these rules; the migration that recomputes stored keys (0007) runs them.
"""

from __future__ import annotations

import functools
import itertools
import re

KEY_VERSION = 2
_WORD = re.compile(r"[a-z0-9]+")
MAX_KEY = 500  # org_members and external_contacts keep 512 characters
DEPARTMENT_KEY = 250  # departments keep 256
MAX_SPELLINGS = 12

# Surnames read otherwise than their most common reading (and compound surnames), in pypinyin's
# plain style. A name starting with one of these reads it so first; its other readings follow.
SURNAMES: dict[str, str] = {
    "万俟": "moqi",
    "尉迟": "yuchi",
    "单于": "chanyu",
    "澹台": "tantai",
    "长孙": "zhangsun",
    "令狐": "linghu",
    "宇文": "yuwen",
    "皇甫": "huangfu",
    "司马": "sima",
    "上官": "shangguan",
    "欧阳": "ouyang",
    "东方": "dongfang",
    "诸葛": "zhuge",
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "尉": "yu",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "秘": "bi",
    "繁": "po",
    "任": "ren",
    "员": "yun",
    "召": "shao",
    "句": "gou",
    "能": "nai",
    "种": "chong",
    "重": "chong",
    "贲": "ben",
    "隗": "wei",
    "祭": "zhai",
    "宓": "fu",
    "逄": "pang",
    "郇": "huan",
    "眭": "sui",
    "谌": "chen",
    "厍": "she",
    "折": "she",
    "薄": "bo",
    "柏": "bai",
    "沈": "shen",
    "华": "hua",
    "冼": "xian",
    "燕": "yan",
    "纪": "ji",
    "黑": "he",
    "幺": "yao",
    "卜": "bu",
    "藏": "zang",
    "过": "guo",
    "訾": "zi",
    "阚": "kan",
    "臧": "zang",
    "洗": "xian",
    "侯": "hou",
    "那": "na",
    "颉": "xie",
    "蕃": "pi",
    "莘": "shen",
}


@functools.lru_cache(maxsize=8192)
def _readings(char: str) -> tuple[str, ...]:
    """Every plain-style reading pypinyin knows for one character; none for a non-Han one."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings: list[str] = []
    for reading in found[0] if found else []:
        word = "".join(_WORD.findall(reading.lower()))
        if word and word not in readings:
            readings.append(word)
    return tuple(readings)


def _positions(lowered: str) -> list[list[str]]:
    """The name as positions, each a list of spellings, the one to read first first: a Latin
    word is one position of one spelling; a Han character is one position of its readings."""
    # pypinyin's dictionaries cost ~1.5 s and ~55 MiB to load: only when a name is first keyed.
    from pypinyin import Style, lazy_pinyin

    positions: list[list[str]] = []
    han = ""

    def flush() -> None:
        nonlocal han
        if not han:
            return
        # Phrase-aware main readings (重庆 is chongqing), one per character of the run.
        main = [("".join(_WORD.findall(s.lower())) or s) for s in lazy_pinyin(han, style=Style.NORMAL)]
        if len(main) != len(han):
            main = [(_readings(c) or ("",))[0] for c in han]
        for char, first in zip(han, main, strict=True):
            readings = _readings(char)
            positions.append([first, *(r for r in readings if r != first)])
        han = ""

    other = ""
    for char in lowered:
        if _readings(char):
            if other:
                positions.extend([word] for word in _WORD.findall(other))
                other = ""
            han += char
        else:
            flush()
            other += char
    flush()
    positions.extend([word] for word in _WORD.findall(other))
    return positions


def _with_surname(lowered: str, positions: list[list[str]]) -> list[list[str]]:
    """The surname's reading first for the name's first one or two characters."""
    for surname in (lowered[:2], lowered[:1]):
        reading = SURNAMES.get(surname)
        if reading is None or len(positions) < len(surname):
            continue
        if len(surname) == 1:
            positions[0] = [reading, *(r for r in positions[0] if r != reading)]
        else:
            # A compound surname's two readings, split where the first character's reading ends.
            first = next((r for r in positions[0] if reading.startswith(r)), None)
            if first is not None and reading[len(first) :] in positions[1] + [reading[len(first) :]]:
                second = reading[len(first) :]
                positions[0] = [first, *(r for r in positions[0] if r != first)]
                positions[1] = [second, *(r for r in positions[1] if r != second)]
        break
    return positions


def _spellings(positions: list[list[str]]) -> list[list[str]]:
    """The main spelling, each one-position variation, then mixed ones, up to MAX_SPELLINGS."""
    main = [choices[0] for choices in positions]
    spellings = [main]
    for index, choices in enumerate(positions):
        for other in choices[1:]:
            spellings.append([*main[:index], other, *main[index + 1 :]])
    for combination in itertools.islice(itertools.product(*positions), MAX_SPELLINGS * 4):
        spellings.append(list(combination))
    unique: list[list[str]] = []
    for spelling in spellings:
        if spelling not in unique:
            unique.append(spelling)
        if len(unique) == MAX_SPELLINGS:
            break
    return unique


def _name_parts(name: str) -> tuple[list[str], list[str]]:
    """(the name, its main full pinyin and initials), (the other readings' full pinyin and
    initials)."""
    lowered = " ".join(name.lower().split())
    positions = _with_surname(lowered, _positions(lowered))
    parts = [lowered] if lowered else []
    spellings = _spellings(positions) if positions else []
    for index, spelling in enumerate(spellings):
        full = "".join(spelling)
        initials = "".join(s[0] for s in spelling if s)
        for extra in (full, initials):
            if extra and extra not in parts:
                parts.append(extra)
        if index == 0:
            main_count = len(parts)
    return (parts[:main_count], parts[main_count:]) if spellings else (parts, [])


def name_key(name: str) -> str:
    """``name full-pinyin initials`` in lower case, words separated by one space; then the other
    readings' full pinyin and initials (see the module's docstring)."""
    main, others = _name_parts(name)
    return " ".join(main + others)


def search_key(*values: str | None, limit: int = MAX_KEY) -> str:
    """One key over several fields (the first is the name; the rest are matched as they are),
    at most ``limit`` characters (the column's size). The name's other readings come last, so
    that a long key loses those first."""
    name, *rest = values
    main, others = _name_parts(name or "")
    parts = [*main, *(value.lower() for value in rest if value), *others]
    return " ".join(part for part in parts if part)[:limit]


def like_pattern(query: str) -> str:
    """A LIKE pattern that finds ``query`` anywhere in a key, with wildcards escaped (use ESCAPE '\\')."""
    term = " ".join(query.lower().split())
    term = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{term}%"
