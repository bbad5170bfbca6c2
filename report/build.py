"""report.json: the counts a person checks before training, and the invariant read = kept + rejected."""

from __future__ import annotations

import difflib
import heapq
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from formats.example import FIELDS, Example, Reject
from formats.ledger import Ledger
from formats.rowstore import kept_having
from formats.rowstore import source_counts as kept_sources
from formats.text import CJK
from report.pii import pii_summary


class InvariantError(RuntimeError):
    """Rows went missing between read and write: a bug, never data to ship."""


def source_counts(read: dict[str, int], kept: Mapping[str, Example], ledger: Ledger,
                  failed: dict[str, str]) -> dict[str, dict[str, Any]]:
    kept_per_source = kept_sources(kept)
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


def build_report(*, read: dict[str, int], funnel: list[tuple[str, int]], train: Sequence[Example],
                 val: Sequence[Example], ledger: Ledger, failed: dict[str, str], stats: dict[str, Any],
                 config_summary: dict[str, Any], lengths: dict[str, Any] | None = None,
                 enabled_rules: Sequence[str] = (), what_if: dict[str, Any] | None = None,
                 kept: Mapping[str, Example] | None = None) -> dict[str, Any]:
    """`lengths`: the length histograms before and after filtering; `enabled_rules`: every rule the run had
    switched on, so the ones that fired on nothing can be listed; `kept`: train + val by id, when the caller has
    it (formats.rowstore.KeptRows, for rows on disk)."""
    if kept is None:
        kept = {ex.id: ex for ex in [*train, *val]}
    per_source = source_counts(read, kept, ledger, failed)
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
        "rules_with_no_hits": sorted(r for r in set(enabled_rules) if r not in ledger.rules
                                     or not ledger.rules[r].hits),
        "examples": rule_examples(ledger, kept),
        "duplicates": duplicate_summary(list(read), kept, ledger),
        **({"mix": mix} if (mix := mix_summary(list(read), kept, ledger, enabled_rules)) else {}),
        **({"conversations": turns} if (turns := conversation_summary(kept, ledger)) else {}),
        "pii": pii_summary(list(read), kept, ledger),
        **({"lengths": lengths} if lengths is not None else {}),
        **({"what_if": what_if} if what_if else {}),
        "stats": stats,
        "config": config_summary,
    }


def mix_summary(sources: Sequence[str], kept: Mapping[str, Example], ledger: Ledger,
                enabled_rules: Sequence[str]) -> dict[str, Any]:
    """Rows and shares per source before and after mixing (caps and weights); empty when no source is sampled."""
    if not any(rule.startswith("mix.") for rule in enabled_rules):
        return {}
    after = kept_sources(kept)
    left_out = Counter(r.source for r in ledger.rejects if r.stage == "mix")
    before = {s: after[s] + left_out[s] for s in sources}
    total_before, total_after = sum(before.values()) or 1, sum(after.values()) or 1
    return {s: {"before": before[s], "after": after[s], "share_before": round(before[s] / total_before, 4),
                "share_after": round(after[s] / total_after, 4)} for s in sources}


