"""Dataset size and diversity figures, shared by the report and the training task.

Cheap and model-free: token counts here are an estimate (CJK characters count one each, other text
~4 characters a token) unless a tokenizer is passed in.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")
SAMPLE_ROWS = 2_000  # distinct-n falls as a corpus grows; a fixed sample keeps it comparable across runs


def words(text: str) -> list[str]:
    """Words for alphabetic scripts, single characters for CJK."""
    return _WORD.findall(text.casefold())


def estimate_tokens(text: str) -> int:
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


_NOT_LETTER = re.compile(r"[\W\d_]+")


def language(text: str) -> str:
    """'zh' when CJK characters make up a real share of the letters, else 'en'. Counted with regexes, not a
    per-character Python loop: this runs on every row of the report."""
    letters = len(_NOT_LETTER.sub("", text))
    if not letters:
        return "unknown"
    return "zh" if len(_CJK.findall(text)) / letters > 0.3 else "en"


def percentiles(values: Sequence[int], points: Sequence[int] = (50, 90, 99)) -> dict[str, int]:
    if not values:
        return {f"p{p}": 0 for p in points} | {"max": 0}
    ordered = sorted(values)
    out = {f"p{p}": ordered[min(len(ordered) - 1, (len(ordered) * p) // 100)] for p in points}
    out["max"] = ordered[-1]
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


def dataset_stats(rows: Sequence[dict[str, Any]], count_tokens: Callable[[str], int] | None = None,
                  max_seq_len: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Size, lengths and diversity of instruction/input/output rows."""
    tokens_of = count_tokens or estimate_tokens
    lengths = {f: [len(r.get(f, "")) for r in rows] for f in ("instruction", "input", "output")}
    row_tokens = [tokens_of(f"{r.get('instruction', '')}\n{r.get('input', '')}\n{r.get('output', '')}")
                  for r in rows]
    sample = random.Random(seed).sample(list(rows), min(SAMPLE_ROWS, len(rows)))
    outputs = [r.get("output", "") for r in sample]
    first_words = Counter((words(r.get("instruction", ""))[:1] or ["∅"])[0] for r in rows)
    sources = Counter(r.get("source", "") for r in rows)
    languages = Counter(language(r.get("instruction", "") + r.get("output", "")) for r in rows)
    stats: dict[str, Any] = {
        "rows": len(rows),
        "characters": sum(sum(v) for v in lengths.values()),
        "words": sum(len(words(r.get(f, ""))) for r in rows for f in ("instruction", "input", "output")),
        "tokens": sum(row_tokens),
        "tokens_method": "tokenizer" if count_tokens else "estimate (CJK chars + other chars / 4)",
        "length_chars": {f: percentiles(v) for f, v in lengths.items()},
        "length_tokens": percentiles(row_tokens),
        "distinct": {f"distinct_{n}": distinct_n(outputs, n) for n in (1, 2, 3)},
        "distinct_sample_rows": len(sample),
        "bigram_entropy": ngram_entropy(outputs, 2),
        "mtld": mtld([t for text in outputs for t in words(text)]),
        "compression_ratio": compression_ratio(outputs),
        "top_first_words": first_words.most_common(20),
        "first_word_entropy": entropy(first_words),
        "sources": dict(sources.most_common()),
        "source_entropy": entropy(sources),
        "languages": dict(languages.most_common()),
    }
    if max_seq_len:
        stats["over_max_seq_len_share"] = round(sum(t > max_seq_len for t in row_tokens) / max(1, len(rows)), 4)
    return stats
