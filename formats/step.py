"""A step of the pipeline: a batch of rows in, the rows that stay out, every drop and edit in the ledger.

Like datatrove's pipeline steps, but batch-level and ledger-aware, and without a framework: a step is any object
with these three members. The per-shard chain (repair, slop, noise …) and the corpus-level steps (decontaminate,
dedup) are plain lists of steps; the funnel and the rule tables of the report derive from those lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import numpy as np

from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import RowView


class Step(Protocol):
    name: str  # short id: the stage of its ledger entries ("slop", "dedup")
    label: str  # what the funnel calls it ("after dedup"); "" for a step that never drops a row

    def rule_ids(self) -> list[str]:
        """Every rule id this step can record with its settings: the report lists those that fired on nothing."""
        ...

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        """The rows that stay, in order; rows may be changed in place (each change recorded as an edit). A corpus
        step also takes a view of rows on disk (formats.rowstore) and returns one: its changes to a row's meta go
        through formats.rowstore.set_meta."""
        ...


def _held(rows: Sequence[Example]) -> list[int]:
    """Indices of the rows a person kept (overrides): a view finds them among the metas handed back to its store."""
    if isinstance(rows, RowView):
        return sorted(index for index, meta in rows.changed_metas() if meta.get("override") == "keep")
    return [index for index, row in enumerate(rows) if row.meta.get("override") == "keep"]


def run_steps(steps: Sequence[Step], rows: Sequence[Example], ledger: Ledger,
              around: Callable[[Step, int], AbstractContextManager[object]] | None = None,
              ) -> tuple[Sequence[Example], list[tuple[str, int]]]:
    """Apply the steps in order; also the funnel: ("after <label>", rows left) after each step that can drop.

    `rows` is a list or a view of rows on disk (formats.rowstore); the result is of the same kind.
    `around(step, rows)`, when given, wraps each step (the flow reports progress with it)."""
    funnel = []
    for step in steps:
        held = _held(rows)  # a person's keep outranks any rule
        with around(step, len(rows)) if around else nullcontext():
            if not held:
                rows = step.apply(rows, ledger)
            elif isinstance(rows, RowView):
                mask = np.zeros(len(rows), dtype=bool)
                mask[held] = True
                left = step.apply(rows.take(np.flatnonzero(~mask)), ledger)
                rows = rows.take(np.flatnonzero(mask | np.isin(rows.positions, left.positions)))
            else:
                ids = {id(rows[index]) for index in held}
                left_ids = {id(row) for row in step.apply([r for r in rows if id(r) not in ids], ledger)}
                rows = [row for row in rows if id(row) in ids or id(row) in left_ids]
        if step.label:
            funnel.append((f"after {step.label}", len(rows)))
    return rows, funnel


def chain_label(steps: Sequence[Step]) -> str:
    """The funnel's one line for a chain run per shard (its shards are merged before the funnel is drawn)."""
    return f"after {' and '.join(step.label for step in steps if step.label)} filters"


def rule_ids(steps: Sequence[Step]) -> list[str]:
    return [rule for step in steps for rule in step.rule_ids()]
