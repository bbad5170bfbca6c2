"""Offline language guessing, one guesser for the wrong-language check and the report's language mix, cheap
checks first.

Most rows are decided by script alone (Han vs Latin vs Kana vs Hangul …) or, for Latin text, by a share of
English function words; only the rest goes to py3langid (a maintained fork of langid.py that ships its own
model, ~2–3k texts/s here, too slow to run on every row). Code (fenced and inline), URLs and e-mail
addresses are removed first, and short prose returns None: a guess on 10 letters is noise, not a fact.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from formats.text import chars, run_of, without_code_blocks

_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URLISH = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
# Character classes as runs (counted by chars(): one match per run, not a new string per character)
_HAN = run_of(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA = run_of(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = run_of(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN = run_of(r"[A-Za-z\u00c0-\u024f]")
_ASCII_LETTER = run_of(r"[A-Za-z]")
_LETTER = run_of(r"[^\W\d_]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f']+")
# Frequent English function words: in English prose they are a third of the words, in other Latin-script
# languages (fr, de, es, pt, it, nl …) almost none of them occur.
_EN_FUNCTION_WORDS = (
    "the and of to is are was were in that for it with as on be this you your an or by from at what how which "
    "can not have has will if do does they their there these those its about into than then should would could "
    "been being we our my me he she his her them who when where why all any each some more most also only but "
    "so such no yes give write list describe explain name make find create generate").split()


def word_trie(words: list[str]) -> str:
    """A regex for exactly these words, as a trie (alternatives grouped by their first letter, recursively): re
    tries a flat alternation's every word at each word start, the trie only the words that share a prefix."""
    groups: dict[str, list[str]] = {}
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
    branches = [re.escape(first) + word_trie(rest) for first, rest in sorted(groups.items())]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in words else body


_EN_FUNCTION = re.compile(rf"\b{word_trie(_EN_FUNCTION_WORDS)}\b")
# ASCII text: `\b<word>\b` matches where a run of word characters ([a-z0-9_] once lower-cased) is the word, so the
# runs are cut out at C speed (every other byte made a space, then split) and looked up in a set: 40k → 25k
# instructions a 300-character text, where re tried the trie at every position
_EN_FUNCTION_BYTES = frozenset(word.encode() for word in _EN_FUNCTION_WORDS)
_NON_WORD_TO_SPACE = bytes(c if chr(c).isascii() and (chr(c).isalnum() or chr(c) == "_") else 32 for c in range(256))
_CODE_BYTES = b"{}()[];=<>_/\\#*$|&^%+"
_ASCII_NON_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())
SAMPLE_CHARS = 600  # the language of a text is that of its beginning; longer texts cost no more to guess

_CODE_CHARS = run_of(r"[{}()\[\];=<>_/\\#*$|&^%+]")
EN_SHARE = 0.08  # share of English function words from which Latin text is English without asking the model
CJK_WEIGHT = 3  # a Han character carries about as much as three Latin letters
CODE_SHARE = 0.07  # share of code punctuation among non-space characters above which text is code, not prose


# The classes non-ASCII text is counted in, one bit each in a table over every code point, made from the very
# patterns (a code point has bit k when _COUNTED[k] matches it): one table lookup and one bincount per text count
# them all, where each class was a regex pass over the text (~30 µs of a Chinese row's guess for its five).
_COUNTED = (_HAN, _KANA, _HANGUL, _LATIN, _LETTER, _CODE_CHARS)
_TABLE_FROM = 960  # characters of a text from which one class is counted by the table (a few µs of numpy calls);
# several classes at once pay from fewer characters each (this over their number)


@lru_cache(maxsize=1)
def _class_bits() -> tuple[np.ndarray, np.ndarray]:
    """(the bits of every code point, (64 × classes) matrix: whether a bits value has each class)."""
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    bits = np.zeros(0x110000, dtype=np.uint8)
    for k, runs in enumerate(_COUNTED):
        for match in runs.finditer(every):
            bits[match.start():match.end()] |= 1 << k
    has = np.array([[value >> k & 1 for k in range(len(_COUNTED))] for value in range(1 << len(_COUNTED))],
                   dtype=np.int64)
    return bits, has


def class_counts(text: str) -> list[int]:
    """`[chars(pattern, text) for pattern in _COUNTED]`, from the table."""
    bits, has = _class_bits()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return (np.bincount(bits[points], minlength=len(has)) @ has).tolist()


def _count(text: str, ascii_bytes: bytes, pattern: re.Pattern[str], keep: bool = True) -> int:
    """How many characters of text are in the class: bytes.translate for ASCII text (C speed), else the class
    table (classes of _COUNTED) or a regex."""
    if text.isascii():
        raw = text.encode("ascii")
        removed = len(raw) - len(raw.translate(None, ascii_bytes))
        return removed if keep else len(raw) - removed
    if keep and pattern is _CODE_CHARS:
        # code characters are ASCII: one byte each in UTF-8, where every byte of any other character is ≥ 0x80, so
        # the bytes count them (a regex pass made a string per run, ~2× the instructions)
        raw = text.encode("utf-8", "surrogatepass")
        return len(raw) - len(raw.translate(None, ascii_bytes))
    if len(text) >= _TABLE_FROM and pattern in _COUNTED:
        return class_counts(text)[_COUNTED.index(pattern)]
    return chars(pattern, text)


