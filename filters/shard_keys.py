"""Dedup's keys of a cleaned shard's rows, computed by the clean worker that wrote the shard (the rows are in memory
there, and the workers run side by side) and read back by the final stage's dedup instead of a pass that reads,
parses and keys every row in one process (~20% of the final stage's CPU at 100k rows, bench/RESULTS.md,
"Whole-flow speed, issue 14").

The keys are the same function of each row (`filters.dedup._batch_keys`, row by row independent), so they are the
ones `dedup_keys` computes; the file names the settings they were made with, and a shard whose keys are missing or
were made with other settings is keyed in the final stage as before."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from filters.bands import SpilledBands
from filters.dedup import DedupSettings, Keys, _batch_keys, _digits, _key_fields, _key_settings
from formats.example import Example
from formats.rowstore import RowView

KEYS_FILE = "dedup_keys.npz"
_BATCH_ROWS = 500  # rows keyed at a time: the shingle and MinHash temporaries of 2,000 rows were ~80 MB at their
# peak in each clean worker, on top of its rows; 500 cost no more CPU (the keys do not depend on the batches)


def _fingerprint(settings: DedupSettings) -> str:
    exact_key, params = _key_settings(settings)
    return f"{exact_key}|{params}|{_digits(settings)}"


def write_keys(rows: Sequence[Example], settings: DedupSettings, folder: Path) -> None:
    """Every row's keys, in order, into `folder`."""
    exact_key, params = _key_settings(settings)
    parts = [_batch_keys(_key_fields(rows[s:s + _BATCH_ROWS]), exact_key, params, _digits(settings))
             for s in range(0, len(rows), _BATCH_ROWS)]
    exact = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 2), dtype=np.uint64)
    bands = (np.concatenate([p[1] for p in parts], axis=1) if parts else np.zeros((params.bands, 0), np.uint64)) \
        if params else np.zeros((0, 0), dtype=np.uint64)
    prompts = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
    output_chars = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, dtype=np.int32)
    with (folder / KEYS_FILE).open("wb") as handle:
        np.savez(handle, exact=exact, bands=bands, prompts=prompts, output_chars=output_chars,
                 settings=np.frombuffer(_fingerprint(settings).encode(), dtype=np.uint8))


def stored_keys(rows: Sequence[Example], settings: DedupSettings) -> Keys | None:
    """The keys of a view's rows from its shards' files, in the view's order; None unless every row is on disk in
    a shard with keys of these settings and the view's positions ascend (each shard's rows are then one run)."""
    if not isinstance(rows, RowView) or not len(rows):
        return None
    store, positions = rows.store, rows.positions
    if positions[-1] >= store.on_disk or (len(positions) > 1 and not np.all(positions[1:] > positions[:-1])):
        return None
    folders = [path.parent / KEYS_FILE for path in store.paths]
    numbers = store.file[positions]
    firsts = np.searchsorted(store.file, np.arange(len(folders) + 1))
    used = np.unique(numbers).tolist()
    if not all(folders[f].is_file() for f in used):
        return None
    fingerprint = _fingerprint(settings)
    n = len(positions)
    exact_key, params = _key_settings(settings)
    keys = Keys(np.zeros((n if exact_key else 0, 2), dtype=np.uint64),
                SpilledBands(params.bands, n) if params else None,
                np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.int32))
    starts = np.searchsorted(numbers, used, side="left").tolist()
    ends = np.searchsorted(numbers, used, side="right").tolist()
    for f, start, end in zip(used, starts, ends, strict=True):
        with np.load(folders[f]) as data:
            if data["settings"].tobytes().decode() != fingerprint \
                    or len(data["prompts"]) != firsts[f + 1] - firsts[f]:
                return None
            local = positions[start:end] - firsts[f]
            if exact_key:
                keys.exact[start:end] = data["exact"][local]
            if isinstance(keys.bands, SpilledBands):
                keys.bands.write(start, data["bands"][:, local])
            keys.prompts[start:end] = data["prompts"][local]
            keys.output_chars[start:end] = data["output_chars"][local]
    return keys
