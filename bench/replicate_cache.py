"""Cleaned shards at 10M rows without cleaning 10M rows: copies of a cached flow run's cleaned shards (really
cleaned, with their ledgers), each copy with new ids and its own word substitutions, so that copies are not
duplicates of each other while every copy keeps the duplicates the original has.

    python -m flows.build --config c200k.yaml        # once, run: {cache: true, cache_dir: CACHE}: 200k rows
    python bench/replicate_cache.py CACHE /tmp/scale10m --copies 50
    python bench/final_stage.py c10m.yaml OUT --manifest /tmp/scale10m/manifest.json

How a copy k (k ≥ 1) differs from the original, deterministically:
- text: instruction, input and output are split into tokens as `bench/corpus.py` does (whitespace, one CJK
  character, a run of other characters); a token is replaced when crc32(k, token) falls in the lowest `--share`
  (default 0.3) of the range, by a word of the shards' own vocabulary chosen by a second crc32. The choice depends on
  the token and the copy only, not on its position, so two rows that were (near-)duplicates in the original stay
  (near-)duplicates of each other in every copy (same substitutions wherever their words agree), while copies of one
  row share ~(0.7²)³ ≈ 12% of word 3-grams: far from the 0.8 near-duplicate threshold. An instruction that no
  substitution changed gets " (k)" appended, so no two copies ask the same question by accident.
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
import re
import time
import zlib
from pathlib import Path

import orjson

_TOKEN = re.compile(r"\s+|[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")
_ID = re.compile(rb"bench-[0-9a-f]{16}")


def new_id(old: str, copy: int) -> str:
    return old if copy == 0 else "bench-" + hashlib.blake2b(f"{old}/{copy}".encode(), digest_size=8).hexdigest()


class Copy:
    def __init__(self, copy: int, vocabulary: list[str], share: float, read: int, rows_name: str) -> None:
        self.copy, self.vocabulary, self.read, self.rows_name = copy, vocabulary, read, rows_name
        self.cut = int(share * 2**32)
        self.memo: dict[str, str] = {}
        self.locator = re.compile(rb"rows-\d+\.jsonl:(\d+)")

    def token(self, tok: str) -> str:
        out = self.memo.get(tok)
        if out is None:
            out = tok
            if not tok.isspace():
                key = f"{self.copy}\x00{tok}".encode()
                if zlib.crc32(key) < self.cut:
                    out = self.vocabulary[zlib.crc32(key, 7) % len(self.vocabulary)]
            self.memo[tok] = out
        return out

    def text(self, text: str) -> str:
        return "".join([self.token(t) for t in _TOKEN.findall(text)]) if text else text

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
    parser.add_argument("--share", type=float, default=0.3)
    args = parser.parse_args()
    (ingest,) = sorted(args.cache.glob("ingest-*"))
    meta = orjson.loads((ingest / "meta.json").read_bytes())
    cleaned = sorted(args.cache.glob("clean-*"),
                     key=lambda f: int(orjson.loads(f.joinpath("examples.jsonl").open("rb").readline())["meta"]
                                       ["locator"].rpartition(":")[2]))
    vocabulary: list[str] = []
    with (cleaned[0] / "examples.jsonl").open("rb") as handle:
        for line in handle:
            vocabulary += [t for t in _TOKEN.findall(orjson.loads(line)["output"]) if not t.isspace()]
            if len(vocabulary) >= 50_000:
                break
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
        tool = Copy(copy, vocabulary, args.share, meta["read"], rows_name)
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
