"""Dedup in shard- and partition-sized parts, for a cluster: what a worker computes from the rows of one shard, or
from one partition of the shuffled keys. Plain functions of numpy arrays and byte ranges into the shared shards (no
Dask here: flows/dask_dedup.py moves the parts). Each part calls the same functions as the local dedup
(filters/dedup.py), so the keys, the candidate pairs and the verified similarities are the same numbers.

Row numbers: `rows` are indices into the dedup step's input (exact stage) or into the exact survivors (near
stage), the numbers the local run uses; a part that reads rows gets their byte ranges (file number, start, end).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from filters.dedup import (
    DedupSettings,
    Keys,
    PairSimilarity,
    _prompt_candidates,
    _repeated_keys,
    dedup_keys,
    verify_pairs,
)
from filters.near_dedup import bucket_pairs, unique_pairs
from formats.rowstore import RowStore, RowView

Ranges = tuple[np.ndarray, np.ndarray, np.ndarray]  # file number, start byte, end byte of each row


def _view(paths: list[str], ranges: Ranges) -> RowView:
    return RowStore.from_ranges(paths, *ranges).view()


def _one_process(settings: DedupSettings) -> DedupSettings:
    """A cluster worker is one process (a daemon: it may not start a pool of its own)."""
    return settings.model_copy(update={"workers": 1})


@dataclass
class ShardKeys:
    """One shard's rows (their indices and byte ranges) and their dedup keys; stays on the worker that made it
    unless Dask moves it (its spilled band keys then travel by value: filters.bands)."""

    rows: np.ndarray
    ranges: Ranges
    keys: Keys
    seconds: float


def shard_keys(paths: list[str], rows: np.ndarray, ranges: Ranges, settings: DedupSettings) -> ShardKeys:
    """`dedup_keys` of one shard's rows: keys are functions of the row alone, so they equal the local run's."""
    started = time.perf_counter()
    keys = dedup_keys(_view(paths, ranges), _one_process(settings))
    return ShardKeys(rows, ranges, keys, time.perf_counter() - started)


def key_seconds(shard: ShardKeys) -> tuple[int, float]:
    """(rows, seconds) of a shard's key computation, for the figures."""
    return len(shard.rows), shard.seconds


@dataclass
class Received:
    """What a reducing part gives back, and how many bytes of shuffled keys it was sent (for the figures)."""

    value: object
    shuffled: int
    stats: dict[str, int] = field(default_factory=dict)


def exact_parts(shard: ShardKeys, parts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The shard's (rows, exact keys) split by key hash into `parts`: equal keys meet in one part."""
    part = shard.keys.exact[:, 0] % np.uint64(parts) if len(shard.keys.exact) else np.zeros(0, np.uint64)
    return [(shard.rows[part == p], shard.keys.exact[part == p]) for p in range(parts)]


def exact_groups(pieces: list[tuple[np.ndarray, np.ndarray]]) -> Received:
    """The groups of rows (ascending) with equal exact keys within one hash part, as `_repeated_keys` finds them
    over all rows: every group lies wholly in one part."""
    rows = np.concatenate([r for r, _ in pieces]) if pieces else np.zeros(0, np.int64)
    keys = np.concatenate([k for _, k in pieces]) if pieces else np.zeros((0, 2), np.uint64)
    order = np.argsort(rows, kind="stable")
    rows, keys = rows[order], keys[order]
    groups = [rows[group] for group in _repeated_keys(keys)] if len(keys) else []
    return Received(groups, int(rows.nbytes + keys.nbytes), {"groups": len(groups)})


def near_parts(shard: ShardKeys, survivor: np.ndarray, parts: int, settings: DedupSettings,
               ) -> dict[tuple[str, int], tuple[np.ndarray, ...]]:
    """The shard's surviving rows' band keys split by key range (part p holds the p-th range of bucket keys, of
    every band), and, for the same-prompt comparison, their prompt keys, output lengths and byte ranges split by
    prompt hash (short outputs only: longer ones are never compared that way). `survivor` is each shard row's
    index among the exact survivors, -1 when exact dedup dropped it."""
    alive = survivor >= 0
    index = survivor[alive]
    out: dict[tuple[str, int], tuple[np.ndarray, ...]] = {}
    bands = shard.keys.bands[:, alive] if shard.keys.bands is not None else np.zeros((0, len(index)), np.uint64)
    band_of = np.repeat(np.arange(len(bands), dtype=np.uint8 if len(bands) <= 256 else np.uint16), len(index))
    flat, rows = bands.ravel(), np.tile(index, len(bands))
    part = ((flat >> np.uint64(40)) * np.uint64(parts)) >> np.uint64(24)  # contiguous ranges of 64-bit keys
    for p in range(parts):
        mine = part == p
        out[("bands", p)] = (band_of[mine], flat[mine], rows[mine])
    if settings.same_prompt:
        short = shard.keys.output_chars[alive] <= settings.short_output
        prompts, chars = shard.keys.prompts[alive][short], shard.keys.output_chars[alive][short]
        file, start, end = (column[alive][short] for column in shard.ranges)
        part = prompts % np.uint64(parts)
        for p in range(parts):
            mine = part == p
            out[("prompts", p)] = (index[short][mine], prompts[mine], chars[mine], file[mine], start[mine],
                                   end[mine])
    return out


def band_candidates(pieces: list[tuple[np.ndarray, ...]], survivors: int, max_bucket: int = 50) -> Received:
    """Candidate pairs of the buckets in one key range, band by band, by `bucket_pairs` (the local rule, with its
    `max_bucket`): a bucket's keys all lie in one range, so the union over the ranges is the local set."""
    band = np.concatenate([b for b, _, _ in pieces])
    keys = np.concatenate([k for _, k, _ in pieces])
    rows = np.concatenate([r for _, _, r in pieces])
    found: list[np.ndarray] = []
    for number in np.unique(band).tolist():
        mine = band == number
        found += bucket_pairs(keys[mine], rows[mine], max_bucket)
    pairs = unique_pairs(found, survivors)
    return Received(pairs, int(band.nbytes + keys.nbytes + rows.nbytes),
                    {"buckets": len(found), "bucket_pairs": sum(map(len, found)), "pairs": len(pairs)})


def prompt_candidates(pieces: list[tuple[np.ndarray, ...]], paths: list[str], settings: DedupSettings) -> Received:
    """Same-prompt candidate pairs of the prompt keys in one hash part, by `_prompt_candidates` on these rows in
    ascending order (a prompt's rows all lie in one part; the worker reads their outputs from the shards)."""
    columns = [np.concatenate([piece[c] for piece in pieces]) for c in range(6)]
    order = np.argsort(columns[0], kind="stable")
    rows, prompts, chars, file, start, end = (column[order] for column in columns)
    view = _view(paths, (file, start, end))
    local = _prompt_candidates(view, Keys(np.zeros((0, 2), np.uint64), None, prompts, chars), settings)
    return Received(rows[local], int(sum(column.nbytes for column in columns)), {"pairs": len(local)})


def verify_chunk(paths: list[str], ranges: Ranges, pairs: np.ndarray, settings: DedupSettings,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`verify_pairs` of some candidate pairs (`pairs` index the rows of `ranges`), reading those rows from the
    shards: (indices of the duplicate pairs, their similarity, their measure)."""
    view = _view(paths, ranges)
    prompts = dedup_keys(view, _one_process(settings).model_copy(update={"exact": False, "near": False})).prompts
    similarity = PairSimilarity(list(range(len(view))), view, prompts, settings)
    return verify_pairs(pairs, similarity)
