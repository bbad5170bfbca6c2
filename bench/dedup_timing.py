"""Dedup time, CPU and peak memory on the planted rows of `bench/near_dedup.py`, built once and pickled, so that
several trees can be timed alternately on the same rows without rebuilding them (minutes at 1M on a busy machine).

    python bench/dedup_timing.py rows 1000000              # once: /tmp/dedup_rows_1000000.pkl
    python bench/dedup_timing.py run 1000000 --tree /path/to/checkout --out decisions.json

`run` times `deduplicate` exactly as near_dedup.py does (the same rows, peak RSS above the start, workers
sampled), adds the CPU seconds of this process and of its worker processes (load-independent, unlike wall time on
a shared machine), and writes every decision (kept ids with clusters, rejects with kept row, similarity,
measure) with their sha256 to `--out`, so two trees can be checked to decide the same.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path


def rows_path(n: int) -> Path:
    return Path(f"/tmp/dedup_rows_{n}.pkl")


def make_rows(n: int) -> None:
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
    from near_dedup import planted_rows

    examples, _ = planted_rows(n)
    rows = [(e.meta["locator"], e.instruction, e.input, e.output) for e in examples]
    rows_path(n).write_bytes(pickle.dumps(rows, protocol=5))


def _workers_cpu() -> float:
    """CPU seconds of the worker processes: they are the forkserver's children, reaped by it (its cutime)."""
    total = 0.0
    for child in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def run(n: int, tree: Path, out: Path) -> dict:
    sys.path[:0] = [str(tree), str(tree / "bench")]
    from near_dedup import WorkerMemory, _rss_mb

    from filters.dedup import DedupSettings, deduplicate
    from formats.example import Example
    from formats.ledger import Ledger

    examples = [Example.from_fields("bench", loc, i, p, o) for loc, i, p, o in pickle.loads(rows_path(n).read_bytes())]
    gc.collect()
    before = _rss_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark: what follows is the dedup's
    ledger = Ledger()
    cpu = time.process_time()
    start = time.perf_counter()
    with WorkerMemory() as workers:
        kept = deduplicate(examples, DedupSettings(), {}, ledger)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = _rss_mb("VmHWM")
    time.sleep(0.5)  # the pool has exited; let the forkserver reap its workers
    decisions = {"kept": [(e.id, e.meta.get("cluster")) for e in kept],
                 "rejects": [(r.id, r.rule, r.detail) + tuple(r.row["meta"].get(k) for k in (
                     "duplicate_of", "similarity", "measure", "cluster")) for r in ledger.rejects]}
    blob = json.dumps(decisions, sort_keys=True).encode()
    out.write_bytes(blob)
    return {"rows": len(examples), "seconds": round(seconds, 2), "cpu_main": round(cpu, 2),
            "cpu_workers": round(_workers_cpu(), 2), "dedup_peak_mb": round(peak - before),
            "worker_peak_mb": round(workers.peak_mb), "load": os.getloadavg()[0], "kept": len(kept),
            "rejects": len(ledger.rejects), "sha256": hashlib.sha256(blob).hexdigest()[:16]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rows = sub.add_parser("rows")
    rows.add_argument("n", type=int)
    one = sub.add_parser("run")
    one.add_argument("n", type=int)
    one.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    one.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "rows":
        make_rows(args.n)
    else:
        print(json.dumps(run(args.n, args.tree.resolve(), args.out)))


if __name__ == "__main__":
    main()
