"""The full flow at scale: rows/s per task runner on the same rows, and the re-run speed-up from the cache.

    python bench/flow_scale.py --rows 1000000 --runners threads,processes,dask
    python bench/flow_scale.py --rerun            # first run vs unchanged re-run, sample data and 100k rows

Each run is `python -m flows.build` as a child process (Prefect's temporary server start included).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_rows, write_jsonl  # noqa: E402
from measure import ROOT, run_child  # noqa: E402

CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{task_runner: {runner}, workers: 2, chunk_rows: 25000, cache: {cache}}}
output: {{dir: {out}, val_fraction: 0.02}}
"""


def _build(config: Path) -> tuple[float, float]:
    wall, peak, _ = run_child([sys.executable, "-m", "flows.build", "--config", str(config)])
    return wall, peak


def runners(rows: int, names: list[str], runs: int, tmp: Path) -> None:
    data = write_jsonl(build_rows(rows), tmp / "rows.jsonl")
    print(f"{rows:,} rows; median of {runs} run(s) each; machine: 2 cores")
    print("| runner | wall s | rows/s | peak RSS MB (largest process) |\n|---|---:|---:|---:|")
    for name in names:
        config = tmp / f"{name}.yaml"
        config.write_text(CONFIG.format(data=data, runner=name, cache="false", out=tmp / f"out-{name}"))
        results = [_build(config) for _ in range(runs)]
        wall = statistics.median(w for w, _ in results)
        print(f"| {name} | {wall:.1f} | {rows / wall:,.0f} | {max(p for _, p in results):.0f} |", flush=True)
    reference = (tmp / f"out-{names[0]}" / "train.jsonl").read_bytes()
    same = all((tmp / f"out-{n}" / "train.jsonl").read_bytes() == reference for n in names)
    print(f"train.jsonl byte-identical across runners: {same}")


def rerun(tmp: Path, runs: int) -> None:
    """First run into a fresh folder, then the same command again (the CLI finds the outputs current before
    Prefect starts), then again with --force (through the flow, whose tasks all hit the cache). Wall times of the
    command, and the curation flow's own time without Prefect's start-up."""
    cases = {"sample_data": ROOT / "sample_data" / "pipeline.yaml"}
    data = write_jsonl(build_rows(100_000), tmp / "rows.jsonl")
    cases["100k rows"] = tmp / "rerun.yaml"
    print("| data | first run s | unchanged re-run s | speed-up | re-run with --force s | speed-up "
          "| curation itself: first s | --force re-run s |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, config in cases.items():
        walls: dict[str, list[float]] = {"first": [], "again": [], "force": []}
        inner: dict[str, list[float]] = {"first": [], "force": []}
        for _ in range(runs):
            out = tmp / "rerun-out"
            shutil.rmtree(out, ignore_errors=True)
            if label == "100k rows":
                config.write_text(CONFIG.format(data=data, runner="threads", cache="true", out=out))
                args = [sys.executable, "-m", "flows.build", "--config", str(config)]
            else:
                args = [sys.executable, "-m", "flows.build", "--config", str(config), "--out", str(out)]
            for run, extra in (("first", []), ("again", []), ("force", ["--force"])):
                wall, _, text = run_child(args + extra)
                walls[run].append(wall)
                if run == "again":
                    assert "nothing changed since the last run" in text, text
                else:
                    inner[run].append(float(re.search(r"curation itself ([0-9.]+)s", text).group(1)))
        first, again, force = (statistics.median(walls[k]) for k in ("first", "again", "force"))
        print(f"| {label} | {first:.1f} | {again:.2f} | {first / again:.0f}× | {force:.1f} | {first / force:.1f}× "
              f"| {statistics.median(inner['first']):.2f} | {statistics.median(inner['force']):.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runners", default="threads,processes,dask")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--rerun", action="store_true", help="measure the cache instead of the runners")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="flow-scale-"))
    try:
        if args.rerun:
            rerun(tmp, args.runs)
        else:
            runners(args.rows, args.runners.split(","), args.runs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
