"""The Prefect flows: ingest each source as its own task, clean shards in parallel, then dedup, write, report.

Orchestration only: every step calls plain functions from formats/, filters/ and train/. Rows travel
between tasks as JSONL shards on disk (paths in, paths out), never through Prefect results, so the same
flow runs on threads, processes or a Dask cluster and writes the same bytes.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.futures import as_completed

from filters.clean import FilterSettings, build_matcher, clean_batch
from filters.clean import enabled_rules as filter_rules
from filters.decontaminate import EvalIndex, decontaminate, load_eval_items
from filters.dedup import deduplicate
from filters.dedup import enabled_rules as dedup_rules
from filters.ledger import Ledger, dump_ledger, load_ledger
from flows.cache import code_version, key_of
from flows.config import PipelineConfig, load_config
from flows.incremental import (
    STATE_DIR,
    WORK_DIR,
    cached_ingest,
    clean_folder,
    ingest_folder,
    remember_outputs,
    unchanged_outputs,
)
from flows.runners import api_shared_with_workers, make_task_runner, retry_if_transient
from formats.dataset_card import render_card
from formats.example import Example, Reject
from formats.readers import read_source
from formats.readers.sql_reader import masked
from formats.report import build_report
from formats.report_html import render_report_html
from formats.trainer_configs import axolotl_datasets, llamafactory_dataset_info, load_dataset_snippet
from formats.writers import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    converted,
    format_folders,
    split_train_val,
)
from train.stats import LENGTH_EDGES, dataset_stats, length_histograms


def _publish(tmp: Path, final: Path) -> None:
    """Atomically move a finished folder into place (a crashed task leaves only a .tmp folder behind)."""
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def _write_shards(records: Iterator[Example | Reject], folder: Path, chunk_rows: int) -> tuple[int, list[str]]:
    shards: list[str] = []
    read = rows_in_shard = 0
    handle = None
    with (folder / "rejects.jsonl").open("wb") as bad:
        for record in records:
            read += 1
            if isinstance(record, Reject):
                bad.write(orjson.dumps(record.to_dict()) + b"\n")
                continue
            if handle is None or rows_in_shard >= chunk_rows:
                if handle:
                    handle.close()
                shards.append(f"part-{len(shards):05d}.jsonl")
                handle = (folder / shards[-1]).open("wb")
                rows_in_shard = 0
            handle.write(orjson.dumps(record.to_dict()) + b"\n")
            rows_in_shard += 1
    if handle:
        handle.close()
    return read, shards


@task(name="ingest", task_run_name="ingest {spec.name}", retries=2, retry_delay_seconds=[2, 8],
      retry_condition_fn=retry_if_transient)
def ingest(spec: Any, base_dir: str, folder: str, chunk_rows: int) -> dict[str, Any]:
    """Stream one source into shards of Examples plus its quarantined rows."""
    target = Path(folder)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    read, shards = _write_shards(read_source(spec, Path(base_dir)), tmp, chunk_rows)
    meta = {"name": spec.name, "read": read, "folder": folder, "shards": shards, "cached": False}
    (tmp / "meta.json").write_bytes(orjson.dumps(meta))
    _publish(tmp, target)
    get_run_logger().info("%s: %d rows read into %d shard(s)", spec.name, read, len(shards))
    return meta


@task(name="clean", task_run_name="clean {label}")
def clean_shard(shard: str, label: str, filters: FilterSettings, base_dir: str, folder: str) -> dict[str, Any]:
    """Repair, slop rules and noise checks on one shard."""
    with open(shard, "rb") as handle:
        examples = [Example.from_dict(orjson.loads(line)) for line in handle]
    ledger = Ledger()
    kept = clean_batch(examples, filters, build_matcher(filters.slop, Path(base_dir)), ledger)
    target = Path(folder)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "examples.jsonl").write_bytes(b"".join(orjson.dumps(ex.to_dict()) + b"\n" for ex in kept))
    dump_ledger(ledger, tmp)
    _publish(tmp, target)
    return {"folder": folder, "cached": False}


def _ingested_rows(ingested: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows as ingested, before any filter, streamed from the ingest shards."""
    for meta in ingested:
        for shard in meta["shards"]:
            with (Path(meta["folder"]) / shard).open("rb") as handle:
                yield from map(orjson.loads, handle)


def _new_ids(state: Path, source: str, ids: list[str]) -> int:
    """How many of this run's row ids no earlier run had seen; then remember them all."""
    path = state / f"{source}.ids"
    seen = set(path.read_text().split()) if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sorted(ids)))
    return len(ids) if seen is None else sum(1 for i in ids if i not in seen)


