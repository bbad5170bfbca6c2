"""The cleaning chain run on every shard: repair → slop rules → noise checks, each a Step (formats/step.py).

`shard_steps` is the registry: a new per-row filter is one module with a Step class plus one line there (its
settings go under `filters:` in FilterSettings). Plain functions, no orchestration."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from filters.noise import CHECKS, NoiseSettings, first_problem
from filters.parallel import map_in_processes
from filters.repair import REPAIRS, changed_span, is_clean
from filters.slop import (
    FILLER_ONLY,
    KEPT_WHOLE,
    RULES_DIR,
    Hit,
    SlopMatcher,
    exempt_categories,
    load_rules,
    normalise,
    remove_spans,
    rescue,
)
from formats.example import FIELDS, Example
from formats.ledger import Ledger
from formats.step import Step, run_steps
from formats.text import code_blocks

_MATCHERS: dict[str, SlopMatcher] = {}


class SlopSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disable_categories: list[str] = Field(default_factory=list, description="categories switched off")
    enable_categories: list[str] = Field(default_factory=list,
                                         description="off-by-default categories to switch on (human-closing)")
    disable_rules: list[str] = Field(default_factory=list)
    rule_files: list[str] = Field(default_factory=list, description="extra rule YAML files")
    max_strip_share: float = Field(1.0, gt=0, le=1,
                                   description="strip may remove at most this share of a field, else the field is "
                                   "kept as it came and flagged slop.kept-whole")


class FilterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slop: SlopSettings = SlopSettings()
    noise: NoiseSettings = NoiseSettings()


def build_matcher(settings: SlopSettings, base_dir: Path | None = None) -> SlopMatcher:
    """The enabled rules: built-in files plus the config's extra files, with categories switched on/off. Built
    once per process for each settings (compiling the rules is the costly part)."""
    key = f"{settings.model_dump_json()}|{base_dir}"
    if key not in _MATCHERS:
        _MATCHERS[key] = _build_matcher(settings, base_dir)
    return _MATCHERS[key]


def _build_matcher(settings: SlopSettings, base_dir: Path | None) -> SlopMatcher:
    extra = [(base_dir or Path.cwd()) / f for f in settings.rule_files]
    rules = load_rules([*RULES_DIR.glob("*.yaml"), *extra])
    chosen = []
    for rule in rules:
        on = rule.enabled or rule.category in settings.enable_categories
        if rule.category in settings.disable_categories or rule.id in settings.disable_rules:
            on = False
        if on:
            chosen.append(rule if rule.enabled else dataclasses.replace(rule, enabled=True))
    return SlopMatcher(chosen)


def repair(example: Example, ledger: Ledger) -> None:
    for name in FIELDS:
        text = getattr(example, name)
        if is_clean(text):
            continue
        for rule, fix in REPAIRS:
            fixed = fix(text)
            if fixed != text:
                removed, added = (part.encode("utf-8", "backslashreplace").decode()  # the ledger must be writable
                                  for part in changed_span(text, fixed))
                ledger.edit(example, "repair", rule, name, removed, added, category="repair", action="fix")
                text = fixed
        setattr(example, name, text)


def same_code(before: str, after: str) -> bool:
    """True when both texts hold the same code blocks: a strip must never turn code into prose or back
    (a stray ``` that a cut moves to the start of a line would open a new block)."""
    if "```" not in before and "~~~" not in before:
        return "```" not in after and "~~~" not in after
    return [before[a:b].strip() for a, b in code_blocks(before)] == [after[a:b].strip() for a, b in code_blocks(after)]


def apply_slop(example: Example, matcher: SlopMatcher, settings: SlopSettings, ledger: Ledger) -> bool:
    """Strip, drop or flag; False when the row is dropped.

    Stripping runs to a fixed point: removing a lead-in or a stack of openers can expose boilerplate that
    was inside a longer sentence ("Here's the answer:如果您还有其他问题…"), so the field is matched again
    until nothing more goes. That makes stripping idempotent: a cleaned row passes through unchanged.

    Strip before drop: a rule marked `rescue` (an AI-identity sentence) drops the row only when the statement
    *is* the answer; followed by a real answer, its sentence or clause is stripped and the answer kept. A strip
    that would empty the field keeps the row as it came and flags it (`slop.kept-whole`): the
    boilerplate-looking sentence is the answer (noise.filler judges rows that are only filler). Rules the prompt
    exempts (filters/rules/prompt.yaml: a scene, a request to say "I don't know") do not apply to the row."""
    planned: list[tuple[str, str, list[Hit]]] = []
    exempt: frozenset[str] | None = None
    for name in matcher.fields():
        original = text = getattr(example, name)
        strips: list[Hit] = []
        rescues: list[Hit] = []
        first_pass = True
        while True:
            hits = matcher.find(name, text)
            if hits:
                if exempt is None:
                    exempt = exempt_categories(f"{example.instruction}\n{example.input}")
                hits = [h for h in hits if h.rule.category not in exempt]
            if hits and any(h.rule.unless_re is not None or h.rule.unless_answer_re is not None for h in hits):
                prompt = normalise(f"{example.instruction}\n{example.input}")
                field_norm = normalise(text)
                hits = [h for h in hits if not h.rule.exempt(prompt) and not h.rule.exempt_answer(field_norm)]
            if not hits:
                break
            rescued: list[tuple[Hit, str]] = []
            for hit in hits:
                if hit.rule.action == "drop":
                    cut = rescue(text, hit) if hit.rule.rescue else None
                    if cut is None:
                        ledger.drop(example, "slop", hit.rule.id, f"{name}: {hit.text!r}", hit.rule.category)
                        return False
                    rescued.append(cut)
            if first_pass:  # flags are facts about the text as it came; count them once
                for hit in hits:
                    if hit.rule.action == "flag":
                        ledger.flag(example, "slop", hit.rule.id, hit.rule.category)
            first_pass = False
            if rescued:  # one identity sentence or clause at a time: what follows is matched afresh
                hit, kept = rescued[0]
                strips.append(hit)
                rescues.append(hit)
                text = kept
                continue
            found = [h for h in hits if h.rule.action == "strip"]
            if not found:
                break
            kept = remove_spans(text, [h.span for h in found])  # always shorter: the loop ends
            if not same_code(text, kept):
                break  # the cut would change where code blocks start or end: leave the text as it is
            strips.extend(found)
            text = kept
            if not text.strip():
                break
        if rescues and (not text.strip() or matcher.content_free(text)):
            # the refusal or identity statement was the answer: what followed it was only offers and wishes
            rule = rescues[0].rule
            ledger.drop(example, "slop", rule.id, f"{name}: {rescues[0].text!r} (nothing but boilerplate after it)",
                        rule.category)
            return False
        if strips:
            lost = 1 - len(text) / max(1, len(original))
            if not text.strip() or lost > settings.max_strip_share:
                ledger.flag(example, "slop", KEPT_WHOLE, "slop")
                if name == "output" and matcher.content_free(original):
                    ledger.flag(example, "slop", FILLER_ONLY, "slop")
                continue
            planned.append((name, text, strips))
    for name, kept, stripped in planned:
        for hit in stripped:
            ledger.edit(example, "slop", hit.rule.id, name, hit.text, category=hit.rule.category)
        setattr(example, name, kept)
    return True


class RepairStep:
    """Mojibake, control characters, entities … fixed in place; never drops a row."""

    name, label = "repair", ""

    def rule_ids(self) -> list[str]:
        return [name for name, _ in REPAIRS]

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        for example in rows:
            repair(example, ledger)
        return rows


class SlopStep:
    """Model boilerplate stripped, dropped or flagged by the rule files (filters/rules/*.yaml)."""

    name, label = "slop", "slop"

    def __init__(self, settings: SlopSettings, matcher: SlopMatcher) -> None:
        self.settings, self.matcher = settings, matcher

    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.matcher.rules]

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        return [ex for ex in rows if apply_slop(ex, self.matcher, self.settings, ledger)]


