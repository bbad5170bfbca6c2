"""The Prefect flows: ingest each source as its own task, clean shards in parallel, then dedup, write, report.

Orchestration only: every step calls plain functions from formats/, filters/ and train/. Rows travel
between tasks as JSONL shards on disk (paths in, paths out), never through Prefect results, so the same
flow runs on threads, processes or a Dask cluster and writes the same bytes.
"""

from __future__ import annotations

import glob
import shutil
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.context import FlowRunContext
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from filters.clean import FilterSettings
from filters.dedup import DedupSettings
from flows.config import load_config
from flows.failures import one_line
from flows.finalize import finalize as finalize_outputs
from flows.incremental import (
    WORK_DIR,
    cached_ingest,
    clean_folder,
    ingest_folder,
    remember_outputs,
    unchanged_outputs,
)
from flows.outdir import output_lock, prepare
from flows.runners import api_shared_with_workers, make_task_runner, retry_if_transient
from flows.stages import clean_shard_into, ingest_source
from formats import cancel
from formats.limits import Limits
from formats.progress import Progress
from formats.readers import kind_of
from report.prefect import markdown, rules_table


class SourcesFailed(RuntimeError):
    """Some sources failed; the others' results were written. `failed` maps each to its one-line error."""

    def __init__(self, failed: dict[str, str], out_dir: Path) -> None:
        super().__init__(f"source(s) failed: {', '.join(f'{n} ({e})' for n, e in failed.items())}; "
                         f"the other sources' results were written to {out_dir}")
        self.failed = failed


@task(name="ingest", task_run_name="ingest {spec.name}", retries=2, retry_delay_seconds=[2, 8],
      retry_condition_fn=retry_if_transient)
def ingest(spec: Any, base_dir: str, folder: str, chunk_rows: int, limits: Limits) -> dict[str, Any]:
    """Stream one source into shards of Examples plus its quarantined rows."""
    log = get_run_logger()
    meta = ingest_source(spec, Path(base_dir), Path(folder), chunk_rows, limits, log)
    log.info("%s: %d rows read into %d shard(s)", spec.name, meta["read"], len(meta["shards"]))
    return meta


@task(name="clean", task_run_name="clean {label}")
def clean_shard(shard: str, label: str, filters: FilterSettings, base_dir: str, folder: str,
                dedup: DedupSettings | None = None) -> dict[str, Any]:
    """Repair, slop rules and noise checks on one shard (and the kept rows' dedup keys for `dedup`)."""
    return clean_shard_into(Path(shard), filters, Path(base_dir), Path(folder), get_run_logger(), label, dedup)


@task(name="finalize")
def finalize(config: Any, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
             failed: dict[str, str], out_dir: str, base_dir: str, dask_address: str | None = None) -> dict[str, Any]:
    """Merge the shards and their ledgers, run the corpus steps, split, write the outputs and the report."""
    return finalize_outputs(config, ingested, cleaned, failed, Path(out_dir), Path(base_dir), get_run_logger(),
                            dask_address)


def _dask_address() -> str | None:
    """The scheduler of this run's Dask task runner (its own local cluster or `dask_address`), else None: dedup
    then runs on that cluster too."""
    runner = FlowRunContext.get().task_runner
    if type(runner).__name__ != "DaskTaskRunner":
        return None
    return runner.client.scheduler.address


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // max(1, total)
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def _bytes(paths: list[Path]) -> int:
    return sum(path.stat().st_size for path in paths if path.is_file())


def _input_bytes(spec: Any, base_dir: Path) -> int | None:
    """What a source's files weigh; None for a source that is not files (a database server): size unknown."""
    patterns = kind_of(spec).input_files(spec)
    if patterns is None:
        return None
    return _bytes([Path(name) for pattern in patterns for name in glob.glob(str(base_dir / pattern), recursive=True)])


def _pooled(tasks: int, total_bytes: int | None, cfg: Any) -> bool:
    """Whether work goes to the task runner's workers, or runs here in the flow's own process.

    A thread pool costs nothing to start; a process pool or a Dask cluster costs a worker start-up (seconds: each
    imports Prefect and the pipeline) that a small input, or a single task (nothing to run side by side), never earns
    back, so such work stays here."""
    runner = FlowRunContext.get().task_runner
    if isinstance(runner, ThreadPoolTaskRunner):
        return True
    return tasks > 1 and (total_bytes is None or total_bytes >= cfg.run.local_below_kb * 1024)


def _run(task_fn: Any, pooled: bool, *args: Any) -> Any:
    """A future from the runner, or the final state of the task run here and now (both answer `.result()`)."""
    return task_fn.submit(*args) if pooled else task_fn(*args, return_state=True)


@flow(name="curate", log_prints=True)
def curate(config: str, out: str | None = None) -> dict[str, Any]:
    """The curation itself, on whichever task runner `build` chose."""
    started = time.perf_counter()
    log = get_run_logger()
    cfg, base_dir = load_config(config)
    out_dir = prepare(cfg, base_dir, Path(config), out)
    with output_lock(out_dir):
        work = out_dir / WORK_DIR
        cancel.reset()
        try:
            return _curate(cfg, base_dir, out_dir, work, started, log)
        except BaseException as err:
            if not isinstance(err, Exception):
                # SIGTERM (Prefect raises TerminationSignal here) or Ctrl-C: tell the readers in worker threads now;
                # the task runner waits for them before the flow can end, and they stop at their next chunk.
                cancel.request_stop()
                cancel.stop_workers()
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)  # also when a source, a step or a signal ended the run


