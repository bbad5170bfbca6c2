"""The warm local Prefect server (flows/warm_server.py): a second run reuses the first run's server, a stale record is
replaced, two runs starting at once share one server, the CLI never waits on the detached server, a Ctrl-C of a run
leaves it alone, and it stops itself when idle. The opt-out gives a temporary server.

Every test here uses a PREFECT_HOME of its own (the first server in it builds its database: ~20 s idle) and stops the
servers it started. Other test files run with SFTCURATE_WARM_SERVER=0 (conftest.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import warm_server
from tests.conftest import ROOT, SAMPLE, write
from tests.test_hostile import gzip_bomb, wait_until_ingesting

BOOT_S = 300  # generous: a fresh database on a loaded 2-core machine


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "SFTCURATE_WARM_SERVER": "1", "PYTHONPATH": str(ROOT),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(BOOT_S), **extra}
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        env.pop(name, None)
    return env


def _cli(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """`python -m flows.build` with its output on pipes: run() returns only once both pipes reach end-of-file, so a
    detached server that kept them open would hang it (the timeout would fail the test)."""
    return subprocess.run([sys.executable, "-m", "flows.build", *args], cwd=ROOT, env=_env(home, **extra),
                          capture_output=True, text=True, timeout=BOOT_S + 300)


def _state(home: Path) -> dict:
    return json.loads((home / "sftcurate-server" / "server.json").read_text(encoding="utf-8"))


def _alive(pid: int) -> bool:
    return warm_server._pid_alive(pid)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reaps it when this process started it
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return not _alive(pid)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Iterator[Path]:
    """A PREFECT_HOME shared by this module's tests (one database build), its warm server stopped at the end."""
    path = tmp_path_factory.mktemp("prefect-home")
    yield path
    _stop_all(path)


def _stop_all(home: Path) -> None:
    directory = home / "sftcurate-server"
    pid = _state(home)["pid"] if (directory / "server.json").is_file() else None
    warm_server.stop(directory)
    assert pid is None or _wait_gone(pid, 30)


@pytest.fixture
def in_home(home, monkeypatch) -> Path:
    """This process's environment pointed at `home`, for calling flows.warm_server directly; a warm server runs."""
    for name, value in _env(home).items():
        monkeypatch.setenv(name, value)
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    server = warm_server.acquire(BOOT_S)
    assert server is not None
    try:
        server.wait_healthy(BOOT_S)
    finally:
        server.stop()
    return home


def _wait_healthy(url: str) -> bool:
    deadline = time.monotonic() + BOOT_S
    while not warm_server.healthy(url) and time.monotonic() < deadline:
        time.sleep(0.2)
    return warm_server.healthy(url)


def test_second_run_reuses_the_first_runs_server_and_the_cli_does_not_wait_for_it(home, tmp_path):
    first = _cli(home, "--config", str(SAMPLE / "pipeline.yaml"), "--out", str(tmp_path / "one"))
    assert first.returncode == 0, first.stderr
    assert "started a local Prefect server" in first.stderr
    state = _state(home)
    assert state["url"].startswith("http://127.0.0.1:")  # loopback only
    assert _alive(state["pid"]), "the server should outlive the run that started it"
    assert warm_server.healthy(state["url"])
    assert (tmp_path / "one" / "train.jsonl").is_file()

    second = _cli(home, "--config", str(SAMPLE / "pipeline.yaml"), "--out", str(tmp_path / "two"))
    assert second.returncode == 0, second.stderr
    assert "started a local Prefect server" not in second.stderr
    assert _state(home)["url"] == state["url"] and _state(home)["pid"] == state["pid"]
    assert (tmp_path / "two" / "train.jsonl").read_bytes() == (tmp_path / "one" / "train.jsonl").read_bytes()


