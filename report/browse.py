"""The rows a person browses in report.html: kept (train / val) and rejected rows with their locator, stage, rule,
reason and edits, so any dropped row can be found by a word in it. Embedded in the page as JSON; past `limit`
rows a deterministic sample is embedded and the page says how many."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import rows_at

LIMIT = 10_000  # rows embedded in report.html: the page stays quick to open at 1M rows
CLIP = 1_000  # characters of each text embedded


def _clip(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= CLIP else text[:CLIP] + " …"


def _digest(seed: int, row_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{row_id}".encode(), digest_size=8).digest()


def _chosen(ids: Sequence[str], limit: int, seed: int) -> list[int]:
    """Indices of the rows kept in a sample of `limit` (the smallest seeded hashes of their ids), in row order."""
    if len(ids) <= limit:
        return list(range(len(ids)))
    return sorted(sorted(range(len(ids)), key=lambda i: _digest(seed, ids[i]))[:limit])


def _kept_row(ex: Example, split: str, edits: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {"id": ex.id, "status": split, "source": ex.source, "stage": "", "rule": "", "detail": "",
            "locator": ex.meta.get("locator", ""), "instruction": _clip(ex.instruction), "input": _clip(ex.input),
            "output": _clip(ex.output), "edits": edits.get(ex.id, []),
            **({"history": [[_clip(u), _clip(a)] for u, a in ex.history]} if ex.history else {})}


def browse_rows(train: Sequence[Example], val: Sequence[Example], ledger: Ledger, limit: int = LIMIT,
                seed: int = 0, kept_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Every row (or a sample past `limit`: rejected rows get up to half the room), each with its edits.

    `kept_ids`: the ids of train + val when the caller has them (rows on disk are then read only if sampled)."""
    edits: dict[str, list[dict[str, str]]] = defaultdict(list)
    for edit in ledger.edits:
        edits[edit.id].append({"rule": edit.rule, "field": edit.field, "removed": _clip(edit.removed),
                               "added": _clip(edit.added)})
    rejected = []
    for reject in ledger.rejects:
        row = reject.row
        meta = row.get("meta") or {}
        rejected.append({"id": reject.id, "status": "rejected", "source": reject.source, "stage": reject.stage,
                         "rule": reject.rule, "detail": _clip(reject.detail),
                         "locator": meta.get("locator") or row.get("locator", ""),
                         "instruction": _clip(row.get("instruction", row.get("raw", ""))),
                         "input": _clip(row.get("input", "")), "output": _clip(row.get("output", "")),
                         "edits": edits.get(reject.id, [])})
    ids = kept_ids if kept_ids is not None else [ex.id for rows in (train, val) for ex in rows]
    room_rejected = min(len(rejected), max(limit // 2, limit - len(ids)))
    picked = [rejected[i] for i in _chosen([r["id"] for r in rejected], room_rejected, seed)]
    kept = _chosen(ids, limit - room_rejected, seed)
    in_train = [i for i in kept if i < len(train)]
    in_val = [i - len(train) for i in kept if i >= len(train)]
    picked += [_kept_row(ex, "train", edits) for ex in rows_at(train, in_train)]
    picked += [_kept_row(ex, "val", edits) for ex in rows_at(val, in_val)]
    return {"total": len(rejected) + len(ids), "embedded": len(picked), "rows": picked}
