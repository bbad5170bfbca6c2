"""Near-duplicate detection: MinHash-LSH candidates, exact Jaccard verification, clusters around a kept row.

Everything runs over a whole batch of normalised texts at once (numpy), never row by row, because per-row Python
was 90% of the cost (2.7k rows/s before, see bench/RESULTS.md):

- Shingles are word 3-grams, or character 5-grams for rows that are mostly CJK (chosen per row, so mixed data
  works); a row shorter than one shingle is one shingle, never an empty signature. The batch is one UTF-8 buffer;
  token hashes are polynomial hashes of their bytes and shingle hashes polynomial hashes of n token hashes,
  both read off prefix sums;
  every hash goes through the splitmix64 finaliser.
- MinHash permutation k maps the upper 32 bits of a shingle hash x to a_k·x + b_k mod 2^32 (a_k odd: a bijection);
  the signature is the per-row minimum — a (permutations × rows) uint32 block computed in cache-sized chunks.
- LSH: each band of rows is packed into one 64-bit key; rows that share a key in any band are candidates.
- Every candidate pair is verified by the exact Jaccard of its (64-bit) shingle sets before anything is merged,
  and every dropped row is verified against the row its cluster keeps (`keeper_clusters`: no chains).
- Short text has too few shingles for a changed character: `edit_similarity` and `contains` compare outputs of
  rows that share a prompt (filters/dedup.py decides which pairs).
Deterministic for a given input and seed.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

_U = np.uint64
_EMPTY_ROW = np.uint64(0x9E3779B97F4A7C15)  # the one shingle of a row with no tokens
_BYTE_BASE = np.uint64(0x100000001B3)
_ROW_BITS = 13  # rows per ShingleSets batch ≤ 2^13
_SIGNATURE_CHUNK = 8192  # shingles per MinHash chunk: the (permutations × chunk) block stays in cache


@dataclass(frozen=True)
class MinHashParams:
    num_perm: int = 128
    bands: int = 16
    word_ngram: int = 3
    char_ngram: int = 5
    seed: int = 0


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (on a copy): every input bit reaches every output bit."""
    x = x ^ (x >> _U(30))
    x *= _U(0xBF58476D1CE4E5B9)
    x ^= x >> _U(27)
    x *= _U(0x94D049BB133111EB)
    x ^= x >> _U(31)
    return x


_POWERS: dict[str, np.ndarray] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """R^j and R^-j mod 2^64 for j < n (R odd, so invertible), grown and cached per process."""
    if len(_POWERS.get("up", ())) < n:
        size = max(n, 2 * len(_POWERS.get("up", ())))
        up = np.full(size, _BYTE_BASE, dtype=np.uint64)
        down = np.full(size, pow(int(_BYTE_BASE), -1, 2**64), dtype=np.uint64)
        up[0] = down[0] = 1
        _POWERS["up"], _POWERS["down"] = np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64)
    return _POWERS["up"][:n], _POWERS["down"][:n]