def test_ctrl_c_stops_the_run_but_not_the_warm_server(home, tmp_path):
    """A Ctrl-C reaches the terminal's process group: the run's, not the server's (a session of its own)."""
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(4 << 30))
    config = write(tmp_path / "p.yaml", "sources:\n  - {name: b, kind: html, paths: '*.html.gz', selectors: faq}\n"
                                        "limits: {max_page_bytes: 8000000000, max_source_bytes: 8000000000, "
                                        "max_parse_bytes: 8000000000}\noutput: {dir: out}\n")
    proc = subprocess.Popen([sys.executable, "-m", "flows.build", "--config", str(config)], cwd=ROOT,
                            env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            # a suite started in the background (`pytest &`) ignores SIGINT, and a child inherits
                            # that: give the run a terminal's default, as test_hostile's Ctrl-C test does
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    out = tmp_path / "out"
    wait_until_ingesting(proc, out)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert not list(out.rglob("*.tmp"))
    state = _state(home)
    assert _alive(state["pid"]) and _wait_healthy(state["url"])


def test_stale_records_are_replaced(in_home):
    directory = in_home / "sftcurate-server"
    running = _state(in_home)
    # another version of Prefect or of this code: the running server is stopped and a new one started
    warm_server._write_state(directory, {**running, "key": "another-version"})
    server = warm_server.acquire(BOOT_S)
    try:
        assert server is not None and server.started_now and server.pid != running["pid"]
        assert _wait_gone(running["pid"], 30), "the stale server should have been stopped"
        server.wait_healthy(BOOT_S)
    finally:
        server.stop()
    # a dead pid: replaced
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    current = _state(in_home)
    warm_server._write_state(directory, {**current, "pid": dead.pid})
    server = warm_server.acquire(BOOT_S)
    try:
        assert server is not None and server.started_now and _alive(server.pid)
        assert _state(in_home)["pid"] == server.pid
        server.wait_healthy(BOOT_S)
    finally:
        server.stop()
    # the orphan of the record just overwritten still runs: it stops itself when idle; stop it here
    os.kill(current["pid"], signal.SIGTERM)
    assert _wait_gone(current["pid"], 30)


def test_a_stale_server_still_in_use_is_left_alone(in_home):
    """Another run holds the stale server (say, an older checkout mid-run): this run gets a temporary server
    instead of killing it."""
    directory = in_home / "sftcurate-server"
    running = _state(in_home)
    warm_server._write_state(directory, {**running, "key": "another-version"})
    holder = os.open(directory / "in-use.lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_SH)
    try:
        assert warm_server.acquire(BOOT_S) is None
        assert _alive(running["pid"]) and _state(in_home)["pid"] == running["pid"]
    finally:
        os.close(holder)
        warm_server._write_state(directory, running)


def test_an_idle_server_stops_itself(in_home, monkeypatch):
    _stop_all(in_home)
    monkeypatch.setenv("SFTCURATE_SERVER_IDLE_MINUTES", "0.05")  # 3 s
    server = warm_server.acquire(BOOT_S)
    assert server is not None
    server.wait_healthy(BOOT_S)
    server.stop()
    assert _wait_gone(server.pid, 120), "the idle server did not stop itself"
    assert not (in_home / "sftcurate-server" / "server.json").exists()


def test_two_runs_starting_at_once_share_one_server(tmp_path):
    """Fresh PREFECT_HOME, two processes acquiring at the same moment: one server, one URL."""
    code = "from flows.warm_server import acquire; s = acquire(); print(s.url, s.pid, s.started_now)"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outputs = [proc.communicate(timeout=60) for proc in procs]
        assert all(proc.returncode == 0 for proc in procs), outputs
        lines = sorted(out.split() for out, _ in outputs)
        assert lines[0][:2] == lines[1][:2], lines  # same URL, same pid
        assert sorted(line[2] for line in lines) == ["False", "True"]  # exactly one of them started it
    finally:
        _stop_all(tmp_path)


@pytest.mark.parametrize("how", ["env", "flag"])
def test_opt_out_gives_a_temporary_server_and_leaves_nothing(tmp_path, how):
    warm = "False" if how == "flag" else "True"
    code = ("from flows.local_server import start_unless_configured as start\n"
            f"server = start(warm={warm})\nprint(type(server).__name__, server.temporary)\nserver.stop()\n"
            "print(server.process.poll() is not None)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=_env(tmp_path, SFTCURATE_WARM_SERVER="0" if how == "env" else "1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["LocalServer", "True", "True"]
    assert not (tmp_path / "sftcurate-server" / "server.json").exists()


def test_a_bad_idle_setting_is_one_clear_error(tmp_path):
    done = _cli(tmp_path, "--config", str(SAMPLE / "pipeline.yaml"), "--out", str(tmp_path / "out"),
                SFTCURATE_SERVER_IDLE_MINUTES="soon")
    assert done.returncode == 2
    assert "SFTCURATE_SERVER_IDLE_MINUTES" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "sftcurate-server" / "server.json").exists()
