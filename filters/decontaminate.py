"""Decontamination: drop training rows that share a long n-gram with an item of an evaluation set the user names,
so a model is not trained on the questions it will be graded on.

Both sides are normalised as for dedup (case, width, punctuation, digits) and cut into word 13-grams, or
character 25-grams for CJK text — long enough that a shared one is copied text, not common phrasing. Only full
n-grams count: a short answer such as "B" or "42" never matches. Each field (instruction, input, output) is
matched on its own; the reject names the field and the evaluation item.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import orjson
from pydantic import BaseModel, ConfigDict, Field

from filters.near_dedup import shingle_hashes
from filters.normalise import normalise_many
from formats.example import FIELDS, Example
from formats.ledger import Ledger
from formats.rowstore import take

_BATCH_ROWS = 5_000


class EvalSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    path: str = Field(description="JSONL or CSV file of evaluation items, relative to the config file")
    fields: list[str] = Field(default_factory=list, description="text fields to match; default every text field")
    id_field: str | None = Field(None, description="field holding the item id; default the line number")


class DecontaminationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eval_sets: list[EvalSet] = Field(default_factory=list)
    word_ngram: int = Field(13, ge=3, description="shared n-gram length in words that counts as contamination")
    char_ngram: int = Field(25, ge=5, description="the same for CJK text, in characters")


def _records(path: Path) -> Iterator[tuple[int, dict]]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from enumerate(csv.DictReader(handle), 2)  # line 1 is the header
        return
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                record = orjson.loads(line)
                if isinstance(record, dict):
                    yield number, record


def load_eval_items(settings: DecontaminationSettings, base_dir: Path) -> list[tuple[str, str]]:
    """(item id, text) for every text field of every evaluation item."""
    items = []
    for eval_set in settings.eval_sets:
        for number, record in _records(base_dir / eval_set.path):
            item_id = f"{eval_set.name}:{record.get(eval_set.id_field, number) if eval_set.id_field else number}"
            for key in eval_set.fields or list(record):
                value = record.get(key)
                if isinstance(value, str) and value.strip():
                    items.append((item_id, value))
    return items


class EvalIndex:
    """The n-gram hashes of all evaluation items, sorted for binary search."""

    def __init__(self, items: list[tuple[str, str]], settings: DecontaminationSettings) -> None:
        self.settings = settings
        flat, offsets = shingle_hashes(normalise_many([text for _, text in items]), settings.word_ngram,
                                       settings.char_ngram, short_rows=False)
        owner = np.repeat(np.arange(len(items)), np.diff(offsets))
        order = np.argsort(flat, kind="stable")
        self.hashes, self.owner = flat[order], owner[order]
        self.item_ids = [item_id for item_id, _ in items]

    def matches(self, texts: list[str]) -> list[str | None]:
        """For each raw text, the id of an evaluation item it shares a full n-gram with, or None."""
        found: list[str | None] = [None] * len(texts)
        if not len(self.hashes):
            return found
        flat, offsets = shingle_hashes(normalise_many(texts), self.settings.word_ngram, self.settings.char_ngram,
                                       short_rows=False)
        position = np.minimum(np.searchsorted(self.hashes, flat), len(self.hashes) - 1)
        hit = np.flatnonzero(self.hashes[position] == flat)
        rows = np.searchsorted(offsets, hit, side="right") - 1
        for row, index in zip(rows.tolist(), hit.tolist(), strict=True):
            if found[row] is None:
                found[row] = self.item_ids[int(self.owner[position[index]])]
        return found


def decontaminate(examples: Sequence[Example], index: EvalIndex, ledger: Ledger) -> Sequence[Example]:
    """Drop rows with a field that shares a full n-gram with an evaluation item (`rule: contamination`)."""
    kept: list[int] = []
    for start in range(0, len(examples), _BATCH_ROWS):
        batch = examples[start:start + _BATCH_ROWS]
        by_field = {name: index.matches([getattr(ex, name) for ex in batch]) for name in FIELDS}
        fields = FIELDS
        if any(ex.is_conversation for ex in batch):  # a conversation's earlier turns and system prompt count too
            by_field["earlier turns"] = index.matches([ex.context_text() for ex in batch])
            fields = (*FIELDS, "earlier turns")
        for i, ex in enumerate(batch):
            field = next((name for name in fields if by_field[name][i]), None)
            if field is None:
                kept.append(start + i)
                continue
            item = by_field[field][i]
            ledger.drop(ex, "decontaminate", "contamination",
                        f"{field} shares a {index.settings.word_ngram}-word (CJK: {index.settings.char_ngram}-"
                        f"character) sequence with evaluation item {item}", "contamination", meta={"eval_item": item})
    return take(examples, kept)


class DecontaminateStep:
    """Rows that overlap an evaluation set named in the config are dropped before they can leak into training."""

    name, label = "decontaminate", "decontamination"

    def __init__(self, settings: DecontaminationSettings, base_dir: Path) -> None:
        self.items = load_eval_items(settings, base_dir)
        self.index = EvalIndex(self.items, settings)

    def rule_ids(self) -> list[str]:
        return ["contamination"]

    def apply(self, rows: Sequence[Example], ledger: Ledger) -> Sequence[Example]:
        return decontaminate(rows, self.index, ledger)
