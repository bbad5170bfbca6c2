"""After cleaning: merge the shards and their ledgers, run the corpus-level steps, split, write every output and
the report. Plain functions, no Prefect: flows/pipeline.py runs `finalize` as one task, and tests call it
directly. It sits in flows/ because it is where filters/ (the steps) and report/ meet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from filters.clean import shard_steps
from filters.corpus import corpus_steps
from filters.dedup import prompt_group
from filters.pii import scrub_reject
from filters.whatif import what_if
from flows.cache import code_version, key_of
from flows.config import PipelineConfig
from flows.outputs import PER_FORMAT, STATE_DIR
from formats.example import Example, Reject
from formats.ledger import Ledger, load_ledger
from formats.progress import Progress, heartbeat
from formats.readers import kind_of
from formats.step import chain_label, rule_ids, run_steps
from formats.trainer_configs import axolotl_datasets, llamafactory_dataset_info, load_dataset_snippet
from formats.writers import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_jsonl,
    converted,
    format_folders,
    split_train_val,
)
from report.browse import browse_rows
from report.build import build_report
from report.card import render_card
from report.html import render_report_html
from report.stats import LENGTH_EDGES, dataset_stats, length_histograms
from train.tokens import token_counter


def _ingested_rows(ingested: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The rows as ingested, before any filter, streamed from the ingest shards."""
    for meta in ingested:
        for shard in meta["shards"]:
            with (Path(meta["folder"]) / shard).open("rb") as handle:
                yield from map(orjson.loads, handle)


def _merge(ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]], ledger: Ledger,
           config: PipelineConfig) -> list[Example]:
    """The ingest quarantine and every shard's ledger into `ledger`; the cleaned rows in shard order. Rows
    quarantined at ingest never met the PII step: their personal data is masked here, before the ledger keeps them."""
    for meta in ingested:
        with (Path(meta["folder"]) / "rejects.jsonl").open("rb") as handle:
            for line in handle:
                ledger.add_reject(scrub_reject(Reject(**orjson.loads(line)), config.filters.pii))
    examples: list[Example] = []
    for part in cleaned:
        ledger.merge(load_ledger(Path(part["folder"])))
        with (Path(part["folder"]) / "examples.jsonl").open("rb") as handle:
            examples.extend(Example.from_dict(orjson.loads(line)) for line in handle)
    return examples


def _new_ids(state: Path, source: str, ids: list[str]) -> int:
    """How many of this run's row ids no earlier run had seen; then remember them all."""
    path = state / f"{source}.ids"
    seen = set(path.read_text().split()) if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sorted(ids)))
    return len(ids) if seen is None else sum(1 for i in ids if i not in seen)


def finalize(config: PipelineConfig, ingested: list[dict[str, Any]], cleaned: list[dict[str, Any]],
             failed: dict[str, str], out_dir: Path, base_dir: Path, log: Any) -> dict[str, Any]:
    """Merge, run the corpus steps, split, write, report."""
    ledger = Ledger()
    read = {s.name: 0 for s in config.sources} | {m["name"]: m["read"] for m in ingested}
    with heartbeat(log, "merge shards", sum(read.values())):
        examples = _merge(ingested, cleaned, ledger, config)
    quarantined = sum(r.stage == "ingest" for r in ledger.rejects)
    chain, steps = shard_steps(config.filters, base_dir), corpus_steps(config, base_dir)
    funnel = [("read", sum(read.values())), ("ingested", sum(m["read"] for m in ingested) - quarantined),
              (chain_label(chain), len(examples))]
    seen_by_noise = examples + [Example.from_dict(r.row) for r in ledger.rejects if r.stage == "noise"]
    examples, corpus_funnel = run_steps(steps, examples, ledger, around=lambda step, n: heartbeat(log, step.name, n))
    near = [r.row["meta"].get("similarity", 1.0) for r in ledger.rejects if r.rule == "near-duplicate"]
    with heartbeat(log, "what-if tables", len(seen_by_noise)):
        thresholds = what_if(seen_by_noise, config.filters.noise, config.dedup.threshold, near,
                             seed=config.output.seed)
    funnel += corpus_funnel
    for (_, rows), step in zip(corpus_funnel, steps, strict=True):
        log.info("%s: %d rows kept", step.name, rows)

    out = config.output
    # rows that ask the same question (same normalised prompt) stay on one side: val never grades a trained question
    train, val = split_train_val(examples, out.val_fraction, out.seed, group_of=prompt_group)
    funnel += [("train", len(train)), ("val", len(val))]
    conversations = any(ex.is_conversation for ex in train + val)
    formats = format_folders(out, out_dir)
    kept = len(train) + len(val)
    writing = Progress(log, "write", total=kept * (len(formats) + 1) + len(ledger.rejects) + len(ledger.edits))
    for fmt, folder in formats:
        if not train and not val:  # nothing to train on: no data files and no trainer entries (old ones go too)
            for name in PER_FORMAT:
                (folder / name).unlink(missing_ok=True)
            continue
        atomic_write_jsonl(folder / "train.jsonl", writing.iterate(converted(train, fmt, out.system_prompt,
                                                                             conversations)))
        atomic_write_jsonl(folder / "val.jsonl", writing.iterate(converted(val, fmt, out.system_prompt, conversations)))
    atomic_write_jsonl(out_dir / "provenance.jsonl",
                       writing.iterate({"id": ex.id, "source": ex.source, "meta": ex.meta} for ex in train + val))
    atomic_write_jsonl(out_dir / "rejects.jsonl", writing.iterate(r.to_dict() for r in ledger.rejects))
    atomic_write_jsonl(out_dir / "edits.jsonl", writing.iterate(e.to_dict() for e in ledger.edits))
    writing.finish()

    ids: dict[str, list[str]] = {s.name: [] for s in config.sources}
    for row in [*ledger.rejects, *train, *val]:
        ids[row.source].append(row.id)
    new_rows = {name: _new_ids(out_dir / STATE_DIR, name, rows) for name, rows in ids.items() if name not in failed}
    rows = [{"instruction": e.instruction, "input": e.input, "output": e.output, "source": e.source,
             **({"system": e.system, "history": e.history} if e.is_conversation else {})} for e in train + val]
    # real token counts when the target model is named (its tokenizer, from local files only), else the estimate
    model = config.train.model
    if model and (base_dir / model).exists():  # a local folder named relative to the config file
        model = str(base_dir / model)
    count, method = token_counter(model) if model else (None, "")
    with heartbeat(log, "stats", len(rows)):
        stats = dataset_stats(rows, count_tokens=count, seed=out.seed)
        if method:
            stats["tokens_method"] = method
        lengths = {"edges": list(LENGTH_EDGES), "tokens_method": stats["tokens_method"],
                   "before": length_histograms(_ingested_rows(ingested), count),
                   "after": length_histograms(rows, count)}
    summary = {"sources": [{"name": s.name, "kind": s.kind, **kind_of(s).summary(s)} for s in config.sources],
               "format": out.format, "val_fraction": out.val_fraction, "code_version": code_version()}
    report = build_report(read=read, funnel=funnel, train=train, val=val, ledger=ledger, failed=failed,
                          stats=stats, config_summary=summary, lengths=lengths,
                          enabled_rules=rule_ids(chain) + rule_ids(steps), what_if=thresholds)
    for name, counts in report["sources"].items():
        counts["new_rows"] = new_rows.get(name, 0)
    atomic_write_json(out_dir / "report.json", report)
    with heartbeat(log, "report.html", kept + len(ledger.rejects)):
        browse = browse_rows(train, val, ledger, seed=out.seed)
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
