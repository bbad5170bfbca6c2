"""Row ids packed into numbers. `make_id` ids are "<source>-<16 hex digits>": kept as a source number (2 bytes)
and the digits as a uint64 (8 bytes) instead of a ~75-byte string plus a dict entry, the final stage's id columns
stay ~10 bytes a row at 10M rows (docs/scaling.md). An id of any other form is kept as it is, beside them, so
every id reads back exactly as it was added."""

from __future__ import annotations

import heapq
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np

_HEX = re.compile(r"[0-9a-f]{16}")
_CHUNK = 65_536  # ids turned back into strings per batch when a whole column is written


def pack(row_id: str, source: str) -> int | None:
    """The uint64 of a `make_id` id of `source`; None for an id of any other form."""
    if len(row_id) == len(source) + 17 and row_id.startswith(source) and row_id[len(source)] == "-":
        digits = row_id[len(source) + 1:]
        if _HEX.fullmatch(digits):
            return int(digits, 16)
    return None


class PackedIds(Sequence[str]):
    """Ids in the order added, each with its source; looked up by a sorted index built on the first lookup."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}
        self.digits = array("Q")
        self.sources = array("H")
        self.other: dict[int, str] = {}  # position -> an id that does not pack
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def append(self, row_id: str, source: str) -> None:
        code = self._codes.get(source)
        if code is None:
            code = self._codes[source] = len(self.names)
            self.names.append(source)
        value = pack(row_id, source)
        if value is None:
            self.other[len(self.digits)] = row_id
        self.digits.append(value or 0)
        self.sources.append(code)
        self._sorted = None

    def __len__(self) -> int:
        return len(self.digits)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        found = self.other.get(index)
        return found if found is not None else f"{self.names[self.sources[index]]}-{self.digits[index]:016x}"

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(order, digits in that order, sources in that order): packed ids sorted by (digits, source), stable."""
        if self._sorted is None:
            digits = np.frombuffer(self.digits, dtype=np.uint64) if len(self.digits) else np.zeros(0, np.uint64)
            sources = np.frombuffer(self.sources, dtype=np.uint16) if len(self.sources) else np.zeros(0, np.uint16)
            order = np.lexsort((sources, digits))
            if self.other:
                order = order[~np.isin(order, np.fromiter(self.other, dtype=np.int64, count=len(self.other)))]
            self._sorted = order, digits[order], sources[order]
        return self._sorted

    def positions(self, row_id: str) -> list[int]:
        """Every position holding `row_id`, ascending."""
        found = [i for i, other in self.other.items() if other == row_id] if self.other else []
        for code, name in enumerate(self.names):
            value = pack(row_id, name)
            if value is None:
                continue
            order, digits, sources = self._index()
            lo, hi = np.searchsorted(digits, value, "left"), np.searchsorted(digits, value, "right")
            found += order[lo:hi][sources[lo:hi] == code].tolist()
        return sorted(found)

    def firsts(self) -> np.ndarray:
        """Whether each position holds the first occurrence of its id."""
        first = np.zeros(len(self), dtype=bool)
        order, digits, sources = self._index()
        new = np.ones(len(order), dtype=bool)
        new[1:] = (digits[1:] != digits[:-1]) | (sources[1:] != sources[:-1])
        first[order[new]] = True  # a stable sort: the first of equal ids comes first
        seen: set[str] = set()
        for i, other in sorted(self.other.items()):
            first[i] = other not in seen
            seen.add(other)
        return first

    def of_source(self, name: str) -> tuple[np.ndarray, list[str]]:
        """The packed digits and the other ids of one source."""
        code = self._codes.get(name)
        if code is None:
            return np.zeros(0, np.uint64), []
        mask = np.frombuffer(self.sources, dtype=np.uint16) == code if len(self.sources) else np.zeros(0, bool)
        if self.other:
            mask[list(self.other)] = False
        digits = np.frombuffer(self.digits, dtype=np.uint64)[mask] if len(self.digits) else np.zeros(0, np.uint64)
        return digits, [other for i, other in self.other.items() if self.sources[i] == code]


def pack_all(source: str, ids: Iterable[str]) -> tuple[np.ndarray, list[str]]:
    """The packed digits and the other ids among `ids` of `source`."""
    return _parse(source, ids)


def _parse(source: str, ids: Iterable[str]) -> tuple[np.ndarray, list[str]]:
    packed, other = array("Q"), []
    for row_id in ids:
        value = pack(row_id, source)
        if value is None:
            other.append(row_id)
        else:
            packed.append(value)
    return np.frombuffer(packed, dtype=np.uint64) if packed else np.zeros(0, np.uint64), other


def sorted_lines(source: str, digits: np.ndarray, other: list[str]) -> Iterator[str]:
    """`sorted(ids)` of one source's ids, made from their packed form: all packed ids share the prefix and have 16
    lowercase hex digits, so their string order is their numeric order."""
    ordered = np.sort(digits)
    packed = (f"{source}-{value:016x}" for start in range(0, len(ordered), _CHUNK)
              for value in ordered[start:start + _CHUNK].tolist())
    return heapq.merge(packed, sorted(other)) if other else packed


def new_ids(state: Path, source: str, digits: np.ndarray, other: list[str]) -> int:
    """How many of this run's ids of `source` (packed `digits` and `other` ids) the ids file in `state` does not
    hold (all of them when there is no file)."""
    path = state / f"{source}.ids"
    if not path.is_file():
        return len(digits) + len(other)
    with path.open(encoding="utf-8") as handle:
        seen, seen_other = _parse(source, (row_id for line in handle for row_id in line.split()))
    known = set(seen_other)
    return int(np.isin(digits, seen, invert=True).sum()) + sum(1 for i in other if i not in known)
