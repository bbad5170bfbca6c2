"""Near-dedup band keys on disk: (bands × rows) uint64 in an unnamed temporary file, band after band, read back one
band at a time. Candidate pairs are found a band at a time anyway, so memory holds 8 bytes a row of band keys
instead of 8 × bands (128 bytes a row with 16 bands) — the largest per-row holder of the final stage at 10M rows.
It stands in for the (bands × rows) array where dedup uses one: `shape`, iteration over bands, `[:, positions]`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import numpy as np

_ITEM = np.dtype(np.uint64).itemsize


class SpilledBands:
    """`bands` rows of `rows` keys each; `columns` of them in use (fewer after `keep_only`)."""

    def __init__(self, bands: int, rows: int) -> None:
        self._file = tempfile.TemporaryFile()
        self.bands, self.rows, self.columns = bands, rows, rows

    @property
    def shape(self) -> tuple[int, int]:
        return self.bands, self.columns

    def __len__(self) -> int:
        return self.bands

    def _write(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._file.fileno(), view, offset)
            view, offset = view[written:], offset + written

    def write(self, start: int, block: np.ndarray) -> None:
        """Keys of rows start.. (a (bands × k) block) into every band."""
        for band in range(self.bands):
            keys = np.ascontiguousarray(block[band], dtype=np.uint64)
            self._write(keys.tobytes(), (band * self.rows + start) * _ITEM)

    def band(self, band: int) -> np.ndarray:
        out = np.empty(self.columns, dtype=np.uint64)  # writable, like a row of the array it stands in for
        view, offset = memoryview(out).cast("B"), band * self.rows * _ITEM
        while view:
            read = os.preadv(self._file.fileno(), [view], offset)
            if not read:
                raise EOFError("band keys file ended early")
            view, offset = view[read:], offset + read
        return out

    def __iter__(self) -> Iterator[np.ndarray]:
        for band in range(self.bands):
            yield self.band(band)

    def __getitem__(self, index: tuple[slice, np.ndarray | list[int]]) -> np.ndarray:
        """`[:, positions]`: those rows' keys of every band, in memory."""
        everything, positions = index
        assert everything == slice(None), "only [:, positions] is supported"
        return np.stack([band[positions] for band in self]) if self.bands else np.zeros((0, 0), np.uint64)

    def keep_only(self, positions: np.ndarray) -> None:
        """Keep the keys of these rows (ascending), in place, a band at a time."""
        for band in range(self.bands):
            self.write_band(band, self.band(band)[positions])
        self.columns = len(positions)

    def write_band(self, band: int, keys: np.ndarray) -> None:
        self._write(np.ascontiguousarray(keys, dtype=np.uint64).tobytes(), band * self.rows * _ITEM)

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        """The whole (bands × rows) array, in memory (tests compare it)."""
        return self[:, np.arange(self.columns)]

    def close(self) -> None:
        self._file.close()

    def __getstate__(self) -> dict[str, object]:
        """Pickled by value: the file is this process's, so a copy (Dask moving a shard's keys to another worker)
        carries the keys in use instead of the open file, which cannot be pickled (a 1M-row Dask run hung on it)."""
        return {"bands": self.bands, "columns": self.columns, "keys": [self.band(b) for b in range(self.bands)]}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["bands"], state["columns"])  # type: ignore[misc, arg-type]
        for band, keys in enumerate(state["keys"]):  # type: ignore[arg-type]
            self.write_band(band, keys)
