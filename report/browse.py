"""The rows a person browses in report.html: kept (train / val) and rejected rows with their locator, stage, rule,
reason and edits, so any dropped row can be found by a word in it. Embedded in the page as JSON; past `limit`
rows a deterministic sample is embedded and the page says how many."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from formats.example import Example
from formats.ledger import Ledger

LIMIT = 10_000  # rows embedded in report.html: the page stays quick to open at 1M rows
CLIP = 1_000  # characters of each text embedded


def _clip(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= CLIP else text[:CLIP] + " …"


def _sample(items: list[dict[str, Any]], limit: int, seed: int) -> list[dict[str, Any]]:
    if len(items) <= limit:
        return items
    order = sorted(items, key=lambda r: hashlib.blake2b(f"{seed}:{r['id']}".encode(), digest_size=8).digest())
    keep = {id(r) for r in order[:limit]}
    return [r for r in items if id(r) in keep]


def browse_rows(train: list[Example], val: list[Example], ledger: Ledger, limit: int = LIMIT,
                seed: int = 0) -> dict[str, Any]:
    """Every row (or a sample past `limit`: rejected rows get up to half the room), each with its edits."""
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
    kept = [{"id": ex.id, "status": split, "source": ex.source, "stage": "", "rule": "", "detail": "",
             "locator": ex.meta.get("locator", ""), "instruction": _clip(ex.instruction), "input": _clip(ex.input),
             "output": _clip(ex.output), "edits": edits.get(ex.id, []),
             **({"history": [[_clip(u), _clip(a)] for u, a in ex.history]} if ex.history else {})}
            for split, rows in (("train", train), ("val", val)) for ex in rows]
    room_rejected = min(len(rejected), max(limit // 2, limit - len(kept)))
    chosen = _sample(rejected, room_rejected, seed) + _sample(kept, limit - room_rejected, seed)
    return {"total": len(rejected) + len(kept), "embedded": len(chosen), "rows": chosen}
