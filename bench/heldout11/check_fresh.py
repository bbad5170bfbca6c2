#!/usr/bin/env python3
"""Count-only freshness checks for bench/heldout11. Prints NUMBERS and THIS split's own ids only, never text
from the earlier sets (which its author has not read).

    python3 bench/heldout11/check_fresh.py            # all checks (needs the built jsonl files)
    python3 bench/heldout11/check_fresh.py --phrases  # phrase checks only (before the first build)

The human-text check prints the sha256 prefixes of this split's own overlapping texts (never the texts), so
that build.py can exclude them.

1. Phrase collisions: a phrase of phrases_{en,zh}.json whose text, lower-cased and stripped of punctuation, symbols
   and whitespace, equals a phrase of bench/heldout/phrases_*.json, bench/heldout2/phrases_*.json,
   bench/heldout3/phrases_*.json, bench/heldout4/phrases_*.json, bench/heldout5/phrases_*.json,
   bench/heldout6/phrases_*.json, bench/heldout7/phrases_*.json, bench/heldout8/phrases_*.json,
   bench/heldout9/phrases_*.json, bench/heldout10/phrases_*.json, any string in bench/devset/phrases.py (its string
   literals, and the strings it builds when run) or any string in the lists of bench/edge_phrases.py,
   bench/edge_phrases2.py, bench/edge_phrases3.py, bench/edge_phrases4.py, bench/edge_phrases5.py,
   bench/edge_phrases6.py or bench/edge_phrases7.py (imported; their strings are compared, never printed). The blind
   splits bench/heldout7 and bench/heldout8 are in these sets too; how many of this split's phrases meet them is also
   printed on its own line (a count, nothing from them).
2. Sentence collisions: a sentence of one of this split's phrases (split with formats.text.sentences, the
   evaluator's splitter) of 12+ normalised characters (6+ for Chinese) that equals an earlier phrase or a
   sentence of one. Short interjections ("Sure!", "好的！") are below the bar on purpose.
3. Human-text overlap: human_* outputs and slop_* originals that occur verbatim, or with the same opening
   (first 20 characters and the 20 characters from a quarter in), in earlier evaluation or tuning material
   (bench/heldout, bench/heldout2, bench/heldout3, bench/heldout4, bench/heldout5, bench/heldout6, bench/heldout7,
   bench/heldout8, bench/heldout9, bench/heldout10, bench/devset,
   bench/labels_issue21*.jsonl, tests/, bench/*.py incl. bench/edge_phrases*.py, sample_data/, filters/ incl. its
   rules, and the built bench/devset/*.jsonl of the main checkout, HELDOUT11_BUILT_DEVSET), and in the strings of
   the lists of bench/edge_phrases.py … bench/edge_phrases7.py (imported).
4. Hand-written outputs (faq_lists, roleplay, grounded) of 40+ characters found verbatim in that
   material: their own row ids and sha256 prefixes are printed.

Exit status 1 if any count is not 0.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import glob
import hashlib
import importlib
import io
import json
import os
import runpy
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, ROOT)
from formats.text import sentences  # noqa: E402  (the evaluator's splitter; imported, not read)

EARLIER_PHRASE_FILES = [f"bench/{split}/phrases_{lang}.json"
                        for split in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6",
                                      "heldout7", "heldout8", "heldout9", "heldout10")
                        for lang in ("en", "zh")]
EARLIER_MATERIAL = ["bench/heldout/*", "bench/heldout2/*", "bench/heldout3/*", "bench/heldout4/*",
                    "bench/heldout5/*", "bench/heldout6/*", "bench/heldout7/*", "bench/heldout8/*", "bench/heldout9/*",
                    "bench/heldout10/*", "bench/devset/**/*",
                    "bench/labels_issue21*.jsonl", "tests/**/*", "bench/*.py", "sample_data/**/*", "filters/**/*"]

# the phrase lists of the edge model, imported (their strings are compared, never printed)
EDGE_MODULES = ("bench.edge_phrases", "bench.edge_phrases2", "bench.edge_phrases3", "bench.edge_phrases4",
                "bench.edge_phrases5", "bench.edge_phrases6", "bench.edge_phrases7")

# bench/devset/*.jsonl is built, not committed: the copies built in the main checkout (the edge model's training
# material) are compared too, count only
BUILT_DEVSET = [os.path.join(os.environ.get("HELDOUT11_BUILT_DEVSET", "/work/main/bench/devset"), "**", "*")]


def norm(text: str) -> str:
    return "".join(c for c in text.lower() if not (c.isspace() or unicodedata.category(c)[0] in "PZSC"))


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


def earlier_strings() -> list[str]:
    out: list[str] = []
    for rel in EARLIER_PHRASE_FILES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            out.extend(item["text"] for item in json.load(fh))
    path = os.path.join(ROOT, "bench", "devset", "phrases.py")
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    out.extend(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))

    def walk(obj):
        if isinstance(obj, str):
            out.append(obj)
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
    out.extend(edge_strings())
    return out


def edge_strings() -> list[str]:
    """Every string held by the module-level lists of bench/edge_phrases.py … bench/edge_phrases7.py (imported,
    never printed)."""
    out: list[str] = []

    def walk(obj, depth=0):
        if depth > 6:
            return
        if isinstance(obj, str):
            out.append(obj)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in obj:
                walk(v, depth + 1)

    for name in EDGE_MODULES:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            module = importlib.import_module(name)
        for key, value in vars(module).items():
            if not key.startswith("__") and isinstance(value, (list, tuple, set, frozenset, dict)):
                walk(value)
    return out


def own_phrases() -> list[dict]:
    items = []
    for lang in ("en", "zh"):
        with open(os.path.join(HERE, f"phrases_{lang}.json"), encoding="utf-8") as fh:
            items.extend(json.load(fh))
    return items


def phrase_collisions() -> tuple[list[str], list[str]]:
    """Ids of this split's phrases that collide whole, and ids that share a (long enough) sentence."""
    earlier = earlier_strings()
    whole = {norm(t) for t in earlier} - {""}
    sent = set(whole)
    for t in earlier:
        sent.update(norm(s) for s in split(t))
    whole_ids, sent_ids = [], []
    for item in own_phrases():
        if norm(item["text"]) in whole:
            whole_ids.append(item["id"])
            continue
        bar = 6 if item["id"].startswith("h11zh") else 12
        if any(len(n := norm(s)) >= bar and n in sent for s in split(item["text"])):
            sent_ids.append(item["id"])
    return whole_ids, sent_ids


