"""Near-dedup precision on real rows that are different examples sharing much text: the GPTeacher codegen set,
where many rows come from one template (same task, other numbers or names).

    python bench/dedup_precision.py [--sample 25] [--threshold 0.8]

Prints every merged pair's similarity and whether the two outputs are identical after normalisation, then a
fixed random sample of merged pairs with a word diff of instruction + input + output, for a person to judge
(the verdicts are recorded in bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from filters.dedup import DedupSettings, deduplicate  # noqa: E402
from filters.normalise import normalise_for_dedup  # noqa: E402
from formats.example import Example  # noqa: E402
from formats.ledger import Ledger  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "devdata" / "alpaca" / "gpteacher_codegen.json"


def word_diff(a: str, b: str) -> str:
    left, right = a.split(), b.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=left, b=right, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(left[i1:i2]) if i2 - i1 < 8 else f"{' '.join(left[i1:i1 + 3])} … "
                       f"{' '.join(left[i2 - 3:i2])}")
        else:
            out.append(f"[-{' '.join(left[i1:i2])}-]{{+{' '.join(right[j1:j2])}+}}")
    return " ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=25)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    if not DATA.is_file():
        sys.exit(f"{DATA} not found (../shared/devdata is needed)")
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    examples = [Example.from_fields("gpteacher", str(i), r["instruction"], r.get("input", ""), r["response"])
                for i, r in enumerate(rows)]
    by_id = {ex.id: ex for ex in examples}
    ledger = Ledger()
    kept = deduplicate(examples, DedupSettings(threshold=args.threshold), {}, ledger)
    near = [r for r in ledger.rejects if r.rule == "near-duplicate"]
    exact = [r for r in ledger.rejects if r.rule == "exact-duplicate"]
    same_output = Counter(" ".join(r.row["output"].split()) == " ".join(
        by_id[r.row["meta"]["duplicate_of"]].output.split()) for r in near)
    same_normalised = sum(normalise_for_dedup(r.row["output"]) == normalise_for_dedup(
        by_id[r.row["meta"]["duplicate_of"]].output) for r in near)
    print(f"{len(examples):,} rows → {len(kept):,} kept; exact duplicates {len(exact)}, near-duplicates {len(near)} "
          f"at Jaccard ≥ {args.threshold}; of the near pairs, outputs identical up to whitespace: "
          f"{same_output[True]}, different: {same_output[False]} ({same_normalised} identical once case, "
          "punctuation and digits are normalised)")
    sims = sorted(r.row["meta"]["similarity"] for r in near)
    if sims:
        print(f"similarity of merged pairs: min {sims[0]:.3f}, median {sims[len(sims) // 2]:.3f}")
    for n, reject in enumerate(random.Random(0).sample(near, min(args.sample, len(near))), 1):
        kept_row = by_id[reject.row["meta"]["duplicate_of"]]
        dropped = reject.row
        print(f"\n#{n} similarity {dropped['meta']['similarity']:.3f}  kept {kept_row.meta['locator']}  "
              f"dropped {dropped['meta']['locator']}")
        for name in ("instruction", "input", "output"):
            a, b = getattr(kept_row, name), dropped[name]
            print(f"  {name}: " + ("(same)" if a == b else word_diff(a, b))[:600])


if __name__ == "__main__":
    main()
