"""The work of the ingest and clean tasks as plain functions (no Prefect): the flow wraps them in tasks; tests and
the hostile-input matrix call them directly. Each writes into a temp folder and publishes it whole with one rename,
so a crashed or stopped task leaves no half result, and the temp folder goes on every exit path."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from filters.clean import FilterSettings, clean_batch, shard_steps
from filters.dedup import DedupSettings
from filters.shard_keys import write_keys
from filters.whatif import score_rows
from formats import cancel
from formats.example import Example, Reject
from formats.ledger import Ledger, dump_ledger
from formats.limits import Limits
from formats.progress import Progress
from formats.readers import read_source
from report.rowfacts import BEFORE_FILE, lengths_of, write_facts

CLEAN_BATCH_ROWS = 2_000  # rows per call of the chain inside a shard: progress between batches, same bytes
_QUIET = logging.getLogger(__name__)


def publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished folder into place."""
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def write_shards(records: Iterator[Example | Reject], folder: Path, chunk_rows: int,
                 progress: Progress | None = None) -> tuple[int, list[str], list[int]]:
    """Examples into shards of `chunk_rows`, quarantined rows into rejects.jsonl; returns (records read, shards,
    rows per shard)."""
    shards: list[str] = []
    sizes: list[int] = []
    read = rows_in_shard = 0
    with ExitStack() as files:
        bad = files.enter_context((folder / "rejects.jsonl").open("wb"))
        handle: BinaryIO | None = None
        for record in records:
            cancel.check()
            read += 1
            if progress:
                progress.add()
            if isinstance(record, Reject):
                bad.write(orjson.dumps(record.to_dict()) + b"\n")
                continue
            if handle is None or rows_in_shard >= chunk_rows:
                if handle:
                    handle.close()
                shards.append(f"part-{len(shards):05d}.jsonl")
                sizes.append(0)
                handle = files.enter_context((folder / shards[-1]).open("wb"))
                rows_in_shard = 0
            handle.write(orjson.dumps(record.to_dict()) + b"\n")
            rows_in_shard += 1
            sizes[-1] += 1
    return read, shards, sizes


def ingest_source(spec: Any, base_dir: Path, folder: Path, chunk_rows: int, limits: Limits,
                  log: Any = _QUIET) -> dict[str, Any]:
    """Stream one source into shards of Examples plus its quarantined rows (meta.json says what is there, with the
    rows of each shard)."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        progress = Progress(log, f"ingest {spec.name}")
        read, shards, sizes = write_shards(read_source(spec, base_dir, limits), tmp, chunk_rows, progress)
        progress.finish()
        meta = {"name": spec.name, "read": read, "folder": str(folder), "shards": shards, "rows": sizes,
                "cached": False}
        (tmp / "meta.json").write_bytes(orjson.dumps(meta))
        publish(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a failing source, a limit or a stop request leaves nothing behind
    return meta


def clean_shard_into(shard: Path, filters: FilterSettings, base_dir: Path, folder: Path, log: Any = _QUIET,
                     label: str = "", dedup: DedupSettings | None = None) -> dict[str, Any]:
    """Repair, slop rules and noise checks on one shard; the kept rows and the shard's ledger go into `folder`,
    with what the final stage needs of the kept rows (their dedup keys for `dedup`, the report's row facts).

    The chain is per row, so the shard goes through it in batches (the same kept rows and ledger bytes as in one
    call): progress can be reported between them."""
    with shard.open("rb") as handle:
        raw = [orjson.loads(line) for line in handle]
    before = lengths_of(raw)  # the report's length histograms as ingested, while the rows are as they came
    examples = [Example.from_dict(row) for row in raw]
    del raw
    ledger = Ledger()
    steps = shard_steps(filters, base_dir)
    progress = Progress(log, f"clean {label or shard.name}", total=len(examples))
    kept: list[Example] = []
    for start in range(0, len(examples), CLEAN_BATCH_ROWS):
        batch = examples[start:start + CLEAN_BATCH_ROWS]
        kept += clean_batch(batch, steps, ledger)
        progress.add(len(batch))
    progress.finish()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        (tmp / "examples.jsonl").write_bytes(b"".join(orjson.dumps(ex.to_dict()) + b"\n" for ex in kept))
        dump_ledger(ledger, tmp)
        # what the report's stats need of these rows, here where they are at hand and the workers run side by side
        write_facts(kept, tmp, whatif=score_rows(kept))
        if dedup is not None:
            write_keys(kept, dedup, tmp)
        (tmp / BEFORE_FILE).write_bytes(before)
        publish(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"folder": str(folder), "cached": False}
