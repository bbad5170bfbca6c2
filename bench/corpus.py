"""Alpaca-like benchmark rows: real rows from ../shared/devdata reused with perturbation, ~5% near-duplicates.

Each reuse replaces ~30% of the words of the output with words drawn from the whole corpus, so reuses are
not near-duplicates of each other (their word 3-gram Jaccard is far below 0.8) while lengths, scripts and
boilerplate stay those of real data. Then `dup_share` of the rows get a planted near-duplicate: one or two
words changed. Without devdata, it falls back to generated rows (and says so).
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import orjson

DEVDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "devdata"
_TOKEN = re.compile(r"\s+|[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")


def real_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    alpaca = DEVDATA / "alpaca"
    if not alpaca.is_dir():
        return rows
    for name in ("alpaca_en_demo.json", "alpaca_zh_demo.json"):
        rows += [{k: r.get(k, "") for k in ("instruction", "input", "output")}
                 for r in json.loads((alpaca / name).read_text(encoding="utf-8"))]
    rows += [{"instruction": r["instruction"], "input": r.get("input", ""), "output": r["response"]}
             for r in json.loads((alpaca / "gpteacher_codegen.json").read_text(encoding="utf-8"))]
    toyhom = DEVDATA / "csv" / "toyhom_internal_medicine_gb18030.csv"
    with toyhom.open(encoding="gb18030", errors="replace", newline="") as handle:
        rows += [{"instruction": r["title"], "input": r["ask"], "output": r["answer"]} for r in csv.DictReader(handle)]
    return rows


def _generated(rng: random.Random, n: int) -> list[dict[str, str]]:
    words = ("the of and to a in is that for it as was with be by on not he this are or his from at which "
             "data model train answer question explain write list code python function value error file").split()
    return [{"instruction": " ".join(rng.choices(words, k=rng.randint(4, 14))).capitalize() + "?", "input": "",
             "output": " ".join(rng.choices(words, k=rng.randint(10, 120))) + "."} for _ in range(n)]


def _perturb(text: str, rng: random.Random, vocabulary: list[str], share: float) -> str:
    tokens = _TOKEN.findall(text)
    for i, tok in enumerate(tokens):
        if not tok.isspace() and rng.random() < share:
            tokens[i] = rng.choice(vocabulary)
    return "".join(tokens)


def build_rows(n: int, dup_share: float = 0.05, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    base = real_rows() or _generated(rng, 20_000)
    vocabulary = [t for r in base[:3000] for t in _TOKEN.findall(r["output"]) if not t.isspace()][:50_000]
    n_unique = int(n / (1 + dup_share))
    rows = []
    for i in range(n_unique):
        row = dict(base[i % len(base)])
        if i >= len(base):  # a reuse: far enough from the original not to be its near-duplicate
            row["output"] = _perturb(row["output"], rng, vocabulary, 0.3)
            row["instruction"] = _perturb(row["instruction"], rng, vocabulary, 0.2)
        rows.append(row)
    while len(rows) < n:
        twin = dict(rows[rng.randrange(n_unique)])
        twin["output"] = _perturb(twin["output"], rng, vocabulary, 0.02) if len(twin["output"]) > 200 else \
            twin["output"] + " "
        rows.append(twin)
    rng.shuffle(rows)
    return rows


def write_jsonl(rows: list[dict[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


CHUNK_ROWS = 1_000_000


def write_rows(n: int, path: Path) -> Path:
    """`n` rows written a million at a time (10M rows held at once would need ~10 GB): chunk k is
    `build_rows(1M, seed=k)`, so the first million are the 1M set's rows. Each chunk reuses the real rows unchanged
    once, so a chunk after the first adds that many exact duplicates (~1% of the rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for seed, start in enumerate(range(0, n, CHUNK_ROWS)):
            handle.writelines(orjson.dumps(r) + b"\n" for r in build_rows(min(CHUNK_ROWS, n - start), seed=seed))
    return path


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"/tmp/bench-{count}.jsonl")
    print(write_jsonl(build_rows(count), target), "devdata" if real_rows() else "generated")
