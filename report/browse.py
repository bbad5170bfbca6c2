"""The rows a person browses in report.html: kept (train / val) and rejected rows with their locator, stage, rule,
reason and edits, so any dropped row can be found by a word in it. Embedded in the page as JSON; past `limit`
rows a deterministic sample is embedded and the page says how many."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np

from formats.example import Example, Reject
from formats.ledger import Ledger
from formats.rowstore import rows_at

LIMIT = 10_000  # rows embedded in report.html: the page stays quick to open at 1M rows
CLIP = 1_000  # characters of each text embedded
_BATCH = 65_536  # ids hashed per batch


def _clip(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= CLIP else text[:CLIP] + " …"


def _digest(seed: int, row_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{row_id}".encode(), digest_size=8).digest()


def _batches(ids: Iterable[str]) -> Iterator[list[str]]:
    """`ids` in lists of `_BATCH`: slices of a sequence (packed ids turn into strings a batch at a time), else
    chunks of the stream."""
    if isinstance(ids, Sequence):
        for start in range(0, len(ids), _BATCH):
            yield list(ids[start:start + _BATCH])
        return
    stream = iter(ids)
    while batch := list(islice(stream, _BATCH)):
        yield batch


def _chosen(ids: Iterable[str], count: int, limit: int, seed: int) -> list[int]:
    """Indices of the rows kept in a sample of `limit` of the `count` ids (the smallest seeded hashes of their
    ids, ties to the earlier row), in row order. The ids stream past a batch at a time and only the `limit`
    smallest (hash, index) pairs so far are kept (big-endian uint64: the same order as the digests' bytes): the
    sample a stable sort of every id's hash picks, without a hash and an index a row (~24 bytes a kept row, 0.2 GB
    at 10M rows, bench/RESULTS.md)."""
    if count <= limit:
        return list(range(count))
    keys, at = np.empty(0, dtype=">u8"), np.empty(0, dtype=np.int64)
    start = 0
    for batch in _batches(ids):
        keys = np.concatenate([keys, np.frombuffer(b"".join(_digest(seed, i) for i in batch), dtype=">u8")])
        at = np.concatenate([at, np.arange(start, start + len(batch), dtype=np.int64)])
        start += len(batch)
        if len(keys) > limit:
            best = np.lexsort((at, keys))[:limit]
            keys, at = keys[best], at[best]
    return np.sort(at).tolist()


def _kept_row(ex: Example, split: str, edits: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {"id": ex.id, "status": split, "source": ex.source, "stage": "", "rule": "", "detail": "",
            "locator": ex.meta.get("locator", ""), "instruction": _clip(ex.instruction), "input": _clip(ex.input),
            "output": _clip(ex.output), "edits": edits.get(ex.id, []),
            **({"history": [[_clip(u), _clip(a)] for u, a in ex.history]} if ex.history else {})}


def _rejected_row(reject: Reject, edits: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    row = reject.row
    meta = row.get("meta") or {}
    return {"id": reject.id, "status": "rejected", "source": reject.source, "stage": reject.stage,
            "rule": reject.rule, "detail": _clip(reject.detail),
            "locator": meta.get("locator") or row.get("locator", ""),
            "instruction": _clip(row.get("instruction", row.get("raw", ""))), "input": _clip(row.get("input", "")),
            "output": _clip(row.get("output", "")), "edits": edits.get(reject.id, [])}


def browse_rows(train: Sequence[Example], val: Sequence[Example], ledger: Ledger, limit: int = LIMIT,
                seed: int = 0, kept_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Every row (or a sample past `limit`: rejected rows get up to half the room), each with its edits.

    `kept_ids`: the ids of train + val when the caller has them (rows on disk are then read only if sampled)."""
    ids = kept_ids if kept_ids is not None else [ex.id for rows in (train, val) for ex in rows]
    rejects = ledger.rejects
    room_rejected = min(len(rejects), max(limit // 2, limit - len(ids)))
    chosen = [rejects[i] for i in _chosen((r.id for r in rejects), len(rejects), room_rejected, seed)]
    kept = _chosen(ids, len(ids), limit - room_rejected, seed)
    shown = {r.id for r in chosen} | {ids[i] for i in kept}  # only the shown rows' edits are gathered
    edits: dict[str, list[dict[str, str]]] = defaultdict(list)
    for edit in ledger.edits:
        if edit.id in shown:
            edits[edit.id].append({"rule": edit.rule, "field": edit.field, "removed": _clip(edit.removed),
                                   "added": _clip(edit.added)})
    picked = [_rejected_row(reject, edits) for reject in chosen]
    in_train = [i for i in kept if i < len(train)]
    in_val = [i - len(train) for i in kept if i >= len(train)]
    picked += [_kept_row(ex, "train", edits) for ex in rows_at(train, in_train)]
    picked += [_kept_row(ex, "val", edits) for ex in rows_at(val, in_val)]
    return {"total": len(rejects) + len(ids), "embedded": len(picked), "rows": picked}
