"""Text repair: mojibake, entities and control characters (ftfy), whitespace, leftover tags — every change logged.

ftfy runs with a conservative configuration: no character-width folding and no quote uncurling, which
would turn Chinese full-width punctuation (，。：) and curly quotes into ASCII and damage good data.
"""

from __future__ import annotations

import html
import re
import re._constants as sre_constants  # re's own parser: reads ftfy's badness regex (_badness_anchors)
import re._parser as sre_parser

import ftfy
from ftfy.badness import BADNESS_RE, is_bad

from formats.text import mask_inline_code, prose_segments

FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False, fix_character_width=False, uncurl_quotes=False, fix_latin_ligatures=False,
    normalization="NFC", explain=False)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TRAILING_SPACE = re.compile(r"[ \t][ \t]*$", re.MULTILINE)  # led by a class: re scans for it
_MANY_BLANKS = re.compile(r"\n\n\n+")  # a literal prefix: re finds it with a fast scan
_TAG = re.compile(r"</?(?:p|div|span|font|b|i|u|strong|em|br|li|ul|ol|h[1-6]|a|table|tr|td|center)"
                  r"(?:\s+[^<>]*)?/?>", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


# Mojibake of UTF-8 read as Latin-1/cp1252 always holds one of \u0080-\u00ff (its lead bytes: Ã, â, Â …), read as
# cp1251 Cyrillic, read as cp437 box drawing: text without any of them is not worth ftfy's big badness regex.
_MOJIBAKE_HINT = re.compile("[\u0080-\u00ff\u0400-\u045f\u2500-\u257f]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


# Any character that one of the repairs below could act on; a field without one is left alone at once.
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff\u0400-\u045f\u2500-\u257f\ud800-\udfff\ufffd&<\r"
                      "\u200b-\u200d\u2060\ufeff]")
# Zero-width characters: a space or joiner nobody sees splits a word for every matcher, tokenizer and dedup key.
# U+200B / U+2060 / U+FEFF go everywhere; the joiners U+200C / U+200D only between letters (they build emoji
# sequences like 👨‍👩‍👧, which stay).
# (Written led by one class of all five, so re scans for them: a joiner is then checked to stand between letters.)
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u200c\u200d]"
                         "(?:(?<=[\u200b\u2060\ufeff])|(?<=[^\\W\\d_][\u200c\u200d])(?=[^\\W\\d_]))")
# Half of a UTF-16 pair with no other half: no encoding can write it, and it hides sentence boundaries.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# _SUSPECT's ASCII characters: ASCII text (most rows) is tested with bytes.translate, twice as cheap as the scan
_ASCII_SUSPECT = bytes(c for c in range(128) if _SUSPECT.match(chr(c)))


def is_clean(text: str) -> bool:
    """True when no repair can change the text: the common case, decided with one scan."""
    if text.isascii():
        if len(text.encode("ascii").translate(None, _ASCII_SUSPECT)) != len(text):
            return False
    elif _SUSPECT.search(text) is not None:
        return False
    return _whitespace_ok(text)


def _whitespace_ok(text: str) -> bool:
    return " \n" not in text and "\t\n" not in text and "\n\n\n" not in text and text == text.strip()


def _class_of(item: tuple) -> set[int] | None:
    """The code points one element of a parsed regex matches, when it is a literal or a class of literals/ranges."""
    op, av = item
    if op is sre_constants.LITERAL:
        return {av}
    if op is not sre_constants.IN:
        return None
    points: set[int] = set()
    for kind, value in av:
        if kind is sre_constants.LITERAL:
            points.add(value)
        elif kind is sre_constants.RANGE:
            points.update(range(value[0], value[1] + 1))
        else:
            return None  # a category (\\s, \\w) or a negated class
    return points


def _context_free(node: object) -> bool:
    """No element of the parsed regex looks outside its match (lookarounds, \\b, $, backreferences): it then matches
    the same within text[start:end] searched with pos/endpos as within the whole text. `^` (the real start) may stay."""
    if isinstance(node, sre_parser.SubPattern):
        return all(map(_context_free, node.data))
    if isinstance(node, tuple) and len(node) == 2 and isinstance(node[0], sre_constants._NamedIntConstant):
        op, av = node
        if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.GROUPREF,
                  sre_constants.GROUPREF_EXISTS, sre_constants.GROUPREF_IGNORE):
            return False
        if op is sre_constants.AT:
            return av in (sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING)
        return _context_free(av)
    if isinstance(node, (tuple, list)):
        return all(map(_context_free, node))
    return True


def _badness_anchors() -> tuple[re.Pattern[str], int] | None:
    """(a class holding, for every branch of ftfy's BADNESS_RE, the characters of one of its non-ASCII elements;
    the longest a match can be), or None when some branch has no such element or no bound. Every match then holds
    an anchor character, so it lies within that many characters of one: is_bad is searched only there."""
    tree = sre_parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    if len(tree.data) != 1 or tree.data[0][0] is not sre_constants.BRANCH or not _context_free(tree) \
            or BADNESS_RE.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    anchors: set[int] = set()
    longest = 0
    for branch in tree.data[0][1][1]:
        longest = max(longest, branch.getwidth()[1])
        classes = [c for c in map(_class_of, branch.data) if c and min(c) >= 0x80]
        if not classes:
            return None
        anchors |= min(classes, key=len)
    if longest > 16:
        return None
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(anchors)) + "]"), longest


