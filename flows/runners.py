"""Choosing where tasks run, and which failures are worth a retry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows.config import RunSettings
from formats import cancel

TRANSIENT_WORDS = ("could not connect", "connection refused", "connection reset", "timeout", "timed out",
                   "server closed the connection", "terminating connection", "too many connections",
                   "database is locked", "temporarily unavailable")


def workers(run: RunSettings) -> int:
    """The configured worker count, else every core this process may use."""
    if run.workers:
        return run.workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def make_task_runner(kind: str, run: RunSettings) -> TaskRunner:
    """processes (default: one worker per core), threads (in-process: one core for the CPU-bound cleaning, as the
    GIL allows), or Dask (a local cluster or `dask_address`)."""
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=max(4, workers(run)))
    if kind == "processes":
        # workers end their reads cleanly on SIGTERM, which `cancel.stop_workers` sends when this run is stopped
        return ProcessPoolTaskRunner(max_workers=workers(run), initializer=cancel.stop_on_sigterm)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if run.dask_address:
            return DaskTaskRunner(address=run.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers(run), "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    raise ValueError(f"run.task_runner: unknown runner {kind!r}; expected threads, processes or dask")


@contextmanager
def api_shared_with_workers() -> Iterator[None]:
    """Let worker processes report to this run's Prefect API.

    Workers inherit the environment, not this process's Prefect settings: without PREFECT_API_URL each worker
    process would start a temporary server of its own (~8 s each) and its task runs would land there.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        running = [server for server in SubprocessASGIServer._instances.values() if server.running]
        url = running[0].api_url if running else None
    if url:
        os.environ["PREFECT_API_URL"] = url
    try:
        yield
    finally:
        if url:
            del os.environ["PREFECT_API_URL"]  # the temporary server stops with this run


def is_transient(error: BaseException) -> bool:
    """Connection trouble may pass; a syntax error, a missing column or a bad file will not."""
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    text = str(error).lower()
    return type(error).__name__ in ("OperationalError", "InterfaceError", "DisconnectionError") and any(
        word in text for word in TRANSIENT_WORDS)


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as error:  # the state re-raises the task's own exception
        return is_transient(error)
    return False
