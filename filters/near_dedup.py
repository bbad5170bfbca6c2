"""Near-duplicate detection: MinHash-LSH candidates, exact Jaccard verification, union-find clusters.

Shingles are word 3-grams, or character 5-grams for rows that are mostly CJK (chosen per row, so mixed data
works); a row shorter than one shingle is one shingle, never an empty signature. Tokens are hashed once each
(blake2b, cached) and shingle hashes are combined with numpy, so the per-row Python work is a split and a few
dictionary look-ups; MinHash is a vectorised min over (a·h + b) for all rows at once. Every LSH candidate is
verified by the exact Jaccard of its shingle sets before anything is merged. Deterministic for a given input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class ShingleHasher:
    """Turns normalised text into an array of 64-bit shingle hashes."""

    def __init__(self, word_ngram: int = 3, char_ngram: int = 5) -> None:
        self.word_ngram, self.char_ngram = word_ngram, char_ngram
        self._cache: dict[str, int] = {}
        rng = np.random.default_rng(0x5EED)
        self._mix = rng.integers(1, 2**63, size=max(word_ngram, char_ngram), dtype=np.uint64) | np.uint64(1)

    def _token_hashes(self, tokens: list[str]) -> np.ndarray:
        cache = self._cache
        out = []
        for tok in tokens:
            h = cache.get(tok)
            if h is None:
                h = cache[tok] = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            out.append(h)
        return np.array(out, dtype=np.uint64)

    def shingles(self, text: str) -> np.ndarray:
        """Shingle hashes of one normalised text (may repeat; `np.unique` them for set operations)."""
        cjk = 0 if text.isascii() else len(_CJK.findall(text))
        if cjk and cjk * 3 > len(text.replace(" ", "")):
            tokens, n = list(text.replace(" ", "")), self.char_ngram
        else:
            tokens, n = text.split(), self.word_ngram
        if not tokens:
            return np.zeros(1, dtype=np.uint64)
        hashes = self._token_hashes(tokens)
        if len(hashes) < n:  # shorter than one shingle: the whole row is its one shingle
            n = len(hashes)
        width = len(hashes) - n + 1
        combined = np.zeros(width, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i in range(n):
                combined = (combined * np.uint64(0x100000001B3)) ^ (hashes[i:i + width] * self._mix[i])
        return combined


def minhash_signatures(shingle_sets: Sequence[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """(rows × num_perm) uint32 MinHash signatures; permutation k is h ↦ ((a_k·h + b_k) mod 2^64) >> 32."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    flat = np.concatenate(shingle_sets)
    starts = np.cumsum([0] + [len(s) for s in shingle_sets[:-1]])
    signatures = np.empty((len(shingle_sets), num_perm), dtype=np.uint32)
    permuted = np.empty_like(flat)
    with np.errstate(over="ignore"):
        for k in range(num_perm):  # one permutation at a time, in place: memory stays at 2 × the shingle array
            np.multiply(flat, a[k], out=permuted)
            np.add(permuted, b[k], out=permuted)
            np.right_shift(permuted, np.uint64(32), out=permuted)
            signatures[:, k] = np.minimum.reduceat(permuted, starts)
    return signatures


def lsh_candidates(signatures: np.ndarray, bands: int) -> set[tuple[int, int]]:
    """Pairs of rows that agree on all rows of at least one band."""
    n, num_perm = signatures.shape
    per_band = num_perm // bands
    rng = np.random.default_rng(1234)
    pairs: set[tuple[int, int]] = set()
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = signatures[:, band * per_band:(band + 1) * per_band].astype(np.uint64)
            weights = rng.integers(1, 2**63, size=per_band, dtype=np.uint64) | np.uint64(1)
            keys = (block * weights).sum(axis=1) ^ (block[:, 0] << np.uint64(32))
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            edges = np.flatnonzero(np.diff(sorted_keys)) + 1
            for group in np.split(order, edges):
                if len(group) < 2:
                    continue
                members = sorted(int(i) for i in group)
                if len(members) <= 50:
                    pairs.update((members[i], members[j]) for i in range(len(members))
                                 for j in range(i + 1, len(members)))
                else:  # a huge bucket: link each member to the first, union-find closes the rest
                    pairs.update((members[0], m) for m in members[1:])
    return pairs


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the smallest position is the root: stable cluster ids


def near_duplicate_clusters(texts: Sequence[str], threshold: float = 0.8, num_perm: int = 128, bands: int = 16,
                            word_ngram: int = 3, char_ngram: int = 5,
                            seed: int = 0) -> tuple[list[list[int]], dict[tuple[int, int], float]]:
    """Clusters (lists of positions, each sorted, size ≥ 2) of normalised texts, and the verified similarities."""
    if len(texts) < 2:
        return [], {}
    hasher = ShingleHasher(word_ngram, char_ngram)
    sets = [hasher.shingles(t) for t in texts]
    signatures = minhash_signatures(sets, num_perm, seed)
    verified: dict[tuple[int, int], float] = {}
    finder = UnionFind(len(texts))
    unique: dict[int, np.ndarray] = {}
    for i, j in sorted(lsh_candidates(signatures, bands)):
        for k in (i, j):
            if k not in unique:
                unique[k] = np.unique(sets[k])
        similarity = jaccard(unique[i], unique[j])
        if similarity >= threshold:
            verified[(i, j)] = similarity
            finder.union(i, j)
    groups: dict[int, list[int]] = {}
    for pos in range(len(texts)):
        groups.setdefault(finder.find(pos), []).append(pos)
    return [members for members in groups.values() if len(members) > 1], verified
