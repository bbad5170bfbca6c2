"""The text normalisation that duplicate detection compares: HTML entities decoded (in any case), thousands
separators dropped, NFKC, case-folded, punctuation and whitespace collapsed to one space; digits kept as ASCII.

Digits are kept because in SFT data a different number is a different example (maths, conversions, dates, code
constants): folding them to 0, as web dedup does, merged 200 word problems into one. `digits="fold"` gives
template dedup (every number becomes one 0). Only a number's formatting is normalised: full-width and other-script
digits become ASCII; `10,000`, `10_000`, `10'000` and `１０，０００` become `10000` (a space stays a space: "10 000"
is as often two numbers).

`normalise_for_dedup` is the definition, one text at a time. `normalise_many` gives the same strings for a whole
batch about 5× faster (it was most of the cost of dedup): the batch is joined into one string, punctuation and
digits are mapped through a per-code-point table in numpy instead of a regex, and NFKC — the slow step — runs
only on the rows that still need it once CJK/full-width punctuation (which ends up a space either way) is
blanked out.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from itertools import chain
from typing import Literal

import numpy as np

_PUNCT_SPACE = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")
_ALL_PUNCT = re.compile(r"[\W_]*")
_SPACE, _ZERO = 32, 48
_TABLES: dict[str, np.ndarray] = {}
# a named or numeric entity; the `;` is optional as in HTML (legacy `&copy2023`)
_ENTITY = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});?")
# a thousands separator (after NFKC, so full-width ones too): between a digit and exactly three digits
_SEPARATORS = ",_'\u066c"
_SEPARATOR_CODES = np.array([ord(c) for c in _SEPARATORS], dtype=np.uint32)
_THOUSANDS = re.compile(rf"(?<=[0-9])[{_SEPARATORS}](?=[0-9]{{3}}(?![0-9]))")
_DIGIT_RUN = re.compile(r"[0-9]+")
Digits = Literal["keep", "fold"]


@functools.lru_cache(maxsize=4096)
def _unescape(entity: str) -> str:
    """html.unescape knows `&QUOT;` but not `&NBSP;` or `&APOS;`: retry lower-cased, so the case never matters."""
    text = html.unescape(entity)
    return html.unescape(entity.lower()) if text == entity else text


def _entity(match: re.Match[str]) -> str:
    return _unescape(match.group())


def _ascii_digit(char: str) -> str:
    """٣ → 3, ３ → 3 (a digit `re` knows but `unicodedata` does not stays itself)."""
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def _entities(text: str) -> str:
    """Entities decoded, twice (`&amp;quot;`)."""
    return _ENTITY.sub(_entity, _ENTITY.sub(_entity, text)) if "&" in text else text


def normalise_for_dedup(text: str, digits: Digits = "keep") -> str:
    """Entities decoded, thousands separators dropped, NFKC, case-folded, punctuation and whitespace collapsed
    to one space, digits as ASCII (or every number → 0 with `digits="fold"`)."""
    text = unicodedata.normalize("NFKC", _entities(text)).casefold()
    text = _DIGIT.sub(lambda m: _ascii_digit(m.group()), text)
    text = _PUNCT_SPACE.sub(" ", _THOUSANDS.sub("", text))
    if digits == "fold":
        text = _DIGITS.sub("0", text)
    return text.strip()


def numbers_of(normalised: str) -> tuple[str, ...]:
    """The multiset (sorted tuple) of digit runs of a normalised text: two rows whose numbers differ are
    different examples, whatever their word overlap."""
    return tuple(sorted(_DIGIT_RUN.findall(normalised)))


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(code_points: np.ndarray) -> str:
    return code_points.tobytes().decode("utf-32-le", "surrogatepass")


def _tables() -> dict[str, np.ndarray]:
    """Per-code-point tables, built once per process from the same regexes as the definition."""
    if not _TABLES:
        # every code point, surrogates included: the same string as "".join(map(chr, range(0x110000))), made
        # without a million one-character strings (that took ~1-2 s and ~98 MB at its peak, in every process)
        every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
        nonword = _code_points(_PUNCT_SPACE.sub(lambda m: "\x00" * len(m.group()), every)) == 0
        digit = np.flatnonzero(_code_points(_DIGIT.sub("\x00", every)) == 0)[1:]  # [0] is NUL itself
        final = np.arange(0x110000, dtype=np.uint32)
        final[nonword], final[0] = _SPACE, 0  # NUL stays: it separates the rows
        final[digit] = [ord(_ascii_digit(chr(cp))) for cp in digit]
        # CJK and full-width punctuation that NFKC turns into punctuation only: blanking it before NFKC changes
        # nothing in the result (it becomes a space either way) and spares NFKC most Chinese rows.
        blank = np.zeros(0x110000, dtype=bool)
        pre = np.full(0x110000, _SPACE, dtype=np.uint32)  # what a blanked code point becomes
        for cp in chain(range(0x3000, 0x3040), range(0xFF01, 0xFF66)):
            char = chr(cp)
            folded = unicodedata.normalize("NFKC", char).casefold()
            blank[cp] = bool(nonword[cp] and not unicodedata.combining(char) and _ALL_PUNCT.fullmatch(folded))
            if blank[cp] and folded in _SEPARATORS:  # "１，０００": the comma must reach the separator check
                pre[cp] = ord(folded)
        _TABLES.update(keep=final, blank=blank, pre=pre)
    return _TABLES


def normalise_many(texts: Sequence[str], digits: Digits = "keep") -> list[str]:
    """`normalise_for_dedup` of every text (the same strings; tested), at batch speed."""
    joined = "\x00".join(texts)
    if not texts or joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: the separator is ambiguous
        return [normalise_for_dedup(t, digits) for t in texts]
    tables = _tables()
    if "&" in joined:  # row by row: rebuilding the joined batch cost more than decoding (an entity makes no NUL)
        joined = "\x00".join([_entities(t) if "&" in t else t for t in texts])
    if not joined.isascii():
        code_points = _code_points(joined)
        blank = tables["blank"][code_points]
        if blank.any():
            code_points = code_points.copy()
            code_points[blank] = tables["pre"][code_points[blank]]
            joined = _text(code_points)
        if not unicodedata.is_normalized("NFKC", joined):
            joined = "\x00".join(row if unicodedata.is_normalized("NFKC", row) else unicodedata.normalize("NFKC", row)
                                 for row in joined.split("\x00"))
    code_points = _code_points(joined.casefold())
    mapped = tables["keep"][code_points]
    digit = np.flatnonzero((mapped - np.uint32(_ZERO)) <= 9)  # ASCII digits by now (uint32: below 0 wraps)
    after = digit[digit + 1 < len(mapped)] + 1
    lone = after[np.isin(code_points[after], _SEPARATOR_CODES)]
    if len(lone):  # _THOUSANDS, vectorised: a digit, a separator, exactly three digits
        spots = lone[:, None] + np.arange(1, 5)
        ahead = ((mapped[np.minimum(spots, len(mapped) - 1)] - np.uint32(_ZERO)) <= 9) & (spots < len(mapped))
        lone = lone[ahead[:, :3].all(axis=1) & ~ahead[:, 3]]
        if len(lone):
            keep = np.ones(len(mapped), dtype=bool)
            keep[lone] = False
            mapped = mapped[keep]
    space = mapped == _SPACE
    gone = np.zeros_like(space)
    gone[1:] = space[1:] & space[:-1]
    if digits == "fold":  # a run of digits is one 0
        zero = (mapped - np.uint32(_ZERO)) <= 9
        mapped[zero] = _ZERO
        gone[1:] |= zero[1:] & zero[:-1]
    return [row.strip() for row in _text(mapped[~gone]).split("\x00")]
