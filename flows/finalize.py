"""After cleaning: merge the shards' ledgers, run the corpus-level steps, split, write every output and the report,
with the rows left in the cleaned shards on disk (formats/rowstore.py; docs/scaling.md says what stays in memory).
Plain functions, no Prefect: flows/pipeline.py runs `finalize` as one task, and tests call it
directly. It sits in flows/ because it is where filters/ (the steps) and report/ meet."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from filters.clean import shard_steps
from filters.corpus import corpus_steps
from filters.dedup import DedupStep, prompt_groups
from filters.pii import scrub_reject
from filters.shard_keys import KEYS_FILE
from filters.whatif import score_rows, what_if
from flows.cache import code_version, key_of
from flows.config import PipelineConfig
from flows.outputs import PER_FORMAT, STATE_DIR
from formats.example import Edit, Example, Reject
from formats.ledger import Ledger, load_ledger
from formats.progress import Progress, heartbeat
from formats.readers import kind_of
from formats.rowids import PackedIds, new_ids, pack_all, sorted_lines
from formats.rowstore import Chained, KeptRows, RowStore, RowView, take
from formats.spill import Spilled
from formats.step import chain_label, rule_ids, run_steps
from formats.trainer_configs import axolotl_datasets, llamafactory_dataset_info, load_dataset_snippet
from formats.writers import (
    OutputSettings,
    atomic_file,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    converted,
    format_folders,
    in_val,
)
from report.browse import browse_rows
from report.build import build_report
from report.card import render_card
from report.html import render_report_html
from report.rowfacts import FACTS_FILE, Facts, lengths_before, stats_row
from report.stats import LENGTH_EDGES, DatasetStats, LengthHistograms, length_histograms
from train.tokens import token_counter

_BATCH_ROWS = 2_000  # rows a batch in the split: one normalisation call per column
_WRITE_ROWS = 4_096  # rows read at a time by the write pass


def _ingested_rows(ingested: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows as ingested, before any filter, streamed from the ingest shards."""
    for meta in ingested:
        for shard in meta["shards"]:
            with (Path(meta["folder"]) / shard).open("rb") as handle:
                yield from map(orjson.loads, handle)


def _merge(ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]], ledger: Ledger,
           config: PipelineConfig) -> RowStore:
    """The ingest quarantine and every shard's ledger into `ledger`; the cleaned rows, in shard order, as a store
    of rows that stay on disk. Rows quarantined at ingest never met the PII step: their personal data is masked
    here, before the ledger keeps them."""
    for meta in ingested:
        with (Path(meta["folder"]) / "rejects.jsonl").open("rb") as handle:
            for line in handle:
                ledger.add_reject(scrub_reject(Reject(**orjson.loads(line)), config.filters.pii))
    for part in cleaned:
        ledger.merge(load_ledger(Path(part["folder"])))
    return RowStore([Path(part["folder"]) / "examples.jsonl" for part in cleaned])


def _new_ids(state: Path, source: str, kept: PackedIds, rejects: list[Reject]) -> int:
    """How many of this run's row ids (kept and rejected) of `source` no earlier run had seen; then remember them
    all, sorted. The ids stay packed (formats.rowids): a million ids never sit in memory as strings."""
    digits, other = kept.of_source(source)
    rejected, rejected_other = pack_all(source, (r.id for r in rejects if r.source == source))
    digits, other = np.concatenate([digits, rejected]), other + rejected_other
    count = new_ids(state, source, digits, other)
    with atomic_file(state / f"{source}.ids") as handle:
        for number, line in enumerate(sorted_lines(source, digits, other)):
            handle.write(f"\n{line}".encode() if number else line.encode())
    return count


def _split(examples: Sequence[Example], out: OutputSettings) -> tuple[Sequence[Example], Sequence[Example], bool]:
    """Train, val, and whether any row is a conversation, in one pass. Rows that ask the same question (same
    normalised prompt) stay on one side: val never grades a trained question."""
    sides: dict[bool, list[int]] = {False: [], True: []}
    if isinstance(examples, RowView):  # the clean workers' prompt keys and conversation flags: no row is read
        prompts = examples.column(KEYS_FILE, "prompts")
        flags = examples.column(FACTS_FILE, "conversation") if prompts is not None else None
        if prompts is not None and flags is not None:
            for index, key in enumerate(prompts.tolist()):
                sides[in_val(f"{key:016x}", out.val_fraction, out.seed)].append(index)
            return take(examples, sides[False]), take(examples, sides[True]), bool(flags.any())
    conversations = False
    for start in range(0, len(examples), _BATCH_ROWS):
        batch = examples[start:start + _BATCH_ROWS]
        conversations = conversations or any(ex.is_conversation for ex in batch)
        for index, group in enumerate(prompt_groups(batch), start):
            sides[in_val(group, out.val_fraction, out.seed)].append(index)
    return take(examples, sides[False]), take(examples, sides[True]), conversations


