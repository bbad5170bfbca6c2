"""Mapping a function over independent batches in worker processes, for the plain-Python stages that are CPU-bound
(dedup hashing, the cleaning chain) — one place for how those processes start."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
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
