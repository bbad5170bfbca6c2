"""Where code is in a text, and where its sentences are: the shared geometry of repair and slop rules."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
# A sentence ends at . ! ? (and their full-width forms) with closing quotes/brackets, or at a line break.
_SENTENCE_END = re.compile(r"(?:[.!?]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』）)]*|…+|\n+)")


def code_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of fenced code blocks (an unclosed fence runs to the end)."""
    return [m.span() for m in _FENCE.finditer(text)] if "```" in text or "~~~" in text else []


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