def _write_kept(train: RowView, val: RowView, out: OutputSettings, out_dir: Path,
                conversations: bool, writing: Progress, kept: KeptRows, stats: DatasetStats,
                lengths: LengthHistograms, facts: Facts | None) -> None:
    """One pass over the kept rows (train, then val): every format's train.jsonl and val.jsonl, provenance.jsonl,
    and what the report needs of each row (ids, counts, stats), so no kept row is held in memory. `facts`: what
    the clean workers computed of the rows for the stats (report.rowfacts), where they did."""
    formats = format_folders(out, out_dir)
    with ExitStack() as files:
        provenance = files.enter_context(atomic_file(out_dir / "provenance.jsonl"))
        targets = []
        for fmt, folder in formats:
            if not train and not val:  # nothing to train on: no data files and no trainer entries (old ones go too)
                for name in PER_FORMAT:
                    (folder / name).unlink(missing_ok=True)
                continue
            targets.append((fmt, files.enter_context(atomic_file(folder / "train.jsonl")),
                            files.enter_context(atomic_file(folder / "val.jsonl"))))
        for side, rows in ((1, train), (2, val)):
            for start in range(0, len(rows), _WRITE_ROWS):
                positions = rows.positions[start:start + _WRITE_ROWS]
                numbers = rows.store.file[np.minimum(positions, max(rows.store.on_disk - 1, 0))].tolist() \
                    if rows.store.on_disk else [0] * len(positions)
                for position, number, ex in zip(positions.tolist(), numbers, rows.store.read(positions),
                                                strict=True):
                    for fmt, *handles in targets:
                        for row in converted([ex], fmt, out.system_prompt, conversations):
                            handles[side - 1].write(orjson.dumps(row) + b"\n")
                    provenance.write(orjson.dumps({"id": ex.id, "source": ex.source, "meta": ex.meta}) + b"\n")
                    writing.add(len(formats) + 1)
                    kept.add(ex)
                    row = stats_row(ex)
                    known = facts.at(position, number) if facts else None
                    stats.add(row, known[0] if known else None)
                    lengths.add(row, known[1] if known else None)


