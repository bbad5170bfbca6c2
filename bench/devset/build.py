"""Build the dev split for tuning the text filters (issue 21): bench/devset/phrases.py injected into dev human
text, in the same file layout as bench/heldout so bench/heldout_eval.py reads both.

    python -m bench.devset.build [--devdata ../shared/devdata]   # writes bench/devset/*.jsonl (not committed)

Human text: English paragraphs from the dev HTML (Readability pages, Stack Overflow answers) and
tests/fixtures/human_en.jsonl; Chinese doctors' answers from the FIRST half of toyhom_IM_neike.txt (the
second half is bench/heldout's). Untouched rows go to human_en/human_zh; the rest get one phrase each."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from bench.devset.phrases import EN, ZH
from bench.slop_eval import DEFAULT_DEVDATA, HUMAN_EN, html_paragraphs

HERE = Path(__file__).resolve().parent
SEED = 21


def chinese_dev(devdata: Path) -> list[dict[str, str]]:
    text = (devdata / "csv" / "toyhom_IM_neike.txt").read_bytes().decode("gb18030").replace("\r\n", "\n")
    pairs = []
    for block in (b for b in text.split("\n\n\n") if b.strip()):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        _title, question = lines[0].split(",", 1)
        pairs.append({"instruction": question.strip(), "input": "", "output": lines[1].strip()})
    return [p for p in pairs[:len(pairs) // 2] if p["instruction"] and p["output"]]


def english_dev(devdata: Path) -> list[dict[str, str]]:
    rows = [{"instruction": "Summarise the passage.", "input": "", "output": t} for t in html_paragraphs(devdata)]
    for line in HUMAN_EN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append({"instruction": r["instruction"], "input": r.get("input", ""), "output": r["output"]})
    return rows


def _phrases(table: dict[str, list[str]], lang: str) -> list[dict[str, str]]:
    out = []
    for fam, items in table.items():
        for i, text in enumerate(items):
            family, join = (fam.split("_") + ["sentence"])[:2] if fam.startswith("disclaimer") else (fam, "")
            out.append({"id": f"dev-{lang}-{fam}-{i:03d}", "family": family, "join": join, "text": text})
    return out


def inject(lang: str, phrase: dict[str, str], row: dict[str, str], rnd: random.Random) -> dict[str, str] | None:
    text, fam = row["output"], phrase["family"]
    seps = [" ", "\n", "\n\n"] if lang == "en" else ["", "\n", "\n\n"]
    if fam in ("refusal", "identity_only"):
        return {**row, "output": phrase["text"], "expected": "drop", "original": None}
    if fam == "disclaimer" and phrase["join"] == "clause":
        if lang == "en":
            first = text.split(" ", 1)[0]
            if first not in ("The", "This", "It", "If", "A", "An", "In", "For", "When", "You", "There", "Most"):
                return None
            body = text[0].lower() + text[1:]
            return {**row, "output": f"{phrase['text']} {body}", "expected": "strip", "original": text}
        return {**row, "output": phrase["text"] + text, "expected": "strip", "original": text}
    sep = rnd.choice(seps)
    if fam == "closer":
        if lang == "zh" and sep == "" and text[-1:] not in "。！？":
            sep = "\n"
        return {**row, "output": text + sep + phrase["text"], "expected": "strip", "original": text}
    if phrase["text"].endswith((":", "：")):
        sep = rnd.choice(["\n", "\n\n"])
    return {**row, "output": phrase["text"] + sep + text, "expected": "strip", "original": text}


def build(devdata: Path, out: Path = HERE) -> None:
    rnd = random.Random(SEED)
    for lang, table, pool in (("en", EN, english_dev(devdata)), ("zh", ZH, chinese_dev(devdata))):
        rnd.shuffle(pool)
        phrases = _phrases(table, lang)
        (out / f"phrases_{lang}.json").write_text(json.dumps(phrases, ensure_ascii=False, indent=1), encoding="utf-8")
        cut = min(600, len(pool) // 3)
        human, rest = pool[:cut], pool[cut:]
        slop = []
        for _ in range(2):
            for p in phrases:
                for _ in range(20):
                    row = rest.pop()
                    rest.insert(0, row)  # a small pool is reused: the phrases are what is tested
                    made = inject(lang, p, row, rnd)
                    if made is not None:
                        break
                else:
                    continue
                slop.append({"id": f"dev-{lang}-{len(slop):04d}", "lang": lang, "family": p["family"],
                             "phrase_id": p["id"], **made})
        with (out / f"slop_{lang}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in slop)
        with (out / f"human_{lang}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"id": f"dev-human-{lang}-{i}", "lang": lang, **r}, ensure_ascii=False)
                              + "\n" for i, r in enumerate(human))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devdata", type=Path, default=DEFAULT_DEVDATA)
    build(parser.parse_args().devdata)
