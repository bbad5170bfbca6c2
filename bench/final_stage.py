"""The final stage alone (`flows.finalize.finalize`) on shards a cached flow run left, in this checkout or another:
peak RSS of its process tree (sampled every 0.1 s, dedup's workers included), the RSS after each step and the
tree's peak during it, CPU seconds and wall (--until STEP: stop after that step); with --trace, tracemalloc's
largest holders at the end of each step.

    python -m flows.build --config big.yaml          # once, with run: {cache: true, cache_dir: ...}
    (cd ../ref && python $OLDPWD/bench/final_stage.py big.yaml /tmp/out-ref --version 898038df0d96bd44)
    python bench/final_stage.py big.yaml /tmp/out-new --version 898038df0d96bd44

--version: the code version the cached run was made with (`flows.cache.code_version()` there): another checkout
has another, and would not find the cached shards under its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, os.getcwd())  # the checkout the command runs in, not necessarily this file's


class Stop(BaseException):  # not an Exception: nothing in the stage catches it
    """--until's step is done."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("out", type=Path)
    parser.add_argument("--version", help="code version of the cached run")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--manifest", type=Path,
                        help="the ingested metas and cleaned folders as JSON (bench/replicate_cache.py writes one) "
                             "instead of the config's cache")
    parser.add_argument("--until", help="stop after this step (e.g. dedup): its figures are logged, the rest skipped")
    parser.add_argument("--trace-from", help="start tracemalloc after this step and log, at each later mark, the "
                                             "peak of the memory traced since the mark before (what a part allocated)")
    args = parser.parse_args()

    import flows.finalize as finalize_module
    import flows.incremental as incremental
    import formats.progress as progress
    from filters.clean import shard_steps
    from flows.config import load_config

    if args.version:
        incremental.code_version = lambda: args.version  # type: ignore[assignment]
    cfg, base = load_config(args.config)
    if args.manifest:
        manifest = json.loads(args.manifest.read_text())
        ingested, cleaned = manifest["ingested"], manifest["cleaned"]
    else:
        cache = Path(cfg.run.cache_dir)
        ingested = [incremental.cached_ingest(incremental.ingest_folder(s, str(base), cfg.run, str(cache), ""))
                    for s in cfg.sources]
        cleaned = [{"folder": str(incremental.clean_folder(Path(m["folder"]) / s, cfg.filters, str(base),
                                                           str(cache), True)), "cached": True}
                   for m in ingested if m for s in m["shards"]]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log = logging.getLogger("final")
    peak = [0, 0]  # the whole run, since the last step
    done = threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not done.is_set():
            try:
                now = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            peak[0], peak[1] = max(peak[0], now), max(peak[1], now)
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()
    snapshots: list[tuple[str, Any]] = []

    started = time.perf_counter()

    def mark(label: str) -> None:
        if args.trace:
            snapshots.append((label, tracemalloc.take_snapshot()))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if tracemalloc.is_tracing():
            current, traced = tracemalloc.get_traced_memory()
            log.info("TRACE %s: traced peak during it %.1f MB, now %.1f MB", label, traced / 2**20, current / 2**20)
            tracemalloc.reset_peak()
        log.info("MARK %s: rss %.0f MB, tree peak during it %.0f MB; since start: wall %.0f s, CPU %.0f s, "
                 "tree peak %.0f MB", label, psutil.Process().memory_info().rss / 2**20, peak[1] / 2**20,
                 time.perf_counter() - started, usage.ru_utime + usage.ru_stime, peak[0] / 2**20)
        peak[1] = 0
        if label == args.trace_from and not tracemalloc.is_tracing():
            tracemalloc.start(6)
        if label == args.until:
            raise Stop

    plain = progress.heartbeat

    @contextmanager
    def heartbeat(log_: Any, what: str, rows: int, every: float | None = None) -> Iterator[None]:
        with plain(log_, what, rows, every):
            yield
        mark(what)

    finalize_module.heartbeat = heartbeat  # type: ignore[assignment]
    import filters.dedup as dedup_module

    def marked_call(label: str, function: Any) -> Any:
        def call(*a: Any, **k: Any) -> Any:
            out = function(*a, **k)
            mark(label)
            return out
        return call

    # dedup's parts, marked the same way (those a checkout has): where dedup's time and memory go
    for name in ("dedup_keys", "_exact_survivors", "candidates", "verify_pairs", "resolve_clusters"):
        if hasattr(dedup_module, name):
            setattr(dedup_module, name, marked_call(f"dedup: {name}", getattr(dedup_module, name)))
    # the report's parts (those a checkout has): what the steps after stats hold
    import report.build as build_module
    for name in ("source_counts", "rule_examples", "duplicate_summary", "mix_summary", "conversation_summary",
                 "pii_summary"):
        if hasattr(build_module, name):
            setattr(build_module, name, marked_call(f"report: {name}", getattr(build_module, name)))
    for name in ("build_report", "browse_rows", "render_report_html"):
        if hasattr(finalize_module, name):
            setattr(finalize_module, name, marked_call(f"report: {name}", getattr(finalize_module, name)))
    similarity = dedup_module.PairSimilarity
    similarity.__init__ = marked_call("dedup: PairSimilarity built", similarity.__init__)  # type: ignore[method-assign]
    write_kept = getattr(finalize_module, "_write_kept", None)
    if write_kept:
        def marked(*a: Any, **k: Any) -> None:
            write_kept(*a, **k)
            mark("write (kept rows)")
        finalize_module._write_kept = marked  # type: ignore[attr-defined]
    shard_steps(cfg.filters, base)  # the rule matcher, compiled before timing and tracing (cached per process)
    if args.trace:
        tracemalloc.start(6)
    started = time.perf_counter()
    try:
        finalize_module.finalize(cfg, ingested, cleaned, {}, args.out, base, log)
    except Stop:
        print(f"stopped after {args.until}")
    wall = time.perf_counter() - started
    done.set()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"final stage: wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s (this process), "
          f"peak RSS {peak[0] / 2**20:,.0f} MB (process tree), load {os.getloadavg()[0]:.1f}")
    for label, snapshot in snapshots:
        print(f"\n== after {label}")
        for stat in snapshot.statistics("traceback")[:10]:
            where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(stat.traceback)[::-1][:4])
            print(f"  {stat.size / 2**20:8.1f} MB {stat.count:9d}  {where}")


if __name__ == "__main__":
    main()
