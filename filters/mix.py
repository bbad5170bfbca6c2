"""Mixing: per-source caps and target shares, so a source that is 80% of the rows need not stay 80%.

Rows are taken by a seeded hash of their id (deterministic, and independent of row order), never duplicated:
weights are met by downsampling the sources that have more than their share. Every row left out is a reject
(`mix.max-rows`, `mix.weight`) like any other, so read = kept + rejected still holds."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import rows_at, take


def _order(seed: int, row_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{row_id}".encode(), digest_size=8).digest()


def target_counts(available: dict[str, int], weights: dict[str, float]) -> dict[str, int]:
    """Rows to keep per source so that shares follow the weights, as many as the scarcest source allows."""
    total = sum(weights.values())
    shares = {name: weights[name] / total for name in available}
    final = min(available[name] / shares[name] for name in available)
    return {name: min(available[name], round(final * shares[name])) for name in available}


class MixStep:
    """Caps first (`max_rows`), then weights (`weight` on every source or none); the seed is output.seed."""

    name, label = "mix", "mixing"

    def __init__(self, sources: list[Any], seed: int) -> None:
        self.caps = {s.name: s.sample.max_rows for s in sources if s.sample and s.sample.max_rows}
        self.weights = {s.name: s.sample.weight for s in sources if s.sample and s.sample.weight}
        if self.weights and len(self.weights) != len(sources):
            missing = [s.name for s in sources if s.name not in self.weights]
            raise ValueError(f"sample.weight is set on some sources but not on {missing}: set it on every source "
                             "or none")
        self.seed = seed

    def rule_ids(self) -> list[str]:
        return ["mix.max-rows"] * bool(self.caps) + ["mix.weight"] * bool(self.weights)

    def _keep(self, rows: Sequence[Example], ledger: Ledger, limits: dict[str, int], rule: str,
              why: str) -> Sequence[Example]:
        by_source: dict[str, list[tuple[bytes, int]]] = defaultdict(list)  # (order, index): no text held
        for index, row in enumerate(rows):
            by_source[row.source].append((_order(self.seed, row.id), index))
        dropped: set[int] = set()
        for source, members in by_source.items():
            limit = limits.get(source)
            if limit is None or len(members) <= limit:
                continue
            out = [index for _, index in sorted(members)[limit:]]
            for index, row in zip(out, rows_at(rows, out), strict=True):
                dropped.add(index)
                ledger.drop(row, self.name, rule, f"{source}: {why} ({limit:,} of {len(members):,} rows kept)", "mix")
        return take(rows, [index for index in range(len(rows)) if index not in dropped]) if dropped else rows

    def apply(self, rows: Sequence[Example], ledger: Ledger) -> Sequence[Example]:
        rows = self._keep(rows, ledger, self.caps, "mix.max-rows", "sample.max_rows")
        if self.weights:
            available: dict[str, int] = defaultdict(int)
            for row in rows:
                available[row.source] += 1
            present = {name: count for name, count in available.items() if count}
            targets = target_counts(present, {name: self.weights[name] for name in present})
            rows = self._keep(rows, ledger, targets, "mix.weight", "sample.weight share")
        return rows
