"""Progress lines for the long stages: rows done, rows/s and, when the total is known, an ETA.

Plain logging, throttled (one line every few seconds, none for a stage that ends sooner), so a 100k-row run has no
silent minute and a small run stays quiet. Any `logging`-style logger works: the flow passes Prefect's run logger,
a test or a notebook a plain one. `SFTCURATE_PROGRESS_SECONDS` sets the interval (0: a line for every update).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def interval() -> float:
    """Seconds between two progress lines of one stage (read each time: tests and workers set it by environment)."""
    try:
        return max(0.0, float(os.environ.get("SFTCURATE_PROGRESS_SECONDS", "5")))
    except ValueError:
        return 5.0


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


class Progress:
    """Counts rows through one stage and logs `what: done/total rows, rate rows/s, ETA` at most every `every` s.
    `unit` names what is counted when it is not rows (dedup's candidate pairs, its bands)."""

    def __init__(self, log: Any, what: str, total: int | None = None, every: float | None = None,
                 unit: str = "rows") -> None:
        self.log, self.what, self.total, self.unit = log, what, total, unit
        self.every = interval() if every is None else every
        self.done = 0
        self.started = self.last = time.monotonic()

    def add(self, rows: int = 1) -> None:
        self.done += rows
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max(1e-9, (now or time.monotonic()) - self.started)
        rate = self.done / elapsed
        unit = self.unit
        if not self.total:
            return f"{self.what}: {self.done:,} {unit}, {rate:,.0f} {unit}/s, {_seconds(elapsed)} so far"
        left = max(0, self.total - self.done)
        eta = _seconds(left / rate) if rate else "unknown"
        return (f"{self.what}: {self.done:,}/{self.total:,} {unit} ({100 * self.done / self.total:.0f}%), "
                f"{rate:,.0f} {unit}/s, ETA {eta}")

    def iterate(self, items: Iterable[T]) -> Iterator[T]:
        """The items, counted as they pass."""
        for item in items:
            yield item
            self.add()

    def finish(self) -> None:
        """One closing line (rows, time, rate) when the stage was long enough to have reported, or always at 0 s."""
        elapsed = time.monotonic() - self.started
        if elapsed >= self.every:
            self.log.info("%s: %s %s in %s (%s %s/s)", self.what, f"{self.done:,}", self.unit, _seconds(elapsed),
                          f"{self.done / max(elapsed, 1e-9):,.0f}", self.unit)


@contextmanager
def heartbeat(log: Any, what: str, rows: int, every: float | None = None, beats: bool = True) -> Iterator[None]:
    """For a step that cannot count its own progress (decontamination inside one call): a line every `every` s
    saying how long it has run, and a closing line with its rate; nothing when it ends sooner. `beats=False`: the
    closing line only, for a step that logs its own progress (dedup, by phase)."""
    every = interval() if every is None else every
    started = time.monotonic()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(every, 0.05)):
            log.info("%s: working on %s rows, %s so far", what, f"{rows:,}", _seconds(time.monotonic() - started))

    thread = threading.Thread(target=beat, name=f"progress-{what}", daemon=True) if beats else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread:
            thread.join()
        elapsed = time.monotonic() - started
        if elapsed >= every:
            log.info("%s: %s rows in %s (%s rows/s)", what, f"{rows:,}", _seconds(elapsed),
                     f"{rows / max(elapsed, 1e-9):,.0f}")