@task(name="finalize")
def finalize(config: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
             failed: dict[str, str], out_dir: str, base_dir: str, enabled_rules: list[str]) -> dict[str, Any]:
    """Merge the shards and their ledgers, deduplicate, split, write the outputs and the report."""
    log = get_run_logger()
    ledger = Ledger()
    read: dict[str, int] = {s.name: 0 for s in config.sources}
    n_ingested = 0
    for meta in ingested:
        read[meta["name"]] = meta["read"]
        with (Path(meta["folder"]) / "rejects.jsonl").open("rb") as handle:
            for line in handle:
                ledger.add_reject(Reject(**orjson.loads(line)))
        n_ingested += meta["read"]
    n_ingested -= len(ledger.rejects)
    before = length_histograms(_ingested_rows(ingested))
    examples: list[Example] = []
    for part in cleaned:
        ledger.merge(load_ledger(Path(part["folder"])))
        with (Path(part["folder"]) / "examples.jsonl").open("rb") as handle:
            examples.extend(Example.from_dict(orjson.loads(line)) for line in handle)
    funnel = [("read", sum(read.values())), ("ingested", n_ingested), ("after slop and noise filters", len(examples))]

    if config.decontamination.eval_sets:
        items = load_eval_items(config.decontamination, Path(base_dir))
        examples = decontaminate(examples, EvalIndex(items, config.decontamination), ledger)
        funnel.append(("after decontamination", len(examples)))
        log.info("decontamination: %d rows kept (%d evaluation texts)", len(examples), len(items))

    source_order = {s.name: i for i, s in enumerate(config.sources)}
    examples = deduplicate(examples, config.dedup, source_order, ledger)
    funnel.append(("after dedup", len(examples)))
    log.info("dedup: %d rows kept", len(examples))

    out = config.output
    train, val = split_train_val(examples, out.val_fraction, out.seed)
    funnel += [("train", len(train)), ("val", len(val))]
    target = Path(out_dir)
    for fmt, folder in format_folders(out, target):
        atomic_write_jsonl(folder / "train.jsonl", converted(train, fmt, out.system_prompt))
        atomic_write_jsonl(folder / "val.jsonl", converted(val, fmt, out.system_prompt))
    atomic_write_jsonl(target / "provenance.jsonl",
                       ({"id": ex.id, "source": ex.source, "meta": ex.meta} for ex in train + val))
    atomic_write_jsonl(target / "rejects.jsonl", (r.to_dict() for r in ledger.rejects))
    atomic_write_jsonl(target / "edits.jsonl", (e.to_dict() for e in ledger.edits))

    ids: dict[str, list[str]] = {s.name: [] for s in config.sources}
    for row in [*ledger.rejects, *train, *val]:
        ids[row.source].append(row.id)
    new_rows = {name: _new_ids(target / STATE_DIR, name, rows) for name, rows in ids.items() if name not in failed}
    rows = [{"instruction": e.instruction, "input": e.input, "output": e.output, "source": e.source}
            for e in train + val]
    stats = dataset_stats(rows, seed=out.seed)
    lengths = {"edges": list(LENGTH_EDGES), "tokens_method": stats["tokens_method"], "before": before,
               "after": length_histograms(rows)}
    summary = {"sources": [{"name": s.name, "kind": s.kind,
                            **({"url": masked(s.url)} if s.kind == "sql" else {})} for s in config.sources],
               "format": out.format, "val_fraction": out.val_fraction, "code_version": code_version()}
    report = build_report(read=read, funnel=funnel, train=train, val=val, ledger=ledger, failed=failed,
                          stats=stats, config_summary=summary, lengths=lengths, enabled_rules=enabled_rules)
    for name, counts in report["sources"].items():
        counts["new_rows"] = new_rows.get(name, 0)
    atomic_write_json(target / "report.json", report)
    atomic_write_bytes(target / "report.html", render_report_html(report).encode())
    _write_trainer_files(config, report, target)
    return report


def _write_trainer_files(config: PipelineConfig, report: dict[str, Any], target: Path) -> None:
    """Dataset card and trainer entries beside the data, so it loads without a mapping step."""
    out = config.output
    for fmt, folder in format_folders(out, target):
        atomic_write_json(folder / "dataset_info.json", llamafactory_dataset_info(out.name, fmt))
        atomic_write_bytes(folder / "axolotl.yaml", axolotl_datasets(fmt).encode())
        atomic_write_bytes(folder / "load_dataset.py", load_dataset_snippet().encode())
    card = render_card(report, name=out.name, fmt=out.format, license=out.license,
                       config_hash=key_of(config), source_licenses={s.name: s.license for s in config.sources})
    atomic_write_bytes(target / "README.md", card.encode())


def _markdown(report: dict[str, Any], out_dir: str) -> str:
    lines = [f"# Curation run → `{out_dir}`", "", "| source | read | new | kept | rejected | status |",
             "|---|---:|---:|---:|---:|---|"]
    for name, c in report["sources"].items():
        lines.append(f"| {name} | {c['read']} | {c.get('new_rows', 0)} | {c['kept']} | {c['rejected']} "
                     f"| {c['status']} |")
    lines += ["", "| rule | hits | dropped | stripped |", "|---|---:|---:|---:|"]
    for rule, c in report["rules"].items():
        lines.append(f"| {rule} | {c['hits']} | {c['dropped']} | {c['stripped']} |")
    return "\n".join(lines)


