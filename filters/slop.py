"""The slop rule engine: rules are data (filters/rules/*.yaml); matching is sentence-scoped and precise.

A rule matches the *normalised* sentence (NFKC, case-folded, straight quotes, inline code and quoted
material masked). Opener and closer rules must match a whole sentence at the start / end of the field,
so "Sure, the capital is Paris." keeps its content while "Sure!" alone goes. Anywhere rules search inside
sentences with word boundaries for alphabetic scripts. Fenced code is never looked at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from filters.textspans import mask_inline_code, sentences

RULES_DIR = Path(__file__).parent / "rules"
Position = Literal["opener", "closer", "anywhere"]
Action = Literal["strip", "drop", "flag"]
_CJK_LANGS = {"zh", "ja"}
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
                         "『": '"', "』": '"'})
_QUOTED = re.compile(r'"[^"\n]{1,400}"')
MAX_EDGE_SENTENCES = 3  # how many leading/trailing sentences opener/closer rules may peel off


def normalise(text: str) -> str:
    """The form every rule is written against."""
    return unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()


def _masked(sentence: str) -> str:
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), mask_inline_code(normalise(sentence))).strip()


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
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    unless_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = self.pattern
        if self.position == "anywhere" and self.lang not in _CJK_LANGS:
            body = rf"(?<!\w)(?:{body})(?!\w)"
        compiled = re.compile(body)
        if compiled.fullmatch(""):
            raise ValueError(f"rule {self.id!r}: pattern matches the empty string")
        object.__setattr__(self, "compiled", compiled)
        object.__setattr__(self, "unless_re", re.compile(self.unless) if self.unless else None)

    @property
    def prefilter_pattern(self) -> str:
        """A superset of what the rule can match, for the one-alternation-per-field prefilter: alphabetic
        rules must start at a word boundary (so "sure" does not wake up on "measure")."""
        return self.pattern if self.lang in _CJK_LANGS else rf"(?<!\w)(?:{self.pattern})"

    def exempt(self, normalised_prompt: str) -> bool:
        """True when the instruction/input asks for exactly this (a user asking the model about itself)."""
        return self.unless_re is not None and self.unless_re.search(normalised_prompt) is not None

    def matches(self, normalised_sentence: str) -> re.Match[str] | None:
        if self.position == "anywhere":
            return self.compiled.search(normalised_sentence)
        return self.compiled.fullmatch(normalised_sentence)


@dataclass(frozen=True)
class Hit:
    rule: Rule
    field: str
    span: tuple[int, int]
    text: str


def load_rules(paths: Iterable[Path] | None = None) -> list[Rule]:
    """Every rule from the YAML files; ids must be unique."""
    rules: list[Rule] = []
    for path in sorted(paths if paths is not None else RULES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        defaults = data.get("defaults", {})
        for entry in data.get("rules", []):
            entry = {**defaults, **entry}
            examples = entry.pop("examples", {}) or {}
            scope = entry.pop("scope", ["output"])
            try:
                rules.append(Rule(**entry, scope=tuple([scope] if isinstance(scope, str) else scope),
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


class SlopMatcher:
    """Finds rule hits in one field of text. Built once; cheap to call per row."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = [r for r in rules if r.enabled]
        self._by_field: dict[str, dict[str, list[Rule]]] = {}
        self._prefilter: dict[str, re.Pattern[str]] = {}
        for fld in ("instruction", "input", "output"):
            scoped = [r for r in self.rules if fld in r.scope]
            if not scoped:
                continue
            self._by_field[fld] = {pos: [r for r in scoped if r.position == pos]
                                   for pos in ("opener", "closer", "anywhere")}
            # One alternation over the whole field first: most rows have no hit and stop here.
            self._prefilter[fld] = re.compile("|".join(f"(?:{r.prefilter_pattern})" for r in scoped))

    def fields(self) -> list[str]:
        return list(self._by_field)

    @staticmethod
    def _first(rules: list[Rule], normalised: str) -> Rule | None:
        for rule in rules:
            if rule.matches(normalised):
                return rule
        return None

    def find(self, fld: str, text: str) -> list[Hit]:
        prefilter = self._prefilter.get(fld)
        if prefilter is None or not text or not prefilter.search(normalise(text)):
            return []
        groups = self._by_field[fld]
        spans = sentences(text)
        norm = [_masked(text[a:b]) for a, b in spans]
        hits: list[Hit] = []
        taken: set[int] = set()
        for i in range(min(MAX_EDGE_SENTENCES, len(spans))):
            rule = self._first(groups["opener"], norm[i])
            if rule is None:
                break
            hits.append(Hit(rule, fld, spans[i], text[slice(*spans[i])]))
            taken.add(i)
        for i in range(len(spans) - 1, max(-1, len(spans) - 1 - MAX_EDGE_SENTENCES), -1):
            if i in taken:
                break
            rule = self._first(groups["closer"], norm[i])
            if rule is None:
                break
            hits.append(Hit(rule, fld, spans[i], text[slice(*spans[i])]))
            taken.add(i)
        for i, sentence in enumerate(norm):
            if i in taken:
                continue
            rule = self._first(groups["anywhere"], sentence)
            if rule is not None:
                hits.append(Hit(rule, fld, spans[i], text[slice(*spans[i])]))
        hits.sort(key=lambda h: h.span)
        return hits


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
