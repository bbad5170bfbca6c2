"""The text filters on a frozen evaluation split (bench/heldout/, issue 21), per language and per family.

    python -m bench.heldout_eval --dir bench/heldout11 # the newest held-out split (written blind; totals only)
    python -m bench.heldout_eval --dir bench/heldout8 # a held-out split (written blind; totals only)
    python -m bench.heldout_eval --dir bench/heldout7 # a held-out split (written blind; totals only)
    python -m bench.heldout_eval --dir bench/heldout10 # blind in round 10; its misses read in round 11: dev now
    python -m bench.heldout_eval --dir bench/heldout9 # blind in round 9; its misses read in round 10: dev now
    python -m bench.heldout_eval --dir bench/heldout6 # blind in rounds 6-8; its misses read in round 9: dev now
    python -m bench.heldout_eval --dir bench/heldout5 # blind in rounds 5-8; its misses read in round 9: dev now
    python -m bench.heldout_eval --dir bench/heldout4 # held out in round 4; its misses read in round 6: dev now
    python -m bench.heldout_eval --dir bench/heldout3 # held out in round 3; its misses read in round 4: dev now
    python -m bench.heldout_eval --dir bench/heldout2 # held out in round 2, demoted to dev in round 3
    python -m bench.heldout_eval                      # bench/heldout: held out in round 1, now a dev split
    python -m bench.heldout_eval --dir bench/devset   # the dev split built the same way (tune on this one)
    python -m bench.heldout_eval --json out.json
    python -m bench.heldout_eval --dir bench/heldout5 --unseen  # only rows with no text the edge model trained on

Every row goes through the whole per-row chain (repair → slop → noise) with the default settings, as a user
gets it. Figures:
- slop_*  `strip` rows: removal recall (the row is kept and none of the injected phrase's sentences is left)
  and exact restoration (the row comes back byte for byte as the human original);
  `drop` rows (refusal, identity_only): the share dropped;
- human_*: rows changed or dropped (target ≤ 0.5%), with the rules responsible;
- faq_lists, roleplay, grounded: rows lost (target 0) and rows changed.
`--misses N` prints up to N failing rows per family: dev splits only (it refuses the blind splits, BLIND).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger
from formats.text import sentences

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "heldout"  # demoted to a second dev split (issue 21, round 2): tuned on
# held out in round 2; demoted to dev in round 3, after its totals were recorded
HELDOUT2 = ROOT / "bench" / "heldout2"
HELDOUT3 = ROOT / "bench" / "heldout3"  # held out in round 3, demoted to dev in round 4 (its misses were read)
HELDOUT4 = ROOT / "bench" / "heldout4"  # held out in round 4 (run 6 times, totals); demoted to dev in round 6
HELDOUT5 = ROOT / "bench" / "heldout5"  # blind in rounds 5-8 (totals recorded); demoted to dev in round 9
HELDOUT6 = ROOT / "bench" / "heldout6"  # blind in rounds 6-8 (totals recorded); demoted to dev in round 9
HELDOUT7 = ROOT / "bench" / "heldout7"  # a blind held-out split (round 7): totals only, never --misses
HELDOUT8 = ROOT / "bench" / "heldout8"  # a blind held-out split (round 8): totals only, never --misses
HELDOUT9 = ROOT / "bench" / "heldout9"  # blind in round 9 (totals recorded); demoted to dev in round 10
HELDOUT10 = ROOT / "bench" / "heldout10"  # blind in round 10 (totals recorded); demoted to dev in round 11
HELDOUT11 = ROOT / "bench" / "heldout11"  # the newest blind held-out split (round 11): totals only, never --misses
BLIND = (HELDOUT7, HELDOUT8, HELDOUT11)
UNTOUCHED = ("human_en", "human_zh", "faq_lists", "roleplay", "grounded")
_SPACE = re.compile(r"\s+")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def phrase_sentences(folder: Path) -> dict[str, list[str]]:
    """Each phrase id → its sentences, whitespace-collapsed (what must be gone after a strip)."""
    out: dict[str, list[str]] = {}
    for lang in ("en", "zh"):
        path = folder / f"phrases_{lang}.json"
        if not path.exists():
            continue
        for item in json.loads(path.read_text(encoding="utf-8")):
            text = item["text"]
            out[item["id"]] = [_SPACE.sub(" ", text[a:b]).strip(" ,，") for a, b in sentences(text)]
    return out


def run_chain(rows: list[dict[str, Any]], settings: FilterSettings) -> tuple[dict[str, Example], Ledger]:
    """Clean the rows; returns the kept Examples by row id and the ledger."""
    examples = [Example.from_fields("eval", r["id"], r["instruction"], r.get("input", ""), r["output"]) for r in rows]
    ids = {ex.id: r["id"] for ex, r in zip(examples, rows, strict=True)}
    ledger = Ledger()
    kept = clean_batch(examples, shard_steps(settings, matcher=build_matcher(settings.slop)), ledger)
    return {ids[ex.id]: ex for ex in kept}, ledger


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


Keep = Callable[[dict[str, Any]], bool]


def evaluate_slop(folder: Path, lang: str, settings: FilterSettings, misses: int = 0,
                  keep: Keep | None = None) -> dict[str, Any]:
    rows = [r for r in read_jsonl(folder / f"slop_{lang}.jsonl") if keep is None or keep(r)]
    phrases = phrase_sentences(folder)
    kept, ledger = run_chain(rows, settings)
    by_id = {ex.meta["locator"]: ex for ex in kept.values()}
    reasons = {r.row.get("meta", {}).get("locator"): r.rule for r in ledger.rejects}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    shown: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        fam, c = row["family"], counts[row["family"]]
        c["rows"] += 1
        out = by_id.get(row["id"])
        if row["expected"] == "drop":
            ok = out is None
            c["dropped"] += ok
            if not ok and len(shown[fam]) < misses:
                shown[fam].append(f"KEPT {row['output'][:160]!r}")
            continue
        if out is None:
            c["lost"] += 1
            if len(shown[fam]) < misses:
                shown[fam].append(f"DROPPED by {reasons.get(row['id'])}: {row['output'][:160]!r}")
            continue
        flat = _SPACE.sub(" ", out.output)
        left = [s for pid in row["phrase_id"].split("+") for s in phrases.get(pid, []) if s and s in flat]
        removed = not left
        exact = out.output == row["original"]
        c["removed"] += removed
        c["exact"] += exact
        if not exact and len(shown[fam]) < misses:
            shown[fam].append(f"{'LEFT ' + repr(left) if left else 'INEXACT'}: {row['output'][:160]!r}\n"
                              f"      -> {out.output[:160]!r}")
    report: dict[str, Any] = {}
    total: Counter[str] = Counter()
    for fam, c in sorted(counts.items()):
        total.update(c)
        report[fam] = _score(c)
    report["all"] = _score(total)
    if misses:
        report["misses"] = dict(shown)
    return report


def _score(c: Counter[str]) -> dict[str, Any]:
    return {"rows": c["rows"]} | {k: c[k] for k in ("removed", "exact", "lost", "dropped") if c[k]}


def evaluate_untouched(folder: Path, name: str, settings: FilterSettings, misses: int = 0,
                       keep: Keep | None = None) -> dict[str, Any]:
    rows = [r for r in read_jsonl(folder / f"{name}.jsonl") if keep is None or keep(r)]
    kept, ledger = run_chain(rows, settings)
    originals = {r["id"]: r["output"] for r in rows}
    changed = [k for k, ex in kept.items() if ex.output != originals[k]]
    dropped = Counter(r.rule for r in ledger.rejects)
    edit_rules = Counter(e.rule for e in ledger.edits)
    report = {"rows": len(rows), "dropped": sum(dropped.values()), "changed": len(changed),
              "changed_or_dropped_rate": _rate(sum(dropped.values()) + len(changed), len(rows)),
              "drop_rules": dict(dropped), "edit_rules": dict(edit_rules),
              "flagged": sum(1 for ex in kept.values() if ex.meta.get("flags"))}
    if misses:
        report["misses"] = ([f"DROP {r.rule}: {r.detail[:160]}" for r in ledger.rejects][:misses]
                            + [f"EDIT {e.rule}: {e.removed[:160]!r}" for e in ledger.edits][:misses])
    return report


def evaluate(folder: Path = HELDOUT, misses: int = 0, keep: Keep | None = None) -> dict[str, Any]:
    """`keep`: only the rows it accepts (--unseen: none of the edge model's training material)."""
    settings = FilterSettings()
    report: dict[str, Any] = {"split": str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder)}
    for lang in ("en", "zh"):
        if (folder / f"slop_{lang}.jsonl").exists():
            report[f"slop_{lang}"] = evaluate_slop(folder, lang, settings, misses, keep)
    for name in UNTOUCHED:
        if (folder / f"{name}.jsonl").exists():
            report[name] = evaluate_untouched(folder, name, settings, misses, keep)
    return report


