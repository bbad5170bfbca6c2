"""Cooperative stop: a SIGTERM or Ctrl-C sets one flag that long loops (readers, shard writers) check.

Python runs signal handlers on the main thread only, between bytecodes; an ingest running in a worker thread would
go on reading after the flow gave up. Loops that may run long call `check()` so they end within a chunk.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

_STOP = threading.Event()


class Stopped(RuntimeError):
    """The run was asked to stop (SIGTERM / Ctrl-C)."""


def stop_on_sigterm() -> None:
    """For a worker process (a process pool's initializer): SIGTERM sets the flag, so the reader or shard writer it
    runs ends at its next row and removes its temp folder, instead of the process dying mid-write."""
    signal.signal(signal.SIGTERM, lambda signum, frame: request_stop())


def request_stop() -> None:
    _STOP.set()


def stop_workers() -> None:
    """Pass a stop on to this process's worker processes (a process pool's): the flag in this process does not
    reach them, a SIGTERM does (`stop_on_sigterm` is their initializer)."""
    for child in multiprocessing.active_children():
        if child.pid:
            os.kill(child.pid, signal.SIGTERM)


def reset() -> None:
    _STOP.clear()


def stop_requested() -> bool:
    return _STOP.is_set()


def check() -> None:
    if _STOP.is_set():
        raise Stopped("stopped by a signal (SIGTERM or Ctrl-C)")
