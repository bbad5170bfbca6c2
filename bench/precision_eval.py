"""Labelled precision of every drop and strip on real model data the rules were not tuned on (issue 21).

    python -m bench.precision_eval [--devdata ../shared/devdata]

The sample: rows 500-999 of alpaca_cleaned_1000 and alpaca_zh_demo and rows 500-998 of alpaca_en_demo (GPT-4
answers; none of them was read while the rules were written or tuned). Every drop (slop and noise) and every
slop strip the chain makes there was judged by reading and recorded in bench/labels_issue21.jsonl. This script
re-runs the chain on the sample, scores today's hits against the labels, and lists hits nobody has judged yet
(a rule change that makes new hits needs new labels). Scene prompts in the sample (letters, dialogues,
stories …) are counted separately: the chain must leave their text alone.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.slop_eval import DEFAULT_DEVDATA
from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from filters.slop import exempt_categories
from formats.example import Example
from formats.ledger import Ledger

LABELS = Path(__file__).resolve().parent / "labels_issue21.jsonl"
SAMPLE = (("alpaca_cleaned_1000", 500, 1000), ("alpaca_zh_demo", 500, 1000), ("alpaca_en_demo", 500, 999))


def sample_rows(devdata: Path) -> list[Example]:
    rows: list[Example] = []
    for name, lo, hi in SAMPLE:
        data = json.loads((devdata / "alpaca" / f"{name}.json").read_text(encoding="utf-8"))
        rows += [Example.from_fields(name, str(i), r.get("instruction") or "", r.get("input") or "",
                                     r.get("output") or "") for i, r in enumerate(data) if lo <= i < hi]
    return rows


def hits(rows: list[Example]) -> tuple[list[dict[str, str]], dict[str, Example]]:
    """Every drop and slop strip the default chain makes on the rows."""
    originals = {ex.id: ex for ex in copy.deepcopy(rows)}
    settings = FilterSettings()
    ledger = Ledger()
    clean_batch(rows, shard_steps(settings, matcher=build_matcher(settings.slop)), ledger)
    out = [{"source": originals[r.id].source, "locator": originals[r.id].meta["locator"], "kind": "drop",
            "rule": r.rule} for r in ledger.rejects]
    out += [{"source": originals[e.id].source, "locator": originals[e.id].meta["locator"], "kind": "strip",
             "rule": e.rule} for e in ledger.edits if e.stage == "slop"]
    return out, originals


def evaluate(devdata: Path) -> dict[str, Any]:
    labels = {(x["source"], x["locator"], x["kind"], x["rule"]): x["label"]
              for x in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines())}
    rows = sample_rows(devdata)
    found, originals = hits(rows)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    unjudged = []
    for hit in found:
        key = (hit["source"], hit["locator"], hit["kind"], hit["rule"])
        if key not in labels:
            unjudged.append(key)
            continue
        verdict = "true" if labels[key] else "false"
        per_rule[f"{hit['kind']} {hit['rule']}"][verdict] += 1
        kind = "strip" if hit["kind"] == "strip" else ("noise drop" if hit["rule"].startswith("noise.")
                                                       else "slop drop")
        per_kind[kind][verdict] += 1
    scenes = [ex for ex in originals.values() if "opener" in exempt_categories(f"{ex.instruction}\n{ex.input}")]
    scene_ids = {(ex.source, ex.meta["locator"]) for ex in scenes}
    touched = sum(1 for h in found if (h["source"], h["locator"]) in scene_ids)

    def score(c: Counter[str]) -> dict[str, Any]:
        n = c["true"] + c["false"]
        return {"judged": n, "true": c["true"], "precision": round(c["true"] / n, 4) if n else None}
    return {"rows": len(rows), "hits": len(found), "per_kind": {k: score(v) for k, v in sorted(per_kind.items())},
            "per_rule": {k: score(v) for k, v in sorted(per_rule.items())},
            "scene_rows": len(scenes), "scene_rows_touched": touched, "unjudged": unjudged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devdata", type=Path, default=DEFAULT_DEVDATA)
    print(json.dumps(evaluate(parser.parse_args().devdata), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
