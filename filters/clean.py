"""The cleaning chain run on every shard: repair → PII → slop rules → noise checks, each a Step (formats/step.py).

`shard_steps` is the registry: a new per-row filter is one module with a Step class plus one line there (its
settings go under `filters:` in FilterSettings). Plain functions, no orchestration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from filters.noise import CHECKS, NoiseSettings, first_problem
from filters.pii import PiiSettings, PiiStep
from filters.repair import REPAIRS, changed_span, is_clean
from filters.self_limit import own_life
from filters.simplified import carried, simplified
from filters.slop import (
    FILLER_ONLY,
    KEPT_WHOLE,
    RULES_DIR,
    Hit,
    SlopMatcher,
    answer_after_block,
    answer_after_bridge,
    answer_after_clause,
    exempt_categories,
    load_rules,
    normalise,
    remove_spans,
    rescue,
)
from filters.turns import ConversationSettings, check_exchanges, turn_field
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

    pii: PiiSettings = PiiSettings()
    slop: SlopSettings = SlopSettings()
    noise: NoiseSettings = NoiseSettings()
    conversations: ConversationSettings = ConversationSettings()


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
        elif rule.category == "human-closing" and rule.category not in settings.disable_categories \
                and rule.id not in settings.disable_rules:
            # off on its own (people write "Best regards" and "祝您早日康复"), but part of a model closing block
            chosen.append(dataclasses.replace(rule, enabled=True, joins_run=True))
    return SlopMatcher(chosen)


def _repaired(example: Example, ledger: Ledger, name: str, text: str) -> str:
    if is_clean(text):
        return text
    for rule, fix in REPAIRS:
        fixed = fix(text)
        if fixed != text:
            removed, added = (part.encode("utf-8", "backslashreplace").decode()  # the ledger must be writable
                              for part in changed_span(text, fixed))
            ledger.edit(example, "repair", rule, name, removed, added, category="repair", action="fix")
            text = fixed
    return text


def repair(example: Example, ledger: Ledger) -> None:
    """Every text of the row: its fields, and a conversation's system prompt and earlier turns."""
    conversation = bool(example.history)
    for name in FIELDS:
        field_name = turn_field(len(example.history), name) if conversation else name
        setattr(example, name, _repaired(example, ledger, field_name, getattr(example, name)))
    if example.system:
        example.system = _repaired(example, ledger, "system", example.system)
    for number, pair in enumerate(example.history):
        pair[0] = _repaired(example, ledger, turn_field(number, "instruction"), pair[0])
        pair[1] = _repaired(example, ledger, turn_field(number, "output"), pair[1])


def same_code(before: str, after: str) -> bool:
    """True when both texts hold the same code blocks: a strip must never turn code into prose or back
    (a stray ``` that a cut moves to the start of a line would open a new block)."""
    if "```" not in before and "~~~" not in before:
        return "```" not in after and "~~~" not in after
    return [before[a:b].strip() for a, b in code_blocks(before)] == [after[a:b].strip() for a, b in code_blocks(after)]


_SAYS_AI = ("ai-identity", "capability-disclaimer")  # a cut from the start with one of these said "I am an AI"


def _as_written(hit: Hit, written: str, read: str) -> Hit:
    """The hit with the text it covers as written (a 繁體 field is read as simplified: same offsets)."""
    return hit if written is read else Hit(hit.rule, hit.field, hit.span, written[slice(*hit.span)])


_DECLINES = frozenset({"refusal", "capability-disclaimer"})  # what a person's own life may look like (own_life)


