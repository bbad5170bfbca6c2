"""A warm local Prefect API server: started detached by the first local run, reused by the next ones, stopped by itself
after a while without a run.

A temporary server boots in ~8 s on an idle machine (several times that on a busy one) for 1-4 s of curation; in the
edit-config / re-run loop only the first run should pay that. Without a configured server (flows.local_server says
when), a run takes the server described by `server.json` in `$PREFECT_HOME/sftcurate-server/`, or starts one there:
the same server Prefect would start (uvicorn on Prefect's app, ephemeral mode: no UI, no background services), on
127.0.0.1 only, with Prefect's own database (`$PREFECT_HOME/prefect.db` unless configured otherwise).

Safety, in files beside `server.json`:
- `start.lock` (flock, exclusive): held while a run decides to reuse, replace or start a server, so two runs starting
  at once end up on one server;
- `in-use.lock` (flock, shared): held by every run for as long as it uses the server (taken under `start.lock`). The
  server's idle watchdog stops it only when it gets this lock exclusively (no run) and no run touched `last-used` for
  the idle time; a stale server is replaced only when no run holds it either (otherwise the run gets a temporary
  server of its own, as with the opt-out);
- a stale `server.json` (dead pid, another Prefect / Python / version of this file / database, or a server that
  stopped answering after its boot) is detected and replaced.

The server runs in a session of its own with stdin from /dev/null and stdout/stderr into `server.log`: a Ctrl-C or a
SIGTERM of a run never reaches it, and a caller reading the run's output through a pipe (`make run | tee`, CI) sees
end-of-file when the run exits. The idle time is `SFTCURATE_SERVER_IDLE_MINUTES` (default 15);
`SFTCURATE_WARM_SERVER=0` (or `python -m flows.build --no-warm-server`) gives each run a temporary server instead;
`python -m flows.warm_server stop` stops the warm server now, `status` says where it is.

Nothing here imports Prefect or uvicorn in the run's process: the run's side must cost milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OPT_OUT_VALUES = ("0", "false", "no", "off")
DEFAULT_IDLE_MINUTES = 15.0
_WATCH_EVERY_S = 5.0
_STOP_WAIT_S = 15.0


def enabled() -> bool:
    """False when the user opted out (SFTCURATE_WARM_SERVER=0/false/no/off)."""
    return os.environ.get("SFTCURATE_WARM_SERVER", "1").strip().lower() not in OPT_OUT_VALUES


def idle_seconds() -> float:
    """The idle time after which the server stops itself; a bad value is an error that names the variable."""
    raw = os.environ.get("SFTCURATE_SERVER_IDLE_MINUTES", str(DEFAULT_IDLE_MINUTES))
    try:
        minutes = float(raw)
    except ValueError:
        raise ValueError(f"SFTCURATE_SERVER_IDLE_MINUTES={raw!r}: expected a number of minutes, e.g. 15") from None
    if minutes <= 0:
        raise ValueError(f"SFTCURATE_SERVER_IDLE_MINUTES={raw!r}: must be > 0 (SFTCURATE_WARM_SERVER=0 turns the "
                         "warm server off)")
    return minutes * 60


def state_dir() -> Path:
    """One warm server per PREFECT_HOME (so per user by default: ~/.prefect)."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    return home / "sftcurate-server"


def server_key() -> str:
    """What must match for a server to be reused: Prefect's version, the Python (and virtual environment) that runs
    it, this file (the server's own code here) and the settings that choose its database."""
    database = sorted((k, v) for k, v in os.environ.items()
                      if k.startswith(("PREFECT_API_DATABASE", "PREFECT_SERVER_DATABASE")))
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for part in (metadata.version("prefect"), sys.prefix, sys.executable, repr(database)):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:16]


