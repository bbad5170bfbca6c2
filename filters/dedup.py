"""Exact deduplication on normalised text, keeping the best copy by an explicit policy."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filters.ledger import Ledger
from formats.example import Example

_PUNCT_SPACE = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


class DedupSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exact: bool = True
    key: Literal["example", "prompt"] = Field(
        "example", description="example = instruction+input+output; prompt = instruction+input")
    keep: list[Literal["source_priority", "fewer_edits", "longer_output", "earliest"]] = Field(
        default_factory=lambda: ["source_priority", "fewer_edits", "longer_output", "earliest"],
        description="tie-breakers, in order, for which copy of a duplicate survives")


def normalise_for_dedup(text: str) -> str:
    """NFKC, case-folded, punctuation and whitespace collapsed to one space, digits → 0."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _DIGIT.sub("0", _PUNCT_SPACE.sub(" ", text)).strip()


def exact_key(example: Example, key: str) -> bytes:
    parts = [example.instruction, example.input] + ([example.output] if key == "example" else [])
    joined = "\x1e".join(normalise_for_dedup(p) for p in parts)
    return hashlib.blake2b(joined.encode(), digest_size=16).digest()


def keep_rank(policy: Sequence[str], source_order: dict[str, int],
              edits: dict[str, int]) -> Callable[[tuple[int, Example]], tuple]:
    """Sort key: the smallest tuple is the copy to keep."""
    def rank(item: tuple[int, Example]) -> tuple:
        position, ex = item
        parts: list[int] = []
        for name in policy:
            if name == "source_priority":
                parts.append(source_order.get(ex.source, len(source_order)))
            elif name == "fewer_edits":
                parts.append(edits.get(ex.id, 0))
            elif name == "longer_output":
                parts.append(-len(ex.output))
            elif name == "earliest":
                parts.append(position)
        parts.append(position)  # total order: the result never depends on dict or hash ordering
        return tuple(parts)
    return rank


def exact_dedup(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> list[Example]:
    """Group rows by normalised key; keep the best of each group, reject the rest with the kept id."""
    if not settings.exact:
        return examples
    edits: dict[str, int] = {}
    for edit in ledger.edits:
        edits[edit.id] = edits.get(edit.id, 0) + 1
    groups: dict[bytes, list[tuple[int, Example]]] = {}
    for position, ex in enumerate(examples):
        groups.setdefault(exact_key(ex, settings.key), []).append((position, ex))
    rank = keep_rank(settings.keep, source_order, edits)
    keep_positions: set[int] = set()
    for members in groups.values():
        members.sort(key=rank)
        best_pos, best = members[0]
        keep_positions.add(best_pos)
        for _, dup in members[1:]:
            ledger.drop(dup, "dedup", "exact-duplicate",
                        f"same normalised {settings.key} as {best.id} (kept by {'/'.join(settings.keep)})",
                        "duplicate")
            ledger.rejects[-1].row["meta"]["duplicate_of"] = best.id
    return [ex for pos, ex in enumerate(examples) if pos in keep_positions]
