"""Dataset size and diversity figures, shared by the report and the training task.

Cheap and model-free: token counts here are an estimate (CJK characters count one each, other text
~4 characters a token) unless a tokenizer is passed in.
"""

from __future__ import annotations

import math
import random
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from formats.example import FIELDS, context_of
from formats.language import guess
from formats.text import TOKENS_ESTIMATE, estimate_tokens, first_word, word_count, words

SAMPLE_ROWS = 2_000  # distinct-n falls as a corpus grows; a fixed sample keeps it comparable across runs
# Length buckets [edge, next edge), the last open-ended: the same edges for every run, characters and tokens,
# so histograms before and after filtering (or of two runs) compare bucket by bucket.
LENGTH_EDGES = (0, 1, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)


def language(text: str) -> str:
    """The row's language by the guesser the wrong-language check uses. The check needs enough prose to be sure
    before it drops anything; a count of the mix may also guess on a short row (still "unknown" when unsure)."""
    return guess(text, min_letters=1) or "unknown"


def percentiles(values: Sequence[int], points: Sequence[int] = (50, 90, 99)) -> dict[str, int]:
    if not len(values):
        return {f"p{p}": 0 for p in points} | {"max": 0}
    ordered = np.sort(np.asarray(values))  # one array, not a list of a million Python ints
    out = {f"p{p}": ordered[min(len(ordered) - 1, (len(ordered) * p) // 100)].item() for p in points}
    out["max"] = ordered[-1].item()
    return out


def counted_percentiles(counts: Counter[int], points: Sequence[int] = (50, 90, 99)) -> dict[str, int]:
    """`percentiles` of the values a Counter counts (value -> how many rows): the same figures from one entry per
    distinct value, so a column of 10M row lengths never sits in memory."""
    total = counts.total()
    if not total:
        return {f"p{p}": 0 for p in points} | {"max": 0}
    values = sorted(counts)
    ends = np.cumsum([counts[v] for v in values])  # ends[i]: rows with a value <= values[i]
    out = {f"p{p}": values[int(np.searchsorted(ends, min(total - 1, (total * p) // 100), side="right"))]
           for p in points}
    out["max"] = values[-1]
    return out


def distinct_n(texts: Sequence[str], n: int) -> float:
    total, seen = 0, set()
    for text in texts:
        toks = words(text)
        grams = list(zip(*(toks[i:] for i in range(n)), strict=False))
        total += len(grams)
        seen.update(grams)
    return round(len(seen) / total, 4) if total else 0.0


def entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return round(-sum(c / total * math.log2(c / total) for c in counts.values() if c), 4) if total else 0.0


def ngram_entropy(texts: Sequence[str], n: int = 2) -> float:
    """Shannon entropy (bits) of the n-gram distribution: higher means more varied phrasing."""
    grams: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        toks = words(text)
        grams.update(zip(*(toks[i:] for i in range(n)), strict=False))
    return entropy(grams)  # type: ignore[arg-type]


def mtld(tokens: Sequence[str], threshold: float = 0.72) -> float:
    """Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010), forward and backward averaged: the mean
    length of word runs that keep a type-token ratio above 0.72. Unlike TTR it does not fall with text length."""
    def one_way(seq: Sequence[str]) -> float:
        factors, types, count = 0.0, set(), 0
        for tok in seq:
            types.add(tok)
            count += 1
            if len(types) / count <= threshold:
                factors, types, count = factors + 1, set(), 0
        if count:
            factors += (1 - len(types) / count) / (1 - threshold)
        return len(seq) / factors if factors else float(len(seq))
    return round((one_way(tokens) + one_way(list(reversed(tokens)))) / 2, 2) if tokens else 0.0


def compression_ratio(texts: Sequence[str]) -> float:
    """Raw bytes / zlib bytes of the sample: near 2–3 for varied text, much higher when rows repeat each other."""
    raw = "\n".join(texts).encode()
    return round(len(raw) / max(1, len(zlib.compress(raw, 6))), 3) if raw else 0.0


def histogram(values: Sequence[int]) -> list[int]:
    """Counts per LENGTH_EDGES bucket."""
    index = np.searchsorted(LENGTH_EDGES, np.asarray(values, dtype=np.int64), side="right") - 1
    return np.bincount(index, minlength=len(LENGTH_EDGES)).tolist()


class LengthHistograms:
    """`length_histograms` one row at a time (`add`, then `result`): only the bucket counts are kept, nothing a
    row (a length's bucket is the one `histogram` would put it in)."""

    def __init__(self, count_tokens: Callable[[str], int] | None = None) -> None:
        self.tokens_of = count_tokens or estimate_tokens
        self.rows = 0
        self.chars = {f: [0] * len(LENGTH_EDGES) for f in FIELDS}
        self.tokens = {f: [0] * len(LENGTH_EDGES) for f in FIELDS}

    def add(self, row: dict[str, Any], tokens: Sequence[int] | None = None) -> None:
        """`tokens`: `field_tokens(row)` when it was computed elsewhere."""
        self.rows += 1
        if tokens is None:
            tokens = field_tokens(row, self.tokens_of)
        for f, n in zip(FIELDS, tokens, strict=True):
            self.chars[f][bisect_right(LENGTH_EDGES, len(row.get(f) or "")) - 1] += 1
            self.tokens[f][bisect_right(LENGTH_EDGES, n) - 1] += 1

    def merge(self, other: dict[str, Any]) -> None:
        """Add the counts of another histogram's `result()` (a shard's, counted in a worker)."""
        self.rows += other["rows"]
        for f in FIELDS:
            self.chars[f] = [a + b for a, b in zip(self.chars[f], other["chars"][f], strict=True)]
            self.tokens[f] = [a + b for a, b in zip(self.tokens[f], other["tokens"][f], strict=True)]

    def result(self) -> dict[str, Any]:
        return {"rows": self.rows, "chars": {f: list(v) for f, v in self.chars.items()},
                "tokens": {f: list(v) for f, v in self.tokens.items()}}


def length_histograms(rows: Iterable[dict[str, Any]], count_tokens: Callable[[str], int] | None = None
                      ) -> dict[str, Any]:
    """Per field, how many rows fall in each LENGTH_EDGES bucket, in characters and in tokens. Rows are
    streamed: only their lengths are kept."""
    lengths = LengthHistograms(count_tokens)
    for row in rows:
        lengths.add(row)
    return lengths.result()


# TF-IDF diversity: a weight-free stand-in for embedding diversity, on the same fixed sample as distinct-n.
TFIDF_NGRAMS = (2, 3)  # character n-grams: no word splitting, so Chinese works as well as English
TFIDF_MAX_CHARS = 1_000  # of each row (instruction, input and output joined, whitespace collapsed)
SVD_DIMS = 64


def _char_ngram_tfidf(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Rows, columns and values of the L2-normalised TF-IDF matrix (sublinear tf, smooth idf, n-grams in at
    least two rows). N-grams are hashed with numpy over the joined texts: no Python loop per n-gram."""
    codes = np.frombuffer("\x00".join([*texts, ""]).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    sep = codes == 0
    doc = np.cumsum(sep) - sep
    hashes, docs = [], []
    for n in TFIDF_NGRAMS:
        m = max(0, len(codes) - n + 1)
        h, crosses = np.full(m, n, dtype=np.uint64), np.zeros(m, dtype=bool)
        for k in range(n):
            h = h * np.uint64(1_000_003) + codes[k:k + m]  # wraps mod 2**64: a hash
            crosses |= sep[k:k + m]
        hashes.append(h[~crosses])
        docs.append(doc[:m][~crosses])
    vocab, col = np.unique(np.concatenate(hashes), return_inverse=True)
    pairs, tf = np.unique(np.concatenate(docs).astype(np.int64) * len(vocab) + col, return_counts=True)
    rows, cols = pairs // len(vocab), pairs % len(vocab)
    df = np.bincount(cols, minlength=len(vocab))
    shared = df[cols] >= 2  # an n-gram in one row only adds nothing any two rows share
    rows, cols, tf = rows[shared], cols[shared], tf[shared]
    used, cols = np.unique(cols, return_inverse=True)
    idf = np.log((1 + len(texts)) / (1 + df[used])) + 1
    vals = (1 + np.log(tf)) * idf[cols]
    vals /= np.sqrt(np.bincount(rows, weights=vals * vals, minlength=len(texts)))[rows]
    return rows, cols, vals, len(used)


def _sparse_times(out: np.ndarray, into: np.ndarray, vals: np.ndarray, dense: np.ndarray, size: int,
                  chunk: int = 1 << 17) -> np.ndarray:
    """A sparse matrix (COO, sorted by `out`) times a dense one, summed a chunk at a time with np.add.reduceat."""
    result = np.zeros((size, dense.shape[1]), dtype=dense.dtype)
    for start in range(0, len(vals), chunk):
        o = out[start:start + chunk]
        firsts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
        part = vals[start:start + chunk, None] * dense[into[start:start + chunk]]
        result[o[firsts]] += np.add.reduceat(part, firsts, axis=0)
    return result


def tfidf_diversity(texts: Sequence[str], dims: int = SVD_DIMS, seed: int = 0) -> dict[str, Any]:
    """`_tfidf_diversity` with BLAS on one thread: its matrices are small (sample rows × 72), and OpenBLAS's threads
    spun for ~1 s of CPU a QR on 2 shared cores (about half of this function's CPU, bench/RESULTS.md, issue 14)."""
    with threadpool_limits(1):
        return _tfidf_diversity(texts, dims, seed)


def _tfidf_diversity(texts: Sequence[str], dims: int = SVD_DIMS, seed: int = 0) -> dict[str, Any]:
    """Character n-gram TF-IDF → truncated SVD (randomized, one power iteration; Halko et al. 2011) → Vendi score:
    exp of the entropy of the eigenvalues of the rows' cosine-similarity matrix / n (Friedman & Dieng 2023), at
    most `dims`. Also the mean pairwise cosine distance of the full TF-IDF vectors, exact and cheap:
    1 - (|sum of rows|² - n) / (n (n - 1))."""
    n = len(texts)
    # NUL separates the rows inside _char_ngram_tfidf: a row's own NULs become spaces
    rows, cols, vals, v = _char_ngram_tfidf([" ".join(t.replace("\x00", " ").split()).casefold()[:TFIDF_MAX_CHARS]
                                             for t in texts])
    if n < 2 or not v:  # no two rows share an n-gram: every pair is as far apart as it can be
        return {"vendi_score": float(min(n, dims)), "mean_cosine_distance": 1.0 if n >= 2 else 0.0,
                "svd_dims": 0, "svd_explained": 0.0, "sample_rows": n}
    k = min(dims, n, v)
    nonzero = len(np.unique(rows))  # rows sharing no n-gram with any other have no vector
    total = np.bincount(cols, weights=vals, minlength=v)
    distance = 1 - (total @ total - nonzero) / (n * (n - 1))
    by_col = np.argsort(cols, kind="stable")
    r, c, x = rows, cols, vals.astype(np.float32)
    rt, ct, xt = rows[by_col], cols[by_col], x[by_col]
    y = _sparse_times(r, c, x, np.random.default_rng(seed).standard_normal((v, k + 8), np.float32), n)
    y = _sparse_times(r, c, x, _sparse_times(ct, rt, xt, np.linalg.qr(y)[0], v), n)
    q = np.linalg.qr(y)[0]
    bt = _sparse_times(ct, rt, xt, q, v)  # (Qᵀ X)ᵀ: its small Gram matrix gives the singular values and vectors
    eig, vec = np.linalg.eigh((bt.T @ bt).astype(np.float64))
    top = np.argsort(eig)[::-1][:k]
    s2 = np.clip(eig[top], 0, None)
    z = (q.astype(np.float64) @ vec[:, top]) * np.sqrt(s2)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    lam = np.linalg.eigvalsh(z.T @ z)
    lam = lam[lam > 1e-9] / lam[lam > 1e-9].sum()
    return {"vendi_score": round(float(np.exp(-(lam * np.log(lam)).sum())), 2),
            "mean_cosine_distance": round(float(distance), 4), "svd_dims": int(k),
            "svd_explained": round(float(s2.sum() / nonzero), 4), "sample_rows": n}


class Tally:
    """Rows, characters and tokens per name of a column with few distinct values (source, language), summed as
    the rows stream past: a counter a name, not a code a row."""

    def __init__(self) -> None:
        self.sums: dict[str, list[int]] = {}  # name -> [rows, characters, tokens], names in first-seen order

    def add(self, name: str, chars: int, tokens: int) -> None:
        entry = self.sums.get(name)
        if entry is None:
            entry = self.sums[name] = [0, 0, 0]
        entry[0] += 1
        entry[1] += chars
        entry[2] += tokens

    def counts(self) -> Counter[str]:
        return Counter({name: entry[0] for name, entry in self.sums.items()})

    def size_by(self) -> dict[str, dict[str, int]]:
        """`size_by` over this column."""
        out = {name: {"rows": rows, "characters": chars, "tokens": tokens}
               for name, (rows, chars, tokens) in self.sums.items()}
        return dict(sorted(out.items(), key=lambda kv: (-kv[1]["rows"], kv[0])))


def size_by(keys: Sequence[str], chars: Sequence[int], tokens: Sequence[int]) -> dict[str, dict[str, int]]:
    """Rows, characters and tokens per key (source or language), largest first."""
    out: dict[str, dict[str, int]] = {}
    for key, c, t in zip(keys, chars, tokens, strict=True):
        entry = out.setdefault(key, {"rows": 0, "characters": 0, "tokens": 0})
        entry["rows"] += 1
        entry["characters"] += c
        entry["tokens"] += t
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["rows"], kv[0])))


RowFacts = tuple[int, str, str, int]  # a row's tokens, first word, language, words


def row_facts(r: dict[str, Any], tokens_of: Callable[[str], int] = estimate_tokens, extra: str | None = None
              ) -> RowFacts:
    """What `DatasetStats.add` needs of a row's text beyond its lengths, the costly part (the language guess, the
    token count, the words): computed where the row is at hand, then handed to `add`. `extra`: the row's
    conversation context (`context_of`), when the caller has it."""
    if extra is None:
        extra = context_of(r.get("system") or "", r.get("history") or [])
    row_tokens = tokens_of(
        f"{extra}\n{r.get('instruction', '')}\n{r.get('input', '')}\n{r.get('output', '')}" if extra
        else f"{r.get('instruction', '')}\n{r.get('input', '')}\n{r.get('output', '')}")
    return (row_tokens, first_word(r.get("instruction", "")) or "∅",
            language(f"{r.get('instruction', '')}\n{r.get('output', '')}"),
            sum(word_count(r.get(f, "")) for f in FIELDS))


def field_tokens(row: dict[str, Any], tokens_of: Callable[[str], int] = estimate_tokens) -> tuple[int, ...]:
    """Tokens of each field (FIELDS order), as `LengthHistograms.add` counts them."""
    return tuple(tokens_of(text) if (text := row.get(f) or "") else 0 for f in FIELDS)


class DatasetStats:
    """`dataset_stats` one row at a time, for rows streamed from disk: `add` every row in order, then `result`.
    Keeps counters (per distinct length, source, language) and the fixed sample, never the rows nor a number a row
    (at 10M rows the per-row columns were ~0.45 GB, bench/RESULTS.md); the sample is drawn up front from the row
    count, the same rows random.sample(rows) picks."""

    def __init__(self, rows: int, count_tokens: Callable[[str], int] | None = None, max_seq_len: int | None = None,
                 seed: int = 0) -> None:
        self.count_tokens, self.max_seq_len, self.seed = count_tokens, max_seq_len, seed
        self.tokens_of = count_tokens or estimate_tokens
        self.picked = random.Random(seed).sample(range(rows), min(SAMPLE_ROWS, rows))
        self.wanted = set(self.picked)
        self.sampled: dict[int, dict[str, Any]] = {}
        self.rows = self.chars = self.tokens = self.words = self.over_max = 0
        self.lengths: dict[str, Counter[int]] = {f: Counter() for f in FIELDS}  # characters -> rows
        self.token_counts: Counter[int] = Counter()  # tokens a row -> rows
        self.first_words: Counter[str] = Counter()
        self.by_source, self.by_language = Tally(), Tally()
        self.turns: Counter[int] = Counter()  # turns a conversation -> conversations

    def add(self, r: dict[str, Any], facts: RowFacts | None = None) -> None:
        """`facts`: `row_facts(r)` when it was computed elsewhere (a clean worker, beside the shard)."""
        index = self.rows
        self.rows += 1
        if index in self.wanted:
            self.sampled[index] = r
        chars = [len(r.get(f, "")) for f in FIELDS]
        for f, n in zip(FIELDS, chars, strict=True):
            self.lengths[f][n] += 1
        extra = context_of(r.get("system") or "", r.get("history") or [])  # conversations only
        row_chars = sum(chars) + len(extra)
        row_tokens, first, lang, row_words = facts or row_facts(r, self.tokens_of, extra)
        self.chars += row_chars
        self.tokens += row_tokens
        self.token_counts[row_tokens] += 1
        if self.max_seq_len and row_tokens > self.max_seq_len:
            self.over_max += 1
        self.first_words[first] += 1
        self.by_source.add(r.get("source", ""), row_chars, row_tokens)
        self.by_language.add(lang, row_chars, row_tokens)
        self.words += row_words
        if r.get("history") or r.get("system"):
            self.turns[2 * (len(r.get("history") or []) + 1)] += 1

    def result(self) -> dict[str, Any]:
        rows, seed = self.rows, self.seed
        sample = [self.sampled[i] for i in self.picked]
        outputs = [r.get("output", "") for r in sample]
        sources, languages = self.by_source.counts(), self.by_language.counts()
        stats: dict[str, Any] = {
            "rows": rows,
            "characters": self.chars,
            "words": self.words,
            "tokens": self.tokens,
            "tokens_method": "tokenizer" if self.count_tokens else TOKENS_ESTIMATE,
            "length_chars": {f: counted_percentiles(v) for f, v in self.lengths.items()},
            "length_tokens": counted_percentiles(self.token_counts),
            "distinct": {f"distinct_{n}": distinct_n(outputs, n) for n in (1, 2, 3)},
            "distinct_sample_rows": len(sample),
            "bigram_entropy": ngram_entropy(outputs, 2),
            "mtld": mtld([t for text in outputs for t in words(text)]),
            "compression_ratio": compression_ratio(outputs),
            "tfidf_diversity": tfidf_diversity(
                ["\n".join(r.get(f, "") for f in FIELDS) for r in sample], seed=seed),
            "top_first_words": self.first_words.most_common(20),
            "first_word_entropy": entropy(self.first_words),
            "sources": dict(sources.most_common()),
            "source_entropy": entropy(sources),
            "languages": dict(languages.most_common()),
            "size_by_source": self.by_source.size_by(),
            "size_by_language": self.by_language.size_by(),
        }
        if self.turns:  # only datasets that hold conversations have this key
            stats["conversations"] = {"rows": self.turns.total(),
                                      "turns_per_conversation": counted_percentiles(self.turns),
                                      "assistant_turns": sum(n * c for n, c in self.turns.items()) // 2}
        if self.max_seq_len:
            stats["over_max_seq_len_share"] = round(self.over_max / max(1, rows), 4)
        return stats


def dataset_stats(rows: Sequence[dict[str, Any]], count_tokens: Callable[[str], int] | None = None,
                  max_seq_len: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Size, lengths and diversity of instruction/input/output rows."""
    stats = DatasetStats(len(rows), count_tokens, max_seq_len, seed)
    for row in rows:
        stats.add(row)
    return stats.result()
