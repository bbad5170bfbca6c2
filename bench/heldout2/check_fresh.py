#!/usr/bin/env python3
"""Count-only freshness checks for bench/heldout2. Prints NUMBERS ONLY, never text from the earlier sets.

    python3 bench/heldout2/check_fresh.py

1. Phrase collisions: a phrase of phrases_{en,zh}.json whose text, lower-cased and stripped of punctuation,
   symbols and whitespace, equals a phrase of bench/heldout/phrases_*.json or any string in
   bench/devset/phrases.py (its string literals, and the strings it builds when run).
2. Human-text overlap: human_* outputs and slop_* originals that occur verbatim, or with the same opening
   (first 20 characters and the 20 characters from a quarter in), in earlier evaluation or tuning material
   (bench/heldout, bench/devset, bench/labels_issue21.jsonl, tests/, bench/*.py, sample_data/).
   The Chinese source appends templated sentences to many answers, so endings alone are not compared.
3. Hand-written outputs (faq_lists, roleplay, grounded) of 40+ characters found verbatim in that material.

Exit status 1 if any count is not 0.
"""
from __future__ import annotations

import ast
import contextlib
import glob
import io
import json
import os
import runpy
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True


def norm(text: str) -> str:
    return "".join(c for c in text.lower() if not (c.isspace() or unicodedata.category(c)[0] in "PZSC"))


def earlier_phrases() -> set[str]:
    out: set[str] = set()
    for lang in ("en", "zh"):
        with open(os.path.join(ROOT, "bench", "heldout", f"phrases_{lang}.json"), encoding="utf-8") as fh:
            out.update(norm(item["text"]) for item in json.load(fh))
    path = os.path.join(ROOT, "bench", "devset", "phrases.py")
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    out.update(norm(n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))

    def walk(obj):
        if isinstance(obj, str):
            out.add(norm(obj))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(k)
                walk(v)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in obj:
                walk(v)

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            module_globals = runpy.run_path(path)
        for key, value in module_globals.items():
            if not key.startswith("__"):
                walk(value)
    except Exception:           # the literals above are still compared
        pass
    out.discard("")
    return out


def phrase_collisions() -> int:
    old = earlier_phrases()
    n = 0
    for lang in ("en", "zh"):
        with open(os.path.join(HERE, f"phrases_{lang}.json"), encoding="utf-8") as fh:
            n += sum(1 for item in json.load(fh) if norm(item["text"]) in old)
    return n


def human_overlap() -> tuple[int, int, int, int]:
    patterns = ["bench/heldout/*", "bench/devset/**/*", "bench/labels_issue21.jsonl", "tests/**/*",
                "bench/*.py", "sample_data/**/*"]
    paths = set()
    for pat in patterns:
        for p in glob.glob(os.path.join(ROOT, pat), recursive=True):
            if os.path.isfile(p) and not os.path.relpath(p, ROOT).startswith(os.path.join("bench", "heldout2")):
                paths.add(p)
    parts = []
    for p in sorted(paths):
        try:
            with open(p, encoding="utf-8") as fh:
                parts.append(fh.read())
        except (UnicodeDecodeError, OSError):
            continue
    blob = "\n".join(parts)

    def has(s):
        return s in blob or json.dumps(s, ensure_ascii=False)[1:-1] in blob or json.dumps(s)[1:-1] in blob

    texts = []
    for name in ("human_en", "human_zh", "slop_en", "slop_zh"):
        with open(os.path.join(HERE, f"{name}.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text = row.get("original") if name.startswith("slop") else row["output"]
                if text:
                    texts.append(text)
    exact = same_opening = 0
    for t in texts:
        exact += has(t)
        keys = [t[:20], t[len(t) // 4: len(t) // 4 + 20]] if len(t) >= 60 else [t]
        same_opening += all(has(k) for k in keys)
    handwritten = 0                 # hand-written outputs of 40+ characters found verbatim earlier
    for name in ("faq_lists", "roleplay", "grounded"):
        with open(os.path.join(HERE, f"{name}.jsonl"), encoding="utf-8") as fh:
            handwritten += sum(1 for line in fh if len(o := json.loads(line)["output"]) >= 40 and has(o))
    return len(texts), exact, same_opening, handwritten


def main() -> None:
    collisions = phrase_collisions()
    n_texts, exact, same_opening, handwritten = human_overlap()
    print(f"phrase collisions with earlier phrase sets: {collisions}")
    print(f"human texts checked: {n_texts}; verbatim in earlier material: {exact}; same opening: {same_opening}")
    print(f"hand-written outputs (40+ chars) verbatim in earlier material: {handwritten}")
    sys.exit(1 if collisions or exact or same_opening or handwritten else 0)


if __name__ == "__main__":
    main()
