"""Incremental runs without Prefect: where each stage's result lives in the content-addressed cache, and whether
the outputs are already those the current inputs, config and code would give.

`up_to_date` answers that before Prefect starts, so `python -m flows.build` on unchanged inputs returns in well
under a second instead of paying Prefect's start-up; the flow itself uses the same functions to skip work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from filters.clean import FilterSettings
from flows.cache import code_version, file_digest, file_fingerprint, key_of
from flows.config import PipelineConfig, RunSettings
from flows.outputs import STATE_DIR, output_files
from formats.readers import kind_of

WORK_DIR = ".work"


def ingest_folder(spec: Any, base_dir: str, run: RunSettings, cache_dir: str, work_dir: str) -> Path:
    """Where a source's shards go: a content-keyed cache folder for files, the run's work folder otherwise."""
    patterns = kind_of(spec).input_files(spec)
    if patterns is None or not run.cache:
        return Path(work_dir) / f"ingest-{spec.name}"
    key = key_of("ingest", spec, file_fingerprint(Path(base_dir), patterns), run.chunk_rows, code_version())
    return Path(cache_dir) / f"ingest-{spec.name}-{key}"


def cached_ingest(folder: Path) -> dict[str, Any] | None:
    meta = folder / "meta.json"
    return orjson.loads(meta.read_bytes()) | {"cached": True} if meta.is_file() else None


def clean_folder(shard: Path, filters: FilterSettings, base_dir: str, cache_dir: str, use_cache: bool) -> Path:
    """The result of cleaning a shard is keyed by the shard's bytes, the filter settings and rules, and the code."""
    rule_files = [file_digest(Path(base_dir) / f) for f in filters.slop.rule_files]
    key = key_of("clean", file_digest(shard), filters, rule_files, code_version())
    return Path(cache_dir if use_cache else shard.parent) / f"clean-{key}"


def outputs_key(cfg: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
                 failed: dict[str, str], out_dir: Path, base_dir: Path) -> str:
    """What the outputs are a function of: the cleaned shards (their cache folders are content keys), the
    ingest quarantine, the settings after cleaning, the evaluation sets, the code, and the bytes of the outputs
    written last time."""
    quarantine = [file_digest(Path(m["folder"]) / "rejects.jsonl") for m in ingested]
    outputs = [file_digest(path) if path.is_file() else None for path in output_files(cfg.output, out_dir)]
    eval_sets = [file_digest(base_dir / e.path) for e in cfg.decontamination.eval_sets]
    overrides = file_digest(base_dir / cfg.overrides.file) if cfg.overrides.file else None
    return key_of("finalize", [c["folder"] for c in cleaned], [m["read"] for m in ingested], quarantine, failed,
                  cfg.filters, cfg.dedup, cfg.decontamination, eval_sets, cfg.overrides, overrides, cfg.output,
                  [s.name for s in cfg.sources], code_version(), outputs)


def unchanged_outputs(cfg: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
                       failed: dict[str, str], out_dir: Path, base_dir: Path) -> dict[str, Any] | None:
    """The last report when nothing it depends on changed and the outputs are as that run left them."""
    stamp = out_dir / STATE_DIR / "outputs.key"
    if not cfg.run.cache or failed or not stamp.is_file() or not all(c["cached"] for c in cleaned):
        return None
    if stamp.read_text() != outputs_key(cfg, ingested, cleaned, failed, out_dir, base_dir):
        return None
    report = orjson.loads((out_dir / "report.json").read_bytes())
    for counts in report["sources"].values():
        counts["new_rows"] = 0  # this run saw no row the last one had not
    return report


def remember_outputs(cfg: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
                      failed: dict[str, str], out_dir: Path, base_dir: Path) -> None:
    if cfg.run.cache and not failed:
        key = outputs_key(cfg, ingested, cleaned, failed, out_dir, base_dir)
        (out_dir / STATE_DIR / "outputs.key").write_text(key)




def up_to_date(cfg: PipelineConfig, base_dir: Path, out_dir: Path) -> dict[str, Any] | None:
    """The last report when every source is a file whose ingest and cleaning are cached and the outputs are
    current; None when anything would have to run (or a source is a database server, which is read every run)."""
    if not cfg.run.cache:
        return None
    cache_dir = Path(cfg.run.cache_dir) if cfg.run.cache_dir else out_dir / ".cache"
    ingested = []
    for spec in cfg.sources:
        if kind_of(spec).input_files(spec) is None:
            return None
        meta = cached_ingest(ingest_folder(spec, str(base_dir), cfg.run, str(cache_dir), ""))
        if meta is None:
            return None
        ingested.append(meta)
    cleaned = []
    for meta in ingested:
        for shard in meta["shards"]:
            folder = clean_folder(Path(meta["folder"]) / shard, cfg.filters, str(base_dir), str(cache_dir), True)
            if not (folder / "rules.json").is_file():
                return None
            cleaned.append({"folder": str(folder), "cached": True})
    return unchanged_outputs(cfg, ingested, cleaned, {}, out_dir, base_dir)
