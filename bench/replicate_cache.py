"""Cleaned shards at 10M rows without cleaning 10M rows: copies of a cached flow run's cleaned shards (really
cleaned, with their ledgers), each copy with new ids and its own word substitutions, so that copies are not
duplicates of each other while every copy keeps the duplicates the original has.

    python -m flows.build --config c200k.yaml        # once, run: {cache: true, cache_dir: CACHE}: 200k rows
    python bench/replicate_cache.py CACHE /tmp/scale10m --copies 50
    python bench/final_stage.py c10m.yaml OUT --manifest /tmp/scale10m/manifest.json

How a copy k (k ≥ 1) differs from the original, deterministically (seeded by k):
- text: instruction, input and output go through one character table (`str.translate`, C speed: the first
  version substituted words in Python, ~35 s a copy, too slow for this session): 8 of the 26 Latin letters (both
  cases) are each mapped to a random letter, and each CJK character seen in the shards with probability 0.3 to a
  random other one of them; digits, spaces and punctuation are kept. A table maps characters, not positions, so two
  rows that were (near-)duplicates in the original stay (near-)duplicates of each other in every copy, with the
  same similarity up to the rare collisions the table makes, while copies of one row share almost no word 3-gram
  (a word survives two copies' tables only if it avoids both copies' 8 letters) nor CJK 5-gram (0.49^5 ≈ 3%): far
  from the 0.8 near-duplicate threshold. Exact duplicates stay exact. An instruction the table leaves unchanged
  gets " (k)" appended, so no two copies ask the same question by accident.
- ids: `bench-` + blake2b(old id, k) (16 hex digits), in the rows and in the ledger's rejects and edits;
  locators: `rows-<N>.jsonl:<line + k × rows read>`.
- ledger (rejects, edits, rules.json): copied with ids and locators renamed, text unchanged.
- ingest shards (read only by the "before" length histograms): hard links to the original's, listed once per copy.
Writes `manifest.json` (the `ingested` metas and `cleaned` folders `flows.finalize.finalize` takes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import string
import time
from pathlib import Path

import orjson

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ID = re.compile(rb"bench-[0-9a-f]{16}")


def new_id(old: str, copy: int) -> str:
    return old if copy == 0 else "bench-" + hashlib.blake2b(f"{old}/{copy}".encode(), digest_size=8).hexdigest()


class Copy:
    def __init__(self, copy: int, cjk: list[str], read: int, rows_name: str) -> None:
        self.copy, self.read, self.rows_name = copy, read, rows_name
        rng = random.Random(copy)
        letters = string.ascii_lowercase
        table = {}
        for letter in rng.sample(letters, 8):
            target = rng.choice(letters)
            table[ord(letter)], table[ord(letter.upper())] = target, target.upper()
        for char in cjk:
            if rng.random() < 0.3:
                table[ord(char)] = rng.choice(cjk)
        self.table = table if copy else {}
        self.locator = re.compile(rb"rows-\d+\.jsonl:(\d+)")

    def text(self, text: str) -> str:
        return text.translate(self.table)

    def row(self, line: bytes) -> bytes:
        row = orjson.loads(line)
        if self.copy:
            row["id"] = new_id(row["id"], self.copy)
            changed = self.text(row["instruction"])
            row["instruction"] = changed if changed != row["instruction"] else f"{changed} ({self.copy})"
            row["input"], row["output"] = self.text(row["input"]), self.text(row["output"])
            meta = row.get("meta") or {}
            if "locator" in meta:
                path, _, line_no = meta["locator"].rpartition(":")
                meta["locator"] = f"{path.rpartition('/')[0]}/{self.rows_name}:{int(line_no) + self.copy * self.read}"
        return orjson.dumps(row) + b"\n"

    def ledger_line(self, line: bytes) -> bytes:
        if not self.copy:
            return line
        line = _ID.sub(lambda m: new_id(m.group().decode(), self.copy).encode(), line)
        return self.locator.sub(lambda m: f"{self.rows_name}:{int(m.group(1)) + self.copy * self.read}".encode(), line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path, help="cache folder of a run with one source (ingest-* and clean-*)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args()
    (ingest,) = sorted(args.cache.glob("ingest-*"))
    meta = orjson.loads((ingest / "meta.json").read_bytes())
    cleaned = sorted(args.cache.glob("clean-*"),
                     key=lambda f: int(orjson.loads(f.joinpath("examples.jsonl").open("rb").readline())["meta"]
                                       ["locator"].rpartition(":")[2]))
    cjk: set[str] = set()
    for folder in cleaned:
        cjk.update(_CJK.findall((folder / "examples.jsonl").read_text(encoding="utf-8")))
    cjk_chars = sorted(cjk)
    rows_name = f"rows-{meta['read'] * args.copies}.jsonl"
    args.out.mkdir(parents=True, exist_ok=True)
    links = args.out / "ingest"
    links.mkdir(exist_ok=True)
    shards, folders = [], []
    for copy in range(args.copies):
        started, rows = time.perf_counter(), 0
        for shard in meta["shards"]:
            target = links / f"c{copy:03d}-{shard}"
            if not target.exists():
                os.link(ingest / shard, target)
            shards.append(target.name)
        (links / "rejects.jsonl").write_bytes(b"")
        tool = Copy(copy, cjk_chars, meta["read"], rows_name)
        for number, folder in enumerate(cleaned):
            target = args.out / f"clean-c{copy:03d}-{number:03d}"
            folders.append(str(target))
            if (target / "rules.json").is_file():
                continue
            target.mkdir(exist_ok=True)
            with (folder / "examples.jsonl").open("rb") as src, (target / "examples.jsonl").open("wb") as dst:
                for line in src:
                    dst.write(tool.row(line))
                    rows += 1
            for name in ("rejects.jsonl", "edits.jsonl"):
                with (folder / name).open("rb") as src, (target / name).open("wb") as dst:
                    dst.writelines(map(tool.ledger_line, src))
            (target / "rules.json").write_bytes((folder / "rules.json").read_bytes())
        print(f"copy {copy}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    ingested = {**meta, "folder": str(links), "read": meta["read"] * args.copies, "shards": shards,
                "rows": meta["rows"] * args.copies, "cached": True}
    (args.out / "manifest.json").write_bytes(orjson.dumps({"ingested": [ingested],
                                                           "cleaned": [{"folder": f, "cached": True}
                                                                       for f in folders]}))


if __name__ == "__main__":
    main()
