"""report.json: the counts a person checks before training, and the invariant read = kept + rejected."""

from __future__ import annotations

from collections import Counter
from typing import Any

from filters.ledger import Ledger
from formats.example import Example


class InvariantError(RuntimeError):
    """Rows went missing between read and write: a bug, never data to ship."""


def source_counts(read: dict[str, int], kept: list[Example], ledger: Ledger,
                  failed: dict[str, str]) -> dict[str, dict[str, Any]]:
    kept_per_source = Counter(ex.source for ex in kept)
    rejected = Counter(r.source for r in ledger.rejects)
    by_stage: dict[str, Counter[str]] = {}
    for r in ledger.rejects:
        by_stage.setdefault(r.source, Counter())[r.stage] += 1
    out = {}
    for name, n_read in read.items():
        out[name] = {"read": n_read, "kept": kept_per_source[name], "rejected": rejected[name],
                     "rejected_by_stage": dict(sorted(by_stage.get(name, Counter()).items())),
                     "status": "failed" if name in failed else "ok"}
        if name in failed:
            out[name]["error"] = failed[name]
    return out


def check_invariant(per_source: dict[str, dict[str, Any]]) -> None:
    broken = {n: c for n, c in per_source.items() if c["read"] != c["kept"] + c["rejected"]}
    if broken:
        raise InvariantError("rows lost or invented: " + "; ".join(
            f"{n}: read {c['read']} != kept {c['kept']} + rejected {c['rejected']}" for n, c in broken.items()))


def build_report(*, read: dict[str, int], funnel: list[tuple[str, int]], train: list[Example],
                 val: list[Example], ledger: Ledger, failed: dict[str, str], stats: dict[str, Any],
                 config_summary: dict[str, Any]) -> dict[str, Any]:
    per_source = source_counts(read, train + val, ledger, failed)
    check_invariant(per_source)
    total_read = sum(read.values())
    return {
        "totals": {"read": total_read, "kept": len(train) + len(val), "rejected": len(ledger.rejects),
                   "edited_rows": len({e.id for e in ledger.edits}), "edits": len(ledger.edits),
                   "train": len(train), "val": len(val)},
        "invariant": "read == kept + rejected holds for every source",
        "sources": per_source,
        "failed_sources": failed,
        "funnel": [{"stage": stage, "rows": rows,
                    "share_of_read": round(rows / total_read, 4) if total_read else 0.0} for stage, rows in funnel],
        "rules": {rule: count.as_dict() for rule, count in
                  sorted(ledger.rules.items(), key=lambda kv: (-kv[1].hits, kv[0]))},
        "examples": rule_examples(ledger, {ex.id: ex for ex in train + val}),
        "stats": stats,
        "config": config_summary,
    }


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def rule_examples(ledger: Ledger, kept: dict[str, Example], per_rule: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A few real rows per rule, so a person can judge the rule: for edits the removed span and the row as kept,
    for drops the row and the reason. Deterministic: the first rows in ledger order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for edit in ledger.edits:
        items = out.setdefault(edit.rule, [])
        if len(items) < per_rule:
            row = kept.get(edit.id)
            items.append({"id": edit.id, "source": edit.source, "field": edit.field, "removed": _clip(edit.removed),
                          "added": _clip(edit.added),
                          "kept_text": _clip(getattr(row, edit.field)) if row else None})
    for reject in ledger.rejects:
        items = out.setdefault(reject.rule, [])
        if len(items) < per_rule:
            row = reject.row
            items.append({"id": reject.id, "source": reject.source, "detail": _clip(reject.detail, 300),
                          "instruction": _clip(str(row.get("instruction", row.get("raw", "")))),
                          "output": _clip(str(row.get("output", "")))})
    return out
