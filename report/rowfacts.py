"""What the report's dataset stats need of each kept row, computed in the clean worker beside the cleaned shard it
wrote (the rows are in memory there, and the workers run side by side), so the final stage's write pass, one
process, only adds them up: the language guess, the token estimates and the word counts were ~60% of that pass
(bench/RESULTS.md, "Whole-flow speed, issue 14"). Also the shard's length histograms as ingested (the report's
"before"), which the final stage otherwise re-read from the ingest shards, and the per-row values the what-if
tables and the split need (read with `RowView.column`), so those passes read no row either.

Only for the token estimate: with a tokenizer (`train.model`) the final stage counts as before. A folder without
these files (or with a row count that does not match) is counted in the final stage as before, with the same
figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from formats.example import Example
from report.stats import LengthHistograms, RowFacts, field_tokens, row_facts

FACTS_FILE = "stats_facts.npz"
BEFORE_FILE = "lengths_before.json"


def stats_row(ex: Example) -> dict[str, Any]:
    """The row as the dataset stats see it."""
    return {"instruction": ex.instruction, "input": ex.input, "output": ex.output, "source": ex.source,
            **({"system": ex.system, "history": ex.history} if ex.is_conversation else {})}


def write_facts(rows: Sequence[Example], folder: Path, **columns: np.ndarray) -> None:
    """`row_facts` and `field_tokens` (token estimate) of every row, in order, into `folder`; also what the final
    stage's other passes need of each row: whether it is a conversation (the split) and the caller's `columns`
    (one entry a row: the what-if scores, filters.whatif.score_rows, which this layer may not import)."""
    n = len(rows)
    numbers = np.zeros((n, 5), dtype=np.int64)  # tokens, words, field tokens × 3
    firsts, langs = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
    vocab: dict[str, int] = {}
    for i, ex in enumerate(rows):
        row = stats_row(ex)
        tokens, first, lang, words = row_facts(row)
        numbers[i, :2] = tokens, words
        numbers[i, 2:] = field_tokens(row)
        firsts[i] = vocab.setdefault(first, len(vocab))
        langs[i] = vocab.setdefault(lang, len(vocab))
    with (folder / FACTS_FILE).open("wb") as handle:
        np.savez(handle, numbers=numbers, firsts=firsts, langs=langs,
                 vocab=np.frombuffer(orjson.dumps(list(vocab)), dtype=np.uint8),
                 conversation=np.array([ex.is_conversation for ex in rows], dtype=bool), **columns)


def lengths_of(rows: Sequence[dict[str, Any]]) -> bytes:
    """The length histograms (token estimate) of a shard's rows as ingested, as the JSON of BEFORE_FILE."""
    lengths = LengthHistograms()
    for row in rows:
        lengths.add(row)
    return orjson.dumps(lengths.result())


def lengths_before(folders: Sequence[Path]) -> dict[str, Any] | None:
    """The summed histograms of these cleaned folders, or None when one has none."""
    paths = [Path(folder) / BEFORE_FILE for folder in folders]
    if not all(path.is_file() for path in paths):
        return None
    lengths = LengthHistograms()
    for path in paths:
        lengths.merge(orjson.loads(path.read_bytes()))
    return lengths.result()


class Facts:
    """The facts of rows of a store (formats.rowstore.RowStore) by position; one shard's facts loaded at a time
    (a view walks the store's files in order). `at` answers None for a row without facts."""

    def __init__(self, paths: Sequence[Path], file: np.ndarray) -> None:
        self.folders = [Path(p).parent for p in paths]
        self.first = np.searchsorted(file, np.arange(len(self.folders) + 1)).tolist()  # each file's first position
        self.on_disk = len(file)
        self.number = -1
        self.loaded: tuple[list[list[int]], list[str], list[str]] | None = None

    def _load(self, number: int) -> None:
        self.number, self.loaded = number, None
        path = self.folders[number] / FACTS_FILE
        if not path.is_file():
            return
        with np.load(path) as data:
            numbers = data["numbers"]
            if len(numbers) != self.first[number + 1] - self.first[number]:
                return
            vocab = orjson.loads(data["vocab"].tobytes())
            self.loaded = (numbers.tolist(), [vocab[i] for i in data["firsts"].tolist()],
                           [vocab[i] for i in data["langs"].tolist()])

    def at(self, position: int, number: int) -> tuple[RowFacts, tuple[int, int, int]] | None:
        """The row at `position` of the store, in its file `number`: (`row_facts`, `field_tokens`)."""
        if position >= self.on_disk:
            return None
        if number != self.number:
            self._load(number)
        if self.loaded is None:
            return None
        numbers, firsts, langs = self.loaded
        i = position - self.first[number]
        tokens, words, a, b, c = numbers[i]
        return (tokens, firsts[i], langs[i], words), (a, b, c)