def looks_like_code(text: str) -> bool:
    """Unfenced code (GPTeacher answers often are) has many brackets and operators; prose has few."""
    visible = len(text) - text.count(" ") - text.count("\n")
    return visible > 0 and _count(text, _CODE_BYTES, _CODE_CHARS) / visible >= CODE_SHARE


def plainly_english(text: str) -> bool:
    """Cheapest test: its first 300 characters are prose with English function words (no model, no counts)."""
    head = text[:300]
    return "`" not in head and "=" not in head and _english_share(head) >= 2 * EN_SHARE


def _english_share(text: str) -> float:
    words = text.split()
    if not words:
        return 0.0
    low = text.lower()
    if low.isascii():
        runs = low.encode().translate(_NON_WORD_TO_SPACE).split()
        return sum(map(_EN_FUNCTION_BYTES.__contains__, runs)) / len(words)
    return len(_EN_FUNCTION.findall(low)) / len(words)


def prose(text: str) -> str:
    """The text without code blocks, inline code, URLs and e-mail addresses."""
    text = without_code_blocks(text, "\n")
    if "`" in text:
        text = _INLINE_CODE.sub(" ", text)
    if "://" in text or "www." in text or "@" in text:
        text = _URLISH.sub(" ", text)
    if looks_like_code(text):
        return ""  # mostly unfenced code (GPTeacher answers often are): no prose to judge
    if "\n    " in text or "\n\t" in text or ";\n" in text or "{\n" in text:
        # prose around unfenced code: indented lines and lines dense with brackets and operators are not prose
        text = "\n".join(line for line in text.split("\n")
                          if not line.startswith(("    ", "\t")) and not looks_like_code(line))
    return text


# Languages py3langid may answer with: the ones SFT data is written in. Left open, it labels short English
# or code as Asturian, Pidgin or Wu Chinese; a closed list keeps its guesses to languages users have.
LANGUAGES = ("en", "zh", "ja", "ko", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "pl", "cs", "sv", "da", "no",
             "fi", "tr", "ar", "fa", "he", "hi", "vi", "th", "id", "ms", "el", "hu", "ro")
MIN_CONFIDENCE = 0.9  # py3langid's normalised probability below which the answer is "unknown"


@lru_cache(maxsize=1)
def _identifier():  # noqa: ANN202 - py3langid is untyped
    """py3langid's model (a few MB, shipped in its wheel); loaded on first use, as most rows never need it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@lru_cache(maxsize=4096)
def _langid_scored(text: str) -> tuple[str, float]:
    lang, confidence = _identifier().classify(text)
    return str(lang), float(confidence)


def _langid(text: str) -> str | None:
    lang, confidence = _langid_scored(text)
    return lang if confidence >= MIN_CONFIDENCE else None


def guess_scored(text: str, min_letters: int = 24) -> tuple[str | None, float]:
    """`guess` with a confidence in [0, 1], for checks that must only act on a sure guess (and say how sure):
    script evidence (Han, Kana, Hangul against Latin) is certain; English by function words scores by their
    share (a third of English words, almost none elsewhere); anything else is py3langid's probability."""
    lang = guess(text, min_letters)
    if lang is None:
        return None, 0.0
    sample = prose(text[:SAMPLE_CHARS])
    if lang in ("zh", "ja", "ko"):
        return lang, 1.0
    if lang == "en":
        share = _english_share(sample)
        return lang, round(min(1.0, share / 0.25), 3)  # 25% function words and up: certain
    _, confidence = _langid_scored(sample)
    return lang, round(confidence, 3)


def guess(text: str, min_letters: int = 24) -> str | None:
    """An ISO 639-1 code, "zh" for Han text, or None where there is too little prose to tell."""
    text = prose(text[:SAMPLE_CHARS])
    if text.isascii():
        if len(text) < min_letters:
            return None
        letters = _count(text, _ASCII_NON_LETTERS, _ASCII_LETTER, keep=False)
        if letters < min_letters:
            return None
        if _english_share(text) >= EN_SHARE:
            return "en"
        # Without script evidence the model needs more text: twice the floor.
        return _langid(text) if letters >= 2 * min_letters else None
    counts = class_counts(text) if len(text) >= _TABLE_FROM // len(_COUNTED) else None
    han = counts[0] if counts else chars(_HAN, text)
    if han * CJK_WEIGHT >= 0.5 * CJK_WEIGHT * len(text):
        return "zh"  # at least half of all characters are Han: nothing else to count
    kana, hangul, latin, letters = counts[1:5] if counts else (
        chars(_KANA, text), chars(_HANGUL, text), chars(_LATIN, text), chars(_LETTER, text))
    other = max(0, letters - han - kana - hangul - latin)
    weighted = CJK_WEIGHT * (han + kana + hangul) + latin + other
    if weighted < min_letters:
        return None
    if kana * CJK_WEIGHT >= 0.1 * weighted:
        return "ja"
    if hangul * CJK_WEIGHT >= 0.3 * weighted:
        return "ko"
    if han * CJK_WEIGHT >= 0.25 * weighted:
        return "zh"  # Chinese prose with English names and terms in it is still Chinese to its reader
    if latin >= 0.6 * weighted and _english_share(text) >= EN_SHARE:
        return "en"
    return _langid(text) if weighted >= 2 * min_letters else None