class NoiseStep:
    """Rows that carry nothing to learn (empty, placeholder, truncated, repeated …), dropped with the first reason."""

    name, label = "noise", "noise"

    def __init__(self, settings: NoiseSettings) -> None:
        self.settings = settings

    def rule_ids(self) -> list[str]:
        return [name for name, _ in CHECKS if name not in self.settings.disable]

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        kept = []
        for example in rows:
            problem = first_problem(example, self.settings)
            if problem:
                ledger.drop(example, "noise", problem[0], problem[1], "noise")
            else:
                kept.append(example)
        return kept


def shard_steps(settings: FilterSettings, base_dir: Path | None = None,
                matcher: SlopMatcher | None = None) -> list[Step]:
    """The per-shard chain, in order: the registry of per-row steps (a new one is one line here)."""
    return [
        RepairStep(),
        SlopStep(settings.slop, matcher or build_matcher(settings.slop, base_dir)),
        NoiseStep(settings.noise),
    ]


def clean_batch(examples: list[Example], steps: list[Step], ledger: Ledger) -> list[Example]:
    """The rows that survive the chain. The ledger lists each row's entries together, in row order, as if the
    rows had gone through the chain one by one: the same bytes whatever order the steps work in."""
    start = ledger.mark()
    kept, _ = run_steps(steps, examples, ledger)
    ledger.in_row_order(examples, start)
    return kept


Row = tuple[str, str, str, str, str, dict]  # an Example's fields: cheaper to pickle than the dataclass


def _clean_chunk(rows: list[Row], settings: FilterSettings, base_dir: Path | None,
                 ) -> tuple[list[int], dict[int, Row], Ledger]:
    """One chunk in a worker process: the kept positions, the kept rows that changed, the ledger.

    Only changes travel back (most rows pass untouched), and the matcher is built once per process."""
    # the chain may append to meta lists (flags): give each row its own copies, so `rows` stays the original
    examples = [Example(*row[:5], {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in row[5].items()})
                for row in rows]
    ledger = Ledger()
    kept = {id(ex) for ex in clean_batch(examples, shard_steps(settings, base_dir), ledger)}
    positions = [i for i, ex in enumerate(examples) if id(ex) in kept]
    changed = {i: after for i in positions
               if (after := (*(getattr(examples[i], f) for f in Example.__slots__[:5]), examples[i].meta)) != rows[i]}
    return positions, changed, ledger


def clean_in_processes(examples: list[Example], settings: FilterSettings, ledger: Ledger, workers: int,
                       base_dir: Path | None = None, chunk_rows: int = 5_000) -> list[Example]:
    """`clean_batch` on `workers` processes, chunk by chunk: the same kept rows, in the same order, changed the
    same way, and the same ledger as one process (the cleaning chain is per-row, so chunks are independent)."""
    chunks = [examples[s:s + chunk_rows] for s in range(0, len(examples), chunk_rows)]
    rows = [[(ex.id, ex.instruction, ex.input, ex.output, ex.source, ex.meta) for ex in chunk] for chunk in chunks]
    results = map_in_processes(_clean_chunk, rows, workers, settings, base_dir)
    kept: list[Example] = []
    for chunk, (positions, changed, chunk_ledger) in zip(chunks, results, strict=True):
        for i in positions:
            example = chunk[i]
            if i in changed:
                example.id, example.instruction, example.input, example.output, example.source, example.meta = \
                    changed[i]
            kept.append(example)
        ledger.merge(chunk_ledger)
    return kept
