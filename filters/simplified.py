"""Traditional Chinese read as simplified, one character for one (OpenCC's t2s table), so that the rules, the
vocabularies and the edge model, written and trained mostly in simplified Chinese, read 繁體 text the same way
("如需進一步協助，請隨時告訴我。" is the closer "如需进一步协助，请随时告诉我。"). One character for one keeps every
offset: a cut found in the simplified reading is made at the same place in the text as written (`carried`)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache

import opencc

# the CJK ideograph blocks (extension A, unified, compatibility): every character t2s maps to one other character
_BLOCKS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


@cache
def _table() -> tuple[dict[int, str], re.Pattern[str]]:
    """t2s character by character (its phrase table would change lengths), and the class of characters it maps."""
    convert = opencc.OpenCC("t2s").convert
    table: dict[int, str] = {}
    for start, stop in _BLOCKS:
        for code in range(start, stop):
            char = chr(code)
            out = convert(char)
            if out != char and len(out) == 1:
                table[code] = out
    return table, re.compile("[" + "".join(map(chr, sorted(table))) + "]")


def simplified(text: str) -> str:
    """The text with every traditional character read as its simplified form; the same string when it has none."""
    if text.isascii():
        return text  # most rows: no scan, and the table is not built
    table, traditional = _table()
    return text.translate(table) if traditional.search(text) else text


def carried(written: str, read: str, kept: str) -> str:
    """`kept` is `read` (the simplified reading of `written`, same length) with parts cut out: the same cuts made in
    `written`, so the text keeps its own script. What `kept` has that `read` has not (an upper-cased first letter)
    is taken from `kept`."""
    if written == read:
        return kept
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, read, kept, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(written[i1:i2])
        elif tag != "delete":
            out.append(kept[j1:j2])
    return "".join(out)
