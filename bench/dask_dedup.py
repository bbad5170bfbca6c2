"""Dedup on a 2-worker Dask cluster against the local run: the whole flow on Alpaca-like rows (the rows of
bench/flow_stream.py, `corpus.build_rows`), `run.task_runner: processes` and then `dask` (its own LocalCluster of
`workers` processes, one thread each), both reading the same cleaned shards from a shared cache (warmed by a first,
untimed run: cleaning is the same work on either runner, and what differs is the final stage). Reports wall, peak
RSS per process (the driver, the largest worker, the Prefect server) and summed over the tree, the final stage's
steps from the log, the cluster dedup's per-shard figures (its log line), and whether train.jsonl, val.jsonl and
rejects.jsonl are byte-identical.

    python bench/dask_dedup.py --rows 200000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_rows, write_jsonl  # noqa: E402
from flow_stream import _STAGE  # noqa: E402
from measure import ROOT, run_tree  # noqa: E402

CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{task_runner: {runner}, workers: 2, chunk_rows: {chunk}, cache: true, cache_dir: {cache}}}
output: {{dir: {out}, val_fraction: 0.02}}
"""
COMPARED = ("train.jsonl", "val.jsonl", "rejects.jsonl", "provenance.jsonl")
_CLUSTER = re.compile(r"dedup on the cluster: (\{.*\})")




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=25_000, help="rows a shard")
    parser.add_argument("--runs", type=int, default=1, help="local/dask pairs, alternated")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dask-dedup-"))
    data_dir = Path(tempfile.gettempdir()) / "flow-stream-data"  # shared with bench/flow_stream.py
    data_dir.mkdir(exist_ok=True)
    data = data_dir / f"rows-{args.rows}.jsonl"
    if not data.is_file():
        write_jsonl(build_rows(args.rows), data_dir / f"rows-{args.rows}.tmp").rename(data)
    cache = tmp / "cache"

    def flow(runner: str, name: str) -> tuple[float, dict[str, float], str, Path]:
        out = tmp / name
        shutil.rmtree(out, ignore_errors=True)
        config = tmp / f"{name}.yaml"
        config.write_text(CONFIG.format(data=data, runner=runner, chunk=args.chunk, cache=cache, out=out))
        wall, peaks, text = run_tree([sys.executable, "-m", "flows.build", "--config", str(config)], ROOT,
                                         {"SFTCURATE_WARM_SERVER": "0"})
        return wall, peaks, text, out

    try:
        wall, _, _, _ = flow("processes", "warm")
        print(f"warm-up (ingest and clean {args.rows:,} rows into the shared cache): {wall:.1f} s", flush=True)
        print("| rows | runner | wall s | peak RSS MB: driver / largest worker (workers) / server / summed | load "
              "| final-stage steps |")
        print("|---:|---|---:|---|---|---|", flush=True)
        digests: dict[str, set[str]] = {}
        for run in range(args.runs):
            for runner in ("processes", "dask") if run % 2 == 0 else ("dask", "processes"):
                load = os.getloadavg()[0]
                wall, peaks, text, out = flow(runner, runner)
                steps = sorted(((float(s) * (60 if u == "min" else 1), n) for n, s, u in _STAGE.findall(text)),
                               reverse=True)[:4]
                print(f"| {args.rows:,} | {runner} | {wall:.1f} | {peaks.get('driver', 0):,.0f} / "
                      f"{peaks.get('worker', 0):,.0f} ({peaks['workers']:.0f}) / {peaks.get('prefect server', 0):,.0f}"
                      f" / {peaks['summed']:,.0f} | {load:.1f}→{os.getloadavg()[0]:.1f} | "
                      f"{', '.join(f'{n} {s:.1f}s' for s, n in steps)} |", flush=True)
                digests.setdefault(runner, set()).add(" ".join(
                    f"{name.split('.')[0]}:{hashlib.sha256((out / name).read_bytes()).hexdigest()[:12]}"
                    for name in COMPARED))
                found = _CLUSTER.findall(text)
                if found:
                    figures = json.loads(found[-1])
                    print(f"cluster dedup figures: {json.dumps(figures)}", flush=True)
        same = len(digests["processes"] | digests["dask"]) == 1
        print(f"outputs {'byte-identical' if same else 'DIFFER'}: {digests}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
