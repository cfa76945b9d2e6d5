"""The search tokeniser in lakeside/domain/text.py: what goes into the index and what a query
becomes, and the property search relies on: a query matches exactly where its text is written."""

from __future__ import annotations

import unicodedata

from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lakeside.domain import text
from lakeside.domain.text import SearchTerm, index_tokens, is_cjk, query_terms


def test_index_tokens_split_cjk_into_bigrams_and_chars() -> None:
    words, chars = index_tokens("我们明天都用钉钉开会")
    assert words.split() == ["我们", "们明", "明天", "天都", "都用", "用钉", "钉钉", "钉开", "开会"]
    assert chars.split() == list("我们明天都用钉钉开会")


def test_index_tokens_mixed_scripts_case_and_width() -> None:
    words, chars = index_tokens("Meeting@10点 用ＤｉｎｇＴａｌｋ！好")
    assert words.split() == ["meeting", "10", "点", "用", "dingtalk", "好"]
    assert chars.split() == ["点", "用", "好"]
    assert index_tokens("!!! ...") == ("", "")


def test_query_terms() -> None:
    assert query_terms("钉钉") == [SearchTerm("phrase", ("钉钉",))]
    assert query_terms("钉") == [SearchTerm("char", ("钉",))]
    assert query_terms("明天开会") == [SearchTerm("phrase", ("明天", "天开", "开会"))]
    assert query_terms('MEET "钉钉"*') == [
        SearchTerm("prefix", ("meet",)),
        SearchTerm("phrase", ("钉钉",)),
    ]
    assert query_terms("ＡＢＣ") == [SearchTerm("prefix", ("abc",))]
    assert query_terms("\"*:'()\\") == []


def _matches(words: list[str], chars: list[str], term: SearchTerm) -> bool:
    """What the engines do with a term (FTS5 phrase/prefix/column match, tsquery <-> and :*)."""
    if term.kind == "char":
        return term.tokens[0] in chars
    if term.kind == "prefix":
        return any(word.startswith(term.tokens[0]) for word in words)
    n = len(term.tokens)
    return any(tuple(words[i : i + n]) == term.tokens for i in range(len(words) - n + 1))


HAN = st.sampled_from("我们明天都用钉钉开会议室好的")
TEXT = st.text(alphabet=st.one_of(HAN, st.sampled_from("ab AB，。 1")), max_size=30)


@given(TEXT, st.data())
def test_any_written_substring_is_found(body: str, data: st.DataObject) -> None:
    """Chinese is found from any character on; other words from their start (prefix search)."""
    words, chars = (stream.split() for stream in index_tokens(body))
    assume(body)
    start = data.draw(st.integers(0, len(body) - 1))
    end = data.draw(st.integers(start + 1, len(body)))

    def latin(char: str) -> bool:
        return char.isalnum() and not is_cjk(char)

    assume(start == 0 or not (latin(body[start - 1]) and latin(body[start])))
    for term in query_terms(body[start:end]):
        assert _matches(words, chars, term), (body, body[start:end], term)


@given(st.lists(HAN, min_size=2, max_size=8), st.lists(HAN, min_size=2, max_size=4))
def test_cjk_phrase_found_only_when_contiguous(body: list[str], query: list[str]) -> None:
    text, wanted = "".join(body), "".join(query)
    words, chars = (stream.split() for stream in index_tokens(text))
    (term,) = query_terms(wanted)
    assert _matches(words, chars, term) == (wanted in text)


def _runs_char_by_char(value: str) -> list[tuple[bool, str]]:
    """The definition the tokenizer's regular expression must agree with: walk the NFKC,
    lower-cased text, a CJK character (``is_cjk``) or an alphanumeric one extends a run of its
    kind, anything else ends the run."""
    runs: list[tuple[bool, str]] = []
    current: list[str] = []
    current_cjk = False
    for char in unicodedata.normalize("NFKC", value).lower():
        kind = True if text.is_cjk(char) else False if char.isalnum() else None
        if kind is None or (current and kind != current_cjk):
            if current:
                runs.append((current_cjk, "".join(current)))
            current = []
        if kind is not None:
            current.append(char)
            current_cjk = kind
    if current:
        runs.append((current_cjk, "".join(current)))
    return runs


_MIXED = st.text(
    alphabet=st.one_of(
        st.characters(),  # anything at all, astral planes included
        st.sampled_from("钉钉来往旺信湖畔ーー・ｶﾀｶﾅＡＢ１２한국어ㄱ𠀀𪚥_-. \t\n!？。，"),
    ),
    max_size=60,
)


@hypothesis_settings(max_examples=3000, deadline=None)
@given(_MIXED)
def test_token_runs_agree_with_the_character_by_character_definition(value: str) -> None:
    assert text._runs(value) == _runs_char_by_char(value)
