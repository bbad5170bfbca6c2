"""Issue 20's dedup checks on frozen sets: rows that differ only in numbers, planted near-duplicates of short rows,
paraphrase-negative pairs (MRPC, BQ) and same-question-different-answer rows (Toyhom).

    python bench/dedup_guards.py [--split dev|heldout|both] [--set key=value ...]

Every set is built from ../shared/devdata with fixed seeds, and split before any tuning:
- dev (tuned on): short rows of alpaca_en_demo + alpaca_zh_demo, MRPC / BQ pairs at even line numbers, Toyhom
  CSV titles, number templates with seed 0;
- held-out (run once the settings were frozen): short rows of alpaca_cleaned_1000 + Toyhom IM_neike answers,
  MRPC / BQ pairs at odd line numbers, number templates with seed 1 and other number ranges.
`--set edit_threshold=0.9` overrides a DedupSettings field (for the tuning runs recorded in bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from filters.dedup import DedupSettings, deduplicate  # noqa: E402
from filters.normalise import normalise_for_dedup  # noqa: E402
from formats.example import Example  # noqa: E402
from formats.ledger import Ledger  # noqa: E402

DEVDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "devdata"
_CJK = re.compile(r"[\u3000-\ud7ff]")
KINDS = ["one-char", "two-chars", "appended-sentence", "case-punct-space", "entity"]


def is_cjk(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and sum(bool(_CJK.match(c)) for c in chars) * 3 > len(chars)


def is_short(text: str) -> bool:
    """The issue's short row: ≤ 40 words, or ≤ 80 characters for CJK text."""
    return len(text) <= 80 if is_cjk(text) else len(text.split()) <= 40


# ---------------------------------------------------------------- rows that differ only in their numbers

def number_rows(seed: int, n: int = 1200) -> list[Example]:
    """Template rows (EN, ZH, code, dates): each draw of numbers is another example with another answer."""
    rng = random.Random(seed)
    lo, hi = (2, 99) if seed == 0 else (100, 9999)
    templates = [
        lambda a, b, c: (f"A shop sells pencils at {a} cents each and erasers at {b} cents each. Tom buys {c} "
                         "pencils and one eraser. How much does he pay?", f"He pays {a * c + b} cents."),
        lambda a, b, c: (f"Convert {a} kilometres to miles.", f"{a} km is {a * 0.621371:.2f} miles."),
        lambda a, b, c: (f"What is {a} + {b}?", f"{a} + {b} = {a + b}"),
        lambda a, b, c: (f"{a * 100}元存一年，年利率{c}%，利息是多少？", f"利息是{a * c}元。"),
        lambda a, b, c: (f"计算{a}乘以{b}。", f"{a}×{b}={a * b}"),
        lambda a, b, c: (f"Write a Python function that multiplies its argument by {a}.",
                         f"def scale(x):\n    return x * {a}"),
        lambda a, b, c: (f"What day of the week was {1900 + a % 120}-{1 + b % 12:02d}-{1 + c % 28:02d}?",
                         datetime.date(1900 + a % 120, 1 + b % 12, 1 + c % 28).strftime("It was a %A.")),
        lambda a, b, c: (f"一个长方形长{a}米，宽{b}米，面积是多少？", f"面积是{a * b}平方米。"),
    ]
    rows, seen = [], set()
    while len(rows) < n:
        k, a, b, c = rng.randrange(len(templates)), rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(2, 30)
        prompt, answer = templates[k](a, b, c)
        if prompt in seen:
            continue
        seen.add(prompt)
        rows.append(Example.from_fields("numbers", str(len(rows)), prompt, "", answer))
    return rows


# ---------------------------------------------------------------- planted near-duplicates of short rows

