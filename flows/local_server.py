"""The Prefect API server of a local run, chosen (and started if need be) before Prefect is imported.

By default that is the warm server (flows.warm_server): left by an earlier run, or started now, detached, for this
run and the next ones. With the opt-out, or when a stale warm server is still in use by another run, it is a
temporary server for this run only, described here.

Without a configured server, Prefect starts a temporary one when the flow begins, after this process has imported
Prefect and the pipeline: two CPU-bound start-ups (~3 s and ~5 s idle, several times that on a busy machine) one
after the other. Started here, first thing, the server boots on one core while this process imports on the other.
It is the same server Prefect would start (uvicorn on `prefect.server.api.server:create_app`, ephemeral mode, no UI),
on loopback, stopped when the run ends. This module imports nothing from Prefect on purpose.

A configured server (PREFECT_API_URL in the environment, a profile, prefect.toml, pyproject.toml or .env) is always
used as it is: nothing is started then.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
from pathlib import Path

from flows import warm_server
from flows.warm_server import WarmServer

_CONFIG_MARKS = ("PREFECT_API_URL", "[api]", "tool.prefect")


def _configured() -> bool:
    """True when a Prefect server may be configured anywhere Prefect looks (a cheap text check: when in doubt,
    leave the choice to Prefect)."""
    if os.environ.get("PREFECT_API_URL") or os.environ.get("PREFECT_PROFILE"):
        return True
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    files = [Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml")).expanduser(),
             Path("prefect.toml"), Path("pyproject.toml"), Path(".env")]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(mark in text for mark in _CONFIG_MARKS):
            return True
    return False


class LocalServer:
    """A temporary API server for this process's run; `url` is its API address."""

    temporary = True

    def __init__(self) -> None:
        self.port = warm_server.free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        env = {**os.environ, **warm_server.SERVER_ENV}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host",
             "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"], env=env)
        atexit.register(self.stop)  # registered before Prefect's own exit hooks, so it runs after them

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server exited with code {self.process.returncode}")
            if warm_server.healthy(self.url, timeout=2):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the temporary Prefect server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Send what Prefect still holds (logs, events) while the server can take it, then stop the server."""
        if self.process.poll() is None and "prefect" in sys.modules:
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)
            EventsWorker.drain_all(timeout=5)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_unless_configured(warm: bool = True) -> LocalServer | WarmServer | None:
    """Find or start the run's server now and point Prefect at it (PREFECT_API_URL, read when Prefect is imported,
    and inherited by worker processes); None when a server is configured, or Prefect was imported already.

    `warm` (and SFTCURATE_WARM_SERVER not set to 0): the warm server; otherwise a temporary one for this run."""
    if _configured() or "prefect" in sys.modules:
        return None
    server: LocalServer | WarmServer | None = None
    if warm and warm_server.enabled():
        try:
            server = warm_server.acquire(float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 120)))
        except OSError as err:  # e.g. a read-only PREFECT_HOME: this run still runs, on a server of its own
            print(f"no warm Prefect server ({err}); starting a temporary one for this run", file=sys.stderr)
    if server is None:
        server = LocalServer()
    os.environ["PREFECT_API_URL"] = server.url
    os.environ["PREFECT_UI_URL"] = ""  # this server serves no UI: no "View at" links to a page that is not there
    return server
