"""The curation without Prefect, for the hostile-input matrix: the same stage functions the flow's tasks call
(flows/stages.py), then flows/finalize.py. A source that raises is a failed source, as in the flow."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from flows.config import load_config
from flows.failures import one_line
from flows.finalize import finalize
from flows.outdir import output_lock, prepare
from flows.stages import clean_shard_into, ingest_source


def curate_offline(config: Path, out: str | None = None) -> tuple[dict[str, Any], Path]:
    cfg, base_dir = load_config(config)
    out_dir = prepare(cfg, base_dir, config, out)
    work = out_dir / ".work"
    with output_lock(out_dir):
        try:
            ingested, failed = [], {}
            for spec in cfg.sources:
                try:
                    ingested.append(ingest_source(spec, base_dir, work / f"ingest-{spec.name}", cfg.run.chunk_rows,
                                                  cfg.limits))
                except Exception as err:  # noqa: BLE001 - a failing source is reported, as the flow does
                    failed[spec.name] = one_line(err)
            cleaned = [clean_shard_into(Path(m["folder"]) / shard, cfg.filters, base_dir,
                                        work / f"clean-{m['name']}-{i}")
                       for m in ingested for i, shard in enumerate(m["shards"])]
            report = finalize(cfg, ingested, cleaned, failed, out_dir, base_dir, logging.getLogger("offline"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return report, out_dir
