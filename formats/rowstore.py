"""Rows that stay on disk: the cleaned shards' JSONL files behind an index of byte ranges, read back as Examples
when a step needs them. The final stage works on views (positions into the store) instead of lists of Examples,
so its memory holds what the steps compute about rows (keys, signatures, counts), not their text.

A view is a read-only Sequence[Example]: every read parses the row again, so a change to an Example read from a
view is lost unless it is handed back with `set_meta` (the store keeps changed metas beside the index). Rows not
on disk (re-admitted by overrides) live in the store's `extras`, after the disk rows."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import orjson

from formats.example import Example
from formats.rowids import PackedIds

_READ_ROWS = 4_096  # rows parsed per batch when streaming
_GAP_BYTES = 1 << 16  # rows this close together are read with the bytes between them: one call, not two
_SPAN_BYTES = 1 << 23  # the most bytes one read covers


class RowStore:
    """Line ranges of JSONL files, each line one Example; `extras` after them; changed metas by position."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        files, starts, ends = [], [], []
        for number, path in enumerate(self.paths):
            data = np.fromfile(path, dtype=np.uint8)
            newline = np.flatnonzero(data == 10)
            if len(data) and data[-1] != 10:  # a last line without its newline is a row too
                newline = np.append(newline, len(data))
            start = np.concatenate(([0], newline[:-1] + 1)) if len(newline) else np.zeros(0, np.int64)
            keep = newline > start  # blank lines are not rows
            starts.append(start[keep])
            ends.append(newline[keep])
            files.append(np.full(int(keep.sum()), number, dtype=np.int32))
        self.file = np.concatenate(files) if files else np.zeros(0, np.int32)
        self.start = np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64)
        self.end = np.concatenate(ends).astype(np.int64) if ends else np.zeros(0, np.int64)
        self.on_disk = len(self.file)
        self.extras: list[Example] = []
        self.metas: dict[int, dict[str, Any]] = {}
        self._fds: dict[int, int] = {}

    @classmethod
    def from_ranges(cls, paths: Sequence[str | Path], file: np.ndarray, start: np.ndarray,
                    end: np.ndarray) -> RowStore:
        """A store of some rows whose byte ranges another process indexed (a cluster worker reading the rows of its
        pairs from the shared shards): no file is scanned, the rows are positions 0.. in the ranges' order."""
        store = cls([])
        store.paths = [Path(p) for p in paths]
        store.file = np.asarray(file, dtype=np.int32)
        store.start, store.end = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
        store.on_disk = len(store.file)
        return store

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> RowStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def view(self) -> RowView:
        """Every row, in order."""
        return RowView(self, np.arange(self.on_disk + len(self.extras), dtype=np.int64))

    def add(self, rows: Sequence[Example]) -> np.ndarray:
        """Keep rows that are not on disk; their positions."""
        first = self.on_disk + len(self.extras)
        self.extras.extend(rows)
        return np.arange(first, first + len(rows), dtype=np.int64)

    def _fd(self, number: int) -> int:
        fd = self._fds.get(number)
        if fd is None:
            fd = self._fds[number] = os.open(self.paths[number], os.O_RDONLY)
        return fd

    def _example(self, position: int, line: bytes) -> Example:
        example = Example.from_dict(orjson.loads(line))
        meta = self.metas.get(position)
        if meta is not None:
            example.meta = meta
        return example

    def read(self, positions: np.ndarray) -> list[Example]:
        """The Examples at these positions, in that order; ascending positions close together in one file are one
        read."""
        out: list[Example] = []
        items = positions.tolist()
        disk = np.minimum(positions, max(self.on_disk - 1, 0))  # extras: any index, never used
        files, starts, ends = (self.file[disk].tolist(), self.start[disk].tolist(),
                               self.end[disk].tolist()) if self.on_disk else ([], [], [])
        k = 0
        while k < len(items):
            if items[k] >= self.on_disk:
                out.append(self.extras[items[k] - self.on_disk])
                k += 1
                continue
            base, last = starts[k], k
            while (last + 1 < len(items) and self.on_disk > items[last + 1] > items[last]
                   and files[last + 1] == files[k] and starts[last + 1] - ends[last] <= _GAP_BYTES
                   and ends[last + 1] - base <= _SPAN_BYTES):
                last += 1
            data = os.pread(self._fd(files[k]), ends[last] - base, base)
            for j in range(k, last + 1):
                out.append(self._example(items[j], data[starts[j] - base:ends[j] - base]))
            k = last + 1
        return out

    def set_meta(self, position: int, meta: dict[str, Any]) -> None:
        if position >= self.on_disk:
            self.extras[position - self.on_disk].meta = meta
        else:
            self.metas[position] = meta


