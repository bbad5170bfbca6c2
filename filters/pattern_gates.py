"""What a rule's regex can match, read from its parse tree (re's own parser), so the matcher can turn a text away
before the regex scans it: the characters a fullmatch starts with (`starts`), and for a whole-answer pattern that is
a run of at most n sentences, a count of its sentences (`segment_gate`). Both only ever skip a match that could not
succeed: the same hits, fewer instructions (bench/RESULTS.md, "Chain instructions per row, round two").
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parser
from typing import Any

_CATEGORY_TESTS = {sre_constants.CATEGORY_DIGIT: r"\d", sre_constants.CATEGORY_NOT_DIGIT: r"\D",
                   sre_constants.CATEGORY_SPACE: r"\s", sre_constants.CATEGORY_NOT_SPACE: r"\S",
                   sre_constants.CATEGORY_WORD: r"\w", sre_constants.CATEGORY_NOT_WORD: r"\W"}


def _in_class(char: str, items: list[tuple[Any, Any]]) -> bool | None:
    """Whether a parsed character class ([…]) holds `char`; None when it has a part not understood here."""
    negate, found = False, False
    for op, av in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            found = found or av == ord(char)
        elif op is sre_constants.RANGE:
            found = found or av[0] <= ord(char) <= av[1]
        elif op is sre_constants.CATEGORY and av in _CATEGORY_TESTS:
            found = found or re.fullmatch(_CATEGORY_TESTS[av], char) is not None
        else:
            return None
    return found != negate


def _never_consumes(node: Any, char: str) -> bool:
    """True when no part of the parsed pattern can consume `char` (lookarounds consume nothing)."""
    if isinstance(node, sre_parser.SubPattern):
        return all(_never_consumes(item, char) for item in node.data)
    op, av = node
    if op is sre_constants.LITERAL:
        return av != ord(char)
    if op is sre_constants.NOT_LITERAL:
        return av == ord(char)
    if op is sre_constants.IN:
        return _in_class(char, av) is False
    if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return True
    if op is sre_constants.SUBPATTERN:
        return _never_consumes(av[3], char)
    if op is sre_constants.BRANCH:
        return all(_never_consumes(alternative, char) for alternative in av[1])
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        return _never_consumes(av[2], char)
    return False  # anything else (., a backreference …): assume it can


def segment_gate(pattern: str) -> tuple[re.Pattern[str], int] | None:
    """For a whole-answer pattern shaped `(?=…)(?:X[<ends>]*\\s*){m,n}` (a run of at most n sentences, each X
    followed by its end marks) where X can never consume one end mark `c` (。 in the Chinese refusal): every `c` of
    a fullmatch lies in some sentence's end marks, so each maximal run of end marks holding a `c` is a sentence of
    its own, and non-space text after the last such run one more. Returns (`c[<ends>]*`, n): more runs than n and
    fullmatch cannot succeed. None for any other shape. (A failing fullmatch of such a pattern tries every way to
    cut the text into sentences: a millisecond on a long Chinese answer that starts with an apology.)"""
    tree = sre_parser.parse(pattern)
    if tree.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    items = [item for item in tree.data if item[0] not in (sre_constants.ASSERT, sre_constants.ASSERT_NOT)]
    if len(items) != 1 or any(item[0] in (sre_constants.ASSERT, sre_constants.ASSERT_NOT)
                              for item in tree.data[tree.data.index(items[0]):]):
        return None
    op, av = items[0]
    if op is not sre_constants.MAX_REPEAT or av[1] is sre_constants.MAXREPEAT:
        return None
    body = av[2].data
    if len(body) < 3:
        return None
    ends, space = body[-2], body[-1]
    if any(part[0] is not sre_constants.MAX_REPEAT or part[1][:2] != (0, sre_constants.MAXREPEAT)
           or len(part[1][2].data) != 1 or part[1][2].data[0][0] is not sre_constants.IN for part in (ends, space)) \
            or space[1][2].data[0][1] != [(sre_constants.CATEGORY, sre_constants.CATEGORY_SPACE)]:
        return None
    marks = ends[1][2].data[0][1]
    if not marks or any(kind is not sre_constants.LITERAL or chr(value).isspace() for kind, value in marks):
        return None
    sentence = sre_parser.SubPattern(tree.state, list(body[:-2]))
    if sentence.getwidth()[0] < 1:
        return None
    for _kind, value in marks:
        if _never_consumes(sentence, chr(value)):
            run = "[" + "".join(re.escape(chr(v)) for _k, v in marks) + "]*"
            return re.compile(re.escape(chr(value)) + run), av[1]
    return None


def _class_chars(items: list[Any]) -> set[str] | None:
    """The characters of a parsed class of literals and ranges (at most 512), else None."""
    found: set[str] = set()
    for kind, value in items:
        if kind is sre_constants.LITERAL:
            found.add(chr(value))
        elif kind is sre_constants.RANGE and value[1] - value[0] < 512:
            found.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return found if len(found) <= 512 else None


def _first_chars(items: list[Any]) -> tuple[frozenset[str] | None, bool]:
    """(the characters a match of this parsed sequence can start with, whether it can match the empty string);
    None for the characters when some part is not understood here (then nothing is gated)."""
    chars: set[str] = set()
    for op, av in items:
        if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue  # consumes nothing: the next part starts the match
        if op is sre_constants.LITERAL:
            return frozenset(chars | {chr(av)}), False
        if op is sre_constants.IN:
            found = _class_chars(av)
            return (None if found is None else frozenset(chars | found)), False
        if op is sre_constants.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                return None, False
            inner, empty = _first_chars(av[3].data)
        elif op is sre_constants.BRANCH:
            parts = [_first_chars(alternative.data) for alternative in av[1]]
            if any(part is None for part, _empty in parts):
                return None, False
            inner = frozenset().union(*(part for part, _empty in parts if part is not None))
            empty = any(e for _part, e in parts)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            inner, empty = _first_chars(av[2].data)
            empty = empty or av[0] == 0
        else:
            return None, False
        if inner is None:
            return None, False
        chars |= inner
        if not empty:
            return frozenset(chars), False
    return frozenset(chars), True


def fullmatch_starts(pattern: str) -> frozenset[str] | None:
    """The characters every fullmatch of the pattern starts with (a cheap test before its lookaheads scan the text),
    or None when that is not known."""
    tree = sre_parser.parse(pattern)
    if tree.state.flags & (re.IGNORECASE | re.VERBOSE | re.MULTILINE | re.DOTALL):
        return None
    chars, empty = _first_chars(tree.data)
    return None if empty or chars is None else chars


def too_many_sentences(gate: tuple[re.Pattern[str], int], text: str) -> bool:
    """True when `text` holds more sentences than the gated pattern's repeat allows (see segment_gate)."""
    runs, most = gate
    count, end = 0, 0
    for match in runs.finditer(text):
        count, end = count + 1, match.end()
    return count + (count > 0 and not text[end:].isspace() and end < len(text)) > most
