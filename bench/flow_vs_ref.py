"""The whole flow, this checkout against another (an older commit's worktree), interleaved run by run.

    git worktree add --detach ../ref a7fd934
    python bench/flow_vs_ref.py --ref ../ref --rows 100000 --runs 2
    python bench/flow_vs_ref.py --ref ../ref --sample --runs 3     # start-up: wall minus curation

Each run is `python -m flows.build` as a child process of the tree under test, each with its own default task runner
(`run:` sets only workers and chunk_rows), on the same rows. Prints every run (wall, curation, peak RSS of the
largest process, the clean stage's rows/s from the log's timestamps, the load average) and the medians.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_rows, write_jsonl  # noqa: E402
from measure import ROOT  # noqa: E402

CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{workers: 2, chunk_rows: 25000, cache: false}}
output: {{dir: {out}, val_fraction: 0.02}}
"""
_STAMP = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) \| .*?(Finished in state|clean \[)", re.M)


def clean_seconds(text: str) -> float | None:
    """From the last ingest task's end to the last shard cleaned, by the log's timestamps."""
    ingest_end = clean_end = None
    for line in text.splitlines():
        stamp = line[:12]
        if "Task run 'ingest" in line and "Finished in state" in line:
            ingest_end = stamp
        elif re.search(r"clean \[#+\] (\d+)/\1", line):
            clean_end = stamp
    if not (ingest_end and clean_end):
        return None
    parse = lambda s: datetime.strptime(s, "%H:%M:%S.%f")  # noqa: E731
    return (parse(clean_end) - parse(ingest_end)).total_seconds()


def one(tree: Path, args: list[str]) -> dict[str, float | None]:
    load = os.getloadavg()[0]
    env = {"PYTHONPATH": str(tree)}
    wall, peak, text = _in(tree, args, env)
    curation = re.search(r"curation itself ([0-9.]+)s", text)
    return {"wall": wall, "curation": float(curation.group(1)) if curation else None, "peak": peak,
            "clean_s": clean_seconds(text), "load": load}


def _in(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    import measure

    old = measure.ROOT
    measure.ROOT = tree
    try:
        return measure.run_child([sys.executable, "-m", "flows.build", *args], env=env)
    finally:
        measure.ROOT = old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, required=True, help="the other tree (a git worktree of older code)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sample", action="store_true", help="sample_data instead of generated rows")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="flow-vs-ref-"))
    trees = {"ref": args.ref.resolve(), "new": ROOT}
    results: dict[str, list[dict[str, float | None]]] = {name: [] for name in trees}
    try:
        data = None if args.sample else write_jsonl(build_rows(args.rows), tmp / "rows.jsonl")
        for run in range(args.runs):
            for name, tree in trees.items():
                out = tmp / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                if args.sample:
                    cli = ["--config", str(tree / "sample_data" / "pipeline.yaml"), "--out", str(out)]
                else:
                    config = tmp / f"{name}.yaml"
                    config.write_text(CONFIG.format(data=data, out=out))
                    cli = ["--config", str(config)]
                result = one(tree, cli)
                results[name].append(result)
                print(f"run {run + 1} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in result.items() if v is not None),
                      flush=True)
        if not args.sample:
            same = (tmp / "out-ref" / "train.jsonl").read_bytes() == (tmp / "out-new" / "train.jsonl").read_bytes()
            print(f"train.jsonl byte-identical: {same}")
        for name, runs in results.items():
            med = {k: statistics.median(r[k] for r in runs if r[k] is not None)
                   for k in runs[0] if runs[0][k] is not None}
            extra = f", clean stage {args.rows / med['clean_s']:,.0f} rows/s" if "clean_s" in med and not args.sample \
                else ""
            print(f"median {name}: wall {med['wall']:.1f} s, curation {med.get('curation', 0):.1f} s, "
                  f"wall minus curation {med['wall'] - med.get('curation', 0):.1f} s, peak RSS {med['peak']:.0f} MB"
                  f"{extra}, load {med['load']:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
