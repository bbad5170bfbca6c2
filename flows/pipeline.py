"""The Prefect flow: ingest each source as its own task, then curate, write and report.

Orchestration only: every step calls plain functions from formats/, filters/ and train/. Rows travel
between tasks as JSONL shards on disk, never through Prefect results.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from filters.clean import build_matcher, clean_batch
from filters.dedup import exact_dedup
from filters.ledger import Ledger
from flows.config import PipelineConfig, load_config
from formats.example import Example, Reject
from formats.readers import read_source
from formats.readers.sql_reader import masked
from formats.report import build_report
from formats.writers import CONVERTERS, atomic_write_json, atomic_write_jsonl, split_train_val
from train.stats import dataset_stats

WORK_DIR = ".work"


@task(name="ingest", task_run_name="ingest {spec.name}")
def ingest(spec: Any, base_dir: str, work_dir: str) -> dict[str, Any]:
    """Stream one source into a shard of Examples and a shard of quarantined rows."""
    shard = Path(work_dir) / f"{spec.name}.examples.jsonl"
    quarantine = Path(work_dir) / f"{spec.name}.rejects.jsonl"
    n_ok = n_bad = 0
    with shard.open("wb") as good, quarantine.open("wb") as bad:
        for record in read_source(spec, Path(base_dir)):
            if isinstance(record, Reject):
                bad.write(orjson.dumps(record.to_dict()) + b"\n")
                n_bad += 1
            else:
                good.write(orjson.dumps(record.to_dict()) + b"\n")
                n_ok += 1
    get_run_logger().info("%s: %d rows read, %d quarantined", spec.name, n_ok + n_bad, n_bad)
    return {"name": spec.name, "examples": str(shard), "rejects": str(quarantine), "read": n_ok + n_bad}


def _load(path: str, cls: type) -> list[Any]:
    with open(path, "rb") as handle:
        return [cls.from_dict(orjson.loads(line)) if cls is Example else Reject(**orjson.loads(line))
                for line in handle]


@task(name="curate")
def curate(config: PipelineConfig, base_dir: str, shards: list[dict[str, Any]], failed: dict[str, str],
           out_dir: str) -> dict[str, Any]:
    """Repair, filter, deduplicate, split, write the outputs and the report."""
    log = get_run_logger()
    ledger = Ledger()
    examples: list[Example] = []
    read: dict[str, int] = {s.name: 0 for s in config.sources}
    for shard in shards:
        read[shard["name"]] = shard["read"]
        examples.extend(_load(shard["examples"], Example))
        quarantined = _load(shard["rejects"], Reject)
        ledger.rejects.extend(quarantined)
        for r in quarantined:
            ledger.count(r.rule, "ingest", "ingest", "drop").dropped += 1
            ledger.rules[r.rule].hits += 1
    funnel = [("read", sum(read.values())), ("ingested", len(examples))]

    matcher = build_matcher(config.filters.slop, Path(base_dir))
    examples = clean_batch(examples, config.filters, matcher, ledger)
    funnel.append(("after slop and noise filters", len(examples)))
    log.info("filters: %d rows kept, %d edits", len(examples), len(ledger.edits))

    source_order = {s.name: i for i, s in enumerate(config.sources)}
    examples = exact_dedup(examples, config.dedup, source_order, ledger)
    funnel.append(("after dedup", len(examples)))

    out = config.output
    train, val = split_train_val(examples, out.val_fraction, out.seed)
    funnel += [("train", len(train)), ("val", len(val))]
    convert = CONVERTERS[out.format]
    target = Path(out_dir)
    atomic_write_jsonl(target / "train.jsonl", (convert(ex, out.system_prompt) for ex in train))
    atomic_write_jsonl(target / "val.jsonl", (convert(ex, out.system_prompt) for ex in val))
    atomic_write_jsonl(target / "provenance.jsonl",
                       ({"id": ex.id, "source": ex.source, "meta": ex.meta} for ex in train + val))
    atomic_write_jsonl(target / "rejects.jsonl", (r.to_dict() for r in ledger.rejects))
    atomic_write_jsonl(target / "edits.jsonl", (e.to_dict() for e in ledger.edits))

    stats = dataset_stats([{"instruction": e.instruction, "input": e.input, "output": e.output,
                            "source": e.source} for e in train + val], seed=out.seed)
    summary = {"sources": [{"name": s.name, "kind": s.kind,
                            **({"url": masked(s.url)} if s.kind == "sql" else {})} for s in config.sources],
               "format": out.format, "val_fraction": out.val_fraction}
    report = build_report(read=read, funnel=funnel, train=train, val=val, ledger=ledger, failed=failed,
                          stats=stats, config_summary=summary)
    atomic_write_json(target / "report.json", report)
    return report


def _markdown(report: dict[str, Any], out_dir: str) -> str:
    lines = [f"# Curation run → `{out_dir}`", "", "| source | read | kept | rejected | status |",
             "|---|---:|---:|---:|---|"]
    for name, c in report["sources"].items():
        lines.append(f"| {name} | {c['read']} | {c['kept']} | {c['rejected']} | {c['status']} |")
    lines += ["", "| rule | hits | dropped | stripped |", "|---|---:|---:|---:|"]
    for rule, c in report["rules"].items():
        lines.append(f"| {rule} | {c['hits']} | {c['dropped']} | {c['stripped']} |")
    return "\n".join(lines)


@flow(name="build", log_prints=True)
def build(config: str = "sample_data/pipeline.yaml", out: str | None = None) -> dict[str, Any]:
    """Curate the sources in `config` into SFT JSONL under `out` (default: the config's output.dir)."""
    cfg, base_dir = load_config(config)
    out_dir = Path(out or cfg.output.dir)
    work = out_dir / WORK_DIR
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    futures = [ingest.submit(spec, str(base_dir), str(work)) for spec in cfg.sources]
    shards, failed = [], {}
    for spec, future in zip(cfg.sources, futures, strict=True):
        result = future.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            failed[spec.name] = f"{type(result).__name__}: {result}"
            get_run_logger().error("source %s failed: %s", spec.name, failed[spec.name])
        else:
            shards.append(result)
    report = curate(cfg, str(base_dir), shards, failed, str(out_dir))
    shutil.rmtree(work, ignore_errors=True)
    create_markdown_artifact(key="curation-report", markdown=_markdown(report, str(out_dir)),
                             description="rows per source and per rule")
    if failed:
        raise RuntimeError(f"source(s) failed: {', '.join(f'{n} ({e})' for n, e in failed.items())}; "
                           f"the other sources' results were written to {out_dir}")
    return report
