"""False-positive rate of every noise check on human-written text (issue 21): each check run on its own on every
row (not only the first problem found), after repair, as the chain would see the row.

    python -m bench.noise_fp [--devdata ../shared/devdata]

Human text: Toyhom doctors' answers (the CSV and the first half of toyhom_IM_neike.txt), Stack Overflow / web
paragraphs and tests/fixtures/human_en.jsonl (dev), and the held-out human_en / human_zh / faq_lists / roleplay /
grounded rows (bench/heldout, frozen). Every row there is a good row, so every drop is a false positive.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import Counter
from pathlib import Path

from bench.devset.build import chinese_dev
from bench.heldout_eval import HELDOUT, read_jsonl
from bench.slop_eval import DEFAULT_DEVDATA, human_rows
from filters.clean import repair
from filters.noise import CHECKS, NoiseSettings
from formats.example import Example
from formats.ledger import Ledger


def human_sets(devdata: Path) -> dict[str, list[Example]]:
    sets = dict(human_rows(devdata))
    sets["toyhom_im_first_half"] = [Example.from_fields("im", str(i), r["instruction"], "", r["output"])
                                    for i, r in enumerate(chinese_dev(devdata))]
    for name in ("human_en", "human_zh", "faq_lists", "roleplay", "grounded"):
        rows = read_jsonl(HELDOUT / f"{name}.jsonl")
        sets[f"heldout/{name}"] = [Example.from_fields(name, r["id"], r["instruction"], r.get("input", ""),
                                                       r["output"]) for r in rows]
    return sets


def rates(sets: dict[str, list[Example]], settings: NoiseSettings) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for name, rows in sets.items():
        hits: Counter[str] = Counter()
        for row in copy.deepcopy(rows):
            repair(row, Ledger())
            for rule, check in CHECKS:
                if check(row, settings):
                    hits[rule] += 1
        out[name] = {"rows": len(rows), **{rule: hits[rule] for rule, _ in CHECKS if hits[rule]}}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devdata", type=Path, default=DEFAULT_DEVDATA)
    report = rates(human_sets(parser.parse_args().devdata), NoiseSettings())
    total: Counter[str] = Counter()
    for part in report.values():
        total.update({k: v for k, v in part.items() if isinstance(v, int)})
    print(json.dumps(report, indent=1))
    n = total.pop("rows")
    print(f"all human rows: {n}")
    for rule, _ in CHECKS:
        print(f"  {rule:<26} {total[rule]:>4} dropped = {total[rule] / n:.3%}")


if __name__ == "__main__":
    main()