def shingle_hashes(texts: Sequence[str], word_ngram: int = 3, char_ngram: int = 5,
                   short_rows: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of normalised texts: (flat uint64 array, row offsets of length n + 1).

    With `short_rows` every row has ≥ 1 shingle (a row shorter than one shingle is one shingle); without, a short
    row has none (for n-gram matching, where only full n-grams count).

    Texts must be normalised (words separated by single spaces, no NUL), as `normalise_many` returns them.
    A token's hash is the polynomial hash of its bytes, read off one prefix sum over the whole batch, so the
    per-byte work is a handful of vector passes and only per-token values are gathered.
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64)
    data = np.frombuffer(("\x00".join(texts) + "\x00").encode(), dtype=np.uint8)
    is_sep = data == 0
    row_end = np.flatnonzero(is_sep)  # the NUL closing each row
    row_start = np.concatenate(([0], row_end[:-1] + 1))
    delim = is_sep | (data == 32)
    lead = (data & 0xC0) != 0x80  # first byte of a character
    # a lead byte E3..ED starts a kana / CJK / hangul character (U+3000..U+DFFF); the row is CJK when such
    # characters are over a third of its non-space characters
    n_chars = np.add.reduceat(~delim & lead, row_start, dtype=np.int64)
    n_cjk = np.add.reduceat((data >= 0xE3) & (data <= 0xED), row_start, dtype=np.int64)
    cjk = np.repeat((n_cjk > 0) & (n_cjk * 3 > n_chars), row_end - row_start + 1)
    prev_delim = np.empty_like(delim)
    prev_delim[0], prev_delim[1:] = True, delim[:-1]
    starts = ~delim & ((cjk & lead) | prev_delim)  # word mode: after a space; CJK mode: every character

    up, down = _powers(len(data))
    weighted = (data + _U(1)) * up
    prefix = np.cumsum(weighted, dtype=np.uint64)
    boundary = np.flatnonzero(starts | delim)
    is_start = starts[boundary]
    first = boundary[is_start]
    last = boundary[1:][is_start[:-1]] - 1  # the byte before the next boundary (the final NUL always follows)
    token_hash = _mix((prefix[last] - prefix[first] + weighted[first]) * down[first])
    token_row = np.cumsum(is_sep[boundary])[is_start]  # NULs before each token (a token never starts on one)

    counts = np.bincount(token_row, minlength=n)  # tokens per row
    per_token_count = counts[token_row]
    width = np.where(cjk[first], char_ngram, word_ngram)
    if short_rows:
        width = np.minimum(width, per_token_count)
    position = np.arange(len(token_hash)) - (np.cumsum(counts) - counts)[token_row]
    valid = position + width <= per_token_count  # a whole shingle starts here (short rows: only at 0)
    # shingle k..k+w-1 = Σ token_hash[k+i]·R^i, read off a prefix sum like the tokens themselves
    up, down = _powers(len(token_hash))
    weighted = token_hash * up
    prefix = np.cumsum(weighted, dtype=np.uint64)
    first_token = np.flatnonzero(valid)
    last_token = first_token + width[valid] - 1
    shingles = _mix((prefix[last_token] - prefix[first_token] + weighted[first_token]) * down[first_token])

    per_row = np.bincount(token_row[valid], minlength=n)
    if short_rows:
        per_row = np.maximum(per_row, 1)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    flat = np.full(int(offsets[-1]), _EMPTY_ROW, dtype=np.uint64)
    flat[offsets[token_row[valid]] + position[valid]] = shingles
    return flat, offsets


