"""Exact deduplication on normalised text, keeping the best copy by an explicit policy."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    near: bool = Field(True, description="also collapse near-duplicates (MinHash-LSH, verified by exact Jaccard)")
    threshold: float = Field(0.8, gt=0, le=1, description="verified Jaccard of shingle sets to count as duplicate")
    num_perm: int = Field(128, ge=16)
    bands: int = Field(16, ge=1)
    word_ngram: int = Field(3, ge=1, description="shingle size for alphabetic text, in words")
    char_ngram: int = Field(5, ge=1, description="shingle size for CJK text, in characters")
    seed: int = 0

    @model_validator(mode="after")
    def _bands_divide_permutations(self) -> DedupSettings:
        if self.num_perm % self.bands:
            raise ValueError(f"bands ({self.bands}) must divide num_perm ({self.num_perm})")
        return self


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


def _edit_counts(ledger: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edit in ledger.edits:
        counts[edit.id] = counts.get(edit.id, 0) + 1
    return counts


def exact_dedup(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> list[Example]:
    """Group rows by normalised key; keep the best of each group, reject the rest with the kept id."""
    if not settings.exact:
        return examples
    edits = _edit_counts(ledger)
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


def near_dedup(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
               ledger: Ledger) -> list[Example]:
    """Collapse verified near-duplicate clusters to their best member; kept members carry their cluster id."""
    import numpy as np

    from filters.near_dedup import ShingleHasher, jaccard, near_duplicate_clusters

    texts = [normalise_for_dedup(f"{ex.instruction} {ex.input} {ex.output}") for ex in examples]
    clusters, _ = near_duplicate_clusters(texts, settings.threshold, settings.num_perm, settings.bands,
                                          settings.word_ngram, settings.char_ngram, settings.seed)
    hasher = ShingleHasher(settings.word_ngram, settings.char_ngram)
    rank = keep_rank(settings.keep, source_order, _edit_counts(ledger))
    dropped: set[int] = set()
    for members in clusters:
        ordered = sorted(((pos, examples[pos]) for pos in members), key=rank)
        best_pos, best = ordered[0]
        cluster_id = f"near-{examples[members[0]].id}"
        best.meta["cluster"] = cluster_id
        best_set = np.unique(hasher.shingles(texts[best_pos]))
        for pos, dup in ordered[1:]:
            sim = round(jaccard(best_set, np.unique(hasher.shingles(texts[pos]))), 4)
            linked = "" if sim >= settings.threshold else " (linked through another member)"
            ledger.drop(dup, "dedup", "near-duplicate",
                        f"Jaccard {sim:.2f} with {best.id}{linked} (cluster {cluster_id})", "duplicate")
            ledger.rejects[-1].row["meta"].update({"duplicate_of": best.id, "cluster": cluster_id, "similarity": sim})
            dropped.add(pos)
    return [ex for pos, ex in enumerate(examples) if pos not in dropped]


def enabled_rules(settings: DedupSettings) -> list[str]:
    """The dedup rule ids these settings switch on."""
    return ["exact-duplicate"] * settings.exact + ["near-duplicate"] * settings.near


def deduplicate(examples: list[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> list[Example]:
    """Exact duplicates first (cheap, catches most), then verified near-duplicates among the survivors."""
    kept = exact_dedup(examples, settings, source_order, ledger)
    return near_dedup(kept, settings, source_order, ledger) if settings.near else kept