def _rules_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per rule that fired, then the enabled rules that fired on nothing, for the table artifact."""
    zero = {"stage": "", "category": "", "action": "", "hits": 0, "dropped": 0, "stripped": 0, "flagged": 0,
            "chars_removed": 0}
    return [{"rule": rule, **zero, **counts} for rule, counts in report["rules"].items()] + \
        [{"rule": rule, **zero} for rule in report.get("rules_with_no_hits", [])]


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // max(1, total)
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


@flow(name="curate", log_prints=True)
def curate(config: str, out: str | None = None) -> dict[str, Any]:
    """The curation itself, on whichever task runner `build` chose."""
    started = time.perf_counter()
    log = get_run_logger()
    cfg, base_dir = load_config(config)
    out_dir = Path(out or cfg.output.dir)
    work = out_dir / WORK_DIR
    cache_dir = Path(cfg.run.cache_dir) if cfg.run.cache_dir else out_dir / ".cache"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cache_dir.mkdir(parents=True, exist_ok=True)

    # Cache hits are found here, before anything is submitted: an unchanged re-run starts no task at all.
    folders = [ingest_folder(spec, str(base_dir), cfg.run, str(cache_dir), str(work)) for spec in cfg.sources]
    ingested, failed, pending = [], {}, []
    for spec, folder in zip(cfg.sources, folders, strict=True):
        meta = cached_ingest(folder) if cfg.run.cache else None
        if meta:
            log.info("%s: unchanged since the last run, %d rows reused from the cache", spec.name, meta["read"])
        pending.append(meta or ingest.submit(spec, str(base_dir), str(folder), cfg.run.chunk_rows))
    for spec, item in zip(cfg.sources, pending, strict=True):
        result = item if isinstance(item, dict) else item.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            failed[spec.name] = f"{type(result).__name__}: {result}"
            log.error("source %s failed: %s", spec.name, failed[spec.name])
        else:
            ingested.append(result)

    shards = [(Path(m["folder"]) / s, f"{m['name']}/{i}") for m in ingested for i, s in enumerate(m["shards"])]
    cleaned_or_futures: list[Any] = []
    for path, label in shards:
        folder = clean_folder(path, cfg.filters, str(base_dir), str(cache_dir), cfg.run.cache)
        if cfg.run.cache and (folder / "rules.json").is_file():
            cleaned_or_futures.append({"folder": str(folder), "cached": True})
        else:
            cleaned_or_futures.append(clean_shard.submit(str(path), label, cfg.filters, str(base_dir), str(folder)))
    clean_futures = [f for f in cleaned_or_futures if not isinstance(f, dict)]
    progress = create_progress_artifact(progress=0.0, description="shards cleaned") if len(clean_futures) > 1 else None
    for done, _ in enumerate(as_completed(clean_futures), 1):
        log.info("clean %s", _bar(done, len(clean_futures)))
        if progress:
            update_progress_artifact(progress, progress=100.0 * done / len(clean_futures))
    # in shard order: the outputs never depend on timing
    cleaned = [f if isinstance(f, dict) else f.result() for f in cleaned_or_futures]
    hits = sum(c["cached"] for c in cleaned) + sum(m["cached"] for m in ingested)
    if hits:
        log.info("cache: %d of %d stage results reused", hits, len(cleaned) + len(ingested))

    report = unchanged_outputs(cfg, ingested, cleaned, failed, out_dir, base_dir)
    if report is None:
        rules = [*filter_rules(cfg.filters, base_dir), *dedup_rules(cfg.dedup)]
        if cfg.decontamination.eval_sets:
            rules.append("contamination")
        report = finalize(cfg, ingested, cleaned, failed, str(out_dir), str(base_dir), rules)
        remember_outputs(cfg, ingested, cleaned, failed, out_dir, base_dir)
    else:
        log.info("nothing changed since the last run: the outputs in %s are current", out_dir)
    shutil.rmtree(work, ignore_errors=True)
    create_markdown_artifact(key="curation-report", markdown=_markdown(report, str(out_dir)),
                             description="rows per source and per rule")
    create_table_artifact(key="curation-rules", table=_rules_table(report),
                          description="every rule: hits, drops, strips, flags (rules with no hits last)")
    if failed:
        raise RuntimeError(f"source(s) failed: {', '.join(f'{n} ({e})' for n, e in failed.items())}; "
                           f"the other sources' results were written to {out_dir}")
    seconds = round(time.perf_counter() - started, 2)
    log.info("curation took %.1f s", seconds)
    return report | {"curation_seconds": seconds}  # for the caller only: report.json stays deterministic


@flow(name="build")
def build(config: str = "sample_data/pipeline.yaml", out: str | None = None,
          task_runner: str | None = None) -> dict[str, Any]:
    """Curate the sources in `config` into SFT JSONL under `out` (default: the config's output.dir).

    `task_runner` (threads / processes / dask) overrides the config's run.task_runner.
    """
    cfg, _ = load_config(config)
    runner = make_task_runner(task_runner or cfg.run.task_runner, cfg.run)
    with api_shared_with_workers():
        report = curate.with_options(task_runner=runner)(config=config, out=out)
    if cfg.train.enabled:  # hand the curated data to the QLoRA task
        from flows.training import train

        report["training"] = train(data=str(out or cfg.output.dir), config=config)
    return report
