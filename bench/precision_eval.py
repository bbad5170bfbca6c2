"""Labelled precision of every drop and strip on real model data the rules were not tuned on (issue 21).

    python -m bench.precision_eval [--devdata ../shared/devdata] [--sample r4]

The sample: rows 500-999 of alpaca_cleaned_1000 and alpaca_zh_demo and rows 500-998 of alpaca_en_demo (GPT-4
answers; none of them was read while the rules were written or tuned). Every drop (slop and noise) and every
slop strip the chain makes there was judged by reading and recorded in bench/labels_issue21.jsonl. This script
re-runs the chain on the sample, scores today's hits against the labels, and lists hits nobody has judged yet
(a rule change that makes new hits needs new labels). Scene prompts in the sample (letters, dialogues,
stories …) are counted separately: the chain must leave their text alone.

`--sample r4` scores the fourth, fresh sample (round 4, after the first was read while tuning) against
bench/labels_issue21_r4.jsonl: rows 0-499 of alpaca_cleaned_1000 (never read by the slop or noise work), all
of gpteacher_codegen, the 30 two-turn MT-bench conversations with GPT-4's reference answers, and FastChat's 500
identity conversations. Its labels are keyed by a hash of the row's text as well as its locator, so a changed
data file shows up as unlabelled hits instead of borrowing old verdicts; a conversation cut before a bad turn
counts as a drop of those turns (kind `cut`).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.slop_eval import DEFAULT_DEVDATA
from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from filters.slop import exempt_categories
from formats.conversation import conversation_example
from formats.example import Example
from formats.ledger import Ledger

LABELS = Path(__file__).resolve().parent / "labels_issue21.jsonl"
LABELS_R4 = Path(__file__).resolve().parent / "labels_issue21_r4.jsonl"
SAMPLE = (("alpaca_cleaned_1000", 500, 1000), ("alpaca_zh_demo", 500, 1000), ("alpaca_en_demo", 500, 999))


def sample_rows(devdata: Path) -> list[Example]:
    rows: list[Example] = []
    for name, lo, hi in SAMPLE:
        data = json.loads((devdata / "alpaca" / f"{name}.json").read_text(encoding="utf-8"))
        rows += [Example.from_fields(name, str(i), r.get("instruction") or "", r.get("input") or "",
                                     r.get("output") or "") for i, r in enumerate(data) if lo <= i < hi]
    return rows


def hits(rows: list[Example]) -> tuple[list[dict[str, str]], dict[str, Example]]:
    """Every drop and slop strip the default chain makes on the rows."""
    originals = {ex.id: ex for ex in copy.deepcopy(rows)}
    settings = FilterSettings()
    ledger = Ledger()
    clean_batch(rows, shard_steps(settings, matcher=build_matcher(settings.slop)), ledger)
    out = [{"source": originals[r.id].source, "locator": originals[r.id].meta["locator"], "kind": "drop",
            "rule": r.rule} for r in ledger.rejects]
    out += [{"source": originals[e.id].source, "locator": originals[e.id].meta["locator"], "kind": "strip",
             "rule": e.rule} for e in ledger.edits if e.stage == "slop"]
    return out, originals


def evaluate(devdata: Path) -> dict[str, Any]:
    labels = {(x["source"], x["locator"], x["kind"], x["rule"]): x["label"]
              for x in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines())}
    rows = sample_rows(devdata)
    found, originals = hits(rows)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    unjudged = []
    for hit in found:
        key = (hit["source"], hit["locator"], hit["kind"], hit["rule"])
        if key not in labels:
            unjudged.append(key)
            continue
        verdict = "true" if labels[key] else "false"
        per_rule[f"{hit['kind']} {hit['rule']}"][verdict] += 1
        kind = "strip" if hit["kind"] == "strip" else ("noise drop" if hit["rule"].startswith("noise.")
                                                       else "slop drop")
        per_kind[kind][verdict] += 1
    scenes = [ex for ex in originals.values() if "opener" in exempt_categories(f"{ex.instruction}\n{ex.input}")]
    scene_ids = {(ex.source, ex.meta["locator"]) for ex in scenes}
    touched = sum(1 for h in found if (h["source"], h["locator"]) in scene_ids)

    def score(c: Counter[str]) -> dict[str, Any]:
        n = c["true"] + c["false"]
        return {"judged": n, "true": c["true"], "precision": round(c["true"] / n, 4) if n else None}
    return {"rows": len(rows), "hits": len(found), "per_kind": {k: score(v) for k, v in sorted(per_kind.items())},
            "per_rule": {k: score(v) for k, v in sorted(per_rule.items())},
            "scene_rows": len(scenes), "scene_rows_touched": touched, "unjudged": unjudged}


# ----------------------------------------------------------------------------------------------- sample r4
def row_key(example: Example) -> str:
    """A hash of the row's whole text (every turn, instruction, input, output): a label belongs to this text."""
    text = "\x1e".join([example.system, *(t for pair in example.history for t in pair),
                         example.instruction, example.input, example.output])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def sample_rows_r4(devdata: Path) -> list[Example]:
    """The r4 sample: model-written rows nobody here tuned on (see the module docstring)."""
    cleaned = json.loads((devdata / "alpaca" / "alpaca_cleaned_1000.json").read_text(encoding="utf-8"))
    rows = [Example.from_fields("alpaca_cleaned_1000", str(i), r.get("instruction") or "", r.get("input") or "",
                                r.get("output") or "") for i, r in enumerate(cleaned[:500])]
    codegen = json.loads((devdata / "alpaca" / "gpteacher_codegen.json").read_text(encoding="utf-8"))
    rows += [Example.from_fields("gpteacher_codegen", str(i), r.get("instruction") or "", r.get("input") or "",
                                 r.get("response") or "") for i, r in enumerate(codegen)]
    chat = devdata / "chat"
    questions = {r["question_id"]: r["turns"] for r in
                 map(json.loads, (chat / "mt_bench_question.jsonl").read_text(encoding="utf-8").splitlines())}
    for line in (chat / "mt_bench_reference_answer_gpt-4.jsonl").read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        pairs = zip(questions[answer["question_id"]], answer["choices"][0]["turns"], strict=True)
        rows.append(conversation_example("mt_bench_gpt4", str(answer["question_id"]),
                                         [turn for user, reply in pairs for turn in (("user", user),
                                                                                     ("assistant", reply))]))
    for conv in json.loads((chat / "fastchat_dummy_conversation.json").read_text(encoding="utf-8")):
        rows.append(conversation_example("fastchat_dummy", conv["id"],
                                         [(m["from"], m["value"]) for m in conv["conversations"]]))
    return rows


