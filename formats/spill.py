"""A list that lives in a temporary file: the final stage's ledger writes every rejected row and every edit there as
it is recorded and reads them back when the report asks (a pass is ~5 µs an entry), so memory holds 8 bytes an
entry instead of the row (~1.5 KB a reject). Entries are stored as their `to_dict()` JSON (`to_json()`) and rebuilt with
`make(**dict)`: the same round trip the shards' ledgers already take (formats.ledger.load_ledger)."""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, overload

import orjson

_READ_BYTES = 1 << 23  # bytes read back per call when streaming


class _Entry(Protocol):
    def to_dict(self) -> dict[str, Any]: ...

    def to_json(self) -> bytes: ...


T = TypeVar("T", bound=_Entry)


class Spilled(Sequence[T], Generic[T]):
    """Entries appended to an unnamed file in `folder` (gone when closed or when the process ends)."""

    def __init__(self, make: Callable[..., T], folder: Path | None = None) -> None:
        self.make = make
        self._file = tempfile.TemporaryFile(dir=folder)
        self._ends = array("Q")

    def append(self, entry: T) -> None:
        self._file.write(entry.to_json() + b"\n")
        self._ends.append(self._file.tell())

    def extend(self, entries: Iterable[T]) -> None:
        for entry in entries:
            self.append(entry)

    def close(self) -> None:
        self._file.close()

    def __len__(self) -> int:
        return len(self._ends)

    def _span(self, first: int, last: int) -> bytes:
        """The lines of entries first..last-1."""
        self._file.flush()
        start = self._ends[first - 1] if first else 0
        return os.pread(self._file.fileno(), self._ends[last - 1] - start, start) if last > first else b""

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            first, last, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(first, last, step)]
            return [self.make(**orjson.loads(line)) for line in self._span(first, last).splitlines()]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.make(**orjson.loads(self._span(index, index + 1)))

    def _chunks(self) -> Iterator[tuple[int, int]]:
        """(first, last) entry ranges of about _READ_BYTES each (at least one entry), in order."""
        first = 0
        while first < len(self):
            last = first + 1
            start = self._ends[first - 1] if first else 0
            while last < len(self) and self._ends[last] - start <= _READ_BYTES:
                last += 1
            yield first, last
            first = last

    def lines(self) -> Iterator[bytes]:
        """Every entry's JSON line (`orjson.dumps(entry.to_dict())` and a newline) as stored, a chunk of whole lines
        at a time: what a JSONL file of the entries holds, without parsing them back."""
        for first, last in self._chunks():
            yield self._span(first, last)

    def __iter__(self) -> Iterator[T]:
        for first, last in self._chunks():
            yield from self[first:last]
