"""What the filters did: every reject and edit, plus per-rule counts for the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from formats.example import Edit, Example, Reject


@dataclass
class RuleCount:
    stage: str
    category: str
    action: str
    hits: int = 0
    dropped: int = 0
    stripped: int = 0
    flagged: int = 0
    chars_removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Ledger:
    rejects: list[Reject] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    rules: dict[str, RuleCount] = field(default_factory=dict)
    dropped_per_source: Counter[str] = field(default_factory=Counter)

    def count(self, rule: str, stage: str, category: str, action: str) -> RuleCount:
        entry = self.rules.get(rule)
        if entry is None:
            entry = self.rules[rule] = RuleCount(stage, category, action)
        return entry

    def drop(self, example: Example, stage: str, rule: str, detail: str, category: str = "") -> None:
        entry = self.count(rule, stage, category or stage, "drop")
        entry.hits += 1
        entry.dropped += 1
        self.rejects.append(Reject.of(example, stage, rule, detail))
        self.dropped_per_source[example.source] += 1

    def edit(self, example: Example, stage: str, rule: str, field_name: str, removed: str, added: str = "",
             category: str = "", action: str = "strip") -> None:
        entry = self.count(rule, stage, category or stage, action)
        entry.hits += 1
        entry.stripped += 1
        entry.chars_removed += len(removed)
        self.edits.append(Edit(example.id, example.source, stage, rule, field_name, removed, added))

    def merge(self, other: Ledger) -> None:
        self.rejects.extend(other.rejects)
        self.edits.extend(other.edits)
        self.dropped_per_source.update(other.dropped_per_source)
        for rule, count in other.rules.items():
            mine = self.count(rule, count.stage, count.category, count.action)
            for name in ("hits", "dropped", "stripped", "flagged", "chars_removed"):
                setattr(mine, name, getattr(mine, name) + getattr(count, name))
