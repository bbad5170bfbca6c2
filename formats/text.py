"""Text geometry every layer shares: the CJK character class, where code is, where sentences are, and the
tokenizer-free token estimate. One definition each, so the filters, the report and the training stats agree."""

from __future__ import annotations

import math
import re

# Kana, CJK ideographs (with extension A and compatibility ideographs) and Hangul syllables: text without
# spaces between words, counted per character.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_CHAR = re.compile(f"[{CJK}]")


def has_cjk(text: str) -> bool:
    """`CJK_CHAR.search(text) is not None`; ASCII text (most rows) is answered without scanning it (a class of
    non-ASCII ranges is tested character by character)."""
    return not text.isascii() and CJK_CHAR.search(text) is not None


def run_of(char_class: str, flags: int = 0) -> re.Pattern[str]:
    """`[class]+` compiled as `[class][class]*`: the same matches, but a pattern led by a class is searched with
    re's fast scan for that class, where `[class]+` is tried as a pattern at every position."""
    return re.compile(f"{char_class}{char_class}*", flags)


CJK_RUN = run_of(f"[{CJK}]")
_WORD = re.compile(f"[{CJK}]|[^\\W_]+")
TOKENS_ESTIMATE = "estimate (CJK chars + other chars / 4)"

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
# A sentence ends at . ! ? (and their full-width forms) with closing quotes/brackets (and Markdown's closing ** or
# __: "**Nice one!** A breakdown:" is two sentences), or before a Han character after a word ("…將到期.如需…"),
# or at a line break.
# (Written as its first character, then the rest of the branch that character opens: a pattern led by a character
# class is searched with re's fast prefix scan; the plain alternation was tried at every position.)
_SENTENCE_END = re.compile(r"[.!?。！？…\n](?:(?<=[.!?])[.!?]*[\"'”’)\]*_]*(?=\s|$)"
                           r"|(?<=[^\W\d][.!?])(?=[\u3400-\u9fff])|(?<=[。！？])[。！？]*[”’」』）)]*(?:[*_]+(?=\s|$))?|(?<=…)…*|(?<=\n)\n*)")


def _fence_line(text: str, start: int, fences: tuple[str, ...]) -> tuple[int, int] | None:
    """(line start, fence position) of the first line starting at or after `start` whose first characters other
    than spaces and tabs are one of `fences`: `^[ \t]*(fence)` in MULTILINE, found with str.find."""
    at = start
    while True:
        found = [i for i in (text.find(fence, at) for fence in fences) if i >= 0]
        if not found:
            return None
        pos = min(found)
        line = text.rfind("\n", 0, pos) + 1
        if line >= start and not text[line:pos].strip(" \t"):
            return line, pos
        at = text.find("\n", pos) + 1  # any later fence on this line has something before it
        if not at:
            return None


def code_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of fenced code blocks (an unclosed fence runs to the end): `_FENCE.finditer`'s spans, found line by
    line with str.find (the regex's `^` first is tried at every position and its lazy `.*?` tests the closing line at
    every character after the fence)."""
    if "```" not in text and "~~~" not in text:
        return []
    spans: list[tuple[int, int]] = []
    at = 0
    while True:
        opening = _fence_line(text, at, ("```", "~~~"))
        if opening is None:
            return spans
        start, pos = opening
        fence = text[pos:pos + 3]
        closing = _fence_line(text, pos + 3, (fence,))
        if closing is None:
            end = len(text)
        else:
            end = text.find("\n", closing[1] + 3)
            end = len(text) if end < 0 else end
        spans.append((start, end))
        at = end


def without_code_blocks(text: str, joiner: str = "") -> str:
    """The text with its fenced code blocks cut out (the pieces between them joined by `joiner`)."""
    if "```" not in text and "~~~" not in text:
        return text
    return joiner.join(text[start:end] for start, end in prose_segments(text)) if code_blocks(text) else text


def chars(runs: re.Pattern[str], text: str) -> int:
    """How many characters of text a run pattern (`[class]+`) covers: one match per run, where findall on the
    single class made a new string for every character (most of the cost of counting Han text)."""
    return sum(map(len, runs.findall(text)))


def words(text: str) -> list[str]:
    """Words for alphabetic scripts, single characters for CJK (case-folded)."""
    return _WORD.findall(text.casefold())


# ASCII text: `words` are the runs of letters and digits (casefold is lower, no CJK), counted at C speed by
# mapping every other byte to a space and splitting
_ASCII_NOT_ALNUM = bytes(range(256)).translate(bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256)))
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def word_count(text: str) -> int:
    """`len(words(text))`, without the list of words for ASCII text."""
    if text.isascii():
        return len(text.encode("ascii").translate(_ASCII_NOT_ALNUM).split())
    return len(words(text))


def first_word(text: str) -> str | None:
    """`words(text)[0]`, or None when it has no word."""
    if text.isascii():
        match = _ASCII_WORD.search(text)
        return match.group().lower() if match else None
    found = words(text)
    return found[0] if found else None


def estimate_tokens(text: str) -> int:
    """Tokenizer-free token count: one per CJK character, one per four other characters. Close to BPE
    tokenizers on English and Chinese and free of any model download; a real tokenizer replaces it where given."""
    if text.isascii():
        return math.ceil(len(text) / 4)
    cjk = chars(CJK_RUN, text)
    return cjk + math.ceil((len(text) - cjk) / 4)


def prose_segments(text: str) -> list[tuple[int, int]]:
    """The spans between fenced code blocks."""
    spans, start = [], 0
    for begin, end in code_blocks(text):
        if begin > start:
            spans.append((start, begin))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def inline_code(text: str) -> list[tuple[int, int]]:
    """Spans of `inline code` (the same spans `mask_inline_code` blanks)."""
    return [m.span() for m in _INLINE_CODE.finditer(text)] if "`" in text else []


def mask_inline_code(text: str) -> str:
    """Same length, inline code replaced by spaces, so matchers never look inside it."""
    if "`" not in text:
        return text
    return _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (stripped of surrounding whitespace) of the prose; code blocks are never inside one."""
    spans: list[tuple[int, int]] = []
    for seg_start, seg_end in prose_segments(text):
        start = seg_start
        for match in _SENTENCE_END.finditer(text, seg_start, seg_end):
            spans.append((start, match.end()))
            start = match.end()
        spans.append((start, seg_end))
    out = []
    for start, end in spans:
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((start + lead, start + lead + len(stripped)))
    return out
