"""The whole flow, this checkout against a reference worktree, alternated run by run: wall time, peak RSS summed
over the whole process tree (pool workers and Prefect's server too, sampled every 0.2 s), the final stage's steps
from the log, and a hash of every data output (the two must match byte for byte).

    git worktree add --detach ../ref-stream e8fe215
    python bench/flow_stream.py --ref ../ref-stream --rows 1000000 --runs 1
    python bench/flow_stream.py --rows 250000,500000,1000000 --only new      # memory against rows
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_rows, write_jsonl  # noqa: E402
from measure import ROOT, run_tree  # noqa: E402

CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{workers: 2, chunk_rows: 25000, cache: false}}
output: {{dir: {out}, val_fraction: 0.02}}
"""
OUTPUTS = ("train.jsonl", "val.jsonl", "edits.jsonl", "provenance.jsonl", "rejects.jsonl", "report.json")
_STAGE = re.compile(r" - ([^-|\n]+?): [0-9,]+ rows in ([0-9.]+) (s|min) ", re.M)




def digest(folder: Path, tmp: Path) -> str:
    """A short sha256 of each output; report.json without its code version (differs between two checkouts by
    design) and with the temporary folder's name taken out."""
    out = []
    for name in OUTPUTS:
        data = (folder / name).read_bytes()
        if name == "report.json":
            data = re.sub(rb'"code_version": "[^"]*"', b"", data).replace(str(tmp).encode(), b"TMP")
        out.append(f"{name.split('.')[0]} {hashlib.sha256(data).hexdigest()[:8]}")
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, help="a worktree of the code to compare with")
    parser.add_argument("--rows", default="1000000", help="comma-separated row counts")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=["new", "ref"], help="run one tree only")
    args = parser.parse_args()
    trees = {"new": ROOT} | ({"ref": args.ref.resolve()} if args.ref else {})
    if args.only:
        trees = {args.only: trees[args.only]}
    tmp = Path(tempfile.mkdtemp(prefix="flow-stream-"))
    data_dir = Path(tempfile.gettempdir()) / "flow-stream-data"  # the rows, kept for the next invocation
    data_dir.mkdir(exist_ok=True)
    print("| rows | tree | wall s | peak RSS MB (all processes) | load avg | outputs sha256 | slowest steps |")
    print("|---:|---|---:|---:|---|---|---|", flush=True)
    try:
        for rows in map(int, args.rows.split(",")):
            data = data_dir / f"rows-{rows}.jsonl"
            if not data.is_file():
                write_jsonl(build_rows(rows), data_dir / f"rows-{rows}.tmp").rename(data)
            for run in range(args.runs):
                for name, tree in (list(trees.items()) if run % 2 == 0 else list(trees.items())[::-1]):
                    out = tmp / f"out-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    config = tmp / f"{name}.yaml"
                    config.write_text(CONFIG.format(data=data, out=out))
                    load = os.getloadavg()[0]
                    wall, peaks, text = run_tree([sys.executable, "-m", "flows.build", "--config", str(config)],
                                                 tree)
                    peak = peaks["summed"]
                    found = _STAGE.findall(text)
                    steps = sorted(((float(s) * (60 if u == "min" else 1), n) for n, s, u in found), reverse=True)[:5]
                    print(f"| {rows:,} | {name} | {wall:.1f} | {peak:,.0f} | {load:.1f}→{os.getloadavg()[0]:.1f} "
                          f"| {digest(out, tmp)} | {', '.join(f'{n} {s:.0f}s' for s, n in steps)} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