def finalize(config: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
             failed: dict[str, str], out_dir: Path, base_dir: Path, log: Any,
             dask_address: str | None = None) -> dict[str, Any]:
    """Merge, run the corpus steps, split, write, report. The rows stay in the cleaned shards on disk: the steps
    and the writers read them in passes (formats.rowstore), so memory follows the dedup index, not the text.
    With `dask_address` (the run's Dask scheduler) dedup's work over the rows runs on that cluster
    (flows/dask_dedup.py), with the same outputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # rejected rows and edits go to temporary files beside the outputs as they are recorded (formats.spill)
    rejects, edits = Spilled(Reject, out_dir), Spilled(Edit, out_dir)
    ledger = Ledger(rejects=rejects, edits=edits)  # type: ignore[arg-type]
    read = {s.name: 0 for s in config.sources} | {m["name"]: m["read"] for m in ingested}
    try:
        with heartbeat(log, "merge shards", sum(read.values())):
            store = _merge(ingested, cleaned, ledger, config)
        with store:
            return _finalize(config, ingested, store, ledger, read, failed, out_dir, base_dir, log, dask_address)
    finally:
        rejects.close()
        edits.close()


def _finalize(config: PipelineConfig, ingested: list[dict[str, Any]], store: RowStore, ledger: Ledger,
              read: dict[str, int], failed: dict[str, str], out_dir: Path, base_dir: Path,
              log: Any, dask_address: str | None) -> dict[str, Any]:
    examples: Sequence[Example] = store.view()
    quarantined = sum(r.stage == "ingest" for r in ledger.rejects)
    chain, steps = shard_steps(config.filters, base_dir), corpus_steps(config, base_dir, log)
    if dask_address:  # imported here: distributed costs a plain run's start-up ~1 s
        from flows.dask_dedup import DaskDedupStep

        steps = [DaskDedupStep(s.settings, s.source_order, dask_address, log) if isinstance(s, DedupStep) else s
                 for s in steps]
    funnel = [("read", sum(read.values())), ("ingested", sum(m["read"] for m in ingested) - quarantined),
              (chain_label(chain), len(examples))]
    seen_by_noise = Chained(examples, [Example.from_dict(r.row) for r in ledger.rejects if r.stage == "noise"])
    # a step that logs its own progress (dedup, phase by phase with an ETA) gets only the closing line
    examples, corpus_funnel = run_steps(steps, examples, ledger, around=lambda step, n: heartbeat(
        log, step.name, n, beats=not getattr(step, "reports_progress", False)))
    near = [r.row["meta"].get("similarity", 1.0) for r in ledger.rejects if r.rule == "near-duplicate"]
    cleaned, noise_rejects = seen_by_noise.parts  # the scores of the cleaned rows as their clean workers saved them
    stored = cleaned.column(FACTS_FILE, "whatif") if isinstance(cleaned, RowView) else None
    scores = None if stored is None else np.concatenate([stored, score_rows(noise_rejects)])
    with heartbeat(log, "what-if tables", len(seen_by_noise)):
        thresholds = what_if(seen_by_noise, config.filters.noise, config.dedup.threshold, near,
                             seed=config.output.seed, scores=scores)
    del scores, cleaned, noise_rejects
    del seen_by_noise, near  # the noise rejects read back as Examples: not needed past the what-if tables
    funnel += corpus_funnel
    for (_, rows), step in zip(corpus_funnel, steps, strict=True):
        log.info("%s: %d rows kept", step.name, rows)

    out = config.output
    with heartbeat(log, "split", len(examples)):
        train, val, conversations = _split(examples, out)
    funnel += [("train", len(train)), ("val", len(val))]
    kept_rows = len(train) + len(val)
    # real token counts when the target model is named (its tokenizer, from local files only), else the estimate
    model = config.train.model
    if model and (base_dir / model).exists():  # a local folder named relative to the config file
        model = str(base_dir / model)
    count, method = token_counter(model) if model else (None, "")
    writing = Progress(log, "write", total=kept_rows * (len(format_folders(out, out_dir)) + 1) + len(ledger.rejects)
                       + len(ledger.edits))
    assert isinstance(train, RowView) and isinstance(val, RowView)  # the steps and the split keep the rows on disk
    kept = KeptRows(train + val)
    stats_rows, after = DatasetStats(kept_rows, count_tokens=count, seed=out.seed), LengthHistograms(count)
    facts = Facts(train.store.paths, train.store.file) if count is None else None  # estimates only
    _write_kept(train, val, out, out_dir, conversations, writing, kept, stats_rows, after, facts)
    for name, entries in (("rejects.jsonl", ledger.rejects), ("edits.jsonl", ledger.edits)):
        if isinstance(entries, Spilled):  # its lines are the file's bytes: copied, not parsed and dumped again
            with atomic_file(out_dir / name) as handle:
                for chunk in entries.lines():
                    handle.write(chunk)
            writing.add(len(entries))
        else:
            atomic_write_jsonl(out_dir / name, writing.iterate(entry.to_dict() for entry in entries))
    writing.finish()

    new_rows = {s.name: _new_ids(out_dir / STATE_DIR, s.name, kept.ids, ledger.rejects) for s in config.sources
                if s.name not in failed}
    with heartbeat(log, "stats", kept_rows):
        stats = stats_rows.result()
        if method:
            stats["tokens_method"] = method
        lengths = {"edges": list(LENGTH_EDGES), "tokens_method": stats["tokens_method"],
                   "before": (count is None and lengths_before([p.parent for p in store.paths]))
                   or length_histograms(_ingested_rows(ingested), count), "after": after.result()}
    summary = {"sources": [{"name": s.name, "kind": s.kind, **kind_of(s).summary(s)} for s in config.sources],
               "format": out.format, "val_fraction": out.val_fraction, "code_version": code_version()}
    report = build_report(read=read, funnel=funnel, train=train, val=val, ledger=ledger, failed=failed,
                          stats=stats, config_summary=summary, lengths=lengths,
                          enabled_rules=rule_ids(chain) + rule_ids(steps), what_if=thresholds, kept=kept)
    for name, counts in report["sources"].items():
        counts["new_rows"] = new_rows.get(name, 0)
    atomic_write_json(out_dir / "report.json", report)
    with heartbeat(log, "report.html", kept_rows + len(ledger.rejects)):
        browse = browse_rows(train, val, ledger, seed=out.seed, kept_ids=kept.ids)
        atomic_write_bytes(out_dir / "report.html", render_report_html(report, browse=browse).encode())
    _write_trainer_files(config, report, out_dir, conversations)
    return report


def _write_trainer_files(config: PipelineConfig, report: dict[str, Any], target: Path, conversations: bool) -> None:
    """Dataset card and trainer entries beside the data, so it loads without a mapping step."""
    out = config.output
    for fmt, folder in format_folders(out, target) if report["totals"]["kept"] else []:
        atomic_write_json(folder / "dataset_info.json", llamafactory_dataset_info(out.name, fmt, conversations))
        atomic_write_bytes(folder / "axolotl.yaml", axolotl_datasets(fmt, conversations=conversations).encode())
        atomic_write_bytes(folder / "load_dataset.py", load_dataset_snippet().encode())
    card = render_card(report, name=out.name, fmt=out.format, license=out.license,
                       config_hash=key_of(config), source_licenses={s.name: s.license for s in config.sources})
    atomic_write_bytes(target / "README.md", card.encode())
