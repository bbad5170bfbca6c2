"""The whole flow, this checkout against a reference worktree, alternated run by run, judged by CPU: wall, CPU
seconds of the whole process tree (user + sys from `os.wait4`, the pool workers it reaped included), curation
seconds, the tree's summed peak RSS with its largest driver and worker process, the 1-min load, each step's
seconds from the log and `bench/flow_stream.py`'s output digest (bench/RESULTS.md, "Whole-flow speed, issue 14").

    python bench/flow_cpu.py --ref ../ref --rows 100000 --runs 2 --data /tmp/rows-100000.jsonl
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flow_stream import _STAGE, CONFIG, digest  # noqa: E402
from measure import ROOT  # noqa: E402


def _sample(root: psutil.Process, peaks: list[float], done: threading.Event) -> None:
    """peaks: [summed over the tree, largest driver, largest pool worker] in MB, every 0.2 s."""
    while not done.is_set():
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                rss, line = proc.memory_info().rss / 2**20, " ".join(proc.cmdline())
            except psutil.Error:
                continue
            total += rss
            if "flows.build" in line:
                peaks[1] = max(peaks[1], rss)
            elif "multiprocessing" in line:
                peaks[2] = max(peaks[2], rss)
        peaks[0] = max(peaks[0], total)
        time.sleep(0.2)


def run(name: str, tree: Path, rows: int, data: Path, tmp: Path) -> str:
    out = tmp / f"out-{name}"
    shutil.rmtree(out, ignore_errors=True)
    config = tmp / f"{name}.yaml"
    config.write_text(CONFIG.format(data=data, out=out))
    env = {**os.environ, "PYTHONPATH": str(tree), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    with tempfile.TemporaryFile() as log:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "flows.build", "--config", str(config)], cwd=tree, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        peaks, done = [0.0, 0.0, 0.0], threading.Event()
        sampler = threading.Thread(target=_sample, args=(psutil.Process(proc.pid), peaks, done))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        log.seek(0)
        text = log.read().decode(errors="replace")
    if status:
        raise SystemExit(f"{name} failed:\n{text[-4000:]}")
    curation = re.search(r"curation itself ([0-9.]+)s", text)
    steps = ", ".join(f"{n.strip()} {float(s) * (60 if u == 'min' else 1):.0f}" for n, s, u in _STAGE.findall(text))
    return (f"| {rows:,} | {name} | {wall:.1f} | {usage.ru_utime + usage.ru_stime:.1f} | "
            f"{curation.group(1) if curation else '?'} | {peaks[0]:,.0f} ({peaks[1]:,.0f} / {peaks[2]:,.0f}) | "
            f"{load:.1f}→{os.getloadavg()[0]:.1f} | {digest(out, tmp)} | {steps} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, help="a worktree of the code to compare with")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data", type=Path, help="the rows (default: bench/corpus.py's, written once to /tmp)")
    args = parser.parse_args()
    data = args.data
    if data is None:
        from corpus import write_rows

        data = Path(tempfile.gettempdir()) / "flow-stream-data" / f"rows-{args.rows}.jsonl"
        if not data.is_file():
            data.parent.mkdir(exist_ok=True)
            write_rows(args.rows, data.with_suffix(".tmp")).rename(data)
    trees = {"new": ROOT} | ({"ref": args.ref.resolve()} if args.ref else {})
    print("| rows | tree | wall s | CPU s | curation s | peak RSS MB (driver / worker) | load | outputs | steps |")
    print("|---:|---|---:|---:|---:|---|---|---|---|", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="flow-cpu-"))
    try:
        for number in range(args.runs):
            order = list(trees.items()) if number % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                print(run(name, tree, args.rows, data, tmp), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
