"""Mapping a function over independent batches in worker processes, for the plain-Python stages that are CPU-bound
(dedup hashing, the cleaning chain) — one place for how those processes start."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import repeat
from typing import Any, TypeVar

Result = TypeVar("Result")


def map_in_processes(fn: Callable[..., Result], batches: Sequence[Any], workers: int, *shared: Any) -> list[Result]:
    """`[fn(batch, *shared) for batch in batches]`, in order, on `workers` processes.

    forkserver, not fork: callers may run threads (Prefect does), and forking a threaded process can deadlock.
    `fn` must be a module-level function, and a script calling this needs the `if __name__ == "__main__"` guard.
    """
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return list(pool.map(fn, batches, *(repeat(value) for value in shared)))


def imap_in_processes(fn: Callable[..., Result], batches: Iterable[Any], workers: int, *shared: Any,
                      ahead: int = 2) -> Iterator[Result]:
    """`map_in_processes` for batches made on the fly: at most `ahead` batches per worker are in flight, so the
    batches never pile up in memory (Executor.map submits them all at once)."""
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        pending: deque[Future[Result]] = deque()
        for batch in batches:
            pending.append(pool.submit(fn, batch, *shared))
            if len(pending) >= workers * ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