def row_hashes(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each whole text (the polynomial hash of its UTF-8 bytes, mixed), for a whole batch in a few
    vector passes: ~20× faster than one blake2b per row. Texts must hold no NUL (normalised text never does)."""
    if not texts:
        return np.zeros(0, dtype=np.uint64)
    data = np.frombuffer(("\x00".join(texts) + "\x00").encode(), dtype=np.uint8)
    end = np.flatnonzero(data == 0)
    start = np.concatenate(([0], end[:-1] + 1))
    up, down = _powers(len(data))
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum((data + _U(1)) * up, dtype=np.uint64, out=prefix[1:])
    return _mix((prefix[end] - prefix[start]) * down[start] + (end - start).astype(np.uint64))


def number_keys(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit key per normalised text of the multiset of its numbers (runs of ASCII digits): equal exactly when
    `numbers_of` is equal (up to hashing). A sum of mixed run hashes, so order does not matter but counts do;
    vectorised over the batch (a regex per row was a quarter of verification)."""
    n = len(texts)
    data = np.frombuffer(("\x00".join(texts) + "\x00").encode(), dtype=np.uint8)
    digit = (data >= 48) & (data <= 57)
    edges = np.diff(np.concatenate(([False], digit, [False])).astype(np.int8))
    start, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # runs: data[start:end]
    up, down = _powers(len(data))
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum((data + _U(1)) * up, dtype=np.uint64, out=prefix[1:])
    runs = _mix((prefix[end] - prefix[start]) * down[start] + (end - start).astype(np.uint64))
    row = np.searchsorted(np.flatnonzero(data == 0), start)
    keys = np.zeros(n, dtype=np.uint64)
    np.add.at(keys, row, runs)
    return keys


def minhash_signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(num_perm × rows) uint32 MinHash signatures: permutation k is x ↦ a_k·x + b_k mod 2^32 of the upper bits."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**32, size=(num_perm, 1), dtype=np.uint32) | np.uint32(1)
    b = rng.integers(0, 2**32, size=(num_perm, 1), dtype=np.uint32)
    x = (flat >> _U(32)).astype(np.uint32)
    n = len(offsets) - 1
    signatures = np.empty((num_perm, n), dtype=np.uint32)
    # one block reused for every chunk: a fresh (permutations × chunk) product per chunk was allocated and
    # page-faulted each time, ~40% of this function
    buffer = np.empty((num_perm, 2 * _SIGNATURE_CHUNK), dtype=np.uint32)
    start = 0
    while start < n:
        end = min(n, max(start + 1, int(np.searchsorted(offsets, offsets[start] + _SIGNATURE_CHUNK, "right")) - 1))
        lo, hi = offsets[start], offsets[end]
        block = buffer[:, :hi - lo] if hi - lo <= buffer.shape[1] else np.empty((num_perm, hi - lo), np.uint32)
        np.multiply(a, x[lo:hi], out=block)
        block += b
        signatures[:, start:end] = np.minimum.reduceat(block, offsets[start:end] - lo, axis=1)
        start = end
    return signatures


def band_keys(signatures: np.ndarray, bands: int) -> np.ndarray:
    """(bands × rows) uint64: one key per band, equal exactly when the band's signature rows are equal."""
    per_band = signatures.shape[0] // bands
    keys = np.empty((bands, signatures.shape[1]), dtype=np.uint64)
    for band in range(bands):
        key = np.full(signatures.shape[1], band, dtype=np.uint64)
        block = signatures[band * per_band:(band + 1) * per_band].astype(np.uint64)
        for k in range(0, per_band, 2):
            packed = block[k] << _U(32) | (block[k + 1] if k + 1 < per_band else _U(0))
            key = _mix(key ^ packed)
        keys[band] = key
    return keys


def signature_band_keys(texts: Sequence[str], params: MinHashParams) -> np.ndarray:
    """Shingle, sign and band a batch of normalised texts: (bands × rows) uint64."""
    flat, offsets = shingle_hashes(texts, params.word_ngram, params.char_ngram)
    return band_keys(minhash_signatures(flat, offsets, params.num_perm, params.seed), params.bands)


def bucket_pairs(band: np.ndarray, rows: np.ndarray, max_bucket: int = 50) -> list[np.ndarray]:
    """Pairs of `rows` that share a key of one band (`band[k]` is the key of `rows[k]`), as (m × 2) blocks.

    A bucket over `max_bucket` rows (a template filled many times) links each member to its first instead of
    listing every pair; verification and union-find still close the cluster. Depends only on which rows share a
    key, never on the order they come in: a cluster's worker holding the keys of a range of buckets finds the
    same pairs as one process holding them all.
    """
    order = np.argsort(band, kind="stable")
    same = band[order][1:] == band[order][:-1]
    if not same.any():
        return []
    found: list[np.ndarray] = []
    edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # bucket = order[first..last]
    pairs_here = first == last - 1
    found.append(np.stack([rows[order[first[pairs_here]]], rows[order[last[pairs_here]]]], axis=1))
    for lo, hi in zip(first[~pairs_here], last[~pairs_here], strict=True):
        members = np.sort(rows[order[lo:hi + 1]])
        if len(members) <= max_bucket:
            i, j = np.triu_indices(len(members), k=1)
            found.append(np.stack([members[i], members[j]], axis=1))
        else:
            found.append(np.stack([np.full(len(members) - 1, members[0]), members[1:]], axis=1))
    return found


def unique_pairs(found: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted unique (i < j) rows of (m × 2) blocks of pairs of rows < n, through one int64 code per pair."""
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found).astype(np.int64), axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def candidate_pairs(keys: np.ndarray, max_bucket: int = 50, each_band: Callable[[], None] | None = None,
                    ) -> np.ndarray:
    """(m × 2) sorted, unique pairs (i < j) of rows that share a key in at least one band (`bucket_pairs`).
    `each_band` is called after each band (the caller's progress)."""
    rows = np.arange(keys.shape[1])
    blocks: list[np.ndarray] = []
    for band in keys:
        blocks += bucket_pairs(band, rows, max_bucket)
        if each_band is not None:
            each_band()
    return unique_pairs(blocks, keys.shape[1])


class ShingleSets:
    """Sorted, de-duplicated shingle sets of some rows (one flat array), for exact Jaccard."""

    def __init__(self, rows: Sequence[int], texts: Sequence[str], params: MinHashParams,
                 batch_rows: int = 5_000) -> None:
        assert batch_rows <= 1 << _ROW_BITS
        parts, sizes = [], []
        for start in range(0, len(texts), batch_rows):  # batches keep the byte-level temporaries small
            flat, offsets = shingle_hashes(texts[start:start + batch_rows], params.word_ngram, params.char_ngram)
            row = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
            # one sort of (row, upper bits of the hash) instead of a lexsort: 8× faster; rows stay apart, and equal
            # hashes stay adjacent unless a row holds two hashes that agree in all 51 upper bits (~n²/2^52)
            order = np.argsort(row.astype(np.uint64) << _U(64 - _ROW_BITS) | flat >> _U(_ROW_BITS))
            flat, row = flat[order], row[order]
            first = np.ones(len(flat), dtype=bool)
            first[1:] = (flat[1:] != flat[:-1]) | (row[1:] != row[:-1])
            parts.append(flat[first])
            sizes.append(np.bincount(row[first], minlength=len(offsets) - 1))
        self._flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        self._offsets = np.concatenate(([0], np.cumsum(np.concatenate(sizes)))) if sizes else np.zeros(1, np.int64)
        self._index = {int(r): k for k, r in enumerate(rows)}

    def _set(self, row: int) -> np.ndarray:
        k = self._index[row]
        return self._flat[self._offsets[k]:self._offsets[k + 1]]

    def jaccard(self, i: int, j: int) -> float:
        a, b = self._set(i), self._set(j)
        inter = len(np.intersect1d(a, b, assume_unique=True))
        return inter / (len(a) + len(b) - inter)


_UNION_BATCH = 65_536  # edges turned into Python ints per batch


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = array("q", range(n))  # 8 bytes a node, not a list of Python ints

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smallest position is the root: stable cluster ids


def near_duplicate_clusters(texts: Sequence[str], threshold: float = 0.8, params: MinHashParams = MinHashParams(),
                            ) -> tuple[list[list[int]], dict[tuple[int, int], float]]:
    """Clusters (sorted position lists, size ≥ 2) of normalised texts by Jaccard alone, each around the
    lexicographically smallest text, and the similarity of every dropped member to it: (kept, dropped) → J."""
    if len(texts) < 2:
        return [], {}
    pairs = candidate_pairs(signature_band_keys(texts, params))
    rows = np.unique(pairs).tolist()
    sets = ShingleSets(rows, [texts[r] for r in rows], params)
    edges = {(i, j): sim for i, j in pairs.tolist() if (sim := sets.jaccard(i, j)) >= threshold}
    ranked = sorted(rows, key=lambda r: (texts[r], r))
    clusters = keeper_clusters(ranked, edges, lambda i, j: sim if (sim := sets.jaccard(i, j)) >= threshold else None)
    return (sorted(sorted([kept] + [row for row, _ in dropped]) for kept, dropped in clusters),
            {(kept, row): sim for kept, dropped in clusters for row, sim in dropped})


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute one character), Myers/Hyyrö bit-parallel over Python ints:
    one pass over `a` of a dozen integer operations, whatever the length of `b`."""
    if a == b:
        return 0
    shortest = min(len(a), len(b))
    start = 0
    while start < shortest and a[start] == b[start]:  # a shared prefix and suffix cost nothing
        start += 1
    end = 0
    while end < shortest - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if not a or not b:
        return len(a) + len(b)
    if len(b) > len(a):
        a, b = b, a
    m = len(b)
    mask, high = (1 << m) - 1, 1 << (m - 1)
    peq: dict[str, int] = {}
    for k, char in enumerate(b):
        peq[char] = peq.get(char, 0) | 1 << k
    pv, mv, score = mask, 0, m
    for char in a:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def edit_similarity(a: str, b: str) -> float:
    """1 − edit distance / length of the longer text: a changed character in a 40-character answer is 0.975,
    where its character 5-gram Jaccard falls to ~0.78."""
    longest = max(len(a), len(b))
    return 1.0 - levenshtein(a, b) / longest if longest else 1.0


_CJK_CHAR = re.compile("[\u3000-\ud7ff]")


def is_cjk(text: str) -> bool:
    """Mostly kana / CJK / hangul, as `shingle_hashes` decides it (over a third of the non-space characters).
    Counted by a regex: a generator over the characters was a sixth of the verification time at 1M rows."""
    chars = text.replace(" ", "")
    cjk = len(_CJK_CHAR.findall(chars))
    return cjk > 0 and cjk * 3 > len(chars)


def contains(longer: str, shorter: str) -> bool:
    """The shorter normalised text occurs whole inside the longer: at word boundaries, or anywhere for CJK."""
    if is_cjk(shorter):
        return shorter in longer
    return f" {shorter} " in f" {longer} "


def keeper_clusters(ranked: Sequence[int], edges: dict[tuple[int, int], float],
                    verify: Callable[[int, int], float | None],
                    direct_up_to: int = 32, prepare: Callable[[list[int]], None] | None = None,
                    block_rows: int = 100_000) -> list[tuple[int, list[tuple[int, float]]]]:
    """Clusters in which every dropped row is itself verified (a duplicate) against the row that is kept.

    `edges` are the verified pairs (i < j) with their similarity; `verify(i, j)` is the similarity when the pair
    is a duplicate, else None.

    `ranked` lists the rows of the verified pairs best first (by the keep policy). Within each connected
    component, the best row still free is kept and takes every free row verified against it; the rows that are
    not (linked only through another member: A–B, B–C with J(A, C) low) are released and the next best free row
    is kept in turn. Union-find alone chained such rows and dropped C against A at J 0.64. In components of up to
    `direct_up_to` rows, pairs LSH did not propose are compared directly too. Returns (kept, [(dropped, sim)]).

    Only those small components call `verify`; with `prepare`, it is called with the rows of consecutive small
    components (about `block_rows` of them at a time) before `verify` meets any of them, so that the caller
    holds what it compares for one block of rows at a time.
    """
    # arrays, not a dict of dicts, an index dict and a union-find list of Python ints (~300 bytes a linked row at
    # 10M rows, bench/RESULTS.md): each row's neighbours in the order of `edges` (as the dicts kept them), read back
    # one keeper at a time
    ends = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
    order = np.asarray(ranked, dtype=np.int64)
    sorter = np.argsort(order, kind="stable")
    at = sorter[np.searchsorted(order, ends, sorter=sorter)] if len(order) else ends  # rank index of each end
    finder = UnionFind(len(order))
    for start in range(0, len(at), _UNION_BATCH):
        for i, j in at[start:start + _UNION_BATCH].tolist():
            finder.union(i, j)
    half_rows = ends.ravel()  # i0, j0, i1, j1, ...: a row of each half-edge, its partner below, in edge order
    by_row = np.argsort(half_rows, kind="stable")
    half_rows, partners = half_rows[by_row], ends[:, ::-1].ravel()[by_row]
    half_sims = np.repeat(np.fromiter(edges.values(), dtype=np.float64, count=len(edges)), 2)[by_row]
    linked = np.isin(order, half_rows)  # the ranked rows with an edge
    del ends, at, by_row, sorter, order

    def neighbours_of(row: int) -> dict[int, float]:
        lo, hi = np.searchsorted(half_rows, row, "left"), np.searchsorted(half_rows, row, "right")
        return dict(zip(partners[lo:hi].tolist(), half_sims[lo:hi].tolist(), strict=True))

    components: dict[int, list[int]] = {}
    for number in np.flatnonzero(linked).tolist():  # members stay in rank order
        components.setdefault(finder.find(number), []).append(ranked[number])
    del linked, finder
    clusters: list[tuple[int, list[tuple[int, float]]]] = []
    groups = list(components.values())
    prepared = 0  # groups[:prepared] were handed to `prepare` already
    for number, members in enumerate(groups):
        free = dict.fromkeys(members)  # ordered: rank order
        small = len(members) <= direct_up_to
        if prepare is not None and small and len(members) > 2 and number >= prepared:
            block: list[int] = []
            while prepared < len(groups) and (not block or len(block) + len(groups[prepared]) <= block_rows):
                if 2 < len(groups[prepared]) <= direct_up_to:
                    block += groups[prepared]
                prepared += 1
            prepare(block)
        for keeper in members:
            if keeper not in free:
                continue
            del free[keeper]
            known = neighbours_of(keeper)
            dropped = []
            for row in list(free) if small else [r for r in known if r in free]:
                sim = known[row] if row in known else verify(keeper, row)
                if sim is not None:
                    dropped.append((row, sim))
                    del free[row]
            if dropped:
                clusters.append((keeper, dropped))
    return clusters