BLIND_PHRASE_FILES = [f"bench/{split}/phrases_{lang}.json" for split in ("heldout7", "heldout8")
                      for lang in ("en", "zh")]


def blind_collisions() -> int:
    """How many of this split's phrases equal, or share a long sentence with, a phrase of the blind splits
    bench/heldout7 / bench/heldout8 (already inside the checks above; counted on its own, nothing printed)."""
    blind: list[str] = []
    for rel in BLIND_PHRASE_FILES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            blind.extend(item["text"] for item in json.load(fh))
    keys = {norm(t) for t in blind} - {""}
    for t in blind:
        keys.update(norm(x) for x in split(t))
    n = 0
    for item in own_phrases():
        bar = 6 if item["id"].startswith("h11zh") else 12
        n += norm(item["text"]) in keys or any(len(k := norm(x)) >= bar and k in keys for x in split(item["text"]))
    return n


def text_key(text: str) -> str:
    """The id build.py's EXCLUDE_SHA256 uses for one of this split's own texts."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def human_overlap() -> tuple[int, int, int, int, list[str]]:
    paths = set()
    for pat in EARLIER_MATERIAL + BUILT_DEVSET:
        for p in glob.glob(os.path.join(ROOT, pat), recursive=True):
            if os.path.isfile(p) and not os.path.relpath(p, ROOT).startswith(os.path.join("bench", "heldout11")):
                paths.add(p)
    parts = []
    for p in sorted(paths):
        try:
            with open(p, encoding="utf-8") as fh:
                parts.append(fh.read())
        except (UnicodeDecodeError, OSError):
            continue
    parts.extend(edge_strings())
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
    found = []
    for t in texts:
        exact += (hit := has(t))
        keys = [t[:20], t[len(t) // 4: len(t) // 4 + 20]] if len(t) >= 60 else [t]
        same_opening += (near := all(has(k) for k in keys))
        if hit or near:
            found.append(text_key(t))
    handwritten = []
    for name in ("faq_lists", "roleplay", "grounded"):
        with open(os.path.join(HERE, f"{name}.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if len(row["output"]) >= 40 and has(row["output"]):
                    handwritten.append(f"{row['id']}:{text_key(row['output'])}")
    return len(texts), exact, same_opening, handwritten, sorted(set(found))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phrases", action="store_true", help="phrase checks only")
    args = ap.parse_args()
    whole_ids, sent_ids = phrase_collisions()
    print(f"phrase collisions with earlier phrase sets: {len(whole_ids)} {sorted(whole_ids)}")
    print(f"phrases sharing a sentence with earlier phrase sets: {len(sent_ids)} {sorted(sent_ids)}")
    n_blind = blind_collisions()
    print(f"of which meeting the blind splits heldout7 / heldout8 (count only): {n_blind}")
    bad = bool(whole_ids or sent_ids or n_blind)
    if not args.phrases:
        n_texts, exact, same_opening, handwritten, keys = human_overlap()
        print(f"human texts checked: {n_texts}; verbatim in earlier material: {exact}; same opening: {same_opening}")
        if keys:
            print(f"their sha256[:16] keys (for build.py's EXCLUDE_SHA256): {keys}")
        print(f"hand-written outputs (40+ chars) verbatim in earlier material: {len(handwritten)} {handwritten}")
        bad = bad or bool(exact or same_opening or handwritten)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