def apply_slop(example: Example, matcher: SlopMatcher, settings: SlopSettings, ledger: Ledger) -> bool:
    """Strip, drop or flag; False when the row is dropped.

    Stripping runs to a fixed point: removing a lead-in or a stack of openers can expose boilerplate that
    was inside a longer sentence ("Here's the answer:如果您还有其他问题…"), so the field is matched again
    until nothing more goes. That makes stripping idempotent: a cleaned row passes through unchanged.

    Strip before drop: a rule marked `rescue` (an AI-identity sentence) drops the row only when the statement
    *is* the answer; followed by a real answer, its sentence or clause is stripped and the answer kept. A strip
    that would empty the field keeps the row as it came and flags it (`slop.kept-whole`): the
    boilerplate-looking sentence is the answer (noise.filler judges rows that are only filler). Rules the prompt
    exempts (filters/rules/prompt.yaml: a scene, a request to say "I don't know") do not apply to the row.

    Traditional Chinese is read as simplified (filters/simplified.py): `text` is the field as the rules read it,
    `written` the same text in its own script, cut where `text` is cut."""
    planned: list[tuple[str, str, list[Hit]]] = []
    policies_seen: dict[str, frozenset[str]] = {}  # what each prompt policy frees on this row, searched when needed
    prompt = simplified(f"{example.instruction}\n{example.input}")
    for name in matcher.fields():
        written = getattr(example, name)
        original = text = simplified(written)
        strips: list[Hit] = []
        rescues: list[Hit] = []
        first_pass = True
        while True:
            hits = matcher.find(name, text, prompt=prompt if name == "output" else "",
                                after_ai=any(h.span[0] == 0 and h.rule.category in _SAYS_AI for h in strips))
            if hits:
                exempt = exempt_categories(prompt, {h.rule.category for h in hits}, policies_seen)
                hits = [h for h in hits if h.rule.category not in exempt]
                if not any(not h.rule.joins_run for h in hits):
                    hits = []  # decoration or a human formula is only stripped with the model block around it
            if hits and any(h.rule.category in _DECLINES for h in hits):
                # "I can't swim, so I did the kayak trip …", "我不是医生，但我妈也得过这个病…": a person's own life; its
                # details (a duration, an amount) count against a refusal only
                life = own_life(text)
                if life is not None:
                    hits = [h for h in hits if h.rule.category not in (_DECLINES if life == "life" else {"refusal"})]
            if hits and any(h.rule.unless_re is not None or h.rule.unless_answer_re is not None for h in hits):
                prompt_norm = normalise(prompt)
                field_norm = normalise(text)
                hits = [h for h in hits if not h.rule.exempt(prompt_norm) and not h.rule.exempt_answer(field_norm)]
            if not hits:
                break
            rescued: list[tuple[Hit, str]] = []
            if any(h.rule.position == "whole" and h.rule.action == "drop" for h in hits):
                hit = next(h for h in hits if h.rule.action == "drop")  # the whole answer is a refusal …
                # (the learned whole drop has read every sentence and every clause after a turn as talk already:
                # no answer follows the block)
                talk = any(h.rule.learned and h.rule.position == "whole" for h in hits)
                cut = (answer_after_block(text, hit, said_ai=False) or answer_after_bridge(text, hit)
                       or answer_after_clause(text, hit)) if hit.span[0] == 0 and not talk else None
                if cut is None or not same_code(text, cut[1]):
                    removed = _as_written(hit, written, text).text
                    ledger.drop(example, "slop", hit.rule.id, f"{name}: {removed!r}", hit.rule.category)
                    return False
                # … unless it opens with a block that says it is an AI and an answer follows the block ("作为一个大语言
                # 模型，我不能保证完全准确，但一般来说，<answer>"): the block goes, the answer stays
                strips.append(_as_written(cut[0], written, text))
                rescues.append(strips[-1])
                written, text = carried(written, text, cut[1]), cut[1]
                continue
            for hit in hits:
                if hit.rule.action == "drop":
                    cut = rescue(text, hit) if hit.rule.rescue else None
                    if cut is None:
                        ledger.drop(example, "slop", hit.rule.id, f"{name}: {_as_written(hit, written, text).text!r}",
                                    hit.rule.category)
                        return False
                    rescued.append(cut)
            if first_pass:  # flags are facts about the text as it came; count them once
                for hit in hits:
                    if hit.rule.action == "flag":
                        ledger.flag(example, "slop", hit.rule.id, hit.rule.category)
            first_pass = False
            if rescued:  # one identity sentence or clause at a time: what follows is matched afresh
                hit, kept = rescued[0]
                if not same_code(text, kept):
                    break  # as for strips: a cut must not move where code blocks start or end
                strips.append(_as_written(hit, written, text))
                rescues.append(strips[-1])
                written, text = carried(written, text, kept), kept
                continue
            found = [h for h in hits if h.rule.action == "strip"]
            if not found:
                break
            kept = remove_spans(text, [h.span for h in found])  # always shorter: the loop ends
            if kept[:1].islower() and any(h.span[0] == 0 and h.rule.lang == "en"
                                          and (h.rule.structural or h.text.rstrip().endswith((",", ";")))
                                          for h in found):
                kept = kept[0].upper() + kept[1:]  # "…, but if the response is streamed": the answer starts a sentence
            if not same_code(text, kept):
                break  # the cut would change where code blocks start or end: leave the text as it is
            strips.extend(_as_written(h, written, text) for h in found)
            written, text = carried(written, text, kept), kept
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
            planned.append((name, written, strips))
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

    def __init__(self, settings: SlopSettings, matcher: SlopMatcher, conversations: ConversationSettings) -> None:
        self.settings, self.matcher, self.policy = settings, matcher, conversations.bad_turn

    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.matcher.rules]

    def _check(self, example: Example, ledger: Ledger) -> bool:
        return apply_slop(example, self.matcher, self.settings, ledger)

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        return [ex for ex in rows if (check_exchanges(ex, self._check, ledger, self.name, self.policy)
                                      if ex.history else self._check(ex, ledger))]