def base_rows(split: str) -> list[dict[str, str]]:
    if split == "dev":
        rows = []
        for name in ("alpaca_en_demo.json", "alpaca_zh_demo.json"):
            rows += json.loads((DEVDATA / "alpaca" / name).read_text(encoding="utf-8"))
        return [{k: r.get(k, "") for k in ("instruction", "input", "output")} for r in rows]
    rows = [{k: r.get(k, "") for k in ("instruction", "input", "output")}
            for r in json.loads((DEVDATA / "alpaca" / "alpaca_cleaned_1000.json").read_text(encoding="utf-8"))]
    text = (DEVDATA / "csv" / "toyhom_IM_neike.txt").read_text(encoding="gb18030", errors="replace")
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if len(lines) == 2 and "," in lines[0]:
            title, ask = lines[0].split(",", 1)
            rows.append({"instruction": title, "input": ask, "output": lines[1]})
    return rows


def _change_chars(text: str, count: int, rng: random.Random, cjk_pool: str) -> str:
    chars = list(text)
    spots = [i for i, c in enumerate(chars) if c.isalpha()]
    for i in rng.sample(spots, min(count, len(spots))):
        pool = cjk_pool if _CJK.match(chars[i]) else "abcdefghijklmnopqrstuvwxyz"
        chars[i] = rng.choice([c for c in pool[:200] if c != chars[i].lower()])
    return "".join(chars)


def _case_punct_space(text: str, rng: random.Random) -> str:
    edits = [str.upper, str.lower, lambda t: t.replace(". ", "!  ").replace(", ", " ,"),
             lambda t: t.rstrip(".。!！") + rng.choice(["...", "!!", "", " ."]), lambda t: "  ".join(t.split(" ")),
             lambda t: t.replace("，", ",").replace("。", ". "), lambda t: t.swapcase()]
    for edit in rng.sample(edits, 2):
        text = edit(text)
    return text


def _entity(text: str, rng: random.Random) -> str:
    """One character as an HTML entity in a random case (&QUOT;, &Amp;, &#X27;, &NBSP; …)."""
    names = {'"': ["&QUOT;", "&quot;", "&#34;"], "&": ["&AMP;", "&amp;"], "'": ["&APOS;", "&#X27;", "&#39;"],
             "<": ["&LT;", "&lt;"], ">": ["&GT;"], " ": ["&NBSP;", "&nbsp;", "&Nbsp;"]}
    spots = [i for i, c in enumerate(text) if c in names]
    if spots:
        i = rng.choice(spots)
        return text[:i] + rng.choice(names[text[i]]) + text[i + 1:]
    spots = [i for i, c in enumerate(text) if not c.isalnum() and not c.isspace()]
    if spots:  # CJK punctuation as a numeric entity
        i = rng.choice(spots)
        return text[:i] + rng.choice([f"&#{ord(text[i])};", f"&#X{ord(text[i]):X};"]) + text[i + 1:]
    return text + "&NBSP;"


def planted_set(split: str, seed: int = 20) -> tuple[list[Example], dict[str, tuple[str, str, int]]]:
    """All rows of the split plus one planted twin per short row (output 10+ normalised characters).

    Returns the rows and twin id → (kind, original id, length band of the original output)."""
    rng = random.Random(seed)
    rows = base_rows(split)
    cjk_pool = "".join(sorted({c for r in rows for c in r["output"] if _CJK.match(c) and c.isalpha()}))
    # whole sentences of other rows, without digits (a sentence that brings a number makes another example under
    # numbers: keep, by design)
    sentences = [s.strip() for r in rows for s in re.split(r"(?<=[.!?。！？])\s+|(?<=[。！？])", r["output"])
                 if 4 <= len(s.strip()) <= 120 and s.strip()[-1:] in ".!?。！？" and not re.search(r"\d", s)]
    examples = [Example.from_fields(split, str(i), r["instruction"], r["input"], r["output"])
                for i, r in enumerate(rows)]
    planted: dict[str, tuple[str, str, int]] = {}
    for i, row in enumerate(rows):
        output = row["output"]
        if not is_short(output) or len(normalise_for_dedup(output)) < 10:
            continue
        kind = KINDS[len(planted) % len(KINDS)]
        if kind == "one-char":
            twin = _change_chars(output, 1, rng, cjk_pool)
        elif kind == "two-chars":
            twin = _change_chars(output, 2, rng, cjk_pool)
        elif kind == "appended-sentence":
            same_script = [s for s in rng.sample(sentences, 50) if is_cjk(s) == is_cjk(output)]
            twin = output + ("" if is_cjk(output) else " ") + (same_script or sentences)[0]
        elif kind == "case-punct-space":
            twin = _case_punct_space(output, rng)
        else:
            twin = _entity(output, rng)
        if normalise_for_dedup(twin) == normalise_for_dedup(output) and kind in ("one-char", "two-chars"):
            continue
        example = Example.from_fields(split, f"twin-{i}", row["instruction"], row["input"], twin)
        examples.append(example)
        n = len(normalise_for_dedup(output))
        planted[example.id] = (kind, examples[i].id, 0 if n < 20 else 1 if n < 40 else 2)
    random.Random(seed).shuffle(examples)
    return examples, planted