def unseen_by_edge_model(folder: Path) -> Keep:
    """Rows none of whose text the edge model (filters/edge_model.py) was trained on: the human text is not in
    its training material verbatim, and no sentence of the injected phrase equals one of its training sentences
    once case, punctuation and spaces are set aside (bench/edge_train.py). Prints nothing but counts."""
    from bench.edge_train import normalised, seen_material

    texts, sentence_keys = seen_material()
    phrases = phrase_sentences(folder)

    def keep(row: dict[str, Any]) -> bool:
        if (row.get("original") or row["output"]).strip() in texts:
            return False
        ids = row.get("phrase_id", "").split("+") if row.get("phrase_id") else []
        return not any(normalised(s) in sentence_keys for pid in ids for s in phrases.get(pid, []))

    return keep


def summary(report: dict[str, Any]) -> list[str]:
    """The headline figures, one line each, against the issue's targets."""
    lines = [f"split: {report['split']}"]
    for lang in ("en", "zh"):
        part = report.get(f"slop_{lang}")
        if not part:
            continue
        fams = {k: v for k, v in part.items() if k not in ("all", "misses")}
        strip = Counter[str]()
        drop = Counter[str]()
        for fam, s in fams.items():
            target = drop if fam in ("refusal", "identity_only") else strip
            target.update({k: v for k, v in s.items() if isinstance(v, int)})
        lines.append(f"{lang}: removal recall {strip['removed']}/{strip['rows']} = "
                     f"{_rate(strip['removed'], strip['rows'])}"
                     f" | exact restoration {strip['exact']}/{strip['rows']} = {_rate(strip['exact'], strip['rows'])}"
                     f" | dropped (refusal + identity) {drop['dropped']}/{drop['rows']} = "
                     f"{_rate(drop['dropped'], drop['rows'])}")
        for fam, s in sorted(fams.items()):
            n = s["rows"]
            if fam in ("refusal", "identity_only"):
                lines.append(f"  {fam:<14} dropped {s.get('dropped', 0)}/{n}")
            else:
                lines.append(f"  {fam:<14} removed {s.get('removed', 0)}/{n}, exact {s.get('exact', 0)}/{n}, "
                             f"row lost {s.get('lost', 0)}")
    for name in UNTOUCHED:
        part = report.get(name)
        if part:
            lines.append(f"{name}: {part['rows']} rows, dropped {part['dropped']}, changed {part['changed']} "
                         f"(rate {part['changed_or_dropped_rate']}) drops {part['drop_rules']} edits "
                         f"{part['edit_rules']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=HELDOUT)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--misses", type=int, default=0, help="print failing rows (dev split only)")
    parser.add_argument("--unseen", action="store_true",
                        help="only rows with no text the edge model was trained on (bench/edge_train.py)")
    args = parser.parse_args()
    if args.misses and args.dir.resolve() in BLIND:
        parser.error(f"--misses prints rows: never on the held-out split {args.dir.resolve().relative_to(ROOT)} "
                     "(its totals only; bench/heldout2, bench/heldout and bench/devset are the dev splits)")
    keep = unseen_by_edge_model(args.dir.resolve()) if args.unseen else None
    report = evaluate(args.dir.resolve(), args.misses, keep)
    print("\n".join(summary(report)))
    if args.misses:
        for key, part in report.items():
            if isinstance(part, dict):
                fam_misses = part.get("misses")
                if isinstance(fam_misses, dict):
                    for fam, items in fam_misses.items():
                        for item in items:
                            print(f"[{key}/{fam}] {item}")
                elif fam_misses:
                    for item in fam_misses:
                        print(f"[{key}] {item}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
