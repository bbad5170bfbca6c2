"""Run a command as a child process and measure it: wall time and the peak RSS of its largest process, or of every
process it starts, by role."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, combined output); raises SystemExit with the output tail on failure."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args} failed:\n{text[-4000:]}")
    return wall, usage.ru_maxrss / 1024, text


def _role(proc: psutil.Process, root: int) -> str:
    try:
        line = " ".join(proc.cmdline())
    except psutil.Error:
        return "gone"
    if proc.pid == root:
        return "driver"
    if "prefect" in line and ("server" in line or "uvicorn" in line):
        return "prefect server"
    if "multiprocessing" in line and "resource_tracker" not in line:
        return "worker"
    return "other"


def run_tree(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, dict[str, float], str]:
    """(wall s, peak RSS MB by role — driver, largest worker, server, summed over the tree — , output) of `args`
    and every process it starts, sampled every 0.2 s."""
    with tempfile.TemporaryFile() as out:
        full_env = {**os.environ, "PYTHONPATH": str(cwd), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})}
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=full_env)
        root = psutil.Process(proc.pid)
        peaks: dict[int, tuple[str, float]] = {}
        summed = 0.0
        done = threading.Event()

        def sample() -> None:
            nonlocal summed
            while not done.is_set():
                total = 0.0
                for child in [root, *root.children(recursive=True)]:
                    try:
                        rss = child.memory_info().rss / 2**20
                    except psutil.Error:
                        continue
                    total += rss
                    role = peaks[child.pid][0] if child.pid in peaks else _role(child, proc.pid)
                    peaks[child.pid] = (role, max(rss, peaks.get(child.pid, ("", 0.0))[1]))
                summed = max(summed, total)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        code = proc.wait()
        done.set()
        sampler.join()
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
    if code:
        raise SystemExit(f"{args} failed:\n{text[-4000:]}")
    by_role: dict[str, float] = {"summed": summed}
    for role, peak in peaks.values():
        by_role[role] = max(by_role.get(role, 0.0), peak)
    by_role["workers"] = sum(role == "worker" for role, _ in peaks.values())
    return wall, by_role, text