def _pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (a dead child not yet waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_our_server(pid: int) -> bool:
    """The pid is a warm server of this module (not a process that reused a dead server's pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return _pid_alive(pid)  # no /proc (macOS): trust the pid
    return b"flows.warm_server" in cmdline and b"serve" in cmdline


# the server Prefect would start itself for a run: no UI, ephemeral mode (the temporary and the warm server alike)
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def healthy(url: str, timeout: float = 1.0) -> bool:
    """The API at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_state(directory: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((directory / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and {"pid", "url", "key", "started"} <= state.keys() else None


def _write_state(directory: Path, state: dict[str, Any]) -> None:
    tmp = directory / f"server.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(tmp, directory / "server.json")


def _touch(path: Path) -> None:
    path.touch()
    os.utime(path)


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Any:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield fd
    finally:
        os.close(fd)  # closing the descriptor drops the lock


class WarmServer:
    """This run's hold on the warm server: `url` is its API; `stop()` lets go (the server keeps running)."""

    temporary = False

    def __init__(self, state: dict[str, Any], in_use_fd: int, directory: Path, started_now: bool) -> None:
        self.url: str = state["url"]
        self.pid: int = state["pid"]
        self.started_now = started_now
        self._fd: int | None = in_use_fd
        self._directory = directory

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if healthy(self.url, timeout=2):
                return
            if not _pid_alive(self.pid):
                raise RuntimeError(f"the local Prefect server exited; see {self._directory / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local Prefect server did not answer within {timeout:.0f} s; see "
                                   f"{self._directory / 'server.log'}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Let go of the server: it stays up for the next run and stops itself after the idle time."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            _touch(self._directory / "last-used")
        os.close(self._fd)
        self._fd = None


def _start(directory: Path, key: str, boot_s: float) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **SERVER_ENV,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for name in ("PREFECT_API_URL", "PREFECT_UI_URL"):
        env.pop(name, None)
    with open(directory / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.warm_server", "serve", "--port", str(port), "--idle-seconds",
             str(idle_seconds()), "--state", str(directory)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=directory, env=env,
            start_new_session=True, close_fds=True)
    process.returncode = 0  # never waited for here: it outlives this run (no "still running" warning at exit)
    state = {"pid": process.pid, "url": url, "key": key, "started": time.time(), "boot_s": boot_s,
             "prefect": metadata.version("prefect")}
    _write_state(directory, state)
    return state


def _stop_pid(pid: int) -> None:
    if not _is_our_server(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_WAIT_S
    while _pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        time.sleep(0.05)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stale(state: dict[str, Any] | None, key: str) -> str | None:
    """Why a recorded server cannot be used ("" when there is none at all), None when it can."""
    if state is None:
        return ""
    if not _pid_alive(state["pid"]) or not _is_our_server(state["pid"]):
        return "its process is gone"
    if state["key"] != key:
        return "it runs another version of Prefect or of this code"
    booting = time.time() - state["started"] < state.get("boot_s", 120)
    if not booting and not healthy(state["url"]):
        return "it does not answer"
    return None


def acquire(boot_s: float = 120.0) -> WarmServer | None:
    """The warm server for this run (reused, or started now, detached); None when a stale one is still held by
    another run and cannot be replaced (the caller then starts a temporary server of its own)."""
    idle_seconds()  # a bad setting fails here, before anything is started
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = server_key()
    with _locked(directory / "start.lock", fcntl.LOCK_EX):
        in_use = os.open(directory / "in-use.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            state = _read_state(directory)
            why = _stale(state, key)
            started_now = why is not None
            if state is not None and why is not None:
                try:  # replace it only if no run uses it
                    fcntl.flock(in_use, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(in_use)
                    return None
                _stop_pid(state["pid"])
                (directory / "server.json").unlink(missing_ok=True)
            if why is not None:
                state = _start(directory, key, boot_s)
            fcntl.flock(in_use, fcntl.LOCK_SH)  # downgrades the exclusive lock taken above, if any
            _touch(directory / "last-used")
        except BaseException:
            os.close(in_use)
            raise
    assert state is not None
    return WarmServer(state, in_use, directory, started_now)


def stop(directory: Path | None = None) -> bool:
    """Stop the warm server now (waiting for runs that use it); True when one was running."""
    directory = directory or state_dir()
    if not directory.is_dir():
        return False
    with _locked(directory / "start.lock", fcntl.LOCK_EX), _locked(directory / "in-use.lock", fcntl.LOCK_EX):
        state = _read_state(directory)
        (directory / "server.json").unlink(missing_ok=True)
        if state is None or not _pid_alive(state["pid"]):
            return False
        _stop_pid(state["pid"])
        return True


def _watch_idle(server: Any, directory: Path, idle_s: float) -> None:
    """The server's own thread: stop it once no run holds it and none touched `last-used` for `idle_s`."""
    began = time.time()
    while not server.should_exit:
        time.sleep(min(_WATCH_EVERY_S, idle_s / 4))
        try:
            last = (directory / "last-used").stat().st_mtime
        except OSError:
            last = began
        if time.time() - max(last, began) < idle_s:
            continue
        with _locked(directory / "start.lock", fcntl.LOCK_EX):
            try:
                with _locked(directory / "in-use.lock", fcntl.LOCK_EX | fcntl.LOCK_NB):
                    state = _read_state(directory)
                    if state is not None and state["pid"] == os.getpid():
                        (directory / "server.json").unlink(missing_ok=True)
                    server.should_exit = True  # uvicorn's graceful stop: in-flight requests finish first
            except BlockingIOError:
                continue  # a run is using the server


def serve(port: int, idle_s: float, directory: Path) -> None:
    """The server process: Prefect's API app under uvicorn on loopback, plus the idle watchdog."""
    import uvicorn

    config = uvicorn.Config("prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port,
                            log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    threading.Thread(target=_watch_idle, args=(server, directory, idle_s), name="idle-watchdog", daemon=True).start()
    server.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.warm_server", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="say whether a warm server is running, where, and its log")
    commands.add_parser("stop", help="stop the warm server now (after the runs that use it)")
    serving = commands.add_parser("serve", help="(internal) the server process itself")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--idle-seconds", type=float, required=True)
    serving.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.idle_seconds, args.state)
        return 0
    if args.command == "stop":
        print("stopped the warm Prefect server" if stop() else "no warm Prefect server was running")
        return 0
    state = _read_state(state_dir())
    if state is None or not _pid_alive(state["pid"]):
        print(f"no warm Prefect server (state folder: {state_dir()})")
        return 1
    print(f"warm Prefect server at {state['url']} (pid {state['pid']}, Prefect {state.get('prefect')}, "
          f"{'answering' if healthy(state['url']) else 'not answering'}); log: {state_dir() / 'server.log'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
