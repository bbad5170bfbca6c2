"""A throwaway PostgreSQL server for tests: initdb in a temp dir, run as the `postgres` user (the server refuses
root, and CI runs as root), listening on 127.0.0.1 and a Unix socket in that dir; always stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def server_binaries() -> Path | None:
    """The folder with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


@contextmanager
def throwaway_server() -> Iterator[dict[str, str | int]]:
    bindir = server_binaries()
    assert bindir is not None
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text("admin-secret\n")
    if os.geteuid() == 0:
        for path in (root, pwfile):
            shutil.chown(path, "postgres", "postgres")
    port = _free_port()
    _run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "scram-sha-256", "-U", "postgres",
          "--pwfile", str(pwfile), "-E", "UTF8", "--locale", "C"])
    options = f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-o", options,
          "-l", str(root / "server.log"), "start"])
    try:
        yield {"host": "127.0.0.1", "port": port, "admin_password": "admin-secret", "socket_dir": str(root)}
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, text=True)
        shutil.rmtree(root, ignore_errors=True)
