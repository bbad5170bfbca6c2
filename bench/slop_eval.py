"""Measure the slop and noise filters on real data (issue 7): hits per rule, precision, recall, FP, rows/s.

    python -m bench.slop_eval [--devdata ../shared/devdata] [--rows 100000] [--samples 3] [--json out.json]
    python -m bench.slop_eval --dump-hits hits.jsonl   # every hit, all categories on: material for labelling

Sections:
1. hits on the dev data (Alpaca EN/ZH, GPTeacher codegen, Toyhom doctors) per rule and per category:
   rows touched / dropped / stripped / flagged, with samples for a person to judge;
2. precision from the labelled hits in tests/fixtures/slop_labels.jsonl (judged by a person);
3. recall: boilerplate sentences from tests/fixtures/slop_injections.json (written independently of the
   rule patterns) injected into human-written rows; a strip must give back the human text exactly;
4. false positives: rows of human-written text that the slop rules change or drop (human-closing off),
   and rows the noise checks drop;
5. throughput of the whole chain (repair → PII → slop → noise) on Alpaca-like rows (--throughput-only: PII off
   and on, side by side, per worker count).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import multiprocessing
import platform
import random
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filters.clean import (
    FilterSettings,
    SlopSettings,
    apply_slop,
    build_matcher,
    clean_batch,
    repair,
    shard_steps,
)
from filters.noise import first_problem
from filters.slop import SlopMatcher, load_rules, normalise
from formats.example import Example
from formats.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEVDATA = ROOT.parent / "shared" / "devdata"
LABELS = ROOT / "tests" / "fixtures" / "slop_labels.jsonl"
INJECTIONS = ROOT / "tests" / "fixtures" / "slop_injections.json"
HUMAN_EN = ROOT / "tests" / "fixtures" / "human_en.jsonl"
TARGETS = {"strip": 0.95, "drop": 0.98}


# ----------------------------------------------------------------------------------------------- data
def load_devdata(devdata: Path) -> dict[str, list[Example]]:
    """The dev data as Examples, one list per source (GPTeacher's answer is under `response`)."""
    sets: dict[str, list[Example]] = {}
    for name in ("alpaca_en_demo", "alpaca_zh_demo", "gpteacher_codegen"):
        rows = json.loads((devdata / "alpaca" / f"{name}.json").read_text(encoding="utf-8"))
        sets[name] = [Example.from_fields(name, str(i), r.get("instruction") or "", r.get("input") or "",
                                          r.get("output") or r.get("response") or "") for i, r in enumerate(rows)]
    sets["toyhom"] = load_toyhom(devdata)
    return sets


def load_toyhom(devdata: Path) -> list[Example]:
    """Doctors' answers (human text): title → instruction, ask → input, answer → output."""
    import csv
    import io

    raw = (devdata / "csv" / "toyhom_internal_medicine_gb18030.csv").read_bytes().decode("gb18030")
    return [Example.from_fields("toyhom", str(i), r["title"] or "", r["ask"] or "", r["answer"] or "")
            for i, r in enumerate(csv.DictReader(io.StringIO(raw)))]


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def html_paragraphs(devdata: Path, min_chars: int = 80) -> list[str]:
    """Human-written English paragraphs from the Readability expected pages and Stack Overflow answers."""
    from bs4 import BeautifulSoup

    out: list[str] = []
    pages = sorted((devdata / "html" / "readability").glob("*/expected.html"))
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8", errors="replace"), "lxml")
        for p in soup.find_all("p"):
            text = _SPACE.sub(" ", p.get_text(" ")).strip()
            if len(text) >= min_chars and text.isascii():
                out.append(text)
    for page in sorted((devdata / "html" / "stackoverflow").glob("*.html.gz")):
        soup = BeautifulSoup(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"), "lxml")
        for body in soup.select(".answercell .s-prose, .answer .post-text"):
            for p in body.find_all("p"):
                text = _SPACE.sub(" ", p.get_text(" ")).strip()
                if len(text) >= min_chars and text.isascii():
                    out.append(text)
    return list(dict.fromkeys(out))


def human_rows(devdata: Path) -> dict[str, list[Example]]:
    """Human-written rows: Toyhom doctors (ZH), web/Stack Overflow paragraphs (EN), and the project's own
    English answers (tests/fixtures/human_en.jsonl)."""
    toyhom = [ex for ex in load_toyhom(devdata) if ex.output.strip()]
    web = [Example.from_fields("web", str(i), "Summarise the passage.", "", t)
           for i, t in enumerate(html_paragraphs(devdata))]
    own = [Example.from_fields("human_en", str(i), r["instruction"], r.get("input", ""), r["output"])
           for i, r in enumerate(json.loads(line) for line in HUMAN_EN.read_text(encoding="utf-8").splitlines()
                                 if line.strip())]
    return {"toyhom": toyhom, "web": web, "human_en": own}


# ----------------------------------------------------------------------------------------------- 1. hits
@dataclass
class RuleStats:
    category: str
    action: str
    rows: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)


def hits_report(sets: dict[str, list[Example]], settings: FilterSettings, matcher: SlopMatcher,
                samples: int = 3) -> dict[str, Any]:
    """Run the chain per source; per rule and per category: rows dropped / stripped / flagged."""
    per_rule: dict[str, RuleStats] = {}
    per_source: dict[str, dict[str, int]] = {}
    for name, rows in sets.items():
        rows = copy.deepcopy(rows)
        ledger = Ledger()
        kept = clean_batch(rows, shard_steps(settings, matcher=matcher), ledger)
        touched: dict[str, set[str]] = defaultdict(set)
        for edit in ledger.edits:
            if edit.stage == "slop":
                touched[edit.rule].add(edit.id)
                stats = per_rule.setdefault(edit.rule, RuleStats(_category(matcher, edit.rule), "strip"))
                if len(stats.samples) < samples:
                    stats.samples.append(f"[{name}] strip {edit.removed[:160]!r}")
        for rule_id, ids in touched.items():
            per_rule[rule_id].rows[f"{name}:stripped"] += len(ids)
        for reject in ledger.rejects:
            stats = per_rule.setdefault(reject.rule, RuleStats(_category(matcher, reject.rule), "drop"))
            stats.rows[f"{name}:dropped"] += 1
            if len(stats.samples) < samples:
                stats.samples.append(f"[{name}] drop {reject.detail[:160]!r}")
        for ex in kept:
            for rule_id in set(ex.meta.get("flags", [])):
                stats = per_rule.setdefault(rule_id, RuleStats(_category(matcher, rule_id), "flag"))
                stats.rows[f"{name}:flagged"] += 1
        slop_drops = sum(1 for r in ledger.rejects if r.stage == "slop")
        per_source[name] = {"rows": len(rows), "kept": len(kept), "slop_dropped": slop_drops,
                            "noise_dropped": len(ledger.rejects) - slop_drops,
                            "slop_stripped_rows": len({e.id for e in ledger.edits if e.stage == "slop"}),
                            "repaired_rows": len({e.id for e in ledger.edits if e.stage == "repair"})}
    per_category: dict[str, Counter[str]] = defaultdict(Counter)
    for stats in per_rule.values():
        per_category[stats.category].update(stats.rows)
    return {"per_source": per_source,
            "per_rule": {k: {"category": v.category, "action": v.action, "rows": dict(v.rows), "samples": v.samples}
                         for k, v in sorted(per_rule.items())},
            "per_category": {k: dict(v) for k, v in sorted(per_category.items())}}


def _category(matcher: SlopMatcher, rule_id: str) -> str:
    for rule in matcher.rules:
        if rule.id == rule_id:
            return rule.category
    return rule_id.split(".")[1] if rule_id.startswith("noise.") else "other"


def dump_hits(sets: dict[str, list[Example]], path: Path) -> int:
    """Every slop hit with all categories on, one JSON line each: the raw material for labelling."""
    rules = [r for r in load_rules()]
    matcher = build_matcher(SlopSettings(enable_categories=sorted({r.category for r in rules})))
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for name, rows in sets.items():
            for ex in rows:
                prompt = normalise(f"{ex.instruction}\n{ex.input}")
                for fld in matcher.fields():
                    for hit in matcher.find(fld, getattr(ex, fld)):
                        fh.write(json.dumps({"source": name, "locator": ex.meta["locator"], "rule": hit.rule.id,
                                             "action": hit.rule.action, "field": fld, "text": hit.text,
                                             "exempt": hit.rule.exempt(prompt), "instruction": ex.instruction[:200],
                                             "context": getattr(ex, fld)[:300]}, ensure_ascii=False) + "\n")
                        n += 1
    return n


# ----------------------------------------------------------------------------------------------- 2. precision
def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def precision(labels: Iterable[dict[str, Any]], rules: list | None = None) -> dict[str, Any]:
    """Precision per action and per rule, re-running today's rules on each labelled sentence, so a label
    whose sentence no longer matches its rule is reported as stale rather than silently counted."""
    by_id = {r.id: r for r in (rules if rules is not None else load_rules())}
    per_action: dict[str, Counter[str]] = defaultdict(Counter)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    stale: list[str] = []
    exempt = 0
    for label in labels:
        if label.get("exempt"):
            exempt += 1  # the prompt asked for it: the chain does not act on this hit
            continue
        rule = by_id.get(label["rule"])
        if rule is None or not SlopMatcher([_enabled(rule)]).find(label["field"], label["text"]):
            stale.append(f"{label['rule']}: {label['text'][:60]!r}")
            continue
        key = "true" if label["label"] else "false"
        per_action[rule.action][key] += 1
        per_rule[rule.id][key] += 1
    def score(c: Counter[str]) -> dict[str, Any]:
        n = c["true"] + c["false"]
        return {"judged": n, "true": c["true"], "precision": round(c["true"] / n, 4) if n else None}
    return {"per_action": {k: score(v) for k, v in sorted(per_action.items())},
            "per_rule": {k: score(v) for k, v in sorted(per_rule.items())},
            "judged": sum(c["true"] + c["false"] for c in per_action.values()), "exempt": exempt, "stale": stale}


def _enabled(rule: Any) -> Any:
    import dataclasses

    return rule if rule.enabled else dataclasses.replace(rule, enabled=True)


# ----------------------------------------------------------------------------------------------- 3. recall
def recall(rows: list[Example], injections: dict[str, Any], settings: FilterSettings, matcher: SlopMatcher,
           lang: str, split: str = "heldout", seed: int = 7) -> dict[str, Any]:
    """Inject one boilerplate sentence per kind into each human row; count how often the chain removes it
    (strip kinds: the exact human text must come back; drop kinds: the row must be dropped by a slop rule).
    Only rows the chain keeps unchanged without injection are used, so every change is the injection's."""
    rnd = random.Random(seed)
    baseline: list[Example] = []
    for ex in rows:
        base = copy.deepcopy(ex)
        ledger = Ledger()
        repair(base, ledger)
        if apply_slop(base, matcher, settings.slop, ledger) and not first_problem(base, settings.noise) \
                and not any(e.stage == "slop" for e in ledger.edits):
            baseline.append(base)
    out: dict[str, Counter[str]] = {}
    misses: dict[str, list[str]] = defaultdict(list)
    for kind, spec in injections[lang].items():
        counts = out.setdefault(kind, Counter())
        for base in baseline:
            phrase = rnd.choice(spec[split])
            polluted = copy.deepcopy(base)
            polluted.output = _inject(base.output, phrase, spec["where"], lang, rnd)
            ledger = Ledger()
            kept = clean_batch([polluted], shard_steps(settings, matcher=matcher), ledger)
            counts["injected"] += 1
            slop_drop = not kept and any(r.stage == "slop" for r in ledger.rejects)
            if spec["expect"] == "drop":
                if slop_drop:
                    counts["removed"] += 1
                    counts["exact"] += 1
                else:
                    misses[kind].append(phrase)
                continue
            if kept and any(e.stage == "slop" for e in ledger.edits):
                counts["removed"] += 1
                if kept[0].output == base.output:
                    counts["exact"] += 1
                else:
                    misses[kind].append(f"inexact: {phrase!r} -> {kept[0].output[:60]!r}")
            elif slop_drop:
                misses[kind].append(f"dropped: {phrase!r} ({ledger.rejects[0].rule})")
            else:
                misses[kind].append(phrase)
    total: Counter[str] = Counter()
    for c in out.values():
        total.update(c)

    def score(c: Counter[str]) -> dict[str, Any]:
        n = c["injected"]
        return {"injected": n, "removed": c["removed"], "exact": c["exact"],
                "recall": round(c["removed"] / n, 4) if n else None,
                "exact_share": round(c["exact"] / n, 4) if n else None}
    return {"rows": len(baseline), "total": score(total), "per_kind": {k: score(v) for k, v in out.items()},
            "misses": {k: dict(Counter(v).most_common(8)) for k, v in misses.items()}}


def _inject(text: str, phrase: str, where: str, lang: str, rnd: random.Random) -> str:
    """Join as writers do: a blank line, a line break, or (EN) a space / (ZH) nothing within the paragraph."""
    ended = text.rstrip()[-1:] in ".!?。！？" and phrase.rstrip()[-1:] in ".!?:：。！？"
    # within a paragraph only after a finished sentence, as a model writes it; else on its own line
    sep = rnd.choice(["\n\n", "\n", " " if lang == "en" else ""]) if ended else rnd.choice(["\n\n", "\n"])
    if where == "opener":
        return phrase + sep + text
    if where == "closer":
        return text + sep + phrase
    if where == "replace":
        return phrase
    raise ValueError(where)


# ----------------------------------------------------------------------------------------------- 4. false positives
def false_positives(rows: dict[str, list[Example]], settings: FilterSettings, matcher: SlopMatcher) -> dict[str, Any]:
    """Share of human-written rows that the slop rules change or drop, and that noise checks drop."""
    out: dict[str, Any] = {}
    for name, group in rows.items():
        group = copy.deepcopy(group)
        ledger = Ledger()
        clean_batch(group, shard_steps(settings, matcher=matcher), ledger)
        slop_rows = {e.id for e in ledger.edits if e.stage == "slop"} | {r.id for r in ledger.rejects
                                                                         if r.stage == "slop"}
        noise = Counter(r.rule for r in ledger.rejects if r.stage == "noise")
        samples = [f"{e.rule}: {e.removed[:100]!r}" for e in ledger.edits if e.stage == "slop"][:5]
        samples += [f"{r.rule}: {r.detail[:100]!r}" for r in ledger.rejects][:5]
        out[name] = {"rows": len(group), "slop_changed_or_dropped": len(slop_rows),
                     "slop_fp_rate": round(len(slop_rows) / max(1, len(group)), 4),
                     "noise_dropped": dict(noise),
                     "noise_drop_rate": round(sum(noise.values()) / max(1, len(group)), 4), "samples": samples}
    return out


# ----------------------------------------------------------------------------------------------- 5. throughput
def alpaca_like(sets: dict[str, list[Example]], n: int) -> list[Example]:
    """n rows cycled from the Alpaca-format sets, each made unique (so no cache flatters the figure)."""
    pool = sets["alpaca_en_demo"] + sets["alpaca_zh_demo"] + sets["gpteacher_codegen"]
    return [Example(f"bench-{i}", f"{p.instruction} ({i})", p.input, p.output, "bench", {"locator": str(i)})
            for i, p in enumerate(pool[j % len(pool)] for j in range(n))]


def _in_processes(rows: list[Example], settings: FilterSettings, ledger: Ledger, workers: int) -> list[Example]:
    """The chain as the flow's default runner applies it: shards on disk, `flows.stages.clean_shard_into` on each,
    in `workers` spawned processes (their start-up, reading and writing timed too)."""
    import orjson

    from flows.stages import clean_shard_into
    from formats.ledger import load_ledger

    with tempfile.TemporaryDirectory() as tmp:
        size = -(-len(rows) // workers)
        shards = []
        for i in range(0, len(rows), size):
            shards.append(Path(tmp) / f"part-{i}.jsonl")
            shards[-1].write_bytes(b"".join(orjson.dumps(ex.to_dict()) + b"\n" for ex in rows[i:i + size]))
        folders = [shard.with_suffix(".out") for shard in shards]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(clean_shard_into, shards, [settings] * len(shards), [None] * len(shards), folders))
        kept = []
        for folder in folders:
            ledger.merge(load_ledger(folder))
            kept += [Example.from_dict(orjson.loads(line)) for line in (folder / "examples.jsonl").open("rb")]
    return kept


def throughput(sets: dict[str, list[Example]], settings: FilterSettings, matcher: SlopMatcher,
               n: int = 100_000, workers: int = 1) -> dict[str, Any]:
    """The whole chain on n rows: in this process, or in `workers` processes as the flow's process runner runs it."""
    rows = alpaca_like(sets, n)
    ledger = Ledger()
    start = time.perf_counter()
    if workers > 1:
        kept = _in_processes(rows, settings, ledger, workers)
    else:
        kept = clean_batch(rows, shard_steps(settings, matcher=matcher), ledger)
    seconds = time.perf_counter() - start
    return {"rows": n, "workers": workers, "pii": settings.pii.enabled, "seconds": round(seconds, 2),
            "rows_per_s": round(n / seconds),
            "kept": len(kept), "edits": len(ledger.edits), "rejects": len(ledger.rejects)}


# ----------------------------------------------------------------------------------------------- main
def evaluate(devdata: Path, rows: int, samples: int) -> dict[str, Any]:
    settings = FilterSettings()
    matcher = build_matcher(settings.slop)
    sets = load_devdata(devdata)
    injections = json.loads(INJECTIONS.read_text(encoding="utf-8"))
    humans = human_rows(devdata)
    report: dict[str, Any] = {"machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
                              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    report["hits"] = hits_report(sets, settings, matcher, samples)
    report["precision"] = precision(load_labels())
    rng = random.Random(3)
    en_rows = humans["web"] + humans["human_en"]
    zh_rows = rng.sample(humans["toyhom"], min(600, len(humans["toyhom"])))
    report["recall"] = {f"{lang}.{split}": recall(group, injections, settings, matcher, lang, split)
                        for lang, group in (("en", en_rows), ("zh", zh_rows)) for split in ("dev", "heldout")}
    report["false_positives"] = false_positives(humans, settings, matcher)
    if rows:
        report["throughput"] = throughput(sets, settings, matcher, rows)
    return report


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devdata", type=Path, default=DEFAULT_DEVDATA)
    parser.add_argument("--rows", type=int, default=100_000, help="rows for the throughput run (0: skip)")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the whole report here")
    parser.add_argument("--dump-hits", type=Path, help="write every hit (all categories on) and stop")
    parser.add_argument("--throughput-only", type=int, nargs="+", metavar="WORKERS",
                        help="only time the chain, once per worker count given (e.g. 1 2), side by side")
    args = parser.parse_args()
    if args.throughput_only:
        settings = FilterSettings()
        sets = load_devdata(args.devdata)
        matcher = build_matcher(settings.slop)
        clean_batch(alpaca_like(sets, 200), shard_steps(settings, matcher=matcher), Ledger())  # load langid first
        no_pii = settings.model_copy(update={"pii": settings.pii.model_copy(update={"enabled": False})})
        for workers in args.throughput_only:
            for chosen in (no_pii, settings):  # off then on, one after the other: the machine is shared
                print(json.dumps(throughput(sets, chosen, matcher, args.rows, workers)), flush=True)
        return
    if args.dump_hits:
        print(dump_hits(load_devdata(args.devdata), args.dump_hits), "hits written to", args.dump_hits)
        return
    report = evaluate(args.devdata, args.rows, args.samples)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
