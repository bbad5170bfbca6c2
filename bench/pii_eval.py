"""Precision and recall per PII type on the frozen labelled set (bench/pii/labels.jsonl, made by bench/pii_labels.py).

A hit counts as correct when it overlaps a labelled span of the same type; a hit on a look-alike, or of another
type, is a false positive. `exact` is the share of found spans whose bounds match the label exactly.

    python -m bench.pii_eval --split dev        # while tuning
    python -m bench.pii_eval --split heldout    # the figures that count (report these first)
    python -m bench.pii_eval --split dev --misses   # print the dev rows that went wrong
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from filters.pii import PiiSettings, scanner_for

LABELS = Path(__file__).parent / "pii" / "labels.jsonl"
# hand-written dev rows added after the set was frozen (full-width digits and @ in Chinese text): dev only
DEV_EXTRA = Path(__file__).parent / "pii" / "dev_extra.jsonl"
TARGETS = {"precision": 0.98, "recall": 0.95}


def evaluate(split: str, show_misses: bool = False) -> dict[str, Any]:
    scanner = scanner_for(PiiSettings())
    tp, fp, found, gold, exact = Counter(), Counter(), Counter(), Counter(), Counter()
    rows = [orjson.loads(line) for path in (LABELS, DEV_EXTRA) for line in path.read_bytes().splitlines()]
    assert all(r["split"] == "dev" for r in rows[-len(DEV_EXTRA.read_bytes().splitlines()):]), "extra rows are dev"
    for row in (r for r in rows if r["split"] == split):
        text, spans = row["text"], row["spans"]
        hits = scanner.find(text, scanner.open_detectors(text))
        wrong = False
        for start, end, pii_type in spans:
            gold[pii_type] += 1
            same = [h for h in hits if h.detector.type == pii_type and h.start < end and start < h.end]
            if same:
                found[pii_type] += 1
                exact[pii_type] += any(h.start == start and h.end == end for h in same)
            else:
                wrong = True
        for hit in hits:
            if any(t == hit.detector.type and s < hit.end and hit.start < e for s, e, t in spans):
                tp[hit.detector.type] += 1
            else:
                fp[hit.detector.type] += 1
                wrong = True
        if show_misses and wrong:
            print(f"{row['kind']:9} {text!r}\n          gold {[text[s:e] + '/' + t for s, e, t in spans]}"
                  f" got {[(h.value, h.detector.id) for h in hits]}")
    out = {}
    for pii_type in sorted(set(gold) | set(fp)):
        predicted = tp[pii_type] + fp[pii_type]
        out[pii_type] = {"spans": gold[pii_type], "found": found[pii_type], "false_pos": fp[pii_type],
                         "precision": round(tp[pii_type] / predicted, 4) if predicted else 1.0,
                         "recall": round(found[pii_type] / gold[pii_type], 4) if gold[pii_type] else 1.0,
                         "exact": round(exact[pii_type] / found[pii_type], 4) if found[pii_type] else 1.0}
    lookalikes = sum(r["split"] == split and r["kind"] == "lookalike" for r in rows)
    return {"split": split, "lookalike_rows": lookalikes, "types": out,
            "all_met": all(v["precision"] >= TARGETS["precision"] and v["recall"] >= TARGETS["recall"]
                           for v in out.values())}


def table(result: dict[str, Any]) -> str:
    lines = [f"split {result['split']} ({result['lookalike_rows']} look-alike rows)",
             "| type | spans | found | false pos | precision | recall | exact bounds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, v in result["types"].items():
        lines.append(f"| {name} | {v['spans']} | {v['found']} | {v['false_pos']} | {v['precision']:.1%} | "
                     f"{v['recall']:.1%} | {v['exact']:.1%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--misses", action="store_true", help="print the rows that went wrong (dev only)")
    args = parser.parse_args()
    if args.misses and args.split == "heldout":
        parser.error("--misses is for dev: held-out rows are not looked at while tuning")
    result = evaluate(args.split, args.misses)
    print(table(result))
    print("targets met" if result["all_met"] else "targets NOT met")


if __name__ == "__main__":
    main()
