"""The README's scheduled-curation commands, for real: server on loopback, pool, deploy, run, worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def prefect_server(tmp_path):
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "COLUMNS": "250"}  # rich tables would truncate keys in a narrow pipe
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(api):
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "server did not become healthy in 120 s"
            time.sleep(0.5)
        yield {**env, "PREFECT_API_URL": api, "SFTCURATE_ROOT": str(ROOT)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        time.sleep(0.5)
        with pytest.raises(ProcessLookupError):  # nothing of the server's process group is left
            os.killpg(server.pid, 0)


def _prefect(env: dict[str, str], *args: str, timeout: int = 180) -> str:
    proc = subprocess.run([PREFECT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"prefect {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def test_deployment_run_on_a_process_worker(prefect_server, tmp_path):
    env = prefect_server
    out = tmp_path / "out"
    _prefect(env, "work-pool", "create", "curation", "--type", "process")
    deployed = _prefect(env, "--no-prompt", "deploy", "--all")
    assert "build/manual" in deployed and "build/nightly" in deployed
    started = _prefect(env, "deployment", "run", "build/manual",
                       "--param", "config=sample_data/pipeline.yaml", "--param", f"out={out}")
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", started).group(1)
    worker = _prefect(env, "worker", "start", "--pool", "curation", "--run-once")  # it exits before the server
    inspected = _prefect(env, "flow-run", "inspect", run_id)
    assert re.search(r"state_type=StateType\.COMPLETED", inspected), worker[-4000:]
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl", "edits.jsonl", "report.json"):
        assert (out / name).stat().st_size > 0, name
    assert "curation-report" in _prefect(env, "artifact", "ls")
    nightly = _prefect(env, "deployment", "inspect", "build/nightly")
    assert "0 2 * * *" in nightly
