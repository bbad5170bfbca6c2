"""Do two versions of the dedup decide the same? Records every `deduplicate` call of the issue-20 guard sets
(`bench/dedup_guards.py`, both splits), the GPTeacher precision set and, optionally, the planted rows of
`bench/near_dedup.py`, run against the code of one tree; then compares two such records decision by decision.

    python bench/dedup_same.py record --tree /path/to/checkout --out a.json [--rows 1000000]
    python bench/dedup_same.py compare a.json b.json

A decision is each kept row (id, cluster) and each reject (id, rule, detail, kept row, similarity, measure,
cluster), in the order the ledger has them: a speed change must leave all of it byte for byte the same.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any


def _decisions(kept: list[Any], ledger: Any) -> list[Any]:
    return [[[ex.id, ex.meta.get("cluster")] for ex in kept],
            [[r.id, r.rule, r.detail] + [r.row["meta"].get(k) for k in ("duplicate_of", "similarity", "measure",
                                                                          "cluster")] for r in ledger.rejects]]


def record(tree: Path, rows: int | None) -> dict[str, Any]:
    """Every `deduplicate` call's decisions, by the code in `tree` (its filters/ and its bench sets)."""
    sys.path[:0] = [str(tree), str(tree / "bench")]
    import dedup_guards
    import dedup_precision

    from filters.dedup import DedupSettings, deduplicate

    calls: list[list[Any]] = []

    def recording(examples: list[Any], settings: Any, source_order: dict[str, int], ledger: Any) -> list[Any]:
        kept = deduplicate(examples, settings, source_order, ledger)
        calls.append(_decisions(kept, ledger))
        return kept

    dedup_guards.deduplicate = dedup_precision.deduplicate = recording
    out: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for split in ("dev", "heldout"):
            dedup_guards.run(split, DedupSettings())
            out[f"guards-{split}"], calls = calls, []
        sys.argv = ["dedup_precision.py"]
        dedup_precision.main()
        out["precision"], calls = calls, []
    if rows:
        import near_dedup

        from formats.ledger import Ledger

        examples, _ = near_dedup.planted_rows(rows)
        ledger = Ledger()
        out[f"planted-{rows}"] = [_decisions(deduplicate(examples, DedupSettings(), {}, ledger), ledger)]
    return out


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def compare(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Print, per set, the calls, rows kept and rejected, and whether every decision is the same."""
    same = a.keys() == b.keys()
    for name in sorted(a.keys() | b.keys()):
        left, right = a.get(name), b.get(name)
        equal = left == right
        same &= equal
        counts = ("missing" if left is None else
                  f"{len(left)} calls, {sum(len(k) for k, _ in left):,} kept, {sum(len(r) for _, r in left):,} "
                  "rejected")
        where = ""
        if not equal and left is not None and right is not None:
            first = next((k for k, (x, y) in enumerate(zip(left, right, strict=False)) if x != y), None)
            where = f"; first differing call {first}" if first is not None else "; call counts differ"
        print(f"{name}: {counts}; {'identical' if equal else 'DIFFERENT'} ({digest(left)} / {digest(right)}){where}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("--tree", type=Path, required=True)
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--rows", type=int, help="also the planted rows of bench/near_dedup.py at this size")
    cmp = sub.add_parser("compare")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        args.out.write_text(json.dumps(record(args.tree.resolve(), args.rows)))
    else:
        same = compare(json.loads(args.a.read_text()), json.loads(args.b.read_text()))
        print("same decisions" if same else "decisions differ")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