def conversation_summary(kept: Mapping[str, Example], ledger: Ledger) -> dict[str, Any]:
    """For datasets with conversations: how many were kept, how many turns they have, and what the filters did per
    turn (edits by turn, conversations cut before a bad turn, dropped for one). Empty for single-turn data."""
    conversations, turns = 0, Counter()
    for ex in kept_having(kept, "conversation"):
        conversations += 1
        turns[len(ex.turns()) - bool(ex.system)] += 1
    bad_turns = Counter(r.row["meta"]["bad_turn"] for r in ledger.rejects if "bad_turn" in r.row.get("meta", {}))
    per_turn = Counter(e.field for e in ledger.edits if e.field.startswith("turns[") and not e.field.endswith(":]"))
    cuts = Counter(e.field for e in ledger.edits if e.field.endswith(":]"))
    if not conversations and not bad_turns and not per_turn:
        return {}
    return {"kept": conversations, "turns": {str(n): c for n, c in sorted(turns.items())},
            "edits_by_turn": dict(sorted(per_turn.items(), key=lambda kv: int(kv[0][6:-1]))),
            "cut_at_turn": {k[6:-2]: v for k, v in sorted(cuts.items(), key=lambda kv: int(kv[0][6:-2]))},
            "dropped_for_turn": {str(k): v for k, v in sorted(bad_turns.items())}}


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def rule_examples(ledger: Ledger, kept: Mapping[str, Example], per_rule: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A few real rows per rule, so a person can judge the rule: for edits the removed span and the row as kept,
    for drops the row and the reason. Deterministic: the first rows in ledger order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for edit in ledger.edits:
        items = out.setdefault(edit.rule, [])
        if len(items) < per_rule:
            row = kept.get(edit.id)
            items.append({"id": edit.id, "source": edit.source, "field": edit.field, "removed": _clip(edit.removed),
                          "added": _clip(edit.added),
                          "kept_text": _clip(row.text_of(edit.field)) if row else None})
    for reject in ledger.rejects:
        items = out.setdefault(reject.rule, [])
        if len(items) < per_rule:
            row = reject.row
            items.append({"id": reject.id, "source": reject.source, "detail": _clip(reject.detail, 300),
                          "instruction": _clip(str(row.get("instruction", row.get("raw", "")))),
                          "output": _clip(str(row.get("output", "")))})
    return out


_DIFF_TOKEN = re.compile(f"[{CJK}]|[^\\W{CJK}]+|\\s+|[^\\w\\s]")  # words, CJK characters, spaces, marks


def word_diff(kept: str, dropped: str, context: int = 80) -> list[list[str]]:
    """Word-level diff as [op, text] runs: '=' in both, '-' only in the kept row, '+' only in the dropped one.
    A long shared run keeps `context` characters at each end."""
    a, b = _DIFF_TOKEN.findall(kept), _DIFF_TOKEN.findall(dropped)
    out: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = "".join(a[i1:i2])
            out.append(["=", same if len(same) <= 2 * context + 3 else f"{same[:context]} … {same[-context:]}"])
            continue
        if i2 > i1:
            out.append(["-", "".join(a[i1:i2])])
        if j2 > j1:
            out.append(["+", "".join(b[j1:j2])])
    return out


def _row_text(row: dict[str, Any], limit: int = 2_000) -> str:
    return "\n\n".join(str(row.get(f) or "")[:limit] for f in FIELDS if row.get(f))


_CLUSTER_KEY = {"exact-duplicate": "duplicate_of", "near-duplicate": "cluster"}  # rule -> the meta key grouping it


def _cluster_of(r: Reject) -> str:
    return str(r.row["meta"].get(_CLUSTER_KEY[r.rule], r.id))


def _dedup_rejects(ledger: Ledger, any_rule: bool = False) -> Iterator[Reject]:
    """The rejects of dedup's two rules (`any_rule`: of every dedup rule; a kept row dropped later is looked up
    among them), streamed from the ledger (spilled to disk at scale: formats/spill.py)."""
    return (r for r in ledger.rejects if r.stage == "dedup" and (any_rule or r.rule in _CLUSTER_KEY))


def _clusters(ledger: Ledger, sizes: dict[str, Counter[str]], kept: Mapping[str, Example],
              largest: int) -> dict[str, dict[str, Any]]:
    """Per rule: size distribution (kept row + dropped copies → how many clusters) and the largest clusters, each
    with the kept row and its least similar dropped member, diffed word by word. `sizes`: dropped rows per cluster
    id, per rule. Only the largest clusters' members are gathered, in a second pass over the ledger (a third when a
    kept row was dropped later by dedup): the dedup rejects' rows are never all held (at 10M rows they were ~0.9 GB,
    bench/RESULTS.md)."""
    top = {rule: dict(heapq.nsmallest(largest, counts.items(), key=lambda kv: (-kv[1], kv[0])))
           for rule, counts in sizes.items()}
    members: dict[str, dict[str, list[dict[str, Any]]]] = {rule: {c: [] for c in top[rule]} for rule in top}
    drops: dict[tuple[str, str], Reject] = {}  # the first least similar member of each cluster shown
    for r in _dedup_rejects(ledger):
        cluster = _cluster_of(r)
        if cluster not in top[r.rule]:
            continue
        similarity = r.row["meta"].get("similarity", 1.0)
        members[r.rule][cluster].append({"id": r.id, "source": r.source, "similarity": similarity,
                                         "measure": r.row["meta"].get("measure", "exact" if r.rule == "exact-duplicate"
                                                                      else "jaccard")})
        drop = drops.get((r.rule, cluster))
        if drop is None or similarity < drop.row["meta"].get("similarity", 1.0):
            drops[r.rule, cluster] = r
    kept_ids = {key: drop.row["meta"].get("duplicate_of", "") for key, drop in drops.items()}
    wanted = {i for i in kept_ids.values() if i not in kept}
    by_id = {r.id: r.row for r in _dedup_rejects(ledger, any_rule=True) if r.id in wanted} if wanted else {}
    out = {}
    for rule, counts in sizes.items():
        shown = []
        for cluster in top[rule]:
            drop, kept_id = drops[rule, cluster], kept_ids[rule, cluster]
            kept_row = kept[kept_id].to_dict() if kept_id in kept else by_id.get(kept_id, {})
            shown.append({"cluster": cluster, "size": counts[cluster] + 1,
                          "kept": {"id": kept_id, "source": kept_row.get("source", ""),
                                   "status": "kept" if kept_id in kept else "dropped later"},
                          "dropped": {"id": drop.id, "source": drop.source},
                          "similarity": drop.row["meta"].get("similarity", 1.0),
                          # every dropped member against the kept row: dedup verified each one (no chains)
                          "members": members[rule][cluster],
                          "diff": word_diff(_row_text(kept_row), _row_text(drop.row))})
        histogram = Counter(size + 1 for size in counts.values())
        out[rule] = {"clusters": len(counts), "rows_dropped": counts.total(),
                     "sizes": {str(size): n for size, n in sorted(histogram.items())}, "largest": shown}
    return out


def _rate(kept: int, exact: int, near: int) -> dict[str, Any]:
    reached = kept + exact + near
    return {"reached_dedup": reached, "exact": exact, "near": near,
            "rate": round((exact + near) / reached, 4) if reached else 0.0}


def duplicate_summary(sources: Sequence[str], kept: Mapping[str, Example], ledger: Ledger,
                      largest: int = 5) -> dict[str, Any]:
    """Duplicate rate (copies dropped / rows that reached dedup) per source and overall, and exact clusters
    (grouped by the kept row) and near-duplicate clusters (grouped by cluster id). Counted in one streaming pass
    over the ledger: a counter per cluster and per source, not the dedup rejects themselves."""
    n_kept = kept_sources(kept)
    by_source: dict[str, Counter[str]] = {rule: Counter() for rule in _CLUSTER_KEY}
    sizes: dict[str, Counter[str]] = {rule: Counter() for rule in _CLUSTER_KEY}
    for r in _dedup_rejects(ledger):
        by_source[r.rule][r.source] += 1
        sizes[r.rule][_cluster_of(r)] += 1
    exact, near = by_source["exact-duplicate"], by_source["near-duplicate"]
    clusters = _clusters(ledger, sizes, kept, largest)
    return {"overall": _rate(len(kept), exact.total(), near.total()),
            "by_source": {s: _rate(n_kept[s], exact[s], near[s]) for s in sources},
            "exact": clusters["exact-duplicate"],
            "near": clusters["near-duplicate"]}
