"""Start-up overhead of a local run (issue 16 item 6): the sample run's wall time, its curation time and the difference,
for this tree and a reference tree side by side, runs interleaved.

    python bench/startup.py --ref /path/to/reference/worktree [--runs 5] [--json results.json]

Modes, each run into a fresh output folder (so the curation does the same work every time):
- cold: no local server running (this tree: the warm server is stopped first, so the run starts one and leaves it;
  the reference starts its temporary server as always);
- warm: the server left by the previous run (this tree only; the reference has none, so its figure is its cold one);
- configured: PREFECT_API_URL points at a server this script started (both trees).
Each row records the load average (1 min) when the run began and the CPU time of the run's process tree as waited
for (a detached warm server is not in it; a temporary server is).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CURATION = re.compile(r"curation itself ([0-9.]+)s")


def _env(tree: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "SFTCURATE_WARM_SERVER": "1"}
    env.pop("PREFECT_API_URL", None)
    return {**env, **extra}


def _run(tree: Path, out: Path, **extra: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.build", "--config", "sample_data/pipeline.yaml", "--out",
                           str(out)], cwd=tree, env=_env(tree, **extra), capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = CURATION.search(done.stdout)
    if done.returncode or not match:
        raise RuntimeError(f"run failed in {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    curation = float(match.group(1))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "curation": curation, "overhead": wall - curation, "cpu": cpu, "load": load}


def _stop_warm(tree: Path) -> None:
    subprocess.run([sys.executable, "-m", "flows.warm_server", "stop"], cwd=tree, env=_env(tree),
                   capture_output=True, check=True)


def _configured_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the configured server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, required=True, help="reference worktree (e.g. of e8fe215)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write every run here")
    args = parser.parse_args()
    trees = {"ref": args.ref.resolve(), "new": HERE}
    server, url = _configured_server()
    results: dict[str, list[dict]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    try:
        for round_ in range(args.runs):
            plan = [("ref", "cold"), ("new", "cold"), ("new", "warm"), ("ref", "configured"), ("new", "configured")]
            if round_ % 2:
                plan.reverse()  # then the warm run comes before the cold one: it reuses the previous round's server
            for tree, mode in plan:
                if tree == "new" and mode == "cold":
                    _stop_warm(trees["new"])
                extra = {"PREFECT_API_URL": url} if mode == "configured" else {}
                row = _run(trees[tree], scratch / f"{tree}-{mode}", **extra)
                results.setdefault(f"{tree} {mode}", []).append(row)
                print(f"round {round_ + 1} {tree:3} {mode:10} wall {row['wall']:6.2f}  curation {row['curation']:5.2f}"
                      f"  wall-curation {row['overhead']:6.2f}  cpu {row['cpu']:6.2f}  load {row['load']:.2f}",
                      flush=True)
    finally:
        server.terminate()
        server.wait()
        _stop_warm(trees["new"])
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n| code, mode | wall s | curation s | wall − curation s | CPU s (waited-for processes) | load (1 min) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, rows in results.items():
        med = {key: statistics.median(row[key] for row in rows) for key in ("wall", "curation", "overhead", "cpu")}
        loads = [row["load"] for row in rows]
        print(f"| {name} | {med['wall']:.2f} | {med['curation']:.2f} | {med['overhead']:.2f} | {med['cpu']:.2f} | "
              f"{min(loads):.1f}–{max(loads):.1f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
