"""Near-duplicate dedup on Alpaca-like rows: time, peak memory, and recall on planted near-duplicates by kind.

    python bench/near_dedup.py [--rows 100000]

Base rows come from bench/corpus.py (real devdata rows, reused with 30% of words replaced so reuses are not
near-duplicates of each other); 5% of them get a planted twin of a known kind. Recall = planted twins dropped.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import build_rows  # noqa: E402

from filters.dedup import DedupSettings, deduplicate  # noqa: E402
from filters.ledger import Ledger  # noqa: E402
from formats.example import Example, make_id  # noqa: E402


def plant(text: str, kind: str, rng: random.Random) -> str:
    words = text.split(" ")
    if kind == "one-word":
        words[rng.randrange(len(words))] = "banana"
    elif kind == "two-words":
        for _ in range(2):
            words[rng.randrange(len(words))] = "banana"
    elif kind == "case-punct-space":
        return text.upper().replace(". ", "!  ").replace(", ", " , ") + " ..."
    elif kind == "sentence-appended":
        return text + " Please note that this answer was reviewed by our team."
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(1)
    base = build_rows(args.rows, dup_share=0.0)
    long_rows = [i for i, r in enumerate(base) if len(r["output"].split()) >= 40]
    kinds = ["one-word", "two-words", "case-punct-space", "sentence-appended"]
    examples = [Example.from_fields("bench", str(i), r["instruction"], r["input"], r["output"])
                for i, r in enumerate(base)]
    planted: dict[str, tuple[str, str]] = {}  # twin id -> (kind, original id)
    for i in rng.sample(long_rows, min(len(long_rows), len(base) // 20)):
        kind = kinds[i % len(kinds)]
        twin = Example.from_fields("bench", f"twin-{i}", base[i]["instruction"], base[i]["input"],
                                   plant(base[i]["output"], kind, rng))
        examples.append(twin)
        planted[twin.id] = (kind, make_id("bench", str(i)))
    rng.shuffle(examples)
    ledger = Ledger()
    start = time.perf_counter()
    kept = deduplicate(examples, DedupSettings(), {}, ledger)
    seconds = time.perf_counter() - start
    dropped = {r.id for r in ledger.rejects}
    # a twin counts as found when it or its original was dropped (the keep policy picks which survives)
    found: Counter[str] = Counter()
    for twin_id, (kind, original) in planted.items():
        found[kind] += twin_id in dropped or original in dropped
    total = Counter(kind for kind, _ in planted.values())
    originals = {original for _, original in planted.values()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(examples):,} rows, {len(planted):,} planted twins of rows with ≥ 40-word outputs: {seconds:.1f} s "
          f"({len(examples) / seconds:,.0f} rows/s), peak RSS {peak:.0f} MB, kept {len(kept):,}, "
          f"rejected {len(ledger.rejects):,}")
    for kind in kinds:
        print(f"  recall {kind:<20} {found[kind] / total[kind]:.1%} ({found[kind]}/{total[kind]})")
    print(f"  unplanted rows dropped: {len(dropped - set(planted) - originals):,}")


if __name__ == "__main__":
    main()
