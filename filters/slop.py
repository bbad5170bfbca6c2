"""The slop rule engine: rules are data (filters/rules/*.yaml); matching is sentence-scoped and precise.

A rule matches the *normalised* sentence (NFKC, case-folded, straight quotes, inline code and quoted
material masked). Opener and closer rules must match a whole sentence at the start / end of the field,
so "Sure, the capital is Paris." keeps its content while "Sure!" alone goes; an opener ending in a colon
may also be the leading span of a longer sentence ("Here's what you need to know: the museum …"). Anywhere
rules search inside sentences with word boundaries for alphabetic scripts. Fenced code is never looked at.

A rule in YAML: id, category, pattern, lang, scope, position, action (strip / drop / flag), enabled,
description, keywords (literals one of which every hit contains: the Aho–Corasick prefilter), unless (a
regex over the instruction + input that exempts the row: a user who asks about AI gets an answer about
AI), examples (positive / negative, run by the tests).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import ahocorasick_rs

from filters import edge_model
from filters.discourse import (
    SELF_TALK_CHARS,
    is_caution,
    is_discourse,
    lead_in_prefix,
    leading_self_talk,
    may_be_discourse,
    mentions_ai,
    names_the_subject,
    nowhere,
    referral_only,
    says_model_only,
    self_talk,
    weak_greeting,
    wish_only,
)
from filters.edge_shape import (
    ASKS_FOR_INPUT,
    BRIDGE_LEAD_EN,
    ack_lead_zh,
    closer_shape,
    opener_shape,
    presents_answer,
    speaks_to_asker,
    without_model_names,
)
from filters.pattern_gates import fullmatch_starts, segment_gate, too_many_sentences
from filters.self_limit import lacks_only, self_limit
from filters.signature import closing_line, is_valediction, machine_signature, may_sign
from formats.example import FIELDS
from formats.text import chars, run_of, sentences
from formats.yaml_data import load_yaml

RULES_DIR = Path(__file__).parent / "rules"
Position = Literal["opener", "closer", "anywhere", "whole"]
Action = Literal["strip", "drop", "flag"]
_CJK_LANGS = {"zh", "ja"}
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
                         "『": '"', "』": '"'})
_FULLWIDTH = run_of("[\uff01-\uff5e\u3000]")
_HALFWIDTH = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {0x3000: " "}
_COMMON_FULLWIDTH = tuple((wide, chr(ord(wide) - 0xFEE0)) for wide in "，：（）？！；")  # most of them in Chinese rows


def _halfwidth(match: re.Match[str]) -> str:
    return match.group(0).translate(_HALFWIDTH)


_WIDE = run_of("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _wide(text: str) -> bool:
    """`_WIDE.search(text) is not None`, without scanning ASCII text (no character of it is wide)."""
    return not text.isascii() and _WIDE.search(text) is not None


_CURLY = re.compile("[“”„‘’「」『』]")
_SENTENCE_END_CHAR = r"""[.!?。\n"')\]…」』]"""
_SENTENCE_START = rf"(?:^|(?<={_SENTENCE_END_CHAR}))"  # where textspans.sentences() can start one
_SURROGATE = re.compile("[\ud800-\udfff]")
# Quoted material (double quotes, 'single quotes' that are not apostrophes) and inline code: blanked with
# a same-length run of "_" so rules never match inside them, while an opener/closer sentence holding a quote
# still has content and is not taken for an empty lead-in.
# (Each branch led by its quote, the single quote's (?<![a-z0-9]) checked after it: re then scans for the three
# characters instead of trying the alternation at every position.)
_QUOTED = re.compile(r"\"[^\"\n]{1,400}\"|'(?<![a-z0-9]')[^'\n]{1,200}'(?![a-z0-9])|`[^`\n]+`")
# Opener/closer keywords only count within this many characters of the start/end, so a long answer's middle
# cannot wake up an edge rule. (More than this much stacked boilerplate at one edge is not peeled in one pass.)
EDGE_CHARS = 1000
AT_EDGE_CHARS = 300  # an at_edge rule matches the first / last sentence only: its keyword lies this near the edge
LEAD_IN_MIN_CHARS = 40  # what must follow a "Here's …:" lead-in inside one sentence for it to be stripped alone
KEYWORD_BACK, KEYWORD_AHEAD = 160, 400  # how far a rule's hit may reach before / after its keyword
WHOLE_CHARS = 600  # "whole" rules (a refusal that is the entire answer) only look at fields this short


_ENDS = ".!?。\n…"


def _found_in(rest: str, cjk: bool) -> Callable[[str], bool]:
    """`elsewhere` for names_the_subject: a stem found in the rest of the row (English: where a word starts)."""
    if cjk:
        return lambda stem: stem in rest
    return lambda stem: re.search(rf"\b{re.escape(stem)}", rest) is not None


def _rough_tail(body: str) -> str:
    """The last sentence, roughly: after the last sentence mark before the final character."""
    mark = _ROUGH_END.search(body[-2::-1])
    return body[len(body) - 1 - mark.start():] if mark else body


def _rough_lead_in(text: str, first_end: int) -> bool:
    """Whether the second or third sentence, roughly cut, presents the answer (or starts with a lead up to a colon):
    the cheap gate before `SlopMatcher._anchored_lead_in`."""
    pos = first_end
    for _ in range(2):
        found = _ROUGH_FIRST.match(text, pos + len(text[pos:]) - len(text[pos:].lstrip()))
        if found is None:
            return False
        part = found.group(0)
        colon = _COLON_LEAD.match(part)
        if presents_answer(part) or (colon is not None and presents_answer(colon.group(0))):
            return True
        pos = found.end()
    return False


# the way a sentence before the last opens when it is a named closing formula ("Hope this helps!", "希望对你有所帮助！",
# "祝你好运！"): the cheap gate, and what decides whether the named closer rules are asked of it
_CLOSING_START = re.compile(r"^\W*(?i:(?:i |we )?(?:hope|wish)|hopefully|good luck|best of luck|enjoy|cheers|"
                            r"thanks|thank you|happy to|glad (?:i|to|it|this|that))|^\W*(?:希望|祝|感谢|感謝|谢谢|謝謝|"
                            r"欢迎|歡迎|但愿|但願|愿|願)")


def _short_tail(tail: str) -> bool:
    """A last sentence short enough to go on a closing run (see `_closing_talk`)."""
    tail = tail.strip()
    return len(tail) <= 24 if _WIDE.search(tail) else len(tail.split()) <= 10


def _rough_closer_before(body: str, tail_len: int) -> bool:
    """Whether one of the two sentences before the last, roughly cut, opens like a closing formula or is a closer by
    its shape ("Hope this answer fits what you needed!"): the cheap gate before `SlopMatcher._anchored_closer`."""
    end = len(body) - tail_len
    for _ in range(2):
        part = _rough_tail(body[:end].rstrip())
        if not part.strip():
            return False
        if _CLOSING_START.match(part) or (len(part) <= 160 and closer_shape(part)):
            return True
        end = len(body[:end].rstrip()) - len(part)
    return False


def _raw_tail_scored(text: str, tail: str) -> bool:
    """The last sentence as written ("有需要再来找我玩～"), where trimming its decoration changed it, scores as
    a closer: the model learned the decoration too."""
    raw_tail = _rough_tail(text[-200:].rstrip())
    return raw_tail.strip() != tail.strip() and edge_model.load().is_boilerplate(raw_tail, "closer")


def _lead_scored(first: str) -> bool:
    """The first sentence's lead up to its first colon (Chinese: or comma) scores as an opener, or it turns from the
    model speaking of itself to the answer: worth splitting the answer to try _learned_prefix and
    _disclaimer_clause on it."""
    cjk = _wide(first)
    turn = (_DISCLAIMER_TURN_ZH if cjk else _DISCLAIMER_TURN_EN).search(first, 0, edge_model.MAX_CHARS[cjk] + 2)
    if turn is not None and _SPEAKS_AS_ITSELF.search(first, 0, turn.start()):
        return True
    mark = (_PREFIX_CUT_ZH if cjk else _PREFIX_CUT_EN).search(first, 0, edge_model.MAX_CHARS[cjk])
    if mark is not None and len(first) - mark.end() >= PREFIX_REST \
            and (cjk or (len(first[mark.end():].split()) >= PREFIX_WORDS
                         and len(first[:mark.end()].split()) >= PREFIX_WORDS)) \
            and edge_model.load().is_boilerplate(first[:mark.end()], "opener"):
        return True
    return _clause_scored(first, cjk)


def _clause_scored(first: str, cjk: bool) -> bool:
    """The first sentence's clause up to its first comma speaks of the model, the machine or the asker's material
    and scores as a disclaimer (the clause table): worth trying _glued_disclaimer."""
    comma = _GLUED_COMMA.search(first, 0, edge_model.MAX_CHARS[cjk] + 2)
    if comma is None or len(first) - comma.end() < PREFIX_REST:
        return False
    clause = first[:comma.start()]
    model = edge_model.load()
    return (_CLAUSE_CUE_ZH if cjk else _CLAUSE_CUE_EN).search(clause) is not None and "clause" in model.tables \
        and model.is_boilerplate(clause, "clause")


def _signed(text: str) -> bool:
    """The answer's last line is a machine's signature (cheap test first: short and naming a machine)."""
    head, _, last = text.rstrip().rpartition("\n")
    return may_sign(last) and machine_signature(last, head.rstrip().rpartition("\n")[2])


def _last_sentence(normalised: str) -> str:
    """The field's last sentence, roughly (after the last sentence mark that is not its own end): enough to
    tell whether an at_edge closer rule can start a run there."""
    body = normalised.rstrip().rstrip(_ENDS + "\"')]」』~ ")
    return normalised[max(body.rfind(c) for c in _ENDS) + 1:].strip()


def normalise(text: str) -> str:
    """The form every rule is written against (NFKC, straight quotes, case-folded). ASCII text is already
    NFKC and has no curly quotes: lower() is all it needs, and most rows are ASCII."""
    if text.isascii():
        return text.lower()
    # full-width ，。：！ are most of what NFKC changes in Chinese text; mapping them directly is 3× faster. Text
    # already in NFKC holds none of them (each has a compatibility mapping: the quick check is cheaper than a scan);
    # the common ones are replaced with str.replace (sub called a Python function for every comma), the rest by sub
    if not unicodedata.is_normalized("NFKC", text):
        for wide, narrow in _COMMON_FULLWIDTH:
            if wide in text:
                text = text.replace(wide, narrow)
        if _FULLWIDTH.search(text) is not None:
            text = _FULLWIDTH.sub(_halfwidth, text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    if _CURLY.search(text):
        text = text.translate(_QUOTES)  # str.translate with a dict is slow on long text: only when needed
    return text.casefold()


# Decoration a model puts around an edge sentence ("**Sure!**", "Hope that helps! 😊", "Certainly :)", "好的～"):
# it carries no words, so edge rules are matched with it read as a comma (and dashes too).
# Its branches: symbols and emoji, an emoticon (its (?<!\w) checked after the [:;]), ^_^, a spaced dash.
_DECORATION_BRANCHES = ("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D*#—–~]",
                        "[:;](?<!\\w[:;])-?[)(DPp](?!\\w)", "\\^_?\\^", " - ")
_DECORATION = re.compile(f"(?:{'|'.join(_DECORATION_BRANCHES)})+")
_MARK = "\x00"
_TIDY = [(re.compile(r"\s*\x00[\s\x00]*"), _MARK), (re.compile(r"^\x00|\x00$"), ""),
         (re.compile(r"(?<=[,.!?:;。])\x00(?=[\u3400-\u9fff])|\x00(?=[,.!?:;。])"), ""),
         (re.compile(r"(?<=[,.!?:;。])\x00"), " "),
         (re.compile(r"(?<=[\u3400-\u9fff])\x00|\x00(?=[\u3400-\u9fff])"), ","), (re.compile(r"\x00"), ", ")]


# The branches one by one, each led by a character class or a literal so that re searches them with its fast
# prefix scan (the alternation as a whole is tried at every position: 40 µs on a long answer).
_DECORATION_PARTS = tuple(re.compile(branch) for branch in _DECORATION_BRANCHES)


def _decorated(text: str) -> bool:
    """Whether _DECORATION.search(text) finds anything; cheap tests first: ASCII text can only hold the ASCII
    decorations."""
    if text.isascii() and not ("*" in text or ":" in text or ";" in text or "#" in text or "^" in text
                               or " - " in text):
        return False
    return any(part.search(text) is not None for part in _DECORATION_PARTS)


def _masked(sentence: str) -> str:
    masked = _QUOTED.sub(lambda m: "_" * len(m.group(0)), normalise(sentence)).strip()
    if _decorated(masked):
        masked = _DECORATION.sub(_MARK, masked)
        for pattern, repl in _TIDY:
            masked = pattern.sub(repl, masked)
    return masked.strip()


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    pattern: str
    lang: str = "en"
    scope: tuple[str, ...] = ("output",)
    position: Position = "anywhere"
    action: Action = "strip"
    enabled: bool = True
    description: str = ""
    unless: str = ""  # regex over the normalised instruction + input that exempts the row (the user asked for it)
    unless_answer: str = ""  # regex over the normalised field that exempts it ("let's assume 1 year" answers)
    needs_more: bool = False  # an edge rule that only hits when more text follows (a lead-in announces something)
    at_edge: bool = False  # prefilter only at the field's very start (opener) / end (closer): see candidates()
    rescue: bool = False  # a drop rule whose sentence or clause is stripped instead when a real answer follows
    joins_run: bool = False  # a human formula: stripped only inside a run of model openers/closers, never alone
    structural: bool = False  # no pattern: an edge sentence about the exchange, not the subject (filters/discourse.py)
    learned: bool = False  # structural, decided by the edge-sentence model (filters/edge_model.py)
    shape: bool = False  # structural, decided by the sentences' shape (filters/self_limit.py, edge_shape.py)
    keywords: tuple[str, ...] = ()  # literals, one of which every hit contains: the Aho–Corasick prefilter
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    unless_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    unless_answer_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    loose: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # an edge rule's `loose` without its leading sentence start: at the text's start, and led by the character that
    # ends the sentence before (re scans for that character; `loose` is tried at every position): see loose_in()
    at_start: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    after_end: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    # a whole rule of at most n sentences: a text with more cannot fullmatch (pattern_gates.segment_gate)
    sentence_gate: tuple[re.Pattern[str], int] | None = field(init=False, repr=False, compare=False)
    # the characters a fullmatch can start with: an edge sentence starting with another fails before the lookaheads
    starts: frozenset[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = self.pattern
        if self.position == "anywhere" and self.lang not in _CJK_LANGS:
            body = rf"(?<!\w)(?:{body})(?!\w)"
        compiled = re.compile(body)
        if compiled.fullmatch(""):
            raise ValueError(f"rule {self.id!r}: pattern matches the empty string")
        object.__setattr__(self, "compiled", compiled)
        object.__setattr__(self, "unless_re", re.compile(self.unless) if self.unless else None)
        object.__setattr__(self, "unless_answer_re", re.compile(self.unless_answer) if self.unless_answer else None)
        object.__setattr__(self, "keywords", tuple(normalise(k) for k in self.keywords if k))
        object.__setattr__(self, "loose", re.compile(self.prefilter_pattern, re.MULTILINE))
        edge, body = self.position in ("opener", "closer"), self._loose_body
        starts = fullmatch_starts(compiled.pattern) if edge else None
        object.__setattr__(self, "starts", starts)
        # led by a lookahead for those characters: at a sentence start that cannot begin a hit, the body (whose own
        # lookaheads scan the whole sentence) is not tried
        first = f"(?=[{''.join(map(re.escape, sorted(starts)))}])" if starts else ""
        object.__setattr__(self, "at_start", re.compile(rf"\s*{first}(?:{body})", re.MULTILINE) if edge else None)
        object.__setattr__(self, "after_end",
                           re.compile(rf"{_SENTENCE_END_CHAR}\s*{first}(?:{body})", re.MULTILINE) if edge else None)
        object.__setattr__(self, "sentence_gate", segment_gate(self.pattern) if self.position == "whole" else None)

    @property
    def _loose_body(self) -> str:
        """The pattern without a final `$` (end of sentence)."""
        return self.pattern[:-1] if self.pattern.endswith("$") and not self.pattern.endswith("\\$") else self.pattern

    @property
    def prefilter_pattern(self) -> str:
        """A superset of what the rule can match in a sentence, searched over the whole normalised field:
        alphabetic rules start at a word boundary, and a final `$` (end of sentence) is dropped."""
        body = self._loose_body
        if self.position == "whole":
            return rf"\A\s*(?:{body})"
        if self.position != "anywhere":
            # edge rules match whole sentences, so they can only start where a sentence can
            return _SENTENCE_START + rf"\s*(?:{body})"
        return body if self.lang in _CJK_LANGS else rf"(?<!\w)(?:{body})"

    def loose_in(self, normalised: str, start: int, end: int) -> bool:
        """`loose.search(normalised, start, end) is not None`, for an edge rule without trying every position: a
        sentence starts at the text's start or right after a sentence-ending character (`^` in MULTILINE is after
        a newline, one of them), so the hit is at_start's at 0 or after_end's from the character before `start`."""
        if self.at_start is None or self.after_end is None:
            return self.loose.search(normalised, start, end) is not None
        return (start == 0 and self.at_start.match(normalised, 0, end) is not None) \
            or self.after_end.search(normalised, max(0, start - 1), end) is not None

    def exempt(self, normalised_prompt: str) -> bool:
        """True when the instruction/input asks for exactly this (a user asking the model about itself)."""
        return self.unless_re is not None and self.unless_re.search(normalised_prompt) is not None

    def exempt_answer(self, normalised_field: str) -> bool:
        return self.unless_answer_re is not None and self.unless_answer_re.search(normalised_field) is not None

    def matches(self, normalised_sentence: str) -> re.Match[str] | None:
        if self.position == "anywhere":
            return self.compiled.search(normalised_sentence)
        return self.fullmatch(normalised_sentence)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """`compiled.fullmatch(text)`, a text starting with a character no match starts with turned away first."""
        if self.starts is not None and text[:1] not in self.starts:
            return None  # "" is in no set: no rule matches the empty string
        return self.compiled.fullmatch(text)


_FIRST_END = run_of(r"[.!?。\n]")
_ROUGH_FIRST = re.compile(r"[^.!?。！？\n]{1,300}[.!?。！？:：]*")
_ROUGH_END = re.compile("[.!?。！？\n]")
# the shape of a presentational lead-in, whatever its words: it announces what follows
_LEAD_IN_EN = re.compile(r"^\W*(?:(?:ok(?:ay)?|so|sure|alright|well|now|great|absolutely|certainly)\W+)*"
                         r"(?:here(?:'s|’s| is| are)|below|the following|what follows|following (?:is|are)|"
                         r"i(?:'ll|’ll| will|'ve|’ve| have)? (?:walk|go|take|run|put together|summari[sz]ed|outlined|"
                         r"listed|laid out|broken down)|let me (?:walk|go|take|run|give|show|explain|break|lay))\b"
                         r"|[:：]\W*$", re.IGNORECASE)
_LEAD_IN_ZH = re.compile(r"以下|下面|如下|接下来|[:：]\W*$")
# a last sentence that points at what follows it ("… as the following.", "Here are some hints.", "如下所示。"): the
# text's own lead to a block its source had after it (a manual's example), never a model's closing words
_POINTS_ON = re.compile(r"^\W*(?:here(?:'s|’s| is| are)(?! (?:to|hoping)\b)|below\b)"
                        r"|\b(?:as follows|(?:as|like|in|with|by) the following(?: \w+)?"
                        r"|(?:shown|listed|given|described) below)\W*$|\bread on\b|\b(?:keep|continue) reading\b"
                        r"|^\W*(?:以下|下面|如下)|(?:如下|以下|下面)(?:所示|几[个点条种])?\W*$"
                        r"|下面(?:给出|列出|介绍|将|会)|继续阅读|繼續閱讀", re.IGNORECASE)
# where a lead may end inside a sentence that goes on with the answer: a colon; in Chinese also a comma (a clause)
_PREFIX_CUT_EN = re.compile(r":(?=\s)")
_PREFIX_CUT_ZH = re.compile(r"[:：，,](?!\d)")
_CLAUSE_END = re.compile(r"(?<=[，,！!～~:：])")
# "作为AI助手，我看不到你的屏幕，不过…": the turn after a disclaimer's clauses goes with them
_TURN_WORDS_ZH = "不过|不過|但是|但|然而|可是"
_TURN_ZH = re.compile(rf"\s*(?:{_TURN_WORDS_ZH})[，,]?")
# a disclaimer clause turning to the answer: "As a bot I can't run this, but (as far as I know,) <answer>"
# (a hedge after the turn goes too: the rescue's bridges, _BRIDGE_EN / _BRIDGE_ZH, "…, but as far as I know, ")
_DISCLAIMER_TURN_EN = re.compile(r",\s*(?:but|however)\b,?\s*(?:(?:according to what i know|factually)\b,?\s*)?",
                                 re.IGNORECASE)
_DISCLAIMER_TURN_ZH = re.compile(rf"[，,]\s*(?:{_TURN_WORDS_ZH})[，,]?\s*"
                                 r"(?:(?:據我所知|一般来说|一般來說|通常)[，,]?)?")
_SPEAKS_AS_ITSELF = re.compile(r"(?i)\b(?:i|i'm|i’m|i've|i'd|me|my|as an? (?:ai|bot|chatbot|assistant|model))\b"
                               r"|我|本ai")
# the model naming itself an AI and what it lacks, in one clause ("虽然本AI的信息可能滞后", "As an AI I can't run it"):
# a disclaimer whatever the edge model scores its words
_AI_LIMIT_ZH = re.compile(r"(?:作为|身为|我是|本)(?:一个|一名|一款)?(?:AI|人工智能|语言模型|大模型|机器人|助手)"
                          r"[^。!?！？]{0,24}(?:没有|没法|无法|不能|不具备|可能(?:会)?(?:滞后|过时|不准|有误|出错|不是最新))")
_AI_LIMIT_EN = re.compile(r"\b(?:as an? (?:ai|bot|chatbot|assistant|language model|model)|not being (?:a )?human|"
                          r"i(?:'m| am) (?:just |only )?"
                          r"(?:an? )?(?:ai|bot|chatbot|assistant|language model))\b[^.!?]{0,40}\b(?:can't|cannot|"
                          r"can not|don't|do not|have no|lack|may be (?:outdated|out of date|wrong|inaccurate))",
                          re.IGNORECASE)
_CODE_MARK = re.compile(r"[`(){}\[\]=;<>]")
_COLON_LEAD = re.compile(r"[^:：\n👇]{1,80}(?:[:：]|\s*👇+)\s*")
# a leading clause the edge model's clause table may read as a disclaimer speaks of the model, the machine or the
# asker's own material ("Without seeing your logs,", "As this is an automated response,", "我这边连不上你的集群，")
_CLAUSE_CUE_EN = re.compile(r"(?i)\b(?:i|i'm|i’m|i've|i'd|me|my|your|you|ai|bot|chatbot|assistant|model|machine|"
                            r"automated|automatically|computer|software|program|trained|virtual|digital)\b")
_CLAUSE_CUE_ZH = re.compile(r"(?i)我|你|您|本(?:助手|系统|服务|渠道|平台)|模型|机器|自动|(?<![a-z])ai(?![a-z])|程序")
_TURNS_ON = re.compile(rf"(?i)(?:(?:but|however|yet)\b|{_TURN_WORDS_ZH})")  # "…，但…": _disclaimer_clause's
_GLUED_COMMA = re.compile(r"[,，]\s*")
PREFIX_REST, PREFIX_WORDS = 8, 3  # the answer after a lead holds at least this many characters (English: words)
_EMOJI = "\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF"
_LEADING_EMOJI = re.compile(f"[ \t]*[{_EMOJI}][{_EMOJI}\ufe0f\u200d \t]*")
_LIST_LINE = re.compile(r"[ \t]*(?:\d+[.)、]|[-*•+#>|]|[（(]?[一二三四五六七八九十\d]+[)）、])")
_SAYS_WHO = re.compile(r"(?i)\bi(?:'m|’m| am)\b|\bas an?\b|我是|作为")  # with an AI named: an identity statement
# someone's text quoted, code (a call, a dotted name, an operator), a link or a number of its own ("as of version
# 1.04", not "GPT-4"): never a whole refusal
_QUOTE_OR_CODE = re.compile("[`\"“”「」『』]|://|\\w\\(\\)|\\b\\w+\\.\\w+\\.\\w+|[=<>{}\\[\\]\\\\|]"
                            "|(?<![\\w.-])\\d+(?:[.,]\\d+)*(?![\\w-])")
_PLAIN_ENDS = frozenset(".!?。！？")  # (one character: "" is not in it)
_EMOTICON_ENDS = frozenset(")(DPp^")
_EMOTICONS = (":-)", ":-(", "^_^", ":)", ":(", ":D", ":P", ":p", ";)", "^^")


def _trim_decoration(text: str) -> str:
    """The text without the emoji, emoticons and symbols after its last word or sentence mark (a scan from the
    end: a regex anchored at the end would be tried at every position)."""
    if text[-1:] in _PLAIN_ENDS:
        return text  # most texts end with a full stop
    end = len(text)
    while end:
        emoticon = next((e for e in _EMOTICONS if text.endswith(e, 0, end)), None) \
            if text[end - 1] in _EMOTICON_ENDS else None
        if emoticon is not None:
            end -= len(emoticon)
        elif text[end - 1].isalnum() or text[end - 1] in ".!?。！？:：_":
            break
        else:
            end -= 1
    return text[:end]


_GLUED = re.compile(r"(?<=[a-z0-9)\]])[ ](?=[A-Z])")
GLUED_WORDS = 12  # how long a closer glued to an unpunctuated last line may be


@dataclass(frozen=True)
class Hit:
    rule: Rule
    field: str
    span: tuple[int, int]
    text: str


def lexicon_pattern(words: dict[str, list[str]], lang: str) -> str:
    """A rule written as vocabulary: the sentence is made only of `filler` and `anchor` words (at least one
    anchor), with punctuation between. This is how a content-free opener or closer is told apart from a
    sentence that carries content: any word outside the lexicon (a name, a number, a content word of the
    answer) stops the match, and any new combination of the known words matches without a new literal."""
    odd = [w for w in [*words.get("anchor", []), *words.get("filler", [])] if not isinstance(w, str)]
    if odd or not words.get("anchor"):
        # YAML reads a bare yes / no / on / off as a boolean: quote it
        raise ValueError(f"words: every anchor and filler must be a string, got {odd!r}" if odd
                         else "words: anchor is empty")
    anchor = "|".join(sorted(words["anchor"], key=lambda w: (-len(w), w)))
    filler = "|".join(sorted({*words.get("filler", []), *words["anchor"]}, key=lambda w: (-len(w), w)))
    if lang in _CJK_LANGS:
        gap = r"[\s,!?.~…:;、-]*"
        return rf"(?=[^。!?\n]*(?:{anchor}))(?:{filler})(?:{gap}(?:{filler}))*[\s,!?.。~…:;、-]*"
    gap = r"[\s,!?.…:;—–-]+"
    return rf"(?=[^.!?\n]*\b(?:{anchor})\b)(?:{filler})(?:{gap}(?:{filler}))*\b[\s,!?.…:;—–-]*"


PROMPT_FILE = RULES_DIR / "prompt.yaml"


@dataclass(frozen=True)
class PromptPolicy:
    """A regex over the prompt and the rule categories it switches off for that row (filters/rules/prompt.yaml)."""

    id: str
    exempts: frozenset[str]
    pattern: re.Pattern[str]
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    # the exempts that also need `character` to match the prompt (an AI's identity line is in character only
    # where the scene has an AI or a machine in it, or is fiction), with that regex's own examples
    character_exempts: frozenset[str] = frozenset()
    character: re.Pattern[str] | None = None
    character_positive: tuple[str, ...] = ()
    character_negative: tuple[str, ...] = ()

    def frees(self, text: str) -> frozenset[str]:
        """The categories this policy frees for a prompt it matched (normalised text)."""
        if self.character is None or self.character.search(text) is not None:
            return self.exempts
        return self.exempts - self.character_exempts


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{x})" for x in patterns))


def load_prompt_policies(path: Path = PROMPT_FILE) -> list[PromptPolicy]:
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    out = []
    for p in data.get("prompt_policies", []):
        examples, character = p.get("examples", {}), p.get("character_examples", {})
        out.append(PromptPolicy(p["id"], frozenset(p["exempts"]), _alternation(p["patterns"]),
                                tuple(examples.get("positive", [])), tuple(examples.get("negative", [])),
                                frozenset(p.get("character_exempts", [])),
                                _alternation(p["character"]) if p.get("character") else None,
                                tuple(character.get("positive", [])), tuple(character.get("negative", []))))
    return out


_POLICIES: list[PromptPolicy] = []


def exempt_categories(prompt: str, wanted: frozenset[str] | set[str] | None = None,
                      seen: dict[str, frozenset[str]] | None = None) -> frozenset[str]:
    """The rule categories this prompt exempts: a scene or persona frees openers, closers and sign-offs; a
    request to say "I don't know" frees refusals. `wanted`: only the policies that could free one of these
    categories are searched (each is a long alternation: 15-50 µs on a prompt); `seen` keeps each policy's
    verdict for the row, across the strip passes."""
    if not _POLICIES:
        _POLICIES.extend(load_prompt_policies())
    text: str | None = None
    out: set[str] = set()
    for policy in _POLICIES:
        if wanted is not None and not policy.exempts & wanted:
            continue
        freed = seen.get(policy.id) if seen is not None else None
        if freed is None:
            text = normalise(prompt) if text is None else text
            freed = policy.frees(text) if policy.pattern.search(text) is not None else frozenset()
            if seen is not None:
                seen[policy.id] = freed
        out |= freed
    return frozenset(out)


def load_rules(paths: Iterable[Path] | None = None) -> list[Rule]:
    """Every rule from the YAML files; ids must be unique."""
    rules: list[Rule] = []
    for path in sorted(paths if paths is not None else RULES_DIR.glob("*.yaml")):
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        defaults = data.get("defaults", {})
        for entry in data.get("rules", []):
            entry = {**defaults, **entry}
            examples = entry.pop("examples", {}) or {}
            scope = entry.pop("scope", ["output"])
            keywords = entry.pop("keywords", []) or []
            if "words" in entry:
                entry["pattern"] = lexicon_pattern(entry.pop("words"), entry.get("lang", "en"))
                entry.setdefault("at_edge", True)
            try:
                rules.append(Rule(**entry, scope=tuple([scope] if isinstance(scope, str) else scope),
                                  keywords=tuple([keywords] if isinstance(keywords, str) else keywords),
                                  positive=tuple(examples.get("positive", [])),
                                  negative=tuple(examples.get("negative", []))))
            except (TypeError, re.error) as err:
                raise ValueError(f"{path.name}: rule {entry.get('id')!r}: {err}") from err
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return rules


@cache
def _joining(rule: Rule) -> Rule:
    """The rule as one that only joins a run of others (built once per rule, not per sentence)."""
    return replace(rule, joins_run=True)


@lru_cache(maxsize=1)
def _human_formulae() -> tuple[Rule, ...]:
    """The human closing formulae (filters/rules/human.yaml, off by default): the structural rules leave them be."""
    return tuple(load_rules([RULES_DIR / "human.yaml"]))


def _human_formula(sentence: str) -> bool:
    """A doctor's or support agent's own formula (human.yaml), matched once masked."""
    masked = _masked(sentence)
    return any(human.compiled.fullmatch(masked) for human in _human_formulae())


class SlopMatcher:
    """Finds rule hits in one field of text. Built once; cheap to call per row.

    Three stages, cheapest first: one Aho–Corasick pass over the normalised field finds the rules whose
    keywords occur (opener/closer keywords only near the start/end); each such rule's regex is searched
    over the whole normalised field; only rows still in play are split into sentences and matched exactly.
    Rules without keywords (a user's extra file) skip the first stage and are always searched.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = [r for r in rules if r.enabled]
        # the structural rules by field, edge, script and category ("opener", True, "lead-in": a Chinese lead-in);
        # they have no pattern. The whole-answer ones by category and script ("refusal", True).
        self._structural: dict[str, dict[tuple[str, bool, str], Rule]] = {}
        self._self_talk: dict[str, dict[tuple[str, bool], Rule]] = {}
        self._shaped: dict[str, dict[tuple[str, bool], Rule]] = {}  # … and the shape ones (filters/self_limit.py)
        # the learned edge rules by field, edge and script ("closer", True: a Chinese closer)
        self._learned: dict[str, dict[tuple[str, bool], Rule]] = {}
        for rule in self.rules:
            if rule.learned:
                for fld in rule.scope:
                    self._learned.setdefault(fld, {})[(rule.position, rule.lang in _CJK_LANGS)] = rule
            elif rule.shape and rule.position == "whole":
                for fld in rule.scope:
                    self._shaped.setdefault(fld, {})[(rule.category, rule.lang in _CJK_LANGS)] = rule
            elif rule.shape:  # an opener or closer by its shape (filters/edge_shape.py), under its own key
                for fld in rule.scope:
                    self._structural.setdefault(fld, {})[(rule.position, rule.lang in _CJK_LANGS, "shape")] = rule
            elif rule.structural:
                for fld in rule.scope:
                    if rule.position == "whole":
                        self._self_talk.setdefault(fld, {})[(rule.category, rule.lang in _CJK_LANGS)] = rule
                    else:
                        key = (rule.position, rule.lang in _CJK_LANGS, rule.category)
                        self._structural.setdefault(fld, {})[key] = rule
        # per field and edge, what _structural_edges hands out (read-only, built once): every structural rule of the
        # edge by (script, category), and the learned ("learned") and shape ("shape") rules alone, which a run the
        # learned rules started may reach; both hold the learned and shape rules under their own keys, which
        # _discourse never picks
        self._edge_rules: dict[str, tuple[dict[str, dict[tuple[bool, str], Rule]],
                                          dict[str, dict[tuple[bool, str], Rule]]]] = {}
        for fld in {*self._structural, *self._learned}:
            structural, learned = self._structural.get(fld, {}), self._learned.get(fld, {})
            every, extra = {}, {}
            for edge in ("opener", "closer"):
                extra[edge] = {(cjk, "learned"): r for (pos, cjk), r in learned.items() if pos == edge}
                extra[edge].update({(cjk, cat): r for (pos, cjk, cat), r in structural.items()
                                    if pos == edge and cat == "shape"})
                every[edge] = {(cjk, cat): r for (pos, cjk, cat), r in structural.items() if pos == edge}
                every[edge].update(extra[edge])
            self._edge_rules[fld] = (every, extra)
        self._lead_ins_on = any(r.category == "lead-in" for r in self.rules)
        # the named signature rules by field and script: they also name a signature found by its shape
        self._signature: dict[str, dict[bool, Rule]] = {}
        for rule in self.rules:
            if rule.position == "closer" and rule.id.endswith("signature") and not rule.structural:
                for fld in rule.scope:
                    self._signature.setdefault(fld, {})[rule.lang in _CJK_LANGS] = rule
        self._by_field: dict[str, list[Rule]] = {}
        self._edges: dict[str, list[tuple[int, int]]] = {}
        self._automaton: dict[str, tuple[ahocorasick_rs.AhoCorasick | None, list[list[int]], list[int],
                                         list[bool]]] = {}
        for fld in FIELDS:
            scoped = [r for r in self.rules if fld in r.scope and not r.structural]
            if not scoped:
                continue
            self._by_field[fld] = scoped
            literals: dict[str, list[int]] = {}
            always: list[int] = []
            for i, rule in enumerate(scoped):
                if not rule.keywords:
                    always.append(i)
                for keyword in rule.keywords:
                    literals.setdefault(keyword, []).append(i)
            # a DFA: the overlapping search over every field is a fifth cheaper than the NFA the library picks for
            # 700 keywords (the same matches in the same order: the automaton kind is not part of the semantics)
            automaton = ahocorasick_rs.AhoCorasick(list(literals), implementation=ahocorasick_rs.Implementation.DFA) \
                if literals else None
            # alphabetic keywords of alphabetic rules only count where a word starts
            word_start = [k[:1].isascii() and k[:1].isalnum() and all(scoped[i].lang not in _CJK_LANGS for i in owner)
                          for k, owner in literals.items()]
            self._automaton[fld] = (automaton, list(literals.values()), always, word_start)
            # per rule: 1 opener/whole, 2 closer, 0 anywhere; and how near the edge its keyword must lie
            self._edges[fld] = [(1 if r.position in ("opener", "whole") else 2 if r.position == "closer" else 0,
                                 AT_EDGE_CHARS if r.at_edge else EDGE_CHARS) for r in scoped]

    def fields(self) -> list[str]:
        return [f for f in FIELDS if f in self._by_field or f in self._structural or f in self._self_talk
                or f in self._learned or f in self._shaped]

    def content_free(self, text: str) -> bool:
        """True when every sentence of the text is made only of acknowledgement / wish / offer words (the
        `*.content-free` vocabulary rules): "Sure! Hope this helps!" carries nothing, while "If you have further
        questions, use the contact form" carries a pointer and is not filler."""
        rules = [r for r in self.rules if r.id.endswith(".content-free")]
        spans = sentences(text)
        return bool(rules and spans) and all(any(r.compiled.fullmatch(_masked(text[a:b])) for r in rules)
                                             for a, b in spans)

    def candidates(self, fld: str, normalised: str) -> list[Rule]:
        """The rules that can match this normalised field at all (stages one and two). Stage two searches
        each rule's regex only around its keywords: a hit starts at most KEYWORD_BACK characters before its
        keyword and ends at most KEYWORD_AHEAD after it (the rule tests hold every rule to that)."""
        automaton, owners, always, word_start = self._automaton[fld]
        scoped = self._by_field[fld]
        edge_of, size = self._edges[fld], len(normalised)
        windows: dict[int, list[int]] = {}
        edges: dict[str, Any] = {}  # the masked head / last sentence / glued tails, computed once per field
        if automaton is not None:
            try:
                matches = automaton.find_matches_as_indexes(normalised, overlapping=True)
            except UnicodeEncodeError:  # lone surrogates: same length with U+FFFD, so positions still hold
                matches = automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", normalised), overlapping=True)
            for index, start, _end in matches:
                if start and word_start[index] and normalised[start - 1].isalnum():
                    continue  # "sure" inside "ensure", "personal" inside "impersonal": no rule starts there
                for i in owners[index]:
                    position, reach = edge_of[i]
                    if (position == 1 and start > reach) or (position == 2 and start < size - reach):
                        continue
                    windows.setdefault(i, []).append(start)
        found = [i for i in always if i not in windows and scoped[i].loose.search(normalised)]
        for i, starts in windows.items():
            rule, end = scoped[i], -1
            if rule.position == "whole":
                if len(normalised) > WHOLE_CHARS:
                    continue
                if "whole" not in edges:  # decoration ("Apologies — I can't …") read as commas, as find() does
                    edges["whole"] = _masked(normalised) if _decorated(normalised) else normalised
                if rule.loose.match(normalised) or rule.loose.match(edges["whole"]):
                    found.append(i)
                continue
            if rule.at_edge:
                # A run of openers starts at the field's first sentence and a run of closers ends at its last,
                # and apply_slop matches again after each cut: the rule can only matter right at the edge.
                if rule.position == "opener":
                    hit = rule.loose.match(normalised)
                    if not hit and "second" not in edges:
                        # after a short first sentence ("好！", "Yes!", "你好呀！") that may join the run
                        end = _FIRST_END.search(normalised, 0, 40)
                        edges["second"] = end.end() if end else 0
                    if not hit and edges["second"]:
                        hit = rule.loose.match(normalised, edges["second"])
                    if not hit:
                        if "head" not in edges:
                            head = normalised[:AT_EDGE_CHARS]
                            edges["head"] = _masked(head) if _decorated(head) else None
                        hit = edges["head"] is not None and rule.loose.match(edges["head"])
                else:
                    if "last" not in edges:
                        last = _last_sentence(normalised)
                        if last and not _masked(last):  # "Hope that helps! 😊": the sentence before the emoji
                            last = _last_sentence(normalised[:normalised.rstrip().rfind(last)])
                        last = edges["last"] = _masked(last) if _decorated(last) else last
                        # a closer glued to an unpunctuated last line: the tails after each of its last spaces
                        # a human formula as the last sentence ("…有帮助。祝您健康！"): the model closer before it
                        bound = len(normalised.rstrip()) - len(last)
                        head = normalised[max(0, bound - AT_EDGE_CHARS):bound] if last else ""
                        edges["prev"] = _last_sentence(head) if head.strip() else ""
                        words = last.split(" ")
                        edges["tails"] = [" ".join(words[-n:]) for n in range(min(GLUED_WORDS, len(words) - 1), 0, -1)
                                          if words[-n][:1].isalpha()]
                    hit = rule.fullmatch(edges["last"]) \
                        or any(rule.fullmatch(t) for t in edges["tails"]) \
                        or (edges["prev"] and rule.fullmatch(edges["prev"]))
                if hit:
                    found.append(i)
                continue
            for start in starts:  # in ascending order, as the automaton reports them
                if start <= end:
                    continue  # already inside the last window searched
                end = start + KEYWORD_AHEAD
                if rule.loose_in(normalised, max(0, start - KEYWORD_BACK), end):
                    found.append(i)
                    break
        return [scoped[i] for i in sorted(found)]  # file order decides which rule names a sentence

    @staticmethod
    def _lead_in(rules: list[Rule], normalised: str, text: str,
                 span: tuple[int, int]) -> tuple[Rule, tuple[int, int]] | None:
        """An opener that ends in a colon may be the leading span of a longer sentence ("Sure! Here's what
        you need to know: the museum opens at ten …"): the span up to that colon is the hit and the rest of
        the sentence stays. Only before a real sentence (LEAD_IN_MIN_CHARS): "Here is a password: x7Q." and
        "Answer: 42" are answers, not lead-ins."""
        for rule in rules:
            if rule.category not in ("opener", "lead-in"):
                continue
            match = rule.compiled.match(normalised)
            if match is None or ":" not in match.group(0):
                continue
            colon = match.group(0).rindex(":") + 1  # a vocabulary rule may run on past the colon ("解答:你…")
            if colon != match.end() and not rule.compiled.fullmatch(normalised, 0, colon):
                continue
            inner = normalised[colon:].strip()  # a quoted answer is masked to "____": a sentence all the same
            if inner and not _wide(inner) and len(inner.split()) < 2 and "__" not in inner:
                continue  # "Here is a randomly generated 8-character password: rT8$jLpZ.": one token, the answer
            rest = normalised[colon:] + text[span[1]:span[1] + LEAD_IN_MIN_CHARS]  # what follows, in the field
            if len(rest.strip()) + 2 * chars(_WIDE, rest) < LEAD_IN_MIN_CHARS:  # a CJK character counts as 3
                continue
            after = normalised[colon:].count(":")  # counted from the end: decoration (":)") may hide a colon
            start, end = span
            for pos in range(end - 1, start - 1, -1):  # the same colon in the original text (NFKC maps ： to :)
                if text[pos] in ":：":
                    if after == 0:
                        return rule, (start, pos + 1)
                    after -= 1
        return None

    @staticmethod
    def _first(rules: list[Rule], normalised: str, last: bool = False) -> Rule | None:
        joined = None
        for rule in rules:
            if rule.needs_more and last:
                continue  # a lead-in with nothing after it is the answer
            if (joined is None or not rule.joins_run) and rule.matches(normalised):
                if not rule.joins_run:
                    return rule  # a model rule names the sentence before a human formula does
                joined = rule
        return joined

    @staticmethod
    def _close_run(run: list[tuple[int, Hit]], hits: list[Hit], taken: set[int]) -> None:
        """Keep an edge run only as far as it holds boilerplate of its own: decoration ("😊") and human formulae
        (`joins_run` rules: "Best regards," "祝您身体健康") go only outside a model sentence of the run, never alone."""
        signed = max((k for k, (_i, hit) in enumerate(run) if hit.rule.id.endswith("signature")
                      and not hit.rule.joins_run), default=-1)
        while run and run[-1][1].rule.joins_run:
            if signed >= 0 and all(hit.rule.joins_run for _i, hit in run[signed + 1:]):
                break  # "Best regards,\nYour AI Assistant", "此致\n敬礼\nAI 小幫手": the sign-off and its signature
            run.pop()  # innermost: a formula right by the answer ("…早日康复。" + model closer) is the author's own
        for i, hit in run:
            hits.append(hit)
            taken.add(i)

    @staticmethod
    def _glued_closer(rules: list[Rule], text: str, span: tuple[int, int]) -> tuple[Rule, tuple[int, int]] | None:
        """A closer glued to a last line that has no full stop ("Return the file path Hope this helps!"): the tail
        from a capitalised word after a plain space, at most GLUED_WORDS words, matched as a sentence of its own."""
        start, end = span
        sentence = text[start:end]
        for match in _GLUED.finditer(sentence, max(0, len(sentence) - 12 * GLUED_WORDS)):
            tail = sentence[match.end():]
            if tail.count(" ") >= GLUED_WORDS or " " not in tail.strip():
                continue  # one glued word ("… is called Assistant") is the sentence's own
            rule = SlopMatcher._first(rules, _masked(tail))
            if rule is not None and not rule.joins_run and not rule.id.endswith(".signature"):
                return rule, (start + match.end(), end)
        return None

    def _structural_edges(self, fld: str, text: str, named: list[Rule],
                          after_ai: bool = False) -> dict[str, dict[tuple[bool, str], Rule]]:
        """The structural rules worth trying on this field: at an edge where a named rule may hit (a run may go
        on past it), or whose first / last sentence, roughly cut, could be talk about the exchange (a cheap test that
        spares sentence splitting on most rows) or scores as boilerplate with the edge model (the learned rules)."""
        rules = self._structural.get(fld, {})
        learned = self._learned.get(fld, {})
        if not rules and not learned:
            return {}
        every, extra = self._edge_rules[fld]
        out: dict[str, dict[tuple[bool, str], Rule]] = {}
        head = _ROUGH_FIRST.match(text.lstrip())
        if after_ai or any(r.position == "opener" for r in named) or mentions_ai(text[:160]) \
                or says_model_only(text[:160]) \
                or (head is not None and may_be_discourse(head.group(0)) and is_discourse(head.group(0), nowhere)) \
                or (head is not None and opener_shape(head.group(0))):
            out["opener"] = every["opener"]
        # the learned rules never strip an answer's only sentence: a one-sentence answer is not scored
        several = head is not None and len(head.group(0)) < len(text.strip())
        if "opener" not in out and several and head is not None and any(pos == "opener" for pos, _cjk in learned) \
                and edge_model.load().is_boilerplate(head.group(0), "opener"):
            out["opener"] = extra["opener"]
        elif "opener" not in out and head is not None and any(pos == "opener" for pos, _cjk in learned) \
                and _lead_scored(head.group(0)):
            out["opener"] = extra["opener"]
        if "opener" not in out and head is not None and several and speaks_to_asker(head.group(0)) \
                and _rough_lead_in(text.lstrip(), head.end()):
            out["opener"] = every["opener"]  # a lead-in two or three sentences in may anchor a run from the start
        tail = _rough_tail(_trim_decoration(text[-200:]))
        if any(r.position == "closer" for r in named) \
                or (tail and may_be_discourse(tail, at_end=True) and is_discourse(tail, nowhere)) \
                or (tail and closer_shape(tail)):
            out["closer"] = every["closer"]
        elif several and tail.strip() and any(pos == "closer" for pos, _cjk in learned) \
                and (edge_model.load().is_boilerplate(tail, "closer") or _raw_tail_scored(text, tail)):
            out["closer"] = extra["closer"]
        if "closer" not in out and fld in self._signature and _signed(text):
            out["closer"] = every["closer"]
        if "closer" not in out and several and tail and _short_tail(tail) \
                and _rough_closer_before(text[-300:], len(tail)):
            out["closer"] = every["closer"]  # a closer one or two sentences before the end may anchor a run
        return out

    @staticmethod
    def _discourse(rules: dict[tuple[bool, str], Rule] | None, text: str, span: tuple[int, int],
                   prompt: str) -> Rule | None:
        """The structural rule for this sentence when it is talk about the exchange (filters/discourse.py); a word of
        it found in the prompt or elsewhere in the answer makes it content. A presentational lead-in ("Here are the
        details you need.", "以下为您整理：") is the lead-in rule's: the lead-in policy switches it with the others."""
        if not rules:
            return None
        sentence = text[slice(*span)]
        line_start = text.rfind("\n", 0, span[0]) + 1
        if _LIST_LINE.match(text, line_start):
            return None  # a list item or a heading is the answer's own
        cjk = _wide(sentence)
        lead_in = (_LEAD_IN_ZH if cjk else _LEAD_IN_EN).search(sentence) is not None
        rule = rules.get((cjk, "lead-in" if lead_in else "opener")) or rules.get((cjk, "closer"))
        if rule is None or (lead_in and rule.category != "lead-in"):
            return None
        rest: list[str] = []

        def elsewhere(stem: str) -> bool:
            if not rest:
                rest.append(f"{prompt}\n{text[:span[0]]}\n{text[span[1]:]}".lower())
            return (stem in rest[0]) if cjk else re.search(rf"\b{re.escape(stem)}", rest[0]) is not None

        if not is_discourse(sentence, elsewhere):
            if weak_greeting(sentence):  # "亲，您好！" before "关于您的问题，回复如下：": only inside a run
                return _joining(rule)
            return None
        if _human_formula(sentence):
            return None  # a doctor's or support agent's own formula (human.yaml): never stripped as model talk
        return rule

    def _sign_off(self, fld: str, text: str, spans: list[tuple[int, int]], i: int,
                  run: list[tuple[int, Hit]]) -> Rule | None:
        """The signature rule for a machine's signature on the answer's last line (filters/signature.py), and, joining
        the run, for each sign-off line above it ("Cheers,", "此致", "敬禮"): a human formula there is the model's."""
        start, end = spans[i]
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        if text[line_start:start].strip() or text[end:len(text) if line_end < 0 else line_end].strip():
            return None  # not a line of its own
        sentence = text[start:end]
        rule = self._signature.get(fld, {}).get(_wide(sentence))
        if rule is None:
            return None
        if not run:
            above = text[:line_start].rstrip().rpartition("\n")[2]
            return rule if i == len(spans) - 1 and machine_signature(sentence, above) else None
        signed = any(hit.rule is rule for _j, hit in run)
        return _joining(rule) if signed and closing_line(sentence) else None

    def _learned_prefix(self, fld: str, rules: dict[tuple[bool, str], Rule] | None, text: str,
                        span: tuple[int, int], prompt: str) -> tuple[Rule, int] | None:
        """A lead that opens a sentence going on with the answer ("So, to get straight to your question: The
        CBC mode …", "好的，根据你的问题，無法分配…"): the longest prefix up to a colon (in Chinese also a
        comma, after two clauses or more) that the edge model scores as an opener, each Chinese clause talk and
        no human formula, no word of the subject. A prefix up to a colon is a lead-in: the lead-in policy decides
        it. Returns (rule, length)."""
        if not rules:
            return None
        sentence = text[slice(*span)]
        cjk = _wide(sentence)
        model, found = edge_model.load(), None
        for mark in (_PREFIX_CUT_ZH if cjk else _PREFIX_CUT_EN).finditer(sentence, 0, edge_model.MAX_CHARS[cjk]):
            cut = mark.end()
            if len(sentence) - cut < PREFIX_REST or (not cjk and len(sentence[cut:].split()) < PREFIX_WORDS):
                break  # "Here is a randomly generated password: rT8$jLpZ.": what follows is too short to be the answer
            prefix = sentence[:cut]
            colon = prefix[-1] in ":："
            if not cjk and len(prefix.split()) < PREFIX_WORDS:
                continue  # "Question:", "Note:": a label
            rule = self._structural.get(fld, {}).get(("opener", cjk, "lead-in")) if colon \
                else rules.get((cjk, "learned"))
            if rule is None or "`" in prefix or "://" in prefix or not model.is_boilerplate(prefix, "opener"):
                continue
            clauses = [c for c in _CLAUSE_END.split(prefix) if c.strip()] if cjk else [prefix]
            turn = _TURN_ZH.match(sentence, cut) if cjk and not colon else None
            if cjk and not colon and (len(clauses) < 2 or (turn is None and not is_discourse(clauses[-1], nowhere))):
                # "首先，" "一般来说，": one clause before a comma is how a person starts too; after two, the last must
                # be talk about the answer ("…，我来为你说明，") or turn to it ("作为AI，我没法运行它，不过…"), else the
                # comma may sit inside the answer's own phrase ("好的，这里有一个简单，有趣的例子…", a list of words)
                continue
            if (cjk and not all(model.score(c, "opener") >= model.run_threshold["opener"]["zh"] for c in clauses)) \
                    or any(_human_formula(c) for c in clauses):
                continue
            if names_the_subject(prefix, _found_in(f"{prompt}\n{sentence[cut:]}\n{text[span[1]:]}".lower(), cjk)):
                continue
            end = turn.end() if turn is not None and len(sentence) - turn.end() >= PREFIX_REST else cut
            bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(sentence, end) if turn is not None else None
            if bridge is not None and len(sentence) - bridge.end() >= PREFIX_REST:
                end = bridge.end()  # "…，不过根据公开资料，<answer>": the hedge after the turn goes with it
            found = (rule, end)
        return found

    def _disclaimer_clause(self, fld: str, text: str, span: tuple[int, int], prompt: str) -> tuple[Rule, int] | None:
        """A disclaimer clause that turns to the answer inside one sentence ("As a bot I can't run this, but <answer>",
        "我的知识可能不是最新的，但<answer>"): the model speaking of itself, read as talk by the edge model (its
        opener or whole-answer table), no human formula, no word of the subject. It goes with its turn word (and a
        hedge after it: "…, but as far as I know, "). Returns (the disclaimer rule, length)."""
        sentence = text[slice(*span)]
        cjk = _wide(sentence)
        rule = self._structural.get(fld, {}).get(("opener", cjk, "capability-disclaimer"))
        turn = (_DISCLAIMER_TURN_ZH if cjk else _DISCLAIMER_TURN_EN).search(sentence, 0, edge_model.MAX_CHARS[cjk] + 2)
        if rule is None or turn is None or len(sentence) - turn.end() < PREFIX_REST \
                or (not cjk and len(sentence[turn.end():].split()) < PREFIX_WORDS):
            return None
        prefix = sentence[:turn.start()]
        if not _SPEAKS_AS_ITSELF.search(prefix) or "`" in prefix or "://" in prefix:
            return None
        model = edge_model.load()
        if not (model.is_boilerplate(prefix, "opener") or (len(prefix) <= edge_model.MAX_CHARS[cjk] and model.score(
                prefix, "whole") >= model.threshold["whole"]["zh" if cjk else "en"])
                or (_AI_LIMIT_ZH if cjk else _AI_LIMIT_EN).search(prefix)):
            return None
        rest = f"{prompt}\n{sentence[turn.end():]}\n{text[span[1]:]}".lower()
        if _human_formula(prefix) or names_the_subject(prefix, _found_in(rest, cjk)):
            return None
        bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(sentence, turn.end())
        end = bridge.end() if bridge is not None and len(sentence) - bridge.end() >= PREFIX_REST else turn.end()
        return rule, end

    def _glued_disclaimer(self, fld: str, text: str, span: tuple[int, int], prompt: str) -> tuple[Rule, int] | None:
        """A disclaimer clause glued to the answer with only a comma ("Without seeing your logs, the installer
        …", "Based only on what I was trained on, …", "我这边连不上你的集群，按你贴的日志看，…"): a leading clause (up
        to the first comma, or the second where that clause reads the same) that speaks of the model, the machine or
        the asker's material and that the edge model's clause table scores as a disclaimer; no human formula, no
        word of the subject, room for an answer after it. Returns (the disclaimer rule, length)."""
        sentence = text[slice(*span)]
        cjk = _wide(sentence)
        rule = self._structural.get(fld, {}).get(("opener", cjk, "capability-disclaimer"))
        model, end, start = edge_model.load(), 0, 0
        if rule is None or "clause" not in model.tables:  # a model trained before round 11 has no clause table
            return None
        for mark in list(_GLUED_COMMA.finditer(sentence, 0, edge_model.MAX_CHARS[cjk] + 2))[:2]:
            part = sentence[start:mark.start()]
            rest = sentence[mark.end():]
            if len(rest) < PREFIX_REST or (not cjk and len(rest.split()) < PREFIX_WORDS) or _TURNS_ON.match(rest) \
                    or not (_CLAUSE_CUE_ZH if cjk else _CLAUSE_CUE_EN).search(part) or "`" in part or "://" in part \
                    or not model.is_boilerplate(part, "clause") or _human_formula(part):
                break
            if names_the_subject(part, _found_in(f"{prompt}\n{rest}\n{text[span[1]:]}".lower(), cjk)):
                break
            end = start = mark.end()
        if not end:
            return None
        bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(sentence, end)
        if bridge is not None and len(sentence) - bridge.end() >= PREFIX_REST:
            end = bridge.end()  # "…, in general terms the …": the hedge goes with the clause
        return rule, end

    @staticmethod
    def _run_goes_on(rules: dict[tuple[bool, str], Rule] | None, text: str, spans: list[tuple[int, int]], i: int,
                     run: list[tuple[int, Hit]]) -> Rule | None:
        """A sentence that carries on a run of openers already found: a short lead-in ending in a colon ("Absolutely!
        The essentials, in order:"), or, after the model said it is an AI, how far to trust it ("Always consult the
        official documentation."). Never the answer's last sentence."""
        if not rules or not run or i == len(spans) - 1 or "\n" in text[spans[i - 1][1]:spans[i][0]]:
            return None  # on a line of its own after the run: a heading or code ("收入：", "def main():")
        sentence = text[slice(*spans[i])].strip()
        cjk = _wide(sentence)
        if sentence[-1:] in (":", "：") and (len(sentence) <= 16 if cjk else len(sentence.split()) <= 6) \
                and not _CODE_MARK.search(sentence):
            return rules.get((cjk, "lead-in")) or rules.get((cjk, "learned"))
        short = len(sentence) <= 24 if cjk else len(sentence.split()) <= 12  # the caution is the whole sentence
        if short and is_caution(sentence) and any(mentions_ai(hit.text) for _j, hit in run):
            return rules.get((cjk, "capability-disclaimer")) or rules.get((cjk, "learned"))
        return None

    @staticmethod
    def _shaped_edge(rules: dict[tuple[bool, str], Rule] | None, edge: str, text: str,
                     spans: list[tuple[int, int]], i: int) -> Rule | None:
        """The shape rule for this edge sentence when it is a wish, an offer to go on, a question back or the task
        said back (filters/edge_shape.py): never the answer's only sentence, a list item or heading, or a human
        formula."""
        if not rules or (edge == "opener" and i == len(spans) - 1) or (edge == "closer" and i == 0):
            return None
        sentence = text[slice(*spans[i])]
        rule = rules.get((_WIDE.search(sentence) is not None, "shape"))
        if rule is None or _LIST_LINE.match(text, text.rfind("\n", 0, spans[i][0]) + 1):
            return None
        if not (closer_shape if edge == "closer" else opener_shape)(sentence) or _human_formula(sentence):
            return None
        if edge == "closer" and ASKS_FOR_INPUT.search(text):
            return None  # "…, which you didn't say. Tell me both and I can estimate it.": the request is the answer
        if edge == "opener" and len(re.findall(r"\w", text[spans[i][1]:])) < 10:
            return None  # "你想要發佈…嗎? (y/N)": what follows is no answer on its own
        return rule

    @staticmethod
    def _bridge_to_lead_in(rules: dict[tuple[bool, str], Rule] | None, text: str, spans: list[tuple[int, int]],
                           i: int, run: list[tuple[int, Hit]]) -> Rule | None:
        """A short sentence between an opener already found and a presentational lead-in one or two sentences on
        ("Ooh, tough one! But I think we can crack it. Let's look at the constraints first."): the run's. The
        lead-in bounds the run, so the answer after it is never reached; all of it on the run's line."""
        if not rules or not any(not hit.rule.joins_run for _k, hit in run) or _WIDE.search(text[slice(*spans[i])]):
            return None  # after a model's opener only (a greeting may be a doctor's), in English (以下 is everywhere)
        if run[-1][1].rule.shape and run[-1][0] == i - 1 and i < len(spans) - 1 \
                and BRIDGE_LEAD_EN.search(text[slice(*spans[i])]) and "\n" not in text[spans[i - 1][1]:spans[i][0]]:
            return run[-1][1].rule  # the lead-in the bridge led to ("Let's look at the constraints first.")
        for j in (i + 1, i + 2):
            if j >= len(spans) - 1:
                return None
            between = text[spans[i - 1][1]:spans[j][0]]
            if "\n" in between or _CODE_MARK.search(between) or any(ch.isdigit() for ch in between):
                return None
            if len(text[slice(*spans[j - 1])].split()) > 12:
                return None
            if BRIDGE_LEAD_EN.search(text[slice(*spans[j])]):
                return rules.get((False, "shape"))
        return None

    @staticmethod
    def _anchored_lead_in(fld: str, rules: dict[tuple[bool, str], Rule] | None, text: str,
                          spans: list[tuple[int, int]], prompt: str, first: int = 0) -> list[tuple[int, Hit]]:
        """An opener run read from its two ends (filters/edge_shape.py): a lead-in that presents the answer up to two
        sentences after `first` (the first sentence the run's other tests left; at the answer's start the lead-in
        is the second or third sentence), and before it only sentences that speak to the asker, on one line, naming
        nothing of the subject, no human formula among them. The run's hits from `first` on, or []."""
        if not rules:
            return []
        for j in range(first if first else 1, first + 3):
            if j >= len(spans) or "\n" in text[spans[first][0]:spans[j][0]]:
                return []
            sentence = text[slice(*spans[j])]
            cjk = _WIDE.search(sentence) is not None
            lead = rules.get((cjk, "lead-in")) or rules.get((cjk, "learned"))
            shape = rules.get((cjk, "shape")) or rules.get((cjk, "learned"))
            if lead is None or shape is None:
                return []
            if j > first and (not speaks_to_asker(text[slice(*spans[j - 1])])
                              or _human_formula(text[slice(*spans[j - 1])])
                              or weak_greeting(text[slice(*spans[j - 1])])):
                return []
            end = spans[j][1]
            if not presents_answer(sentence):
                colon = _COLON_LEAD.match(sentence)  # "Here's the skinny: <answer>" in one sentence
                if colon is None or not presents_answer(colon.group(0)):
                    continue
                end = spans[j][0] + colon.end()
            rest = text[end:]
            if (chars(_CJK_RUN, rest) < 12) if cjk else len(rest.split()) < 8:
                return []
            before = text[spans[first][0]:spans[j][0]]
            if before.strip() and names_the_subject(without_model_names(before),
                                                     _found_in(f"{prompt}\n{rest}".lower(), cjk)):
                return []
            return [*((k, Hit(shape, fld, spans[k], text[slice(*spans[k])])) for k in range(first, j)),
                    (j, Hit(lead, fld, (spans[j][0], end), text[spans[j][0]:end]))]
        return []

    def _anchored_closer(self, fld: str, rules: dict[tuple[bool, str], Rule] | None, text: str,
                         spans: list[tuple[int, int]], last: int, prompt: str,
                         masked: Callable[[int], str]) -> list[tuple[int, Hit]]:
        """A closing run read from its two ends, the mirror of `_anchored_lead_in`: a sentence one or two before the
        last that a closer test takes ("Hope this answer fits what you needed!"), and after it only short sentences
        or lines that speak to the asker and score as closing talk, or sign the answer ("My door's always open.",
        "Toodles", "Your AI Pal 🤖"), naming nothing of the subject. [] when there is no such run."""
        if not rules or last < 2:
            return []
        model = edge_model.load()
        kinds: dict[int, str] = {}

        def kind(t: int) -> str:  # each sentence after the anchor, judged once and only when needed
            if t not in kinds:
                kinds[t] = _closing_talk(text, spans[t], model) if masked(t) else "decoration"
            return kinds[t]

        if not kind(last):
            return []  # most answers end here: their last sentence says something
        for k in (last - 1, last - 2):
            if k < 1 or "```" in text[spans[k][0]:]:
                return []
            sentence = text[slice(*spans[k])]
            cjk = _wide(sentence)
            anchor = None
            if len(sentence) <= 200 and _CLOSING_START.match(sentence):
                # the named closer rules, asked of this sentence as if it were the last
                shorter = [r for r in self.candidates(fld, normalise(text[:spans[k][1]])) if r.position == "closer"]
                anchor = self._first(shorter, masked(k)) if shorter else None
            if anchor is None and closer_shape(sentence) and not _human_formula(sentence) \
                    and not ASKS_FOR_INPUT.search(text):
                anchor = rules.get((cjk, "shape"))
            if anchor is None or anchor.action != "strip" or anchor.category == "human-closing" \
                    or _human_formula(sentence):
                continue  # "祝您身体健康！" above "外孙 小明" is a person's letter: only a model's closer anchors
            tail = range(k + 1, last + 1)
            if not all(kind(t) for t in tail):
                return []
            # the sign-off lines may name the signer ("Toodles,", "Your AI Pal 🤖"); the talk must name no subject
            talk = " ".join(text[slice(*spans[t])] for t in tail if kinds[t] == "talk")
            if talk and names_the_subject(talk, _found_in(f"{prompt}\n{text[:spans[k][0]]}".lower(), cjk)):
                return []
            follower = rules.get((cjk, "shape")) or anchor
            return [(k, Hit(anchor, fld, spans[k], sentence)),
                    *((t, Hit(follower if masked(t) else _DECOR_RULE, fld, spans[t], text[slice(*spans[t])]))
                      for t in tail)]
        return []

    def _learned_rule(self, rules: dict[tuple[bool, str], Rule] | None, edge: str, text: str,
                      spans: list[tuple[int, int]], i: int, prompt: str, in_run: bool = False) -> Rule | None:
        """The learned rule for this edge sentence when the edge model scores it as boilerplate: never the answer's
        only sentence, a list item or heading, a long sentence, code, a link, a human formula, a word of the subject
        (an opener ending in a colon is a lead-in and may name it), nor a presentational lead-in while the lead-in
        policy is off. `in_run`: the sentence goes on a run of
        boilerplate already found ("Such a playful question! Explanation time."): a lower score will do."""
        if not rules or (edge == "opener" and i == len(spans) - 1) or (edge == "closer" and i == 0):
            return None
        sentence = text[slice(*spans[i])]
        if "`" in sentence or "://" in sentence or (edge == "closer" and sentence.rstrip()[-1:] in (":", "：")):
            return None  # code, a link; a last sentence that announces more ("Here's how it works:") is the text's
        cjk = _wide(sentence)
        rule = rules.get((cjk, "learned"))
        if rule is None or _LIST_LINE.match(text, text.rfind("\n", 0, spans[i][0]) + 1):
            return None
        if not self._lead_ins_on and (_LEAD_IN_ZH if cjk else _LEAD_IN_EN).search(sentence):
            return None  # "Here are the details you need.": the lead-in policy decides, and it is off
        if edge == "closer" and _NAMES_AI.search(sentence) and _SAYS_WHO.search(sentence):
            return None  # "我是一个人工智能助手，旨在…" last: who the model is, the identity rules' (the row may drop)
        if not edge_model.load().is_boilerplate(sentence, edge, in_run):
            return None
        if _human_formula(sentence):
            return None
        if edge == "opener" and sentence.rstrip()[-1:] in (":", "："):
            return rule  # a lead-in ("In short, here's how it works:"): the lead-in policy strips it whatever it names
        rest = f"{prompt}\n{text[:spans[i][0]]}\n{text[spans[i][1]:]}".lower()
        return None if names_the_subject(sentence, _found_in(rest, cjk)) else rule

    def find(self, fld: str, text: str, prompt: str = "", after_ai: bool = False) -> list[Hit]:
        """Every hit in one field. `prompt` (instruction and input) tells the structural rules which words are the
        subject's; `after_ai`: a statement that the model is an AI was just cut from the start of this text."""
        if not text or (fld not in self._by_field and fld not in self._structural and fld not in self._self_talk
                        and fld not in self._learned and fld not in self._shaped):
            return []
        rules = self.candidates(fld, normalise(text)) if fld in self._by_field else []
        structural = self._structural_edges(fld, text, rules, after_ai)
        talk_rule = self._self_talk_rule(fld, text)
        if talk_rule is None or talk_rule.action != "drop":  # a named whole rule that matches still goes first
            # (below); a self-talk clause the vocabulary would strip ("我是AI助理，") yields to the learned drop
            # when nothing but talk follows it
            talk_rule = self._learned_whole(fld, text) or talk_rule
        if talk_rule is None:
            talk_rule = self._shape_rule(fld, text, prompt)
        if not rules and not structural and talk_rule is None:
            return []
        groups = {pos: [r for r in rules if r.position == pos] for pos in ("opener", "closer", "anywhere", "whole")}
        rescuable = any(r.rescue for r in rules)  # a named rule may rescue the answer: it names the disclaimer
        spans = sentences(text)
        norm: dict[int, str] = {}

        def masked(i: int) -> str:
            if i not in norm:
                norm[i] = _masked(text[slice(*spans[i])])
            return norm[i]

        drops_anywhere = [r for r in groups["anywhere"] if r.action == "drop"]

        def model_says(edge: str, i: int, in_run: bool) -> Rule | None:
            """The edge model's verdict, unless a named drop rule knows the sentence and no answer follows it
            ("抱歉，作为一个人工智能助手，我无法看到物体。我只能通过文字…交互。"): then the row drops. Where an
            answer follows, the model's strip takes the whole sentence (the rescue might leave "but I can explain
            it.")."""
            learned = self._learned_rule(structural.get(edge), edge, text, spans, i, prompt, in_run)
            if learned is None or not drops_anywhere:  # the model first: it is silent on most sentences
                return learned
            named = self._first(drops_anywhere, masked(i))
            if named is not None and (not named.rescue or rescue(text, Hit(named, fld, spans[i],
                                                                              text[slice(*spans[i])])) is None):
                return None
            return learned

        hits: list[Hit] = []
        taken: set[int] = set()
        if groups["opener"] or "opener" in structural:
            run: list[tuple[int, Hit]] = []
            for i in range(len(spans)):  # every leading boilerplate sentence: a cap would leave the next one
                if text[spans[i - 1][1] if i else 0:spans[i][0]].strip():
                    break  # a code block stands before it: "Output:" after code labels the code's output
                if not masked(i) and i < len(spans) - 1:  # "🙌" alone: decoration, part of the run around it
                    run.append((i, Hit(_DECOR_RULE, fld, spans[i], text[slice(*spans[i])])))
                    continue
                rule = self._first(groups["opener"], masked(i), i == len(spans) - 1)
                if rule is None:
                    lead = self._lead_in(groups["opener"], masked(i), text, spans[i])
                    if lead is not None:  # "Here's what you need to know: <content>" keeps the content
                        run.append((i, Hit(lead[0], fld, lead[1], text[slice(*lead[1])])))
                        break
                    rule = self._discourse(structural.get("opener"), text, spans[i], prompt) \
                        or model_says("opener", i, bool(run)) \
                        or self._run_goes_on(structural.get("opener"), text, spans, i, run) \
                        or self._shaped_edge(structural.get("opener"), "opener", text, spans, i) \
                        or self._bridge_to_lead_in(structural.get("opener"), text, spans, i, run)
                    if rule is None:
                        # "好的呢～患了…" / "根据您描述的情况，下面给出一些解释：根据…": a lead inside the sentence
                        cut = lead_in_prefix(text[slice(*spans[i])]) if structural.get("opener") else 0
                        prefix = self._discourse(structural.get("opener"), text, (spans[i][0], spans[i][0] + cut),
                                                 prompt) if cut else None
                        ack = ack_lead_zh(text[slice(*spans[i])]) if prefix is None and i == 0 \
                            and structural.get("opener") and _wide(text[slice(*spans[i])]) else 0
                        if ack:  # "当然可以，简单来说，<answer>": the acknowledgement and its marker go
                            prefix, cut = structural["opener"].get((True, "opener")), ack
                        learned = None if prefix is not None and not prefix.joins_run \
                            else self._learned_prefix(fld, structural.get("opener"), text, spans[i], prompt) \
                            or (None if rescuable else self._disclaimer_clause(fld, text, spans[i], prompt)
                                or self._glued_disclaimer(fld, text, spans[i], prompt))
                        if learned is not None:
                            prefix, cut = learned
                        if prefix is not None and not prefix.joins_run:
                            end = spans[i][0] + cut
                            run.append((i, Hit(prefix, fld, (spans[i][0], end), text[spans[i][0]:end])))
                        elif i == 0 or run:
                            run.extend(self._anchored_lead_in(fld, structural.get("opener"), text, spans, prompt, i))
                        break
                run.append((i, Hit(rule, fld, spans[i], text[slice(*spans[i])])))
            self._close_run(run, hits, taken)
            if run:  # "Hi there! 👋 <answer>": the emoji that opens the next sentence goes with the opener
                last = max(range(len(hits)), key=lambda k: hits[k].span[1])
                start, end = hits[last].span
                emoji = _LEADING_EMOJI.match(text, end)
                if emoji is not None and emoji.end() < len(text.rstrip()):
                    hits[last] = Hit(hits[last].rule, fld, (start, emoji.end()), text[start:emoji.end()])
        if groups["closer"] or "closer" in structural:
            run = []
            for i in range(len(spans) - 1, -1, -1):
                if i in taken or text[spans[i][1]:spans[i + 1][0] if i + 1 < len(spans) else len(text)].strip():
                    break  # a code block stands after it: not the end of the answer
                if not masked(i):  # "😊" alone after "Hope that helps!": decoration
                    run.append((i, Hit(_DECOR_RULE, fld, spans[i], text[slice(*spans[i])])))
                    continue
                rule = self._first(groups["closer"], masked(i))
                if rule is None:
                    if _POINTS_ON.search(text[slice(*spans[i])]):
                        break  # it announces a block that is not here: the answer's own words, not a closer
                    glued = self._glued_closer(groups["closer"], text, spans[i])
                    if glued is not None:  # "… (PEP 3333) Take care!": a closer after a line with no full stop
                        run.append((i, Hit(glued[0], fld, glued[1], text[slice(*glued[1])])))
                        break
                    rule = self._sign_off(fld, text, spans, i, run) \
                        or self._discourse(structural.get("closer"), text, spans[i], prompt) \
                        or model_says("closer", i, bool(run)) \
                        or self._shaped_edge(structural.get("closer"), "closer", text, spans, i)
                    if rule is None:
                        if not any(hit.rule is not _DECOR_RULE for _k, hit in run):
                            run.extend(self._anchored_closer(fld, structural.get("closer"), text, spans, i, prompt,
                                                             masked))
                        break
                run.append((i, Hit(rule, fld, spans[i], text[slice(*spans[i])])))
            self._close_run(run, hits, taken)
        if groups["anywhere"]:
            for i in range(len(spans)):
                if i in taken:
                    continue
                rule = self._first(groups["anywhere"], masked(i))
                if rule is not None:
                    span = _opening_clause(rule, text, spans[i], masked(i)) if rule.action == "strip" else spans[i]
                    hits.append(Hit(rule, fld, span, text[slice(*span)]))
        if groups["whole"]:
            # the whole answer is a refusal: dropped, even where a rescuable rule named its first sentence (what
            # follows it is more refusal, not an answer); a named drop that is not rescued names the drop first
            if not any(h.rule.action == "drop" and not h.rule.rescue for h in hits):
                whole = _masked(text)
                for rule in groups["whole"]:
                    if (rule.sentence_gate is None or not too_many_sentences(rule.sentence_gate, whole)) \
                            and rule.compiled.fullmatch(whole):  # a named drop first, so the ledger names the family
                        named = sorted((h for h in hits if h.rule.action == "drop"), key=lambda h: h.span)[:1]
                        return [*named, Hit(rule, fld, (0, len(text)), text)]
        hits.sort(key=lambda h: h.span)
        if talk_rule is None and structural.get("opener") \
                and not any(h.span[0] == 0 or h.rule.action == "drop" for h in hits):
            # a block of disclaimer clauses before the answer that no named rule knows: it goes first, and the rest
            # is matched again afterwards (apply_slop runs to a fixed point)
            block = structural["opener"].get((_wide(text[:40]), "capability-disclaimer"))
            end = leading_self_talk(text, after_ai) if block is not None else 0
            if end:
                return [Hit(block, fld, (0, end), text[:end])]
        if talk_rule is not None:  # after the named hits: a named drop names the row first
            hits.append(Hit(talk_rule, fld, (0, len(text)), text))
        return hits

    def _learned_whole(self, fld: str, text: str) -> Rule | None:
        """The learned whole-answer rule when the edge model scores this short answer as only a refusal or an
        identity statement, in words neither the named rules nor the self-talk test know."""
        if not edge_model.may_refuse(text):
            return None  # long, or speaking of nothing a refusal holds: most answers end here
        rule = self._learned.get(fld, {}).get(("whole", _wide(text)))
        if rule is None or _QUOTE_OR_CODE.search(text):
            return None  # code, a link or a quotation ('The bot replied "I cannot do that."') is someone's text
        return rule if edge_model.load().is_refusal(text) else None

    def _shape_rule(self, fld: str, text: str, prompt: str) -> Rule | None:
        """The shape whole-answer rule when every sentence is the model saying what it will not do or is not, or a
        reason, a referral, an offer or a wish around that (filters/self_limit.py), in words no rule names."""
        rules = self._shaped.get(fld)
        if not rules:
            return None
        kind = self_limit(text, prompt)
        if kind is None:
            return None
        return rules.get(("refusal" if kind == "refusal" else "ai-identity", _WIDE.search(text) is not None))

    def _self_talk_rule(self, fld: str, text: str) -> Rule | None:
        """The structural whole-answer rule when the answer is only the model talking about itself: a refusal or an
        identity statement with nothing else but talk around it (filters/discourse.py)."""
        rules = self._self_talk.get(fld)
        if not rules or len(text) > SELF_TALK_CHARS:
            return None
        kind = self_talk(text)
        if kind is None:
            return None
        return rules.get(("refusal" if kind == "refusal" else "ai-identity", _wide(text)))


_DECOR_RULE = Rule("slop.decoration", "decoration", "\\x00", position="anywhere", joins_run=True,
                   description="an emoji or emoticon alone between boilerplate sentences")
KEPT_WHOLE = "slop.kept-whole"  # the flag of a row whose strip would have emptied it: kept as it came
FILLER_ONLY = "slop.filler-only"  # … and every sentence of it is content-free (noise.filler drops such rows)
# Where an identity clause may end: a contrast ("…, but <answer>") anywhere after it, or the comma that closes
# the identity phrase itself ("As an AI, <answer>"); a later plain comma is inside the answer's own list.
_CUT_EN = re.compile(r"[,;:—–]?\s*\b(?:but|however|though|although|that said|nevertheless|yet|still)\b,?\s*")
_CUT_ZH = re.compile(r"[,，;；]?\s*(?:但是|但|不过|然而|可是)[,，]?")
_COMMA = re.compile(r"[,，;；:：]\s*")
# What is left after an identity sentence that only talks about the model is no answer either ("I am here to
# assist you …", "My capabilities are based on …", "我只能通过文字与您交互。")
_ABOUT_ITSELF = re.compile(
    r"(?:i(?:'m| am) (?:here to|programmed|designed|built|trained|only able|not able|unable|just|"
    r"an? (?:ai|language|virtual|digital|computer|machine))|i can only|i do not have|i don't have|i cannot|i can't|"
    r"i won't|i will not|"
    r"my (?:capabilities|purpose|programming|function|role|knowledge|training|responses|abilities)\b"
    r"|我(?:只能|仅能|无法|不能|的(?:程序|能力|设计|功能|知识|回答|回复|训练)|是(?:一个|一名)?(?:ai|人工智能|语言模型|程序)"
    r"|没有(?:能力|办法)))",
    re.IGNORECASE)
# … nor is what only asks for the missing input, offers to help once it comes, or sends the user elsewhere
# ("Could you provide the article?", "如果您能提供诗歌文本，我很乐意为您解答。", "Please contact your bank.")
_ASKS_FOR_INPUT = re.compile(
    r"(?:please |you (?:should|may want to|might want to|can|could) "
    r"|i (?:would )?(?:recommend|suggest) (?:that )?(?:you )?)"
    r"(?:contact|consult|see|speak|talk|reach out|call|visit|ask|check with)\b"
    r"|(?:请|建议|最好)(?:您|你)?(?:联系|咨询|去|到|询问|致电)"
    r"|(?:(?:so,? )?(?:could|can|would) you(?: please)?|please|kindly|if you(?: can| could)?|once you)"
    r" (?:provide|share|give|send|paste|specify|tell|describe|clarify)"
    r"|(?:如果|若|假如)(?:您|你)?(?:能|可以|愿意)?(?:提供|给出|告诉我|发给我|描述|说明)"
    r"|(?:您|你)(?:能|可以|愿意)?(?:提供|给出|告诉我|发给我|描述|说明)"
    r"|(?:请|麻烦)(?:您|你)?(?:提供|给出|告诉我|发给我|描述|说明)", re.IGNORECASE)
_CONNECTIVE_EN = re.compile(r"(?:however|but|nevertheless|that said|still|instead),?\s+", re.IGNORECASE)
_CONNECTIVE_ZH = re.compile(r"(?:但是|但|不过|然而|可是)[,，]\s*")
_SELF_TALK = re.compile(r"(?:i|i'm|i am|i've|i'd|i'll|my|me|being|as an?|so|and|therefore|thus|hence|which|designed|"
                        r"built|trained|programmed|created|developed|not|cannot|can't|unable)\b|我|作为|身为|所以|因此|因而|而|旨在|并且|"
                        r"以及|来|被|无法|不能|没有|不具备|并非|只能|仅能|不是",
                        re.IGNORECASE)
_CJK_RUN = run_of("[\u3400-\u9fff]")


# The hedge that leads from a disclaimer to the answer, a family of its own ("but from what I know,", "I can tell
# you that", "generally speaking,", "Based on my training data:", "不过据我所知，", "一般来说，"): it goes with the
# disclaimer.
_BRIDGE_EN = re.compile(
    r"\s*(?:(?:but|however|that said|still|yet)\b,?\s*)?(?:(?:(?:from|based on) (?:what i (?:know|understand|can tell)|"
    r"(?:my |general |common |public(?:ly available)? )?(?:knowledge|understanding|training(?: data)?|information|"
    r"documentation)(?: available)?)|as far as i (?:know|can tell|am aware|'m aware)|to (?:the best of )?my knowledge|"
    r"generally(?: speaking)?|in (?:general|broad|simple|plain) terms|in general|typically|usually|broadly speaking|"
    r"i can (?:only |still )?(?:tell you|say|note|confirm|point out)(?: that)?|"
    r"i can (?:only |still )?(?:explain|share) that|"
    r"i(?:'ll| will| would| can|'d) (?:note|say|mention|point out|add) that|"
    r"i can (?:only |still )?(?:tell|say) you that|"
    r"i(?:'d| would) (?:say|guess)(?: that)?|i believe(?: that)?|in principle|in theory|namely(?: that)?|"
    r"i can (?:still |only )?(?:offer|give you|provide|share) (?:some )?(?:general|objective|factual|basic) "
    r"(?:information|info|facts|analysis|guidance|overview)[.:]?|"
    r"my (?:suggestion|advice|guess|understanding|best guess|hunch|take) (?:is|would be)(?: that)?|"
    r"i(?:'d| would)? (?:guess|reckon)(?: that)?|(?:so )?(?:i )?reckon|"
    r"what i can (?:tell|say)(?: you)? is(?: that)?|"
    r"(?:so )?going (?:purely )?(?:off|by|on) (?:your|the|this) (?:description|message|details|title|question)|"
    r"(?:as per|according to|based on) (?:my understanding|common knowledge|general knowledge|what you've (?:typed|"
    r"described|said|written|pasted))|from what you've (?:typed|described|said|written|pasted)|"
    r"(?:so )?please (?:weigh|take) (?:this|it) (?:accordingly|with a grain of salt)|"
    r"here(?:'s| is) what (?:i know|the documentation says|i can tell you))(?:\s*[,:;]\s*|\s+(?=\S)))+",
    re.IGNORECASE)
_BRIDGE_ZH = re.compile(r"\s*(?:(?:但是?|不过|然而)[,，]?)?(?:(?:据我所知|根据我的(?:了解|知识|理解)|就我所知|"
                        r"(?:根据|基于)(?:常识|已有(?:的)?知识|一般(?:的)?(?:医学)?(?:知识|常识))|"
                        r"(?:根据|基于|从)(?:公开|现有|已有|网上)的?(?:资料|信息|文献)(?:来看|来说)?|"
                        r"从一般(?:的)?(?:医学)?(?:知识|常识|角度)(?:来看|来说|上讲)|"
                        r"我可以(?:告诉你|告诉您|说)|只能说|我(?:认为|的建议是|的看法是)|"
                        # "…，但可以提供一些客观资讯。", "以下基于已有知识：", "仅供学习交流使用。": the offer that
                        # leads to the answer, with its full stop
                        r"(?:我)?可以(?:为你|给你|为您|给您|向你|向您)?(?:提供|分享|给出|做)(?:一些|一点|些)?"
                        r"(?:客观|一般性|通用|基础|参考|常识性)的?(?:资讯|資訊|信息|訊息|分析|建议|建議|知识|知識)[。.]?|"
                        r"以下(?:内容)?(?:是)?(?:基于|根据)(?:已有|现有|我的|公开)?的?(?:知识|资料|信息)[^，。：:]{0,6}[：:]|"
                        r"(?:以下内容)?仅供(?:学习交流|参考)(?:使用)?[。.]?|"
                        r"(?:通常|一般)(?:情况下|来说|而言)|"
                        r"从(?:医学|专业)?(?:角度|知识)(?:来看|来说|上讲))[,，:：]?)+")
# what may stand between an identity phrase and its comma ("I am an AI and cannot give opinions,")
_CLAUSE_TAIL = re.compile(r"(?: (?:and|so|with|without|that|who|which|lacking|having)\b[^,;:.!?\n]{1,80}"
                          r"|[^,;:.!?\n]{0,3})(?=[,，;；])")
# a sentence that opens with a subordinate clause ("As I can't browse the web right now, <answer>"): by grammar the
# clause ends at its comma, whatever words ("right now", "from here") come after the rule's match
_CONCESSIVE_EN = r"although|though|even though|while|whilst"
_SUBORDINATE = re.compile(rf"\s*(?:as|since|because|given that|seeing as|being|not being|{_CONCESSIVE_EN})\b",
                          re.IGNORECASE)
_SUBORDINATE_TAIL = re.compile(r"[^,;:.!?\n]{0,40}(?=[,，;；])")


@dataclass(frozen=True)
class _Cut:
    """A cut point made by hand (identity clause plus its bridge), shaped like the re.Match the loop uses."""

    begin: int
    finish: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish


def _closing_talk(text: str, span: tuple[int, int], model: edge_model.EdgeModel) -> str:
    """A sentence after a closer that goes on with the closing: it scores as closing talk, or is short and speaks to
    the asker ("My door's always open."), or is a short line of its own that signs off ("Toodles", "Your AI Pal 🤖");
    the caller checks that none of the talk names the subject. Returns "talk", "sign-off" or "" (neither)."""
    sentence = text[slice(*span)].strip()
    if _LIST_LINE.match(text, text.rfind("\n", 0, span[0]) + 1) or _CODE_MARK.search(sentence) \
            or any(ch.isdigit() for ch in sentence):
        return ""
    line_start, line_end = text.rfind("\n", 0, span[0]) + 1, text.find("\n", span[1])
    own_line = not text[line_start:span[0]].strip() \
        and not text[span[1]:len(text) if line_end < 0 else line_end].strip()
    if own_line and (len(sentence) <= 12 if _wide(sentence) else len(sentence.split()) <= 4):
        return "sign-off"
    if is_valediction(sentence) or (len(sentence) <= 4 if _wide(sentence) else len(sentence.split()) <= 2):
        return "sign-off"  # "Toodles", "Cheers", "此致": a sign-off word before the signature line
    wide = _wide(sentence)
    if len(sentence) > 30 if wide else len(sentence.split()) > 14:
        return ""  # closing talk is short: most last sentences end here, unscored
    if (len(sentence) <= 20 if wide else len(sentence.split()) <= 10) and speaks_to_asker(sentence):
        return "talk"
    return "talk" if model.is_boilerplate(sentence, "closer", True) else ""


_CLAUSE_COMMA = re.compile(r"[,，;；]\s*")
_FIRST_PERSON_ANY = re.compile(r"^\W*(?:i|i'm|i’m|my|me)\b|^[^，。]{0,3}我", re.IGNORECASE)
CLAUSE_GAP = 30  # characters between the rule's match and the comma that ends its clause


def _opening_clause(rule: Rule, text: str, span: tuple[int, int], masked_sentence: str) -> tuple[int, int]:
    """The part of a sentence an `anywhere` strip takes: its opening clause only when the match opens the sentence
    and a clause with content follows the comma ("As of my last update, the tower is the tallest." keeps "The tower
    is the tallest."; "截至我的知识更新日期，这座塔是最高的。" keeps "这座塔是最高的。"), else the whole sentence."""
    sentence = text[slice(*span)]
    if len(masked_sentence) != len(sentence):
        return span  # the match's offsets would not map onto the sentence as written
    found = rule.compiled.search(masked_sentence)
    if found is None or sentence[:found.start()].strip(" \t\n*_-—–\"'“”(（"):
        return span
    comma = _CLAUSE_COMMA.search(sentence, found.end(), found.end() + CLAUSE_GAP)
    if comma is None or re.search(r"[.!?。！？\n]", sentence[found.end():comma.start()]):
        return span
    rest = sentence[comma.end():]
    if not (len(rest.split()) >= 4 or chars(_CJK_RUN, rest) >= 5) or is_caution(rest) \
            or _FIRST_PERSON_ANY.match(rest) or mentions_ai(rest):
        return span  # "…, check newer sources." / "…, I can't say.": the clause's sentence is all disclaimer
    return span[0], span[0] + comma.end()


def _substantive(text: str) -> bool:
    """Enough left to be an answer: four words, or eight Chinese characters."""
    return len(text.split()) >= 4 or chars(_CJK_RUN, text) >= 8


def rescue(text: str, hit: Hit) -> tuple[Hit, str] | None:
    """Strip before drop: the identity clause ("As an AI, I have no views, but …") or sentence goes and the
    answer after it stays; None when nothing that could be an answer is left (the statement is the answer).
    Returns the hit for the ledger (what was removed) and the text that remains."""
    start, end = hit.span
    sentence = text[start:end]
    normalised = normalise(sentence)
    match = hit.rule.compiled.search(_QUOTED.sub(lambda m: "_" * len(m.group(0)), normalised))
    offset = match.end() if match is not None and len(normalised) == len(sentence) else 0
    cjk = hit.rule.lang in _CJK_LANGS
    cut_re = _CUT_ZH if cjk else _CUT_EN
    contrasts = list(cut_re.finditer(sentence, max(0, offset - 1)))
    own = (_COMMA.match(sentence, max(0, offset - 1)) or _COMMA.match(sentence, offset)) if offset else None
    if own is None and offset:
        # "While I am an AI and cannot give opinions, <answer>": the clause runs on to its own comma
        tail = _CLAUSE_TAIL.match(sentence, offset)
        if tail is None and not cjk and _SUBORDINATE.match(sentence):
            tail = _SUBORDINATE_TAIL.match(sentence, offset)
        if tail is not None:
            own = _COMMA.match(sentence, tail.end())
    plain = [own] if own is not None and (not contrasts or contrasts[0].start() > own.start()) else []
    tried: set[int] = set()
    while True:
        candidates = [c for c in plain + contrasts if c.end() not in tried]
        if not candidates:
            break
        cut = min(candidates, key=lambda c: (c.start(), c in plain))  # at one comma, the contrast cuts further
        tried.add(cut.end())
        rest = sentence[cut.end():]
        bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(rest)
        if bridge is not None and _substantive(rest[bridge.end():]):
            # "…, but from what I know, <answer>" / "…，不过据我所知，<answer>": the hedge bridges to the answer
            cut = _Cut(cut.start(), cut.end() + bridge.end())
            rest = rest[bridge.end():]
            plain, contrasts = [], []
        if not rest.strip() or not _substantive(rest) or referral_only(rest + text[end:]):
            break
        # After a plain comma, anything in the first person or about what the model cannot do still belongs to the
        # clause ("As an AI, I don't have views, but <answer>", "我只是一个AI，无法替代医生的诊断，<answer>"): the next
        # comma may end it. After a contrast, only talk about the model does ("…, but I think …" is the answer).
        if cut in plain:
            if _SELF_TALK.match(rest.lstrip()):
                following = _COMMA.search(sentence, cut.end())
                if following is not None and len(plain) < 3:
                    plain.append(following)
                continue
        elif _ABOUT_ITSELF.match(rest.lstrip()):
            continue
        removed_part = sentence[:cut.end()]
        if cut in plain and len(rest) < len(removed_part) and rest.rstrip()[-1:] in "。.!！?？" \
                and _carries_on(rest.lstrip(), cjk):
            break  # a short tail after a long statement that goes on about the model: part of the statement
        if rest[:1].islower() and hit.rule.lang not in _CJK_LANGS:
            rest = rest[0].upper() + rest[1:]  # the answer started a sentence before the clause was put in
        removed = Hit(hit.rule, hit.field, (start, start + cut.end()), removed_part)
        return removed, text[:start] + rest + text[end:]
    remaining = remove_spans(text, [hit.span])
    if hit.span[0] == 0:  # "However, <answer>" after the statement: the contrast went with it
        lead = (_CONNECTIVE_ZH if cjk else _CONNECTIVE_EN).match(remaining)
        if lead is not None and remaining[lead.end():].strip():
            rest = remaining[lead.end():]
            remaining = rest if cjk else rest[0].upper() + rest[1:]
    head = remaining.lstrip()
    if remaining.strip() and _substantive(remaining) and not (len(remaining) < 300 and _ASKS_FOR_INPUT.match(head)) \
            and not referral_only(head) and not (hit.span[0] == 0 and lacks_only(head)) \
            and not (hit.span[0] == 0 and len(head) < 400 and "\n" not in head.strip()
                     and _ABOUT_ITSELF.match(head)):
        return hit, remaining
    return answer_after_block(text, hit, said_ai=True)


_MARKS_ANSWER = re.compile(r"[.!?。！？\n]\s*$|(?:来说|而言|来讲|说明|但|但是|不过|然而|speaking|said|and)\W*$",
                           re.IGNORECASE)
_NAMES_AI = re.compile(r"(?i:\b(?:ai|a\.i\.|language model|llm|chatbot|assistant)\b)|(?<![A-Za-z])AI(?![A-Za-z])|"
                       r"人工智能|语言模型|大模型|机器人")


_SENTENCE_END = re.compile(r"[.!?\n]")
_PUNCT_END = re.compile(r"[,;:.!?\n]")
_JOINS_LIST = re.compile(r"\b(?:and|or|nor)\b")
_ENDS_ON_AND = re.compile(r"\band\W*$", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|my|me)\b", re.IGNORECASE)


def _list_goes_on(head: str) -> bool:
    """The rest of a list the statement began: a short first clause, or a short sentence joined by and/or."""
    sentence = _SENTENCE_END.split(head, maxsplit=1)[0]
    return len(_PUNCT_END.split(head, maxsplit=1)[0].split()) <= 3 \
        or (len(sentence.split()) <= 6 and _JOINS_LIST.search(sentence) is not None)


_TURN_BACK = re.compile(r"[^.!?\n]*\b(?:you|your)\b[^.!?\n]*\?\s*|[^。！？\n]*[你您][^。！？\n]*[？?]\s*",
                        re.IGNORECASE)
_GOES_ON_EN = re.compile(r"(?:a|an|not|no|nor|or|and|so|nothing|never|just|only|neither|which|because|since|"
                         r"therefore|i|i'm|my|me|let alone|much less|still less|never mind)\b", re.IGNORECASE)
_GOES_ON_ZH = re.compile(r"没有|没|不|无|并|也|可以|能|会|只|仅|是|非|还|都|而|所以|因此|因为|我(?!的)|"
                         r"[\u4e00-\u9fff]{1,2}(?:不出|不到|不了|唔到)")  # "…，尝不出咖啡的味道": what it cannot do


def _carries_on(tail: str, cjk: bool) -> bool:
    """Whether a short tail after an identity clause still speaks of the model ("…, not a human.", "…, so I have no
    favourite.") rather than starting the answer in its own words ("As an AI without access to real-time data, the
    default of '1' uses the cache.")."""
    if (_GOES_ON_ZH if cjk else _GOES_ON_EN).match(tail) or _NAMES_AI.search(tail) or wish_only(tail):
        return True
    if cjk:
        return "我" in tail or _ABOUT_ITSELF.match(tail) is not None
    if _FIRST_PERSON.search(tail) is not None:
        return True
    return edge_model.may_refuse(tail) and edge_model.load().is_refusal(tail)


def answer_after_block(text: str, hit: Hit, said_ai: bool) -> tuple[Hit, str] | None:
    """The last chance before a drop: the statement and the clauses of its block (what the model cannot do, how
    far to trust it, the hedge to the answer) go, and whatever follows them is the answer, however short
    ("作为AI语言模型，我无法联网查询最新信息，单笔最高多少钱？" keeps the question). None when nothing but more talk
    about the model, a request for input or a redirect follows: then the statement is the answer."""
    start = hit.span[0]
    block = text[start:]
    end = leading_self_talk(block, said_ai=said_ai, short_answer=True)
    if not end:
        return None
    cjk = hit.rule.lang in _CJK_LANGS
    rest = block[end:]
    bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(rest)
    if bridge is not None and rest[bridge.end():].strip():
        end += bridge.end()  # "…, I'd say that <answer>"
        rest = block[end:]
    head = rest.lstrip()
    if self_talk(head) is not None or _ABOUT_ITSELF.match(head) or (len(head) < 300 and _ASKS_FOR_INPUT.match(head)) \
            or referral_only(head) or lacks_only(head):
        return None
    # After a bare comma, a rest that carries on the statement's own predicate or list ("我是AI，没有年龄，
    # 也没有性别。", "I'm an AI, not a human being.") is still the statement; a hedge, a bridge or a full stop
    # before it marks where the answer starts.
    marked = bridge is not None or _MARKS_ANSWER.search(block[:end]) is not None
    if not marked and ((_GOES_ON_ZH if cjk else _GOES_ON_EN).match(head) or (not cjk and _list_goes_on(head))):
        return None  # … or the next items of its list ("I do not eat, sleep, or have hobbies.")
    if not cjk and _ENDS_ON_AND.search(block[:end]) and _FIRST_PERSON.search(_PUNCT_END.split(head, maxsplit=1)[0]):
        return None  # "I am an AI, and tonight I dreamt …": the model goes on about itself
    if _TURN_BACK.fullmatch(head):
        return None  # "Is there an important event in your life you would like to talk about?": a turn, no answer
    if _NAMES_AI.search(head[:80]):
        return None  # "I'm a helpful, harmless and honest AI assistant.": still about the model
    if not cjk and rest[:1].islower():
        rest = rest[0].upper() + rest[1:]  # the answer started a sentence before the block was put in
    return Hit(hit.rule, hit.field, (start, start + end), block[:end]), text[:start] + rest


_TURN_COMMA = re.compile(r"[,，]\s*(?=(?:but|however|still|yet)\b|但是?|不过|然而)", re.IGNORECASE)


def answer_after_bridge(text: str, hit: Hit) -> tuple[Hit, str] | None:
    """A whole-answer refusal that turns, after a comma, to what the model knows ("我无法联网确认，但据我所知，
    <answer>", "I can't check online, but as far as I know, <answer>"): the bridge marks where the answer starts,
    whatever its words (an answer may say "无法" too), and what is before it goes. None without such a turn in the
    first sentence, or with too little after it to be an answer."""
    start = hit.span[0]
    cjk = hit.rule.lang in _CJK_LANGS
    first_end = next((b for a, b in sentences(text) if b > start), len(text))
    for comma in _TURN_COMMA.finditer(text, start, min(first_end, start + SELF_TALK_CHARS)):
        bridge = (_BRIDGE_ZH if cjk else _BRIDGE_EN).match(text, comma.end())
        if bridge is None:
            continue
        rest = text[bridge.end():]
        if (chars(_CJK_RUN, rest) if cjk else len(rest.split())) < (8 if cjk else 4):
            return None
        if not cjk and rest[:1].islower():
            rest = rest[0].upper() + rest[1:]
        return Hit(hit.rule, hit.field, (start, bridge.end()), text[start:bridge.end()]), text[:start] + rest
    return None


# a first clause in which the model says what it cannot do ("由于我无法运行代码，", "Since I can't run code,")
_CANNOT_CLAUSE_ZH = re.compile(r"(?:由于|因为|既然|虽然|尽管)?(?:作为[^，,]{0,12}[，,]?)?我(?:目前|暂时|并|也|确实)?"
                               r"(?:无法|不能|没有办法|没办法|没法|不具备|没有能力)[^，,。！？!?]{0,30}[，,]")
_CANNOT_CLAUSE_EN = re.compile(r"(?:(?:since|because|as|although|while) )?i (?:can't|cannot|can not|am unable to|"
                               r"'m unable to|am not able to|'m not able to|don't have access to)[^,.!?]{0,60},\s*",
                               re.IGNORECASE)
# what a refusal's reason says ("…，这涉及他人的隐私。", "…, it is against the policy."): still the refusal
_REASON_ZH = re.compile(r"无法|不能|无从|没办法|不便|不宜|不适合|超出|违反|违背|拒绝|涉及|隐私|敏感|规范|"
                        r"政策|法律|法规|安全|伦理|道德|风险|专业人士|医生|律师|咨询|抱歉|遗憾")
_REASON_EN = re.compile(r"\b(?:can't|cannot|unable|not (?:able|possible|available|allowed|appropriate)|against|polic|"
                        r"guideline|privacy|private|confidential|sensitive|harm|illegal|law|ethic|safety|professional|"
                        r"doctor|lawyer|consult|sorry|apolog)", re.IGNORECASE)
_CONCEDES = re.compile(rf"虽然|虽说|尽管|(?:{_CONCESSIVE_EN})\b", re.IGNORECASE)
_PERSON_ZH = re.compile(r"[我你您咱]")
_PERSON_EN = re.compile(r"\b(?:i|i'm|i'd|i'll|i've|me|my|we|us|our|you|your|you're|you'll)\b", re.IGNORECASE)


def answer_after_clause(text: str, hit: Hit) -> tuple[Hit, str] | None:
    """A whole-answer refusal whose first clause only says what the model cannot do, followed by plain content in no
    one's voice ("由于我无法运行代码，侧边栏是否包含最近文件的快捷方式。"): the clause goes, the content stays. None
    when what follows speaks to or of anyone ("…，你应该自己完成。", "…, but I can tell you …": the refusal or the
    rescue's to judge), gives a refusal's reason ("…，这涉及他人的隐私。") or is too short to be an answer."""
    start = hit.span[0]
    cjk = hit.rule.lang in _CJK_LANGS
    clause = (_CANNOT_CLAUSE_ZH if cjk else _CANNOT_CLAUSE_EN).match(text, start)
    if clause is None:
        return None
    end = clause.end()
    # "虽然我无法提供医疗建议，但<answer>", "Although I can't check, but …": after a concession the turn goes with the
    # clause, and the main clause is the point: addressing the reader ("您需要指定…") is the answer's own voice there
    turn = (_CUT_ZH if cjk else _CUT_EN).match(text, end - 1) if _CONCEDES.match(text, start) else None
    if turn is not None:
        end = turn.end()
    rest = text[end:]
    if (chars(_CJK_RUN, rest) if cjk else len(rest.split())) < (8 if cjk else 5):
        return None
    person = (_PERSON_ZH if cjk else _PERSON_EN).search(rest)
    if (person is not None and (turn is None or not rest[:person.start()].strip())) \
            or (_REASON_ZH if cjk else _REASON_EN).search(rest) or self_talk(rest.strip()) is not None \
            or referral_only(rest) or _ABOUT_ITSELF.match(rest.lstrip()):
        return None
    if not cjk and rest[:1].islower():
        rest = rest[0].upper() + rest[1:]
    return Hit(hit.rule, hit.field, (start, end), text[start:end]), text[:start] + rest


def _strength(whitespace: str) -> tuple[int, int]:
    return (whitespace.count("\n"), len(whitespace))


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Cut sentence spans out and re-join the rest with the strongest whitespace that stood around each cut,
    so no dangling blank lines or double spaces are left behind."""
    pieces: list[str] = []
    separators: list[str] = []
    last = 0
    for start, end in sorted(spans):
        left = text[last:start]
        pieces.append(left.rstrip())
        before = left[len(left.rstrip()):]
        after_text = text[end:]
        after = after_text[:len(after_text) - len(after_text.lstrip())]
        separators.append(max(before, after, key=_strength))
        last = end + len(after)
    pieces.append(text[last:])
    out, pending = "", ""
    for i, piece in enumerate(pieces):
        if i > 0:
            pending = max(pending, separators[i - 1], key=_strength)
        if not piece.strip():
            continue
        out = out + pending + piece if out else piece.lstrip()
        pending = ""
    return out.strip()
