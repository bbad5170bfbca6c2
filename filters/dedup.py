"""Deduplication: exact (normalised text) then verified near-duplicates, keeping the best copy by an explicit policy."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from filters.near_dedup import MinHashParams, ShingleSets, candidate_pairs, signature_band_keys, verified_clusters
from filters.normalise import normalise_many
from filters.parallel import map_in_processes
from formats.example import Example
from formats.ledger import Ledger

_BATCH_ROWS = 2_000  # rows per batch: numpy temporaries stay small enough to be reused, not re-faulted


class DedupSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exact: bool = True
    key: Literal["example", "prompt"] = Field(
        "example", description="example = instruction+input+output; prompt = instruction+input")
    keep: list[Literal["source_priority", "fewer_edits", "longer_output", "earliest"]] = Field(
        default_factory=lambda: ["source_priority", "fewer_edits", "longer_output", "earliest"],
        description="tie-breakers, in order, for which copy of a duplicate survives")
    near: bool = Field(True, description="also collapse near-duplicates (MinHash-LSH, verified by exact Jaccard)")
    threshold: float = Field(0.8, gt=0, le=1, description="verified Jaccard of shingle sets to count as duplicate")
    num_perm: int = Field(128, ge=16)
    bands: int = Field(16, ge=1)
    word_ngram: int = Field(3, ge=1, description="shingle size for alphabetic text, in words")
    char_ngram: int = Field(5, ge=1, description="shingle size for CJK text, in characters")
    seed: int = 0
    workers: int = Field(0, ge=0, description="processes for hashing and signing; 0 = one per CPU")
    parallel_from_rows: int = Field(100_000, ge=0, description="below this many rows, stay in one process")

    @model_validator(mode="after")
    def _bands_divide_permutations(self) -> DedupSettings:
        if self.num_perm % self.bands:
            raise ValueError(f"bands ({self.bands}) must divide num_perm ({self.num_perm})")
        return self


def keep_rank(policy: Sequence[str], source_order: dict[str, int],
              edits: dict[str, int]) -> Callable[[tuple[int, Example]], tuple]:
    """Sort key: the smallest tuple is the copy to keep."""
    def rank(item: tuple[int, Example]) -> tuple:
        position, ex = item
        parts: list[int] = []
        for name in policy:
            if name == "source_priority":
                parts.append(source_order.get(ex.source, len(source_order)))
            elif name == "fewer_edits":
                parts.append(edits.get(ex.id, 0))
            elif name == "longer_output":
                parts.append(-len(ex.output))
            elif name == "earliest":
                parts.append(position)
        parts.append(position)  # total order: the result never depends on dict or hash ordering
        return tuple(parts)
    return rank


def _near_texts(instruction: list[str], input_: list[str], output: list[str]) -> list[str]:
    return [" ".join(parts) for parts in zip(instruction, input_, output, strict=True)]


def _params(settings: DedupSettings) -> MinHashParams:
    return MinHashParams(settings.num_perm, settings.bands, settings.word_ngram, settings.char_ngram, settings.seed)


def _normalised(examples: Sequence[Example]) -> tuple[list[str], list[str], list[str]]:
    return (normalise_many([ex.instruction for ex in examples]), normalise_many([ex.input for ex in examples]),
            normalise_many([ex.output for ex in examples]))


def _batch_keys(fields: tuple[list[str], list[str], list[str]], exact_key: str | None,
                params: MinHashParams | None) -> tuple[list[bytes], np.ndarray | None]:
    """Exact keys and band keys of one batch of raw (instruction, input, output) columns; runs in a worker."""
    instruction, input_, output = (normalise_many(column) for column in fields)
    exact: list[bytes] = []
    if exact_key:
        columns = (instruction, input_, output) if exact_key == "example" else (instruction, input_)
        exact = [hashlib.blake2b("\x1e".join(p).encode(), digest_size=16).digest()
                 for p in zip(*columns, strict=True)]
    bands = signature_band_keys(_near_texts(instruction, input_, output), params) if params else None
    return exact, bands


def dedup_keys(examples: Sequence[Example], settings: DedupSettings) -> tuple[list[bytes], np.ndarray | None]:
    """Exact keys and near-duplicate band keys, batch by batch, so normalised text never piles up in memory.

    The batches are independent: above `parallel_from_rows` they run in `workers` processes (this is ~80% of
    dedup's time). Results never depend on the number of workers.
    """
    batches = [([ex.instruction for ex in batch], [ex.input for ex in batch], [ex.output for ex in batch])
               for batch in (examples[s:s + _BATCH_ROWS] for s in range(0, len(examples), _BATCH_ROWS))]
    exact_key = settings.key if settings.exact else None
    params = _params(settings) if settings.near else None
    workers = min(settings.workers or os.cpu_count() or 1, len(batches))
    if workers > 1 and len(examples) >= settings.parallel_from_rows:
        results = map_in_processes(_batch_keys, batches, workers, exact_key, params)
    else:
        results = [_batch_keys(batch, exact_key, params) for batch in batches]
    exact = [key for keys, _ in results for key in keys]
    bands = [b for _, b in results if b is not None]
    return exact, (np.concatenate(bands, axis=1) if bands else None)


def _edit_counts(ledger: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edit in ledger.edits:
        counts[edit.id] = counts.get(edit.id, 0) + 1
    return counts


def _exact_survivors(examples: list[Example], keys: list[bytes], settings: DedupSettings,
                     source_order: dict[str, int], ledger: Ledger) -> list[int]:
    """Positions of the best copy of each exact key; the rest go to the ledger with the kept id."""
    groups: dict[bytes, list[int]] = {}
    for position, key in enumerate(keys):
        groups.setdefault(key, []).append(position)
    rank = keep_rank(settings.keep, source_order, _edit_counts(ledger))
    keep: list[int] = []
    for positions in groups.values():
        if len(positions) == 1:
            keep.append(positions[0])
            continue
        members = sorted(((pos, examples[pos]) for pos in positions), key=rank)
        best_pos, best = members[0]
        keep.append(best_pos)
        for _, dup in members[1:]:
            ledger.drop(dup, "dedup", "exact-duplicate",
                        f"same normalised {settings.key} as {best.id} (kept by {'/'.join(settings.keep)})",
                        "duplicate", meta={"duplicate_of": best.id})
    return sorted(keep)


def exact_dedup(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> list[Example]:
    """Group rows by normalised key; keep the best of each group, reject the rest with the kept id."""
    if not settings.exact:
        return examples
    keys, _ = dedup_keys(examples, settings.model_copy(update={"near": False}))
    return [examples[pos] for pos in _exact_survivors(examples, keys, settings, source_order, ledger)]


def near_dedup(examples: list[Example], settings: DedupSettings, source_order: dict[str, int], ledger: Ledger,
               bands: np.ndarray | None = None) -> list[Example]:
    """Collapse verified near-duplicate clusters to their best member; kept members carry their cluster id.

    `bands` are the rows' band keys when the caller has them already (`dedup_keys`).
    """
    if len(examples) < 2:
        return examples
    params = _params(settings)
    if bands is None:
        bands = signature_band_keys(_near_texts(*_normalised(examples)), params)
    pairs = candidate_pairs(bands)
    rows = np.unique(pairs).tolist()
    texts = [text for start in range(0, len(rows), _BATCH_ROWS)
             for text in _near_texts(*_normalised([examples[r] for r in rows[start:start + _BATCH_ROWS]]))]
    sets = ShingleSets(rows, texts, params)
    clusters, _ = verified_clusters(len(examples), pairs, sets, settings.threshold)
    rank = keep_rank(settings.keep, source_order, _edit_counts(ledger))
    dropped: set[int] = set()
    for members in clusters:
        ordered = sorted(((pos, examples[pos]) for pos in members), key=rank)
        best_pos, best = ordered[0]
        cluster_id = f"near-{examples[members[0]].id}"
        best.meta["cluster"] = cluster_id
        for pos, dup in ordered[1:]:
            sim = round(sets.jaccard(best_pos, pos), 4)
            linked = "" if sim >= settings.threshold else " (linked through another member)"
            ledger.drop(dup, "dedup", "near-duplicate",
                        f"Jaccard {sim:.2f} with {best.id}{linked} (cluster {cluster_id})", "duplicate",
                        meta={"duplicate_of": best.id, "cluster": cluster_id, "similarity": sim})
            dropped.add(pos)
    return [ex for pos, ex in enumerate(examples) if pos not in dropped]


def enabled_rules(settings: DedupSettings) -> list[str]:
    """The dedup rule ids these settings switch on."""
    return ["exact-duplicate"] * settings.exact + ["near-duplicate"] * settings.near


def deduplicate(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> list[Example]:
    """Exact duplicates first (cheap, catches most), then verified near-duplicates among the survivors.

    Both key kinds come from one normalisation pass over the rows.
    """
    exact, bands = dedup_keys(examples, settings)
    survivors = (_exact_survivors(examples, exact, settings, source_order, ledger) if settings.exact
                 else list(range(len(examples))))
    kept = [examples[pos] for pos in survivors]
    if not settings.near or bands is None:
        return kept
    return near_dedup(kept, settings, source_order, ledger, bands[:, survivors])


class DedupStep:
    """Exact and verified near-duplicates collapsed to the best copy by the keep policy."""

    name, label = "dedup", "dedup"

    def __init__(self, settings: DedupSettings, source_order: dict[str, int]) -> None:
        self.settings, self.source_order = settings, source_order

    def rule_ids(self) -> list[str]:
        return enabled_rules(self.settings)

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        return deduplicate(rows, self.settings, self.source_order, ledger)