class RowView(Sequence[Example]):
    """Some rows of a store, in a given order (positions into the store)."""

    def __init__(self, store: RowStore, positions: np.ndarray) -> None:
        self.store, self.positions = store, positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, index: int) -> Example: ...
    @overload
    def __getitem__(self, index: slice) -> list[Example]: ...

    def __getitem__(self, index: int | slice) -> Example | list[Example]:
        if isinstance(index, slice):
            return self.store.read(self.positions[index])
        return self.store.read(self.positions[index:index + 1] if index >= 0 else self.positions[[index]])[0]

    def __iter__(self) -> Iterator[Example]:
        for start in range(0, len(self.positions), _READ_ROWS):
            yield from self.store.read(self.positions[start:start + _READ_ROWS])

    def __add__(self, other: RowView) -> RowView:  # type: ignore[override]
        return RowView(self.store, np.concatenate([self.positions, other.positions]))

    def take(self, indices: Sequence[int] | np.ndarray) -> RowView:
        """The rows at these indices of this view."""
        return RowView(self.store, self.positions[np.asarray(indices, dtype=np.int64)])

    def with_rows(self, rows: Sequence[Example]) -> RowView:
        """This view and then `rows` (kept in the store's extras)."""
        return RowView(self.store, np.concatenate([self.positions, self.store.add(rows)]))

    def set_meta(self, index: int, meta: dict[str, Any]) -> None:
        self.store.set_meta(int(self.positions[index]), meta)

    def column(self, filename: str, name: str) -> np.ndarray | None:
        """An array `name` of per-row values that the worker which wrote each of the view's files saved beside it
        (`filename`, an .npz: one entry a row, in file order), gathered in the view's order; None unless every row
        is on disk, the positions ascend and every file of the view has the array with one entry a row."""
        store, positions = self.store, self.positions
        if not len(positions):
            return None
        if positions[-1] >= store.on_disk or (len(positions) > 1 and not np.all(positions[1:] > positions[:-1])):
            return None
        numbers = store.file[positions]
        firsts = np.searchsorted(store.file, np.arange(len(store.paths) + 1))
        used = np.unique(numbers).tolist()
        starts = np.searchsorted(numbers, used, side="left").tolist()
        ends = np.searchsorted(numbers, used, side="right").tolist()
        parts = []
        for number, start, end in zip(used, starts, ends, strict=True):
            path = store.paths[number].parent / filename
            if not path.is_file():
                return None
            with np.load(path) as data:
                if name not in data.files:
                    return None
                values = data[name]
            if len(values) != firsts[number + 1] - firsts[number]:
                return None
            parts.append(values[positions[start:end] - firsts[number]])
        return np.concatenate(parts)

    def changed_metas(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(index in this view, meta) of the rows whose meta was handed back: the only metas a step may have set."""
        changed = self.store.metas.keys() | set(range(self.store.on_disk, self.store.on_disk + len(self.store.extras)))
        if not changed:
            return
        wanted = np.fromiter(changed, dtype=np.int64, count=len(changed))
        for index in np.flatnonzero(np.isin(self.positions, wanted)).tolist():
            position = int(self.positions[index])
            if position >= self.store.on_disk:
                yield index, self.store.extras[position - self.store.on_disk].meta
            else:
                yield index, self.store.metas[position]


def take(rows: Sequence[Example], indices: Sequence[int] | np.ndarray) -> Sequence[Example]:
    """The rows at these indices, as a view when `rows` is one (nothing is read), else as a list."""
    if isinstance(rows, RowView):
        return rows.take(indices)
    return [rows[i] for i in (indices.tolist() if isinstance(indices, np.ndarray) else indices)]


def rows_at(rows: Sequence[Example], indices: Sequence[int] | np.ndarray) -> list[Example]:
    """`[rows[i] for i in indices]`, read from disk in as few calls as their order allows when `rows` is a view."""
    if isinstance(rows, RowView):
        return rows.store.read(rows.positions[np.asarray(indices, dtype=np.int64)])
    return [rows[i] for i in (indices.tolist() if isinstance(indices, np.ndarray) else indices)]


def set_meta(rows: Sequence[Example], index: int, example: Example, **items: Any) -> None:
    """Set meta keys of `example`, the row at `index`, so that they last (a view hands its meta to the store)."""
    example.meta.update(items)
    if isinstance(rows, RowView):
        rows.set_meta(index, example.meta)


class KeptRows(Mapping[str, Example]):
    """The kept rows by id over a view, filled while the rows stream past (`add` each, in order): holds their ids
    (packed, formats.rowids: ~10 bytes a row, not a string and a dict entry), their count per source and which ones
    are conversations or carry PII counts; a row is read when asked for. `values()` streams the view; like the dict
    it stands for, a repeated id maps to its last row."""

    def __init__(self, rows: RowView) -> None:
        self.rows = rows
        self.ids = PackedIds()
        self.sources: Counter[str] = Counter()
        self.marked: dict[str, list[int]] = {"conversation": [], "pii": []}

    def add(self, example: Example) -> None:
        number = len(self.ids)
        self.ids.append(example.id, example.source)
        self.sources[example.source] += 1
        if example.is_conversation:
            self.marked["conversation"].append(number)
        if example.meta.get("pii"):
            self.marked["pii"].append(number)

    def __getitem__(self, key: str) -> Example:
        positions = self.ids.positions(key)
        if not positions:
            raise KeyError(key)
        return self.rows[positions[-1]]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.ids.positions(key))

    def __iter__(self) -> Iterator[str]:
        firsts = self.ids.firsts()
        return (self.ids[i] for i in np.flatnonzero(firsts).tolist())

    def __len__(self) -> int:
        return int(self.ids.firsts().sum())

    def values(self) -> Iterable[Example]:  # type: ignore[override]
        return self.rows

    def having(self, kind: str) -> Iterator[Example]:
        marked = self.marked[kind]
        for start in range(0, len(marked), _READ_ROWS):
            yield from rows_at(self.rows, marked[start:start + _READ_ROWS])


def source_counts(kept: Mapping[str, Example]) -> Counter[str]:
    """Kept rows per source."""
    return kept.sources if isinstance(kept, KeptRows) else Counter(ex.source for ex in kept.values())


def kept_having(kept: Mapping[str, Example], kind: str) -> Iterable[Example]:
    """The kept rows that are conversations (`kind` "conversation") or carry PII counts ("pii"), in order."""
    if isinstance(kept, KeptRows):
        return kept.having(kind)
    if kind == "conversation":
        return (ex for ex in kept.values() if ex.is_conversation)
    return (ex for ex in kept.values() if ex.meta.get("pii"))


class Chained(Sequence[Example]):
    """Sequences one after the other, as one (a view of rows on disk and a list beside it), without copying."""

    def __init__(self, *parts: Sequence[Example]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    def __getitem__(self, index: int) -> Example:  # type: ignore[override]
        if index < 0:
            index += len(self)
        for part in self.parts:
            if index < len(part):
                return part[index]
            index -= len(part)
        raise IndexError(index)

    def __iter__(self) -> Iterator[Example]:
        for part in self.parts:
            yield from part