_ANCHORS = _badness_anchors()


def _is_bad(text: str) -> bool:
    """ftfy's is_bad(text), searched only around its anchor characters (a few in a long text): the whole regex is
    tried at every position, ~0.2 ms a Chinese answer with one '°' or '×' in it. `pos`/`endpos` leave `^` at the
    real start and the pattern looks at nothing outside its match, so a match is found in a window iff it is one."""
    if _ANCHORS is None:
        return is_bad(text)
    anchors, longest = _ANCHORS
    start = end = -1  # the window being gathered: anchors this close share one search
    for match in anchors.finditer(text):
        at = match.start()
        if at - longest + 1 > end:
            if end >= 0 and BADNESS_RE.search(text, start, end) is not None:
                return True
            start = max(0, at - longest + 1)
        end = at + longest
    return end >= 0 and BADNESS_RE.search(text, start, end) is not None


def needs_ftfy(text: str) -> bool:
    """Cheap check first: most rows are clean, and ftfy is the slowest thing in the chain (entities are
    unescape_entities' job, outside code only)."""
    if text.isascii():
        return bool(_CONTROL.search(text))
    # ftfy's badness check is a large regex: only text with characters mojibake is made of needs it
    return bool(_CONTROL.search(text)) or "\ufffd" in text or (bool(_MOJIBAKE_HINT.search(text)) and _is_bad(text))


def fix_encoding(text: str) -> str:
    """ftfy where the text needs it; lone surrogates (half a UTF-16 pair from broken JSON) are removed first."""
    if not text.isascii() and _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub("", text)
    return ftfy.fix_text(text, FTFY_CONFIG) if needs_ftfy(text) else text


def unescape_entities(text: str) -> str:
    """HTML entities (&lt; &#39; &QUOT; …, any case) in prose become the characters they name; code blocks and
    inline code keep theirs (`&lt;` in a snippet about HTML is the content). ftfy does not do this where the
    text also holds a '<', so it is done here for every row, with its own rule id in the ledger."""
    if "&" not in text or not _ENTITY.search(text):
        return text
    parts, last = [], 0
    for start, end in prose_segments(text):
        parts.append(text[last:start])
        prose = text[start:end]
        masked = mask_inline_code(prose)
        out, pos = [], 0
        for m in _ENTITY.finditer(masked):
            entity = m.group(0)
            char = html.unescape(entity)
            if char == entity and not entity.startswith("&#"):
                char = html.unescape(entity.lower())  # &QUOT; &Amp; … : named entities in the wrong case
            out.append(prose[pos:m.start()])
            out.append(char if char != entity.lower() else entity)
            pos = m.end()
        out.append(prose[pos:])
        parts.append("".join(out))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def remove_zero_width(text: str) -> str:
    """Zero-width spaces and joiners inside words removed (emoji sequences keep their joiners)."""
    if text.isascii():
        return text
    return _ZERO_WIDTH.sub("", text)


def fix_whitespace(text: str) -> str:
    """CRLF → LF, no trailing spaces, at most one blank line, trimmed ends — outside code blocks only."""
    if "\r" not in text and _whitespace_ok(text):
        return text  # the common case: nothing to do
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts, last = [], 0
    for start, end in prose_segments(text):
        parts.append(text[last:start])
        prose = text[start:end]
        if " \n" in prose or "\t\n" in prose or prose.endswith((" ", "\t")):  # else _TRAILING_SPACE finds none
            prose = _TRAILING_SPACE.sub("", prose)
        parts.append(_MANY_BLANKS.sub("\n\n", prose))
        last = end
    parts.append(text[last:])
    return "".join(parts).strip()


def strip_leftover_tags(text: str) -> str:
    """Remove presentational tags left by a scraper, only where several appear outside code (one `<p>` in
    a sentence about HTML is content, not debris)."""
    if "<" not in text:
        return text
    parts, last, changed = [], 0, False
    for start, end in prose_segments(text):
        parts.append(text[last:start])
        prose = text[start:end]
        if len(_TAG.findall(prose)) >= 2 and "`" not in prose:
            prose = _TAG.sub("", _BR.sub("\n", prose))
            changed = True
        parts.append(prose)
        last = end
    parts.append(text[last:])
    return "".join(parts) if changed else text


REPAIRS = (("repair.html-entities", unescape_entities), ("repair.zero-width", remove_zero_width),
           ("repair.encoding", fix_encoding), ("repair.html-tags", strip_leftover_tags),
           ("repair.whitespace", fix_whitespace))


def changed_span(before: str, after: str) -> tuple[str, str]:
    """The smallest differing middle of two strings: (removed, added). Binary search on slice equality, so
    long texts cost a few memcmp calls rather than a Python loop per character."""
    limit = min(len(before), len(after))
    lo, hi = 0, limit
    while lo < hi:  # longest common prefix
        mid = (lo + hi + 1) // 2
        if before[:mid] == after[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:  # longest common suffix that does not overlap the prefix
        mid = (lo + hi + 1) // 2
        if before[len(before) - mid:] == after[len(after) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    suffix = lo
    return before[prefix:len(before) - suffix], after[prefix:len(after) - suffix]
