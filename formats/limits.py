"""Input limits: how much one page, one field, one source may weigh before it is refused.

A hostile or broken input (a gzip bomb, a 2 GB CSV cell, a runaway query) must end as a reject or a source error
that names the limit, not as a run that eats the machine. The limits come from the config's `limits:` section;
readers see them through `current()`, which `formats.readers.read_source` sets while the reader starts, so a
reader's signature stays `read(spec, base_dir)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from pydantic import BaseModel, ConfigDict, Field

MiB = 1 << 20


class Limits(BaseModel):
    """The config's `limits:` section. Defaults are far above any sane SFT input and far below a bomb."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_page_bytes: int = Field(64 * MiB, gt=0, description="decompressed bytes of one page or file read whole")
    max_source_bytes: int = Field(4096 * MiB, gt=0, description="decompressed bytes of all pages of one source")
    max_parse_bytes: int = Field(16 * MiB, gt=0, description="bytes of one page handed to the HTML parser")
    max_field_chars: int = Field(1_000_000, gt=0, description="characters of one field (cell, JSON value, column)")
    max_rows_per_source: int = Field(50_000_000, gt=0, description="rows (records) read from one source")
    statement_timeout_s: float = Field(600, gt=0, description="SQL: the database cancels a longer query")


class LimitExceeded(ValueError):
    """A whole source went over a limit: the source fails and the message names the key to raise."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"limits.{key} exceeded: {detail} (raise limits.{key} in the config if the input is trusted)")
        self.key = key


_DEFAULT = Limits()
_CURRENT: ContextVar[Limits | None] = ContextVar("sftcurate_limits", default=None)


def current() -> Limits:
    """The limits in force for the reader that is running now (the defaults outside `read_source`). A reader calls
    it when it starts, before its first record: `read_source` sets them for that first step only (setting a context
    variable around every record cost more than reading a CSV row)."""
    return _CURRENT.get() or _DEFAULT


@contextmanager
def using(limits: Limits) -> Iterator[None]:
    token = enter(limits)
    try:
        yield
    finally:
        leave(token)


def enter(limits: Limits) -> Token[Limits | None]:
    """`using` without the context manager's cost, for a loop that switches once per record."""
    return _CURRENT.set(limits)


def leave(token: Token[Limits | None]) -> None:
    _CURRENT.reset(token)