def _curate(cfg: Any, base_dir: Path, out_dir: Path, work: Path, started: float, log: Any) -> dict[str, Any]:
    cache_dir = Path(cfg.run.cache_dir) if cfg.run.cache_dir else out_dir / ".cache"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cache_dir.mkdir(parents=True, exist_ok=True)

    # Cache hits are found here, before anything is submitted: an unchanged re-run starts no task at all.
    folders = [ingest_folder(spec, str(base_dir), cfg.run, str(cache_dir), str(work)) for spec in cfg.sources]
    ingested, failed, pending = [], {}, []
    cached = [cached_ingest(folder) if cfg.run.cache else None for folder in folders]
    sizes = [_input_bytes(spec, base_dir) for spec, meta in zip(cfg.sources, cached, strict=True) if not meta]
    pooled = _pooled(len(sizes), None if None in sizes else sum(s or 0 for s in sizes), cfg)
    for spec, folder, meta in zip(cfg.sources, folders, cached, strict=True):
        if meta:
            log.info("%s: unchanged since the last run, %d rows reused from the cache", spec.name, meta["read"])
        pending.append(meta or _run(ingest, pooled, spec, str(base_dir), str(folder), cfg.run.chunk_rows,
                                    cfg.limits))
    for spec, item in zip(cfg.sources, pending, strict=True):
        result = item if isinstance(item, dict) else item.result(raise_on_failure=False)
        if isinstance(result, BaseException):
            failed[spec.name] = one_line(result)
            log.error("source %s failed: %s", spec.name, failed[spec.name])
        else:
            ingested.append(result)

    shards = [(Path(m["folder"]) / s, f"{m['name']}/{i}", (m.get("rows") or [None] * len(m["shards"]))[i])
              for m in ingested for i, s in enumerate(m["shards"])]
    folders = [clean_folder(path, cfg.filters, str(base_dir), str(cache_dir), cfg.run.cache) for path, _, _ in shards]
    todo = [i for i, folder in enumerate(folders) if not (cfg.run.cache and (folder / "rules.json").is_file())]
    pooled = _pooled(len(todo), _bytes([shards[i][0] for i in todo]), cfg)
    cleaned_or_futures: list[Any] = [{"folder": str(folder), "cached": True} for folder in folders]
    for i in todo:
        path, label, _ = shards[i]
        cleaned_or_futures[i] = _run(clean_shard, pooled, str(path), label, cfg.filters, str(base_dir), str(folders[i]),
                                     cfg.dedup)
    rows_of = {id(cleaned_or_futures[i]): shards[i][2] or 0 for i in todo}
    clean_futures = [cleaned_or_futures[i] for i in todo]
    # a progress artifact costs API calls: worth it for shards on workers, not for shards cleaned here in a second
    pooled_many = pooled and len(clean_futures) > 1
    artifact = create_progress_artifact(progress=0.0, description="shards cleaned") if pooled_many else None
    rows = Progress(log, "clean (all shards)", total=sum(rows_of.values()) or None, every=float("inf"))
    for done, future in enumerate(as_completed(clean_futures) if pooled else clean_futures, 1):
        rows.add(rows_of[id(future)])
        if len(clean_futures) > 1:
            log.info("clean %s shards; %s", _bar(done, len(clean_futures)), rows.line().split(": ", 1)[1])
        if artifact:
            update_progress_artifact(artifact, progress=100.0 * done / len(clean_futures))
    # in shard order: the outputs never depend on timing
    cleaned = [f if isinstance(f, dict) else f.result() for f in cleaned_or_futures]
    hits = sum(c["cached"] for c in cleaned) + sum(m["cached"] for m in ingested)
    if hits:
        log.info("cache: %d of %d stage results reused", hits, len(cleaned) + len(ingested))

    report = unchanged_outputs(cfg, ingested, cleaned, failed, out_dir, base_dir)
    if report is None:
        report = finalize(cfg, ingested, cleaned, failed, str(out_dir), str(base_dir), _dask_address())
        remember_outputs(cfg, ingested, cleaned, failed, out_dir, base_dir)
    else:
        log.info("nothing changed since the last run: the outputs in %s are current", out_dir)
    create_markdown_artifact(key="curation-report", markdown=markdown(report, str(out_dir)),
                             description="rows per source and per rule")
    create_table_artifact(key="curation-rules", table=rules_table(report),
                          description="every rule: hits, drops, strips, flags (rules with no hits last)")
    if failed:
        raise SourcesFailed(failed, out_dir)
    seconds = round(time.perf_counter() - started, 2)
    log.info("curation took %.1f s", seconds)
    return report | {"curation_seconds": seconds}  # for the caller only: report.json stays deterministic


@flow(name="build")
def build(config: str = "sample_data/pipeline.yaml", out: str | None = None,
          task_runner: str | None = None) -> dict[str, Any]:
    """Curate the sources in `config` into SFT JSONL under `out` (default: the config's output.dir).

    `task_runner` (threads / processes / dask) overrides the config's run.task_runner.
    """
    cfg, base_dir = load_config(config)
    runner = make_task_runner(task_runner or cfg.run.task_runner, cfg.run)
    with api_shared_with_workers():
        report = curate.with_options(task_runner=runner)(config=config, out=out)
    if cfg.train.enabled and report["totals"]["kept"]:  # hand the curated data to the QLoRA task
        from flows.training import train

        report["training"] = train(data=str(prepare(cfg, base_dir, Path(config), out)), config=config)
    return report
