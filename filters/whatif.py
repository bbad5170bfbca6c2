"""What-if tables: for every threshold-based check, how many rows it would drop at other values — from scores
computed once over the rows the check saw, not from re-runs (DESIGN: score once, decide cheaply)."""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from filters.noise import NoiseSettings, repeated_line_share, repeated_ngram_share
from formats.example import Example
from formats.rowstore import rows_at
from formats.text import estimate_tokens

SAMPLE_ROWS = 20_000  # the repetition shares cost a word count per row: past this, a seeded sample (scaled up)


def _over(scores: Sequence[float], values: Sequence[float], current: float, below: bool = False,
          scale: float = 1.0) -> dict[str, Any]:
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    side = "left" if below else "right"
    hits = np.searchsorted(ordered, values, side=side)
    counts = hits if below else len(ordered) - hits
    grid = sorted({*values, current})
    counted = dict(zip(values, counts.tolist(), strict=True))
    if current not in counted:
        at = int(np.searchsorted(ordered, current, side=side))
        counted[current] = at if below else len(ordered) - at
    return {"current": current, "would_drop": {_label(v): round(counted[v] * scale) for v in grid}}


def _label(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"


def _around(current: int) -> list[int]:
    return sorted({max(1, current // 4), max(1, current // 2), current, current * 2, current * 4})


# the per-row scores of the threshold checks: (table, score of a row, the NoiseSettings field of its threshold)
SCORES: tuple[tuple[str, Callable[[Example], int], str], ...] = (
    ("noise.too-long · output characters (max_output_chars)", lambda r: len(r.output), "max_output_chars"),
    ("noise.too-long · instruction characters (max_instruction_chars)", lambda r: len(r.instruction),
     "max_instruction_chars"),
    ("noise.too-long · input characters (max_input_chars)", lambda r: len(r.input), "max_input_chars"),
    ("noise.tokens · output tokens, estimated (max_output_tokens)", lambda r: estimate_tokens(r.output),
     "max_output_tokens"),
    ("noise.too-short · output characters (min_output_chars)", lambda r: len(r.output.strip()), "min_output_chars"),
)


def score_rows(rows: Iterable[Example]) -> np.ndarray:
    """Every row's SCORES, one row of int64 each (a clean worker computes them for its kept rows)."""
    values = array("q")  # 8 bytes a score, not a Python int
    for row in rows:
        values.extend([score(row) for _, score, _ in SCORES])
    return np.frombuffer(values, dtype=np.int64).reshape(-1, len(SCORES)) if values else \
        np.zeros((0, len(SCORES)), dtype=np.int64)


def what_if(rows: Sequence[Example], noise: NoiseSettings, dedup_threshold: float,
            near_similarities: Sequence[float], seed: int = 0, scores: np.ndarray | None = None) -> dict[str, Any]:
    """`rows`: the rows the noise checks saw (a list or a view of rows on disk: read once, plus a sample);
    `near_similarities`: each near-duplicate's similarity to its kept row; `scores`: `score_rows(rows)` when it is
    known (then the rows are read for the sample only)."""
    tables: dict[str, Any] = {}
    if scores is None or len(scores) != len(rows):
        scores = score_rows(rows)
    for k, (name, _, field) in enumerate(SCORES):
        current = getattr(noise, field)
        if "too-short" in name:
            tables[name] = _over(scores[:, k], [1, 2, 5, 10, 20, 50], current, below=True)
        else:
            tables[name] = _over(scores[:, k], _around(current), current)
    del scores
    # the same rows as random.sample(list(rows), k) picks: it draws positions from len(rows) alone
    picked = range(len(rows)) if len(rows) <= SAMPLE_ROWS else random.Random(seed).sample(range(len(rows)),
                                                                                         SAMPLE_ROWS)
    sample = rows_at(rows, sorted(picked))  # in row order: the shares are sorted before they are counted
    scale = len(rows) / max(1, len(sample))
    shares = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    tables["noise.repetition · repeated line share (max_repeated_line_share)"] = _over(
        [repeated_line_share(r.output) for r in sample], shares, noise.max_repeated_line_share, scale=scale)
    tables["noise.repetition · repeated 3-gram share (max_repeated_ngram_share)"] = _over(
        [repeated_ngram_share(r.output) for r in sample], shares, noise.max_repeated_ngram_share, scale=scale)
    steps = sorted({dedup_threshold, *(v for v in (0.85, 0.9, 0.95, 1.0) if v > dedup_threshold)})
    sims = np.asarray(near_similarities, dtype=np.float64)
    tables["dedup.threshold · near-duplicates dropped at a stricter threshold"] = {
        "current": dedup_threshold, "would_drop": {_label(v): int((sims >= v).sum()) for v in steps},
        "note": "a lower threshold needs a re-run: pairs below the current one are never verified"}
    for table in tables.values():
        table.setdefault("rows", len(rows))
    if scale != 1.0:
        for name in tables:
            if "repetition" in name:
                tables[name]["sampled_rows"] = len(sample)
    return tables