# ---------------------------------------------------------------- pairs that must not merge

def mrpc_pairs(split: str) -> list[tuple[str, str, int]]:
    with (DEVDATA / "dedup" / "mrpc_train.txt").open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [(r[3], r[4], int(r[0])) for k, r in enumerate(lines) if len(r) == 5 and k % 2 == (split != "dev")]


def bq_pairs(split: str) -> list[tuple[str, str, int]]:
    with (DEVDATA / "dedup" / "bq_dev.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    return [(r["sentence1"], r["sentence2"], int(r["label"])) for k, r in enumerate(lines) if k % 2 == (split != "dev")]


def pair_merges(pairs: list[tuple[str, str, int]], settings: DedupSettings, as_answers: bool) -> Counter[int]:
    """Merged pairs by label, each pair deduplicated on its own (sentences recur across MRPC / BQ pairs): as rows of
    their own (the sentence is the instruction) or as two answers to one question (the same-prompt comparison)."""
    merged: Counter[int] = Counter()
    for k, (a, b, label) in enumerate(pairs):
        rows = [Example.from_fields("pairs", f"{k}{side}", "Paraphrase this." if as_answers else text, "",
                                    text if as_answers else "") for side, text in (("a", a), ("b", b))]
        merged[label] += len(deduplicate(rows, settings, {}, Ledger())) == 1
    return merged


def short_questions(split: str, settings: DedupSettings, seed: int = 21) -> tuple[Counter[int], int]:
    """Short CJK questions (BQ sentences of the split, 10–40 characters) as rows of their own, each with a twin that
    has 1 or 2 characters changed: the different-prompt case, where only MinHash can find them. Returns found
    twins by number of changed characters, and the rows of the set."""
    rng = random.Random(seed)
    sentences = sorted({s for a, b, _ in bq_pairs(split) for s in (a, b) if 10 <= len(s) <= 40})
    rng.shuffle(sentences)
    pool = "".join(sorted({c for s in sentences for c in s if _CJK.match(c) and c.isalpha()}))
    rows, twins = [], {}
    for k, sentence in enumerate(sentences[:2000]):
        rows.append(Example.from_fields("q", str(k), sentence, "", ""))
        if k % 4 == 0:
            changed = 1 + (k // 4) % 2
            twin = Example.from_fields("q", f"twin-{k}", _change_chars(sentence, changed, rng, pool), "", "")
            rows.append(twin)
            twins[twin.id] = (rows[-2].id, changed)
    ledger = Ledger()
    deduplicate(rows, settings, {}, ledger)
    pairs = {(r.id, r.row["meta"]["duplicate_of"]) for r in ledger.rejects}
    found: Counter[int] = Counter()
    for twin, (original, changed) in twins.items():
        found[changed] += (twin, original) in pairs or (original, twin) in pairs
    return found, len(rows)


def toyhom_same_question(settings: DedupSettings) -> tuple[int, int, Counter[str]]:
    """Doctors' answers to repeated titles (same question, other answers): rows, rows in repeated titles, merged."""
    path = DEVDATA / "csv" / "toyhom_internal_medicine_gb18030.csv"
    with path.open(encoding="gb18030", errors="replace", newline="") as handle:
        rows = [Example.from_fields("toyhom", str(i), r["title"], "", r["answer"])
                for i, r in enumerate(csv.DictReader(handle))]
    titles = Counter(normalise_for_dedup(r.instruction) for r in rows)
    repeated = [r for r in rows if titles[normalise_for_dedup(r.instruction)] > 1]
    ledger = Ledger()
    deduplicate(repeated, settings, {}, ledger)
    return len(rows), len(repeated), Counter(r.row["meta"]["measure"] for r in ledger.rejects)


def run(split: str, settings: DedupSettings) -> None:
    print(f"\n### {split}")
    rows = number_rows(0 if split == "dev" else 1)
    for numbers in ("keep", "ignore"):
        ledger = Ledger()
        kept = deduplicate(rows, settings.model_copy(update={"numbers": numbers}), {}, ledger)
        print(f"numbers={numbers}: {len(rows):,} rows that differ only in their numbers (and answers) → "
              f"{len(kept):,} kept, {len(ledger.rejects):,} merged")

    examples, planted = planted_set(split)
    ledger = Ledger()
    deduplicate(examples, settings, {}, ledger)
    parent = {r.id: r.row["meta"]["duplicate_of"] for r in ledger.rejects}

    def root(row: str) -> str:  # the row its cluster kept (an exact copy's kept row may be dropped later)
        while row in parent:
            row = parent[row]
        return row

    found, total = Counter(), Counter()
    by_band, band_total = Counter(), Counter()
    for twin, (kind, original, band) in planted.items():
        hit = root(twin) == root(original)
        found[kind] += hit
        total[kind] += 1
        if kind in ("one-char", "two-chars", "appended-sentence"):
            by_band[band] += hit
            band_total[band] += 1
    involved = set(planted) | {o for _, o, _ in planted.values()}
    others = sum(1 for r in ledger.rejects if r.id not in involved)
    print(f"planted twins of short rows ({len(planted):,} of {len(examples) - len(planted):,} rows): " + ", ".join(
        f"{k} {found[k] / total[k]:.1%} ({found[k]}/{total[k]})" for k in KINDS)
        + f"; all {sum(found.values()) / sum(total.values()):.1%}; other rows dropped {others}")
    print("  changed / appended by original length (normalised chars 10–19 / 20–39 / 40+): " + " / ".join(
        f"{by_band[b] / band_total[b]:.1%} of {band_total[b]}" for b in range(3) if band_total[b]))
    measures = Counter(r.row["meta"].get("measure") for r in ledger.rejects)
    print(f"  dropped by measure: {dict(measures)}")

    for name, pairs in (("MRPC", mrpc_pairs(split)), ("BQ", bq_pairs(split))):
        labels = Counter(label for _, _, label in pairs)
        for as_answers in (False, True):
            merged = pair_merges(pairs, settings, as_answers)
            print(f"{name} {'as two answers to one prompt' if as_answers else 'as rows of their own'}: "
                  f"non-paraphrase pairs merged {merged[0] / labels[0]:.2%} ({merged[0]}/{labels[0]}), "
                  f"paraphrase pairs merged {merged[1] / labels[1]:.2%} ({merged[1]}/{labels[1]})")
    found, n = short_questions(split, settings)
    print(f"short CJK questions as rows of their own (BQ, 10–40 characters; {n} rows), twins found: "
          f"1 character changed {found[1] / 250:.1%}, 2 changed {found[2] / 250:.1%}")
    if split == "dev":
        total_rows, repeated, merged_rows = toyhom_same_question(settings)
        print(f"Toyhom: {repeated:,} of {total_rows:,} rows share a title with another row (other doctors' "
              f"answers): merged by measure {dict(merged_rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "both"], default="both")
    parser.add_argument("--set", nargs="*", default=[], help="DedupSettings overrides, key=value")
    args = parser.parse_args()
    if not DEVDATA.is_dir():
        sys.exit(f"{DEVDATA} not found (../shared/devdata is needed)")
    overrides = dict(item.split("=", 1) for item in args.set)
    settings = DedupSettings.model_validate(overrides)
    print("settings:", {k: v for k, v in settings.model_dump().items() if k in (
        "threshold", "edit_threshold", "edit_min_chars", "contained_min", "short_output", "char_ngram", "numbers")})
    for split in (["dev", "heldout"] if args.split == "both" else [args.split]):
        run(split, settings)


if __name__ == "__main__":
    main()
