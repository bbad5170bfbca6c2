"""What the pipeline did to its rows: every reject and edit, plus per-rule counts for the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

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

    def drop(self, example: Example, stage: str, rule: str, detail: str, category: str = "",
             meta: dict[str, Any] | None = None) -> None:
        """Record a dropped row whole; `meta` adds facts about the decision to the rejected row's meta
        (the kept duplicate, the evaluation item) without touching the example itself."""
        reject = Reject.of(example, stage, rule, detail)
        if meta:
            reject.row["meta"].update(meta)
        self.add_reject(reject, category)

    def flag(self, example: Example, stage: str, rule: str, category: str = "") -> None:
        """Count a flag and mark the row with it (the row stays as it is)."""
        entry = self.count(rule, stage, category or stage, "flag")
        entry.hits += 1
        entry.flagged += 1
        example.meta.setdefault("flags", []).append(rule)

    def add_reject(self, reject: Reject, category: str = "") -> None:
        """Record a reject made elsewhere (a row quarantined at ingest) exactly as `drop` records its own."""
        entry = self.count(reject.rule, reject.stage, category or reject.stage, "drop")
        entry.hits += 1
        entry.dropped += 1
        self.rejects.append(reject)
        self.dropped_per_source[reject.source] += 1

    def edit(self, example: Example, stage: str, rule: str, field_name: str, removed: str, added: str = "",
             category: str = "", action: str = "strip", at: int | None = None, chars: int | None = None) -> None:
        """`chars`: the characters the edit took out when `removed` is not them (a PII mask records a hash)."""
        entry = self.count(rule, stage, category or stage, action)
        entry.hits += 1
        entry.stripped += 1
        entry.chars_removed += len(removed) if chars is None else chars
        self.edits.append(Edit(example.id, example.source, stage, rule, field_name, removed, added, at))

    def readmit(self, ids: set[str], stages: tuple[str, ...]) -> list[Example]:
        """Take back the rejected rows with these ids (rejected at one of `stages`) as Examples: a person
        overrode the rule. Their counts come off the rule; the caller records the override."""
        back, left = [], []
        for reject in self.rejects:
            if reject.id in ids and reject.stage in stages and "instruction" in reject.row:
                entry = self.rules[reject.rule]
                entry.hits, entry.dropped = entry.hits - 1, entry.dropped - 1
                self.dropped_per_source[reject.source] -= 1
                back.append(Example.from_dict(reject.row))
            else:
                left.append(reject)
        self.rejects = left
        return back

    def mark(self) -> tuple[int, int]:
        """Where the ledger ends now (rejects, edits), for `in_row_order`."""
        return len(self.rejects), len(self.edits)

    def in_row_order(self, rows: list[Example], since: tuple[int, int]) -> None:
        """Reorder the entries recorded since `since` by their row's position in `rows`, keeping each row's
        entries in the order they were made: batch steps then write the same ledger as a row-by-row chain."""
        position: dict[str, int] = {}
        for i, row in enumerate(rows):
            position.setdefault(row.id, i)
        rejects, edits = since
        self.rejects[rejects:] = sorted(self.rejects[rejects:], key=lambda r: position.get(r.id, len(rows)))
        self.edits[edits:] = sorted(self.edits[edits:], key=lambda e: position.get(e.id, len(rows)))

    def merge(self, other: Ledger) -> None:
        self.rejects.extend(other.rejects)
        self.edits.extend(other.edits)
        self.dropped_per_source.update(other.dropped_per_source)
        for rule, count in other.rules.items():
            mine = self.count(rule, count.stage, count.category, count.action)
            for name in ("hits", "dropped", "stripped", "flagged", "chars_removed"):
                setattr(mine, name, getattr(mine, name) + getattr(count, name))


def ledger_paths(folder: Path) -> tuple[Path, Path, Path]:
    return folder / "rejects.jsonl", folder / "edits.jsonl", folder / "rules.json"


def dump_ledger(ledger: Ledger, folder: Path) -> None:
    """Write a ledger beside a shard so a worker process can hand it back as files, not objects."""
    folder.mkdir(parents=True, exist_ok=True)
    rejects, edits, rules = ledger_paths(folder)
    rejects.write_bytes(b"".join(r.to_json() + b"\n" for r in ledger.rejects))
    edits.write_bytes(b"".join(e.to_json() + b"\n" for e in ledger.edits))
    rules.write_bytes(orjson.dumps({k: v.as_dict() for k, v in ledger.rules.items()}))


def load_ledger(folder: Path) -> Ledger:
    rejects, edits, rules = ledger_paths(folder)
    ledger = Ledger()
    with rejects.open("rb") as handle:
        ledger.rejects = [Reject(**orjson.loads(line)) for line in handle]
    with edits.open("rb") as handle:
        ledger.edits = [Edit(**orjson.loads(line)) for line in handle]
    ledger.rules = {k: RuleCount(**v) for k, v in orjson.loads(rules.read_bytes()).items()}
    ledger.dropped_per_source = Counter(r.source for r in ledger.rejects)
    return ledger
