"""Deduplication: exact (normalised text) then verified near-duplicates, keeping the best copy by an explicit policy.

Three guards against merging distinct examples (issue 20): digits are part of every key and shingle and two rows
whose numbers differ are never merged (unless `numbers: ignore`, template dedup); every dropped row is itself
verified against the row that is kept (no A–B–C chains); rows with the same prompt compare their outputs by
character edit similarity and containment too, which MinHash on short text misses.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from filters.bands import SpilledBands
from filters.near_dedup import (
    MinHashParams,
    ShingleSets,
    _mix,
    candidate_pairs,
    contains,
    edit_similarity,
    keeper_clusters,
    number_keys,
    row_hashes,
    signature_band_keys,
    unique_pairs,
)
from filters.normalise import Digits, normalise_for_dedup, normalise_many
from filters.parallel import imap_in_processes
from formats.example import Example
from formats.ledger import Ledger
from formats.progress import Progress
from formats.rowstore import rows_at, set_meta, take

_BATCH_ROWS = 2_000  # rows per batch: numpy temporaries stay small enough to be reused, not re-faulted
_BUCKETS = 64  # character-histogram buckets for the edit-distance lower bound
_BLOCK_PAIRS = 20_000  # candidate pairs verified per block: ≤ 40k rows held at once (a few KB a row)
# progress lines go here unless the caller passes its own logger (the flow passes its run's): silent by default
_LOG = logging.getLogger(__name__)


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
    workers: int = Field(0, ge=0, description="processes for hashing and signing; 0 = one per CPU")
    parallel_from_rows: int = Field(100_000, ge=0, description="below this many rows, stay in one process")
    numbers: Literal["keep", "ignore"] = Field(
        "keep", description="keep: digits are part of keys and shingles, and two rows whose numbers (as a multiset) "
        "differ are never merged — a maths problem with other numbers is another example; ignore: template dedup, "
        "digits fold to 0 and rows that differ only in their numbers merge (also when their answers differ)")
    same_prompt: bool = Field(True, description="rows with the same normalised instruction+input also compare "
                              "outputs by character edit similarity and containment (short answers)")
    short_output: int = Field(400, ge=0, description="the same-prompt comparison covers outputs up to this many "
                              "normalised characters (longer ones have enough shingles for MinHash)")
    edit_threshold: float = Field(0.85, gt=0, le=1, description="edit similarity of same-prompt outputs to count "
                                  "as duplicate (one changed word of five is 0.8: another answer)")
    edit_min_chars: int = Field(10, ge=1, description="outputs shorter than this many normalised characters are "
                                "never merged by edit similarity: any change to \"3 km\" or \"很好\" is another answer")
    contained_min: int = Field(10, ge=1, description="an output inside another counts only from this many "
                               "normalised characters (\"yes\" inside \"yes, but …\" is another answer)")
    window: int = Field(8, ge=1, description="in a same-prompt group, each output is compared with this many "
                        "neighbours in sorted and in reversed-sorted order (all pairs in smaller groups)")

    @model_validator(mode="after")
    def _bands_divide_permutations(self) -> DedupSettings:
        if self.num_perm % self.bands:
            raise ValueError(f"bands ({self.bands}) must divide num_perm ({self.num_perm})")
        return self


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


def _near_texts(instruction: list[str], input_: list[str], output: list[str]) -> list[str]:
    return [" ".join(parts) for parts in zip(instruction, input_, output, strict=True)]


def _params(settings: DedupSettings) -> MinHashParams:
    return MinHashParams(settings.num_perm, settings.bands, settings.word_ngram, settings.char_ngram, settings.seed)


def _digits(settings: DedupSettings) -> Digits:
    return "keep" if settings.numbers == "keep" else "fold"


def prompt_keys(instruction: list[str], input_: list[str]) -> np.ndarray:
    """uint64 keys of normalised (instruction, input) pairs, equal exactly when both are equal (up to hashing)."""
    return _mix(row_hashes(instruction) * np.uint64(0x9E3779B97F4A7C15) + row_hashes(input_))


def _input_of(example: Example) -> str:
    """What dedup compares as a row's input: for a conversation, its system prompt and earlier turns too (without
    role labels), so two conversations match only when their whole course does."""
    return f"{example.context_text()}\n{example.input}" if example.is_conversation else example.input


def prompt_group(example: Example) -> str:
    """A stable key of the normalised instruction + input (digits kept): rows that ask the same question share it.

    Pass it as `group_of` to `formats.writers.split_train_val` so the same question with different answers never
    lands on both sides of train/val (a leak: the model is graded on a question it was trained on).
    """
    key = prompt_keys([normalise_for_dedup(example.instruction)], [normalise_for_dedup(_input_of(example))])[0]
    return f"{int(key):016x}"


def prompt_groups(examples: Sequence[Example]) -> list[str]:
    """`prompt_group` of every row, at batch speed (one normalisation per column, not a call per row)."""
    keys = prompt_keys(normalise_many([ex.instruction for ex in examples]),
                       normalise_many([_input_of(ex) for ex in examples]))
    return [f"{key:016x}" for key in keys.tolist()]


def _normalised(examples: Sequence[Example], digits: Digits) -> tuple[list[str], list[str], list[str]]:
    return (normalise_many([ex.instruction for ex in examples], digits),
            normalise_many([_input_of(ex) for ex in examples], digits),
            normalise_many([ex.output for ex in examples], digits))


class Keys:
    """What one pass over the rows gives dedup: exact keys ((rows × 2) uint64, the 16-byte blake2b digests), band
    keys, prompt keys, output lengths."""

    def __init__(self, exact: np.ndarray, bands: np.ndarray | SpilledBands | None, prompts: np.ndarray,
                 output_chars: np.ndarray) -> None:
        self.exact, self.bands, self.prompts, self.output_chars = exact, bands, prompts, output_chars

    def take(self, positions: list[int] | np.ndarray) -> Keys:
        return Keys(self.exact[positions] if len(self.exact) else self.exact,
                    None if self.bands is None else self.bands[:, positions], self.prompts[positions],
                    self.output_chars[positions])

    def keep_only(self, positions: np.ndarray) -> None:
        """`take(positions)` in place for ascending positions: each column is compacted into its own memory (one
        band's copy at a time), so the rows' keys and the survivors' never sit in memory side by side."""
        m = len(positions)
        for column in (self.exact, self.prompts, self.output_chars):
            if len(column):
                column[:m] = column[positions]
        self.exact = self.exact[:m] if len(self.exact) else self.exact
        self.prompts, self.output_chars = self.prompts[:m], self.output_chars[:m]
        if isinstance(self.bands, SpilledBands):
            self.bands.keep_only(positions)
        elif self.bands is not None:
            for band in self.bands:
                band[:m] = band[positions]
            self.bands = self.bands[:, :m]


def _batch_keys(fields: tuple[list[str], list[str], list[str]], exact_key: str | None,
                params: MinHashParams | None, digits: Digits = "keep",
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Exact keys, band keys, prompt keys (digits kept, as `prompt_group`) and normalised output lengths of one
    batch of raw (instruction, input, output) columns; runs in a worker."""
    instruction, input_, output = (normalise_many(column, digits) for column in fields)
    exact = np.zeros((0, 2), dtype=np.uint64)
    if exact_key:
        columns = (instruction, input_, output) if exact_key == "example" else (instruction, input_)
        exact = np.frombuffer(b"".join([hashlib.blake2b("\x1e".join(p).encode(), digest_size=16).digest()
                                        for p in zip(*columns, strict=True)]), dtype=np.uint64).reshape(-1, 2)
    bands = signature_band_keys(_near_texts(instruction, input_, output), params) if params else None
    if digits != "keep":
        instruction, input_ = normalise_many(fields[0]), normalise_many(fields[1])
    prompts = prompt_keys(instruction, input_)
    return exact, bands, prompts, np.fromiter(map(len, output), dtype=np.int32, count=len(output))


def _key_fields(batch: Sequence[Example]) -> tuple[list[str], list[str], list[str]]:
    """A batch's columns as _batch_keys reads them: the input inline unless a conversation (a call per row was ~5%
    of dedup at 1M)."""
    return ([ex.instruction for ex in batch], [_input_of(ex) if ex.history or ex.system else ex.input for ex in batch],
            [ex.output for ex in batch])


def _key_settings(settings: DedupSettings) -> tuple[str | None, MinHashParams | None]:
    """The exact key (None when exact dedup is off) and the MinHash parameters (None when near dedup is off)."""
    return (settings.key if settings.exact else None), (_params(settings) if settings.near else None)


def dedup_keys(examples: Sequence[Example], settings: DedupSettings, log: Any = _LOG) -> Keys:
    """Exact keys, near-duplicate band keys and prompt keys, batch by batch, so neither the rows' text nor the
    normalised text piles up (`examples` may be a view of rows on disk: a batch is read when it is due).

    The batches are independent: above `parallel_from_rows` they run in `workers` processes (this is ~80% of
    dedup's time). Results never depend on the number of workers. Rows of cleaned shards whose clean worker keyed
    them already (filters.shard_keys) are not read at all.
    """
    from filters.shard_keys import stored_keys  # here: it imports this module

    stored = stored_keys(examples, settings)
    if stored is not None:
        return stored
    batches = (_key_fields(examples[s:s + _BATCH_ROWS]) for s in range(0, len(examples), _BATCH_ROWS))
    exact_key, params = _key_settings(settings)
    workers = min(settings.workers or os.cpu_count() or 1, -(-len(examples) // _BATCH_ROWS))
    if workers > 1 and len(examples) >= settings.parallel_from_rows:
        results = imap_in_processes(_batch_keys, batches, workers, exact_key, params, _digits(settings))
    else:
        results = (_batch_keys(batch, exact_key, params, _digits(settings)) for batch in batches)
    # each batch's keys go straight into columns of the final size: never a list of batches and its concatenation
    n = len(examples)
    keys = Keys(np.zeros((n if exact_key else 0, 2), dtype=np.uint64),
                SpilledBands(params.bands, n) if params else None,  # on disk: 128 bytes a row with 16 bands
                np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.int32))
    start, progress = 0, Progress(log, "dedup: keys", n)
    for exact, bands, prompts, output_chars in results:
        end = start + len(prompts)
        if exact_key:
            keys.exact[start:end] = exact
        if isinstance(keys.bands, SpilledBands) and bands is not None:
            keys.bands.write(start, bands)
        keys.prompts[start:end], keys.output_chars[start:end] = prompts, output_chars
        start = end
        progress.add(len(prompts))
    progress.finish()
    return keys


def _edit_counts(ledger: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edit in ledger.edits:
        counts[edit.id] = counts.get(edit.id, 0) + 1
    return counts


def _drop_duplicate(ledger: Ledger, dup: Example, rule: str, detail: str, kept: Example, similarity: float,
                    measure: str, cluster: str) -> None:
    """The one place a duplicate is rejected: the reject's meta names the kept row, the similarity to it (by which
    measure) and the cluster, for the report."""
    ledger.drop(dup, "dedup", rule, detail, "duplicate",
                meta={"duplicate_of": kept.id, "similarity": similarity, "measure": measure, "cluster": cluster})


def _cluster_id(kept: Example, kind: str) -> str:
    return f"{kind}-{kept.id}"


def _repeated_keys(keys: np.ndarray) -> list[np.ndarray]:
    """Positions (ascending) of every exact key that occurs more than once, groups in order of first occurrence:
    one stable sort instead of a dict of a million digests."""
    order = np.lexsort((keys[:, 1], keys[:, 0]))  # stable: equal keys stay in position order
    ordered = keys[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(order)))
    groups = [order[s:s + n] for s, n in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True)]
    return sorted(groups, key=lambda group: int(group[0]))


def _exact_survivors(examples: Sequence[Example], keys: np.ndarray, settings: DedupSettings,
                     source_order: dict[str, int], ledger: Ledger, log: Any = _LOG) -> np.ndarray:
    """Positions of the best copy of each exact key; the rest go to the ledger with the kept id."""
    return drop_exact_groups(examples, _repeated_keys(keys), settings, source_order, ledger, log)


def drop_exact_groups(examples: Sequence[Example], groups: list[np.ndarray], settings: DedupSettings,
                      source_order: dict[str, int], ledger: Ledger, log: Any = _LOG) -> np.ndarray:
    """Positions that survive: the best copy of each group of equal exact keys (ascending positions, groups in
    order of their first position, as `_repeated_keys` gives them) is kept, the rest go to the ledger with the
    kept id. Shared by the local and the cluster dedup, so both decide (and write the ledger) alike."""
    rank = keep_rank(settings.keep, source_order, _edit_counts(ledger))
    keep = np.ones(len(examples), dtype=bool)
    progress = Progress(log, "dedup: exact duplicates", len(groups), unit="groups")
    for positions in groups:
        members = sorted(zip(positions.tolist(), rows_at(examples, positions), strict=True), key=rank)
        _, best = members[0]
        for pos, dup in members[1:]:
            keep[pos] = False
            _drop_duplicate(ledger, dup, "exact-duplicate",
                            f"same normalised {settings.key} as {best.id} (kept by {'/'.join(settings.keep)})",
                            best, 1.0, "exact", _cluster_id(best, "exact"))
        progress.add()
    progress.finish()
    return np.flatnonzero(keep)


def exact_dedup(examples: Sequence[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger) -> Sequence[Example]:
    """Group rows by normalised key; keep the best of each group, reject the rest with the kept id."""
    if not settings.exact:
        return examples
    keys = dedup_keys(examples, settings.model_copy(update={"near": False}))
    return take(examples, _exact_survivors(examples, keys.exact, settings, source_order, ledger))


def same_prompt_pairs(prompts: np.ndarray, output_chars: np.ndarray, short_output: int, window: int,
                      ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pairs of rows with short outputs that share a prompt key: every pair in groups of up to `window` + 1 rows,
    each row's `window` next in larger ones; and those larger groups (position arrays), to be windowed by text."""
    short = np.flatnonzero(output_chars <= short_output)
    order = short[np.argsort(prompts[short], kind="stable")]
    keys = prompts[order]
    found = [np.zeros((0, 2), dtype=np.int64)]
    for step in range(1, window + 1):
        same = keys[step:] == keys[:-step]
        found.append(np.stack([order[:-step][same], order[step:][same]], axis=1))
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.zeros(0, np.int64)
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    large = [order[a:a + n] for a, n in zip(starts[sizes > window + 1].tolist(), sizes[sizes > window + 1].tolist(),
                                           strict=True)]
    return np.concatenate(found), large


class PairSimilarity:
    """The similarity dedup merges on, for rows of candidate pairs. Returns (similarity, measure, duplicate?).

    0 when their numbers differ (numbers: keep); else the Jaccard of their shingle sets (≥ `threshold`); for rows
    with the same prompt and short outputs also the edit similarity of the outputs (≥ `edit_threshold`, outputs of
    ≥ `edit_min_chars`), or containment 1.0 when the shorter output (≥ `contained_min` characters) is inside the
    longer. The same function verifies candidate pairs and every dropped row against its kept row.
    """

    def __init__(self, rows: list[int], examples: Sequence[Example], prompts: np.ndarray | dict[int, int],
                 settings: DedupSettings, lazy: bool = False) -> None:
        """`lazy`: hold nothing yet; the caller `load`s a block of rows before comparing them (`verify_pairs`,
        `resolve_clusters` do, a bounded block at a time), so memory follows the block, not all of `rows`."""
        self.examples, self.prompts, self.settings, self.lazy = examples, prompts, settings, lazy
        self.load([] if lazy else rows)

    def load(self, rows: list[int]) -> None:
        """Normalised text, shingle set and number key of `rows` (and of no other row): what `__call__` compares.
        Each row's are its own, whatever other rows are loaded with it."""
        digits = _digits(self.settings)
        texts: list[str] = []
        output: list[str] = []
        numbers: list[int] = []
        self.sets = self.outputs = self.numbers = None  # type: ignore[assignment]  # the last block goes first
        for start in range(0, len(rows), _BATCH_ROWS):  # batches: byte-level temporaries stay small
            i, p, o = _normalised(rows_at(self.examples, rows[start:start + _BATCH_ROWS]), digits)
            batch = _near_texts(i, p, o)
            texts += batch
            output += o
            if self.settings.numbers == "keep":
                numbers += number_keys(batch).tolist()
        self.sets = ShingleSets(rows, texts, _params(self.settings))
        self.index = {row: k for k, row in enumerate(rows)}
        self.numbers = numbers if self.settings.numbers == "keep" else None
        self.outputs = output

    def __call__(self, i: int, j: int) -> tuple[float, str, bool]:
        if i not in self.index or j not in self.index:  # a lazy caller that did not load them: load the pair
            self.load(sorted({i, j}))
        a, b = self.index[i], self.index[j]
        config = self.settings
        if self.numbers is not None and self.numbers[a] != self.numbers[b]:
            return 0.0, "numbers differ", False
        jaccard = self.sets.jaccard(i, j)
        if jaccard >= config.threshold or not config.same_prompt or self.prompts[i] != self.prompts[j]:
            return jaccard, "jaccard", jaccard >= config.threshold
        shorter, longer = sorted((self.outputs[a], self.outputs[b]), key=len)
        if len(longer) > config.short_output:
            return jaccard, "jaccard", False
        if len(shorter) >= config.contained_min and contains(longer, shorter):
            return 1.0, "containment", True
        if len(shorter) >= config.edit_min_chars:
            edit = edit_similarity(shorter, longer)
            if edit >= config.edit_threshold:
                return edit, "edit", True
        return jaccard, "jaccard", False


def _unique_pairs(pairs: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique (i < j) rows of an (m × 2) array, through one int64 code per pair (np.unique(axis=0) copies
    and sorts records: several times the memory)."""
    return unique_pairs([pairs], n)


def _histograms(texts: list[str]) -> np.ndarray:
    """(rows × _BUCKETS) character counts, code point mod _BUCKETS: a lower bound of the edit distance.
    uint16: the texts are short outputs (≤ `short_output` characters)."""
    out = np.zeros((len(texts), _BUCKETS), dtype=np.uint16)
    for start in range(0, len(texts), _BATCH_ROWS):  # batches: the per-character temporaries stay small
        batch = texts[start:start + _BATCH_ROWS]
        lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
        code_points = np.frombuffer("".join(batch).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        row = np.repeat(np.arange(len(batch)), lengths)
        out[start:start + len(batch)] = np.bincount(row * _BUCKETS + code_points % _BUCKETS,
                                                    minlength=len(batch) * _BUCKETS).reshape(len(batch), _BUCKETS)
    return out


def _prompt_candidates(examples: Sequence[Example], keys: Keys, settings: DedupSettings) -> np.ndarray:
    """(m × 2) pairs of same-prompt rows whose outputs may be ≥ threshold by edit similarity or containment.

    Groups of up to `window` + 1 rows give every pair; in larger ones (a prompt asked many times) each output is
    also paired with its `window` neighbours in sorted and in reversed-sorted output order (a change anywhere but at
    both ends keeps two copies adjacent in one of them). Pairs whose character histograms already rule out both
    the edit threshold (a lower bound of the edit distance) and containment are dropped before any Python-level
    comparison.
    """
    pairs, large = same_prompt_pairs(keys.prompts, keys.output_chars, settings.short_output, settings.window)
    members = np.unique(np.concatenate([pairs.ravel()] + large))
    if not len(members):
        return np.zeros((0, 2), dtype=np.int64)
    outputs = [text for start in range(0, len(members), _BATCH_ROWS) for text in normalise_many(
        [ex.output for ex in rows_at(examples, members[start:start + _BATCH_ROWS])], _digits(settings))]
    where = {r: k for k, r in enumerate(members.tolist())}
    found = [pairs]
    for group in large:  # the same prompt many times: neighbours in sorted and reversed-sorted output order
        local = [where[r] for r in group.tolist()]
        for key in (lambda k: outputs[k], lambda k: outputs[k][::-1]):
            order = group[sorted(range(len(local)), key=lambda m: key(local[m]))]
            for step in range(1, settings.window + 1):
                found.append(np.stack([order[:-step], order[step:]], axis=1))
    pairs = _unique_pairs(np.concatenate(found), len(examples))
    hist = _histograms(outputs)
    length = hist.sum(axis=1, dtype=np.int32)
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), 100_000):  # chunks: (pairs × buckets) temporaries stay ~25 MB
        a = np.searchsorted(members, pairs[start:start + 100_000, 0])
        b = np.searchsorted(members, pairs[start:start + 100_000, 1])
        diff = hist[a].astype(np.int32) - hist[b]
        surplus_a, surplus_b = np.clip(diff, 0, None).sum(axis=1), np.clip(-diff, 0, None).sum(axis=1)
        shortest, longest = np.minimum(length[a], length[b]), np.maximum(np.maximum(length[a], length[b]), 1)
        edit_possible = (1 - np.maximum(surplus_a, surplus_b) / longest >= settings.edit_threshold) & (
            shortest >= settings.edit_min_chars)
        shorter_inside = np.where(length[a] <= length[b], surplus_a == 0, surplus_b == 0) & (
            shortest >= settings.contained_min)
        keep[start:start + len(a)] = edit_possible | shorter_inside
    return pairs[keep]


def candidates(examples: Sequence[Example], keys: Keys, settings: DedupSettings, log: Any = _LOG) -> np.ndarray:
    """Sorted unique (i < j) candidate pairs: rows sharing a band key, and same-prompt rows with short outputs."""
    if keys.bands is None:
        pairs = np.zeros((0, 2), dtype=np.int64)
    else:
        progress = Progress(log, "dedup: candidate pairs", len(keys.bands), unit="bands")
        pairs = candidate_pairs(keys.bands, each_band=progress.add)
        progress.finish()
    if settings.same_prompt:
        pairs = _unique_pairs(np.concatenate([pairs, _prompt_candidates(examples, keys, settings)]), len(examples))
    return pairs


MEASURES = ("jaccard", "edit", "containment")  # a verified pair's measure as a small int, for pairs off a worker


def verify_pairs(pairs: np.ndarray, similarity: PairSimilarity, block_pairs: int | None = None,
                 log: Any = _LOG) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The duplicates among candidate pairs: (the pairs' indices, their similarity, the index of their measure in
    `MEASURES`), in the pairs' order. A lazy `similarity` is loaded with the rows of `block_pairs` pairs at a
    time (≤ 2 × `block_pairs` rows' shingle sets in memory; a row in pairs of several blocks is loaded again)."""
    found, sims, measures = [], [], []
    block_pairs = block_pairs or _BLOCK_PAIRS
    progress = Progress(log, "dedup: verify", len(pairs), unit="pairs")
    for start in range(0, len(pairs), block_pairs):
        block = pairs[start:start + block_pairs]
        if similarity.lazy:
            similarity.load(np.unique(block).tolist())
        for k, (i, j) in enumerate(block.tolist(), start):
            sim, measure, duplicate = similarity(i, j)
            if duplicate:
                found.append(k)
                sims.append(sim)
                measures.append(MEASURES.index(measure))
        progress.add(len(block))
    progress.finish()
    return (np.array(found, dtype=np.int64), np.array(sims, dtype=np.float64), np.array(measures, dtype=np.int8))


def near_dedup(examples: Sequence[Example], settings: DedupSettings, source_order: dict[str, int], ledger: Ledger,
               keys: Keys | None = None, log: Any = _LOG) -> Sequence[Example]:
    """Collapse verified near-duplicate clusters to their best member; kept members carry their cluster id.

    `keys` are the rows' keys when the caller has them already (`dedup_keys`). `log` gets a progress line per
    phase (candidate pairs, verification, clusters) with its rate and ETA.
    """
    if len(examples) < 2:
        return examples
    if keys is None:
        keys = dedup_keys(examples, settings.model_copy(update={"exact": False}), log)
    pairs = candidates(examples, keys, settings, log)
    rows = np.unique(pairs).tolist()
    similarity = PairSimilarity(rows, examples, keys.prompts, settings, lazy=True)  # loaded block by block
    found, sims, measure = verify_pairs(pairs, similarity, log=log)
    edges = {(i, j): sim for (i, j), sim in zip(pairs[found].tolist(), sims.tolist(), strict=True)}
    measures = {pair: MEASURES[m] for pair, m in zip(edges, measure.tolist(), strict=True)}
    return resolve_clusters(examples, settings, source_order, ledger, rows, edges, measures, similarity, log)


def resolve_clusters(examples: Sequence[Example], settings: DedupSettings, source_order: dict[str, int],
                     ledger: Ledger, rows: list[int], edges: dict[tuple[int, int], float],
                     measures: dict[tuple[int, int], str], similarity: PairSimilarity,
                     log: Any = _LOG) -> Sequence[Example]:
    """Clusters over the verified pairs (`edges`, in sorted pair order; `measures` theirs), each kept row chosen by
    the keep policy and every dropped row verified against it (`keeper_clusters`); the drops go to the ledger and
    the kept rows get their cluster id. `rows` (the candidate rows) is not needed: only the rank order of the rows
    of `edges` counts, and only those are ranked; `similarity` must know every row of `edges`.
    Shared by the local and the cluster dedup."""
    # only the rows of verified pairs are ranked (and read): the others are in no cluster, and a subset keeps its
    # order, so the clusters are those of ranking every candidate row
    linked = np.unique(np.fromiter((row for pair in edges for row in pair), dtype=np.int64, count=2 * len(edges)))
    ranked = _ranked(examples, linked.tolist(), keep_rank(settings.keep, source_order, _edit_counts(ledger)))

    def verify(i: int, j: int) -> float | None:
        sim, measure, duplicate = similarity(i, j)
        measures[(min(i, j), max(i, j))] = measure
        return sim if duplicate else None

    keep = np.ones(len(examples), dtype=bool)  # not a list of the kept positions as Python ints (~36 bytes a row)
    prepare = (lambda block: similarity.load(sorted(block))) if similarity.lazy else None
    progress = Progress(log, "dedup: clusters", len(ranked))  # the linked rows, each a keeper or a member once
    for keeper, members in keeper_clusters(ranked, edges, verify, prepare=prepare, block_rows=2 * _BLOCK_PAIRS):
        best = examples[keeper]
        cluster = _cluster_id(best, "near")
        set_meta(examples, keeper, best, cluster=cluster)
        for pos, sim in members:
            measure = measures[(min(keeper, pos), max(keeper, pos))]
            _drop_duplicate(ledger, examples[pos], "near-duplicate",
                            f"{measure} {sim:.2f} with {best.id} (cluster {cluster})", best, round(sim, 4),
                            measure, cluster)
            keep[pos] = False
        progress.add(1 + len(members))
    progress.finish()
    return take(examples, np.flatnonzero(keep))


def _ranked(examples: Sequence[Example], rows: list[int], rank: Callable[[tuple[int, Example]], tuple]) -> list[int]:
    """`rows` best first: `sorted(rows, key=rank)`, with the rank keys (ints, the last one the row's position,
    so the order is total) in one int64 array filled batch by batch and one lexsort, not a dict of a tuple a
    candidate row (~200 bytes each; at 10M rows the cluster step held +708 MB, bench/RESULTS.md)."""
    parts: list[np.ndarray] = []
    for start in range(0, len(rows), _BATCH_ROWS):
        batch = rows[start:start + _BATCH_ROWS]
        parts.append(np.array([rank(item) for item in zip(batch, rows_at(examples, batch), strict=True)],
                              dtype=np.int64))
    if not parts:
        return []
    keys = np.concatenate(parts)
    return np.asarray(rows, dtype=np.int64)[np.lexsort(keys.T[::-1])].tolist()


def enabled_rules(settings: DedupSettings) -> list[str]:
    """The dedup rule ids these settings switch on."""
    return ["exact-duplicate"] * settings.exact + ["near-duplicate"] * settings.near


def deduplicate(examples: Sequence[Example], settings: DedupSettings, source_order: dict[str, int],
                ledger: Ledger, log: Any = _LOG) -> Sequence[Example]:
    """Exact duplicates first (cheap, catches most), then verified near-duplicates among the survivors.

    Both key kinds come from one normalisation pass over the rows. `log` gets each phase's progress.
    """
    keys = dedup_keys(examples, settings, log)
    survivors = (_exact_survivors(examples, keys.exact, settings, source_order, ledger, log) if settings.exact
                 else np.arange(len(examples)))
    kept = take(examples, survivors)
    if not settings.near:
        return kept
    keys.keep_only(survivors)  # in place: the survivors' keys are all near dedup needs
    return near_dedup(kept, settings, source_order, ledger, keys, log)


class DedupStep:
    """Exact and verified near-duplicates collapsed to the best copy by the keep policy. `log` (the run's logger)
    gets a progress line per phase, so the flow wraps this step without a heartbeat (`reports_progress`)."""

    name, label = "dedup", "dedup"
    reports_progress = True

    def __init__(self, settings: DedupSettings, source_order: dict[str, int], log: Any = None) -> None:
        self.settings, self.source_order = settings, source_order
        self.log = _LOG if log is None else log

    def rule_ids(self) -> list[str]:
        return enabled_rules(self.settings)

    def apply(self, rows: Sequence[Example], ledger: Ledger) -> Sequence[Example]:
        return deduplicate(rows, self.settings, self.source_order, ledger, self.log)