class NoiseStep:
    """Rows that carry nothing to learn (empty, placeholder, truncated, repeated …), dropped with the first reason."""

    name, label = "noise", "noise"

    def __init__(self, settings: NoiseSettings, conversations: ConversationSettings) -> None:
        self.settings, self.policy = settings, conversations.bad_turn
        # in a conversation an acknowledgement ("Sure, send me chapter 8.") is context, not noise
        self.in_conversation = settings.model_copy(update={"filler": False})

    def rule_ids(self) -> list[str]:
        return [name for name, _ in CHECKS if name not in self.settings.disable]

    def _check(self, example: Example, ledger: Ledger, settings: NoiseSettings | None = None) -> bool:
        problem = first_problem(example, settings or self.settings)
        if problem:
            ledger.drop(example, self.name, problem[0], problem[1], "noise")
        return problem is None

    def _check_turn(self, example: Example, ledger: Ledger) -> bool:
        return self._check(example, ledger, self.in_conversation)

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        return [ex for ex in rows if (check_exchanges(ex, self._check_turn, ledger, self.name, self.policy)
                                      if ex.history else self._check(ex, ledger))]


def shard_steps(settings: FilterSettings, base_dir: Path | None = None,
                matcher: SlopMatcher | None = None) -> list[Step]:
    """The per-shard chain, in order: the registry of per-row steps (a new one is one line here).

    PII runs right after repair (an email split by mojibake or an entity is whole again) and before everything
    that writes rows or spans to the ledger: a row slop or noise drops later, or a span slop strips, is masked."""
    return [
        RepairStep(),
        PiiStep(settings.pii),
        SlopStep(settings.slop, matcher or build_matcher(settings.slop, base_dir), settings.conversations),
        NoiseStep(settings.noise, settings.conversations),
    ]


def clean_batch(examples: list[Example], steps: list[Step], ledger: Ledger) -> list[Example]:
    """The rows that survive the chain. The ledger lists each row's entries together, in row order, as if the
    rows had gone through the chain one by one: the same bytes whatever order the steps work in."""
    start = ledger.mark()
    kept, _ = run_steps(steps, examples, ledger)
    for step in steps:
        if isinstance(step, PiiStep):
            step.scrub_edits(ledger)  # edits after it (a strip) of a row whose flagged value stayed in the text
    ledger.in_row_order(examples, start)
    return kept
