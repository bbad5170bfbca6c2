"""Dedup (exact + near) on Alpaca-like rows: time, peak memory and recall on planted near-duplicates by kind,
at several sizes (one fresh process each), and side by side with datasketch and rensa on the same rows.

    python bench/near_dedup.py [--sizes 100000 300000 1000000] [--peers] [--workers 0]

Base rows come from bench/corpus.py (real devdata rows, reused with 30% of words replaced so reuses are not
near-duplicates of each other); 5% of them get a planted twin of a known kind. Recall = planted twins dropped,
over the twins whose numbers are those of their original: a word replaced where a number stood makes another
example (issue 20), so those twins are counted apart and must never be merged.
Memory: the dedup's own peak above the RSS it started from (the rows themselves are the caller's), and the
largest worker process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import build_rows  # noqa: E402

from filters.dedup import DedupSettings, deduplicate  # noqa: E402
from filters.normalise import normalise_for_dedup, normalise_many, numbers_of  # noqa: E402
from formats.example import Example, make_id  # noqa: E402
from formats.ledger import Ledger  # noqa: E402

KINDS = ["one-word", "two-words", "case-punct-space", "sentence-appended"]


def plant(text: str, kind: str, rng: random.Random) -> str:
    words = text.split(" ")
    if kind == "one-word":
        words[rng.randrange(len(words))] = "banana"
    elif kind == "two-words":
        for _ in range(2):
            words[rng.randrange(len(words))] = "banana"
    elif kind == "case-punct-space":
        return text.upper().replace(". ", "!  ").replace(", ", " , ") + " ..."
    elif kind == "sentence-appended":
        return text + " Please note that this answer was reviewed by our team."
    return " ".join(words)


def planted_rows(n: int) -> tuple[list[Example], dict[str, tuple[str, str, bool]]]:
    rng = random.Random(1)
    base = build_rows(n, dup_share=0.0)
    long_rows = [i for i, r in enumerate(base) if len(r["output"].split()) >= 40]
    examples = [Example.from_fields("bench", str(i), r["instruction"], r["input"], r["output"])
                for i, r in enumerate(base)]
    planted: dict[str, tuple[str, str, bool]] = {}  # twin id -> (kind, original id, same numbers)
    for i in rng.sample(long_rows, min(len(long_rows), len(base) // 20)):
        kind = KINDS[i % len(KINDS)]
        twin = Example.from_fields("bench", f"twin-{i}", base[i]["instruction"], base[i]["input"],
                                   plant(base[i]["output"], kind, rng))
        examples.append(twin)
        same = numbers_of(normalise_for_dedup(twin.output)) == numbers_of(normalise_for_dedup(base[i]["output"]))
        planted[twin.id] = (kind, make_id("bench", str(i)), same)
    rng.shuffle(examples)
    return examples, planted


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class WorkerMemory:
    """Samples the summed RSS of this process's descendants (the dedup's worker processes) every 50 ms."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _descendants(pid: int) -> list[int]:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children] + [d for c in children for d in WorkerMemory._descendants(int(c))]

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            total = 0
            for pid in self._descendants(os.getpid()):
                try:
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                except OSError:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def shingle_strings(text: str) -> list[str]:
    """The straightforward way: word 3-grams, or character 5-grams for mostly-CJK text, as strings."""
    chars = text.replace(" ", "")
    cjk = sum("\u3000" <= c <= "\ud7ff" for c in chars)
    tokens, n, sep = (list(chars), 5, "") if cjk and cjk * 3 > len(chars) else (text.split(), 3, " ")
    if len(tokens) <= n:
        return [sep.join(tokens)]
    return [sep.join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def peers(examples: list[Example]) -> dict[str, tuple[float, float, set[str]]]:
    """datasketch and rensa, each used the way their READMEs show, on the same normalised text and shingles.

    Per peer: (seconds including the shared normalising and Python shingling, seconds of the library alone,
    dropped ids).
    """
    import datasketch
    import rensa

    ids = [ex.id for ex in examples]
    results: dict[str, tuple[float, float, set[str]]] = {}
    start = time.perf_counter()
    texts = normalise_many([f"{ex.instruction} {ex.input} {ex.output}" for ex in examples])
    shingles = [shingle_strings(t) for t in texts]
    prep = time.perf_counter() - start

    start = time.perf_counter()
    lsh = datasketch.MinHashLSH(threshold=0.8, num_perm=128, params=(16, 8))
    dropped: set[str] = set()
    for key, row in zip(ids, shingles, strict=True):
        minhash = datasketch.MinHash(num_perm=128, seed=1)
        minhash.update_batch([s.encode() for s in row])
        if lsh.query(minhash):
            dropped.add(key)
        else:
            lsh.insert(key, minhash)
    alone = time.perf_counter() - start
    results["datasketch"] = (prep + alone, alone, dropped)

    start = time.perf_counter()
    dedup = rensa.RMinHashDeduplicator(0.8, 128, True, 16, 1)
    added = dedup.add_pairs(list(zip(ids, shingles, strict=True)))
    alone = time.perf_counter() - start
    results["rensa"] = (prep + alone, alone, {k for k, new in zip(ids, added, strict=True) if not new})
    return results


def run_one(n: int, with_peers: bool, workers: int) -> dict:
    examples, planted = planted_rows(n)
    before = _rss_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark: what follows is the dedup's
    ledger = Ledger()
    start = time.perf_counter()
    with WorkerMemory() as workers_memory:
        kept = deduplicate(examples, DedupSettings(workers=workers), {}, ledger)
    seconds = time.perf_counter() - start
    peak = _rss_mb("VmHWM")
    dropped = {r.id for r in ledger.rejects}
    found: Counter[str] = Counter()
    other_numbers = other_numbers_merged = 0
    for twin_id, (kind, original, same) in planted.items():  # found when the twin or its original was dropped
        hit = twin_id in dropped or original in dropped
        if same:
            found[kind] += hit
        else:
            other_numbers += 1
            other_numbers_merged += hit
    total = Counter(kind for kind, _, same in planted.values() if same)
    originals = {original for _, original, _ in planted.values()}
    floors = {"exact": 1.0, "jaccard": 0.8, "edit": DedupSettings().edit_threshold, "containment": 1.0}
    below = sum(r.row["meta"]["similarity"] < floors[r.row["meta"]["measure"]] for r in ledger.rejects)
    clusters = Counter(r.row["meta"]["cluster"] for r in ledger.rejects)
    result = {"rows": len(examples), "seconds": seconds, "dedup_peak_mb": peak - before, "rows_mb": before,
              "worker_peak_mb": workers_memory.peak_mb,
              "kept": len(kept), "rejected": len(ledger.rejects),
              "recall": {k: [found[k], total[k]] for k in KINDS},
              "unplanted_dropped": len(dropped - set(planted) - originals),
              "numbers_changed": [other_numbers_merged, other_numbers], "below_floor": int(below),
              "cluster_sizes": dict(sorted(Counter(min(n + 1, 10) for n in clusters.values()).items()))}
    if with_peers:  # agreement: their dropped rows that we also put in a duplicate group (dropped or kept best)
        involved = dropped | {r.row["meta"]["duplicate_of"] for r in ledger.rejects}
        result["peers"] = {}
        for name, (secs, alone, peer_dropped) in peers(examples).items():
            peer_found = sum(t in peer_dropped or o in peer_dropped for t, (_, o, _) in planted.items())
            result["peers"][name] = {"seconds": secs, "alone": alone, "dropped": len(peer_dropped),
                                     "agreement": len(peer_dropped & involved) / max(1, len(peer_dropped)),
                                     "recall": peer_found / len(planted)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--peers", action="store_true", help="also run datasketch and rensa on the first size")
    parser.add_argument("--workers", type=int, default=0, help="dedup worker processes (0 = one per CPU)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.peers, args.workers)))
        return
    print("| rows | seconds | rows/s | dedup peak (MB above start) | workers' peak MB (summed) | rows in memory MB "
          "| recall "
          + " / ".join(KINDS) + " | unplanted dropped | twins with other numbers merged | dropped below their "
          "measure's threshold | cluster sizes (10 = 10+) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, n in enumerate(args.sizes):
        command = [sys.executable, __file__, "--one", str(n), "--workers", str(args.workers)]
        result = json.loads(subprocess.run(command + (["--peers"] if args.peers and i == 0 else []),
                                           check=True, capture_output=True, text=True).stdout)
        recall = " / ".join(f"{a / b:.1%}" for a, b in result["recall"].values())
        print(f"| {result['rows']:,} | {result['seconds']:.1f} | {result['rows'] / result['seconds']:,.0f} | "
              f"{result['dedup_peak_mb']:.0f} | {result['worker_peak_mb']:.0f} | {result['rows_mb']:.0f} | "
              f"{recall} | {result['unplanted_dropped']:,} | {result['numbers_changed'][0]} of "
              f"{result['numbers_changed'][1]} | {result['below_floor']} | {result['cluster_sizes']} |", flush=True)
        for name, peer in result.get("peers", {}).items():
            print(f"  {name}: {peer['seconds']:.1f} s ({peer['alone']:.1f} s in the library itself, "
                  f"the rest normalising "
                  f"and shingling in Python) — ours {peer['seconds'] / result['seconds']:.1f}× faster "
                  f"({peer['alone'] / result['seconds']:.1f}× against the library alone); "
                  f"it dropped {peer['dropped']:,} rows (ours {result['rejected']:,}), {peer['agreement']:.1%} of them "
                  f"in our duplicate groups; planted-twin recall {peer['recall']:.1%}")


if __name__ == "__main__":
    main()