def hits_r4(rows: list[Example]) -> list[dict[str, Any]]:
    """Every drop, slop strip and conversation cut (slop or noise) of the default chain, with the row's key and
    the field's text after the chain (what a strip left)."""
    originals = {ex.id: ex for ex in copy.deepcopy(rows)}
    settings = FilterSettings()
    ledger = Ledger()
    kept = {ex.id: ex for ex in clean_batch(rows, shard_steps(settings, matcher=build_matcher(settings.slop)),
                                            ledger)}
    out: list[dict[str, Any]] = []
    for reject in ledger.rejects:
        row = originals[reject.id]
        out.append({"source": row.source, "locator": row.meta["locator"], "key": row_key(row), "kind": "drop",
                    "rule": reject.rule, "text": reject.detail})
    for edit in ledger.edits:
        if edit.stage not in ("slop", "noise"):
            continue
        row = originals[edit.id]
        cut = edit.field.endswith(":]")
        if edit.stage == "noise" and not cut:
            continue
        after = kept[edit.id].text_of(edit.field) if edit.id in kept and not cut else ""
        out.append({"source": row.source, "locator": row.meta["locator"], "key": row_key(row),
                    "kind": "cut" if cut else "strip", "rule": edit.rule, "field": edit.field,
                    "text": edit.removed, "after": after})
    return out


def evaluate_r4(devdata: Path, labels_path: Path = LABELS_R4) -> dict[str, Any]:
    """Today's hits on the r4 sample scored against its labels, per rule and per kind, per source too."""
    labels = {(x["source"], x["locator"], x["key"], x["kind"], x["rule"], x.get("field", "")): x["label"]
              for x in map(json.loads, labels_path.read_text(encoding="utf-8").splitlines())}
    rows = sample_rows_r4(devdata)
    prompts = {(ex.source, ex.meta["locator"]): f"{ex.instruction}\n{ex.input}" for ex in rows}
    found = hits_r4(rows)
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    per_source: dict[str, Counter[str]] = defaultdict(Counter)
    unjudged, wrong = [], []
    for hit in found:
        key = (hit["source"], hit["locator"], hit["key"], hit["kind"], hit["rule"], hit.get("field", ""))
        if key not in labels:
            unjudged.append(key)
            continue
        verdict = "true" if labels[key] else "false"
        if not labels[key]:
            wrong.append(key)
        per_rule[f"{hit['kind']} {hit['rule']}"][verdict] += 1
        kind = "strip" if hit["kind"] == "strip" else ("noise drop" if hit["rule"].startswith("noise.")
                                                       else "slop drop")
        per_kind[kind][verdict] += 1
        per_source[f"{hit['source']} {kind}"][verdict] += 1
    scenes = {k for k, prompt in prompts.items() if "opener" in exempt_categories(prompt)}
    touched = {(h["source"], h["locator"]) for h in found} & scenes

    def score(c: Counter[str]) -> dict[str, Any]:
        n = c["true"] + c["false"]
        return {"judged": n, "true": c["true"], "precision": round(c["true"] / n, 4) if n else None}
    return {"sample": "r4", "rows": len(rows), "rows_per_source": dict(Counter(ex.source for ex in rows)),
            "hits": len(found), "per_kind": {k: score(v) for k, v in sorted(per_kind.items())},
            "per_rule": {k: score(v) for k, v in sorted(per_rule.items())},
            "per_source": {k: score(v) for k, v in sorted(per_source.items())},
            "wrong": wrong, "scene_rows": len(scenes), "scene_rows_touched": len(touched), "unjudged": unjudged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devdata", type=Path, default=DEFAULT_DEVDATA)
    parser.add_argument("--sample", choices=("r1", "r4"), default="r1",
                        help="r1: alpaca rows 500-999 (labels_issue21.jsonl); r4: the fresh sample")
    args = parser.parse_args()
    result = evaluate_r4(args.devdata) if args.sample == "r4" else evaluate(args.devdata)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
