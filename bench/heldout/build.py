#!/usr/bin/env python3
"""Build the frozen held-out evaluation split for the text filters.

Run from the repository root:

    python3 bench/heldout/build.py            # (re)build files + MANIFEST.json
    python3 bench/heldout/build.py --check    # rebuild in a temp dir, compare to MANIFEST.json

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: docstring paragraphs of the CPython 3.11 standard library
    (extracted with ast.get_docstring, PSF licence)
  * Chinese human text: second half of Toyhom internal-medicine Q&A pairs
    (toyhom_IM_neike.txt, GB18030, MIT licence); the first half is the dev split
    and is never read into any output.

Everything is deterministic for a fixed SEED, Python version and source files.
This script was written without reading the filter implementation or its rules.
"""
from __future__ import annotations

import argparse
import ast
import collections
import datetime
import hashlib
import json
import os
import random
import re
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True          # keep bench/heldout free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20240611
TOYHOM = os.environ.get(
    "HELDOUT_TOYHOM", "/work/shared/devdata/csv/toyhom_IM_neike.txt")
STDLIB = os.environ.get("HELDOUT_STDLIB", sysconfig.get_paths()["stdlib"])

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows/separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN_EN = 1200            # cap on untouched English human rows
MAX_FILE_BYTES = 2_000_000

OUT_FILES = ["slop_en.jsonl", "slop_zh.jsonl", "human_en.jsonl", "human_zh.jsonl",
             "faq_lists.jsonl", "roleplay.jsonl", "grounded.jsonl"]


# ---------------------------------------------------------------------------
# English human text: standard-library docstrings
# ---------------------------------------------------------------------------
SKIP_DIRS = {"test", "tests", "idlelib", "lib2to3", "site-packages", "turtledemo",
             "pydoc_data", "__pycache__", "ensurepip", "distutils", "lib-dynload",
             "tkinter", "encodings"}
SKIP_MODULES = {"this", "antigravity"}
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")
BAD_START = re.compile(r"^([-*+•]|\d+[.)]|\(\w\)|:|\.\.|[A-Z][a-z]+ ?:$)")
SIGNATURE = re.compile(r"^[\w.]+\s*(=\s*)?[\w.<>]*\(.*\)\s*(->|$)")
SECTION_WORDS = ("Args:", "Arguments:", "Returns:", "Raises:", "Parameters", "Example",
                 "Usage:", "Yields:", "Attributes:", "Note:", "Keyword arguments",
                 "See also", "XXX", "TODO", "FIXME")


def _modname(path: str) -> str:
    rel = os.path.relpath(path, STDLIB)[:-3].replace(os.sep, ".")
    return rel[:-9] if rel.endswith(".__init__") else rel


def _iter_docstrings():
    for root, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("config-"))
        for fname in sorted(files):
            if not fname.endswith(".py"):
                continue
            path = os.path.join(root, fname)
            mod = _modname(path)
            if mod in SKIP_MODULES or any(p.startswith("_") for p in mod.split(".")):
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    tree = ast.parse(fh.read())
            except (SyntaxError, UnicodeDecodeError):
                continue
            doc = ast.get_docstring(tree)
            if doc:
                yield mod, "module", doc
            for node in tree.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if node.name.startswith("_"):
                    continue
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{mod}.{node.name}", kind, doc
                if kind == "class":
                    for sub in node.body:
                        if (isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
                                and not sub.name.startswith("_")):
                            doc = ast.get_docstring(sub)
                            if doc:
                                yield f"{mod}.{node.name}.{sub.name}", "method", doc


def _clean_paragraph(para: str) -> str | None:
    if ">>>" in para or "\t" in para or "::" in para or "|" in para:
        return None
    lines = para.split("\n")
    if any(ln[:1].isspace() for ln in lines):          # indented block: list/code/field list
        return None
    first = lines[0].strip()
    if BAD_START.match(first) or SIGNATURE.match(first):
        return None
    if any(w in para for w in SECTION_WORDS) or "---" in para or "===" in para:
        return None
    text = " ".join(para.split())
    if len(text) < 40 or len(text) > 700:
        return None
    if not (text[0].isalpha() and text[0].isupper()):
        return None
    if text.endswith((":", ",", ";")):
        return None
    if len(text.split()) < 6:
        return None
    if len(SENT_SPLIT.split(text)) > 6:
        return None
    letters = sum(c.isalpha() or c.isspace() for c in text)
    if letters / len(text) < 0.8:
        return None
    return text


Q_FIRST = {
    "module": ["What is the `{n}` module for?", "What does Python's `{n}` module provide?",
               "Describe the `{n}` module of the standard library.",
               "Can you explain what the `{n}` module is?"],
    "function": ["What does `{n}` do?", "Explain what `{n}()` does.",
                 "What is `{n}` used for?", "How does `{n}` behave?"],
    "class": ["What is `{n}`?", "What does the `{n}` class represent?",
              "Describe the class `{n}`.", "What is the purpose of `{n}`?"],
    "method": ["What does the `{n}` method do?", "Explain `{n}()`.",
               "What is `{n}` for?", "How does `{n}` work?"],
}
Q_LATER = ["What else should I know about `{n}`?", "Tell me more about how `{n}` works.",
           "Are there any details worth knowing about `{n}`?",
           "Can you give more detail on `{n}`?"]


def english_pool(rng: random.Random) -> list[dict]:
    rows, seen = [], set()
    for name, kind, doc in _iter_docstrings():
        k = 0
        for para in re.split(r"\n\s*\n", doc):
            text = _clean_paragraph(para)
            if text is None or text in seen:
                continue
            seen.add(text)
            tmpl = rng.choice(Q_FIRST[kind] if k == 0 else Q_LATER)
            rows.append({"instruction": tmpl.format(n=name), "output": text,
                         "src": f"stdlib:{name}"})
            k += 1
            if k >= 3:
                break
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# Chinese human text: Toyhom internal medicine, second half only
# ---------------------------------------------------------------------------
def chinese_pool(rng: random.Random) -> list[dict]:
    with open(TOYHOM, "rb") as fh:
        text = fh.read().decode("gb18030").replace("\r\n", "\n")
    blocks = [b for b in text.split("\n\n\n") if b.strip()]
    pairs = []
    for b in blocks:
        lines = [ln for ln in b.split("\n") if ln.strip()]
        assert len(lines) == 2, lines
        title, question = lines[0].split(",", 1)
        pairs.append((title.strip(), question.strip(), lines[1].strip()))
    half = len(pairs) // 2
    # never leak dev-split (first half) text: drop second-half pairs whose question or answer
    # also occurs in the first half (the source has a few verbatim repeats)
    dev_q = {q for _, q, _ in pairs[:half]}
    dev_a = {a for _, _, a in pairs[:half]}
    rows, seen = [], set()
    for i, (_title, question, answer) in enumerate(pairs[half:], start=half):
        if not question or not answer or answer in seen or answer in dev_a or question in dev_q:
            continue
        seen.add(answer)
        rows.append({"instruction": question, "output": answer, "src": f"toyhom:{i}"})
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# Injection
# ---------------------------------------------------------------------------
CLAUSE_START_EN = {"The", "This", "A", "An", "It", "If", "When", "These", "Each", "All",
                   "Any", "Most", "In", "For", "By", "On", "Unlike", "Only", "Some", "Such",
                   "Both", "Unless", "Since", "Because", "Otherwise", "Its", "There",
                   "Instead", "Multiple", "Many", "One", "Two", "No", "Normally",
                   "Usually", "Currently", "Optionally", "Whether", "With",
                   "Without", "After", "Before", "While", "Once", "Every"}
GREETING_ZH = ("你好", "您好", "亲爱的", "这位朋友")
ZH_END = ("。", "！", "？", "!", "?")


def wchoice(rng, options):
    vals, weights = zip(*options, strict=True)
    return rng.choices(vals, weights=weights, k=1)[0]


def sep_opener(lang, text, rng, avoid=None):
    if lang == "en":
        opts = ([("\n", 4), ("\n\n", 4), (" ", 2)] if text.endswith(":")
                else [(" ", 6), ("\n\n", 3), ("\n", 1)])
    else:
        if text.endswith("，"):
            return ""
        opts = ([("\n", 5), ("", 3), ("\n\n", 2)] if text.endswith("：")
                else [("", 65), ("\n", 25), (" ", 10)])
    return _pick_sep(rng, opts, avoid)


def sep_closer(lang, text, orig, rng, avoid=None):
    if "\n" in text:
        return "\n\n"
    if lang == "en":
        opts = [(" ", 45), ("\n\n", 40), ("\n", 15)]
    else:
        opts = ([("", 40), ("\n", 35), ("\n\n", 20), (" ", 5)] if orig.endswith(ZH_END)
                else [("\n", 6), ("\n\n", 4)])
    return _pick_sep(rng, opts, avoid)


def sep_disclaimer(lang, text, rng, avoid=None):
    if lang == "en":
        opts = [("\n", 5), (" ", 5)] if text.endswith(":") else [(" ", 7), ("\n\n", 3)]
    else:
        opts = [("\n", 6), ("", 4)] if text.endswith("：") else [("", 7), ("\n", 3)]
    return _pick_sep(rng, opts, avoid)


def _pick_sep(rng, opts, avoid):
    if avoid is not None and len(opts) > 1:
        rest = [o for o in opts if o[0] != avoid]
        if rest:
            opts = rest
    return wchoice(rng, opts)


def clause_ok(lang, orig):
    if lang == "zh":
        return not orig.startswith(GREETING_ZH)
    return orig.split(" ", 1)[0] in CLAUSE_START_EN


def clause_join(lang, text, orig):
    if lang == "zh":
        return text + orig
    # the model continues its clause, so the human answer's first word is lower-cased
    return text + " " + orig[0].lower() + orig[1:]


class Pool:
    """Rows available for injection; each row is consumed at most once."""

    def __init__(self, rows):
        self.rows = list(rows)

    def take(self, pred=lambda r: True):
        for i, r in enumerate(self.rows):
            if pred(r):
                return self.rows.pop(i)
        raise RuntimeError("injection pool exhausted")


def build_slop(lang, phrases, pool: Pool, drop_pool: Pool, rng):
    out = []
    no_greet = (lambda r: not r["output"].startswith(GREETING_ZH)) if lang == "zh" else (lambda r: True)

    def rec(family, pid, row, output, expected):
        out.append({"lang": lang, "family": family, "phrase_id": pid,
                    "instruction": row["instruction"], "input": "", "output": output,
                    "expected": expected,
                    "original": row["output"] if expected == "strip" else None})

    for ph in phrases:
        fam, text, pid = ph["family"], ph["text"], ph["id"]
        prev_sep = None
        for _use in range(USES_PER_PHRASE):
            if fam == "opener":
                row = pool.take(no_greet)
                sep = sep_opener(lang, text, rng, prev_sep)
                rec(fam, pid, row, text + sep + row["output"], "strip")
            elif fam == "closer":
                row = pool.take()
                sep = sep_closer(lang, text, row["output"], rng, prev_sep)
                rec(fam, pid, row, row["output"] + sep + text, "strip")
            elif fam == "disclaimer" and ph["join"] == "clause":
                row = pool.take(lambda r: clause_ok(lang, r["output"]))
                sep = None
                rec(fam, pid, row, clause_join(lang, text, row["output"]), "strip")
            elif fam == "disclaimer":
                row = pool.take(no_greet)
                sep = sep_disclaimer(lang, text, rng, prev_sep)
                rec(fam, pid, row, text + sep + row["output"], "strip")
            elif fam in ("refusal", "identity_only"):
                row = drop_pool.take()
                sep = None
                rec(fam, pid, row, text, "drop")
            else:
                raise ValueError(fam)
            prev_sep = sep

    openers = [p for p in phrases if p["family"] == "opener"]
    closers = [p for p in phrases if p["family"] == "closer"]
    discs = [p for p in phrases if p["family"] == "disclaimer"]
    for k in range(N_COMBO):
        cl = rng.choice(closers)
        if k % 3 == 2:
            d = rng.choice(discs)
            if d["join"] == "clause":
                row = pool.take(lambda r: clause_ok(lang, r["output"]))
                head = clause_join(lang, d["text"], row["output"])
            else:
                row = pool.take(no_greet)
                head = d["text"] + sep_disclaimer(lang, d["text"], rng) + row["output"]
            first = d
        else:
            first = rng.choice(openers)
            row = pool.take(no_greet)
            head = first["text"] + sep_opener(lang, first["text"], rng) + row["output"]
        output = head + sep_closer(lang, cl["text"], row["output"], rng) + cl["text"]
        rec("combo", f"{first['id']}+{cl['id']}", row, output, "strip")

    rng.shuffle(out)
    for i, r in enumerate(out, 1):
        r_id = f"{lang}-slop-{i:04d}"
        out[i - 1] = {"id": r_id, **r}
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def handwritten_rows(prefix, items):
    rows = []
    for i, (lang, instr, inp, out, note) in enumerate(items, 1):
        rows.append({"id": f"{prefix}-{i:03d}", "lang": lang, "instruction": instr,
                     "input": inp, "output": out, "note": note})
    assert len({r["output"] for r in rows}) == len(rows), f"duplicate output in {prefix}"
    return rows


def build(out_dir):
    phrases = {lang: json.load(open(os.path.join(HERE, f"phrases_{lang}.json"), encoding="utf-8"))
               for lang in ("en", "zh")}
    for lang, items in phrases.items():
        ids = [p["id"] for p in items]
        texts = [p["text"] for p in items]
        assert len(set(ids)) == len(ids) and len(set(texts)) == len(texts), lang
        for p in items:
            assert (p["family"] == "disclaimer") == ("join" in p), p

    rng = random.Random(SEED)
    pools = {"en": english_pool(random.Random(SEED + 1)),
             "zh": chinese_pool(random.Random(SEED + 2))}
    results = {}
    for lang in ("en", "zh"):
        rows = pools[lang]
        n_strip = sum(1 for p in phrases[lang] if p["family"] in ("opener", "closer", "disclaimer"))
        n_drop = len(phrases[lang]) - n_strip
        n_inject = n_strip * USES_PER_PHRASE + N_COMBO
        # generous margin for the predicate-filtered takes; leftovers are returned to human.
        inj = Pool(rows[: n_inject + 200])
        drop = Pool(rows[n_inject + 200: n_inject + 200 + n_drop * USES_PER_PHRASE])
        rest = rows[n_inject + 200 + n_drop * USES_PER_PHRASE:]
        slop = build_slop(lang, phrases[lang], inj, drop, random.Random(rng.randrange(1 << 30)))
        human_rows = inj.rows + rest           # unused injection candidates are untouched human rows
        if lang == "en":
            human_rows = human_rows[:N_HUMAN_EN]
        human = [{"id": f"{lang}-human-{i:04d}", "lang": lang, "instruction": r["instruction"],
                  "input": "", "output": r["output"]} for i, r in enumerate(human_rows, 1)]
        # sanity
        used_outputs = {r["original"] for r in slop if r["original"]}
        used_instr = {r["instruction"] for r in slop}
        assert not used_outputs & {r["output"] for r in human}
        for r in slop:
            if r["expected"] == "strip":
                assert r["output"] != r["original"]
                assert r["original"][1:] in r["output"], r
        # no phrase may occur verbatim at the start/end of any human text (else labels conflict)
        texts = [r["output"] for r in human] + list(used_outputs)
        for p in phrases[lang]:
            t = p["text"]
            if p["family"] in ("opener", "disclaimer"):
                assert not any(x.startswith(t.rstrip("，,")) for x in texts), p
            elif p["family"] == "closer":
                assert not any(x.endswith(t) for x in texts), p
        used_ids = collections.Counter(pid for r in slop for pid in r["phrase_id"].split("+"))
        missing = [p["id"] for p in phrases[lang] if used_ids[p["id"]] == 0]
        assert not missing, missing
        results[f"slop_{lang}.jsonl"] = slop
        results[f"human_{lang}.jsonl"] = human
        results[f"_pool_{lang}"] = len(rows)
        results[f"_humaninstr_overlap_{lang}"] = len(used_instr & {r["instruction"] for r in human})

    results["faq_lists.jsonl"] = handwritten_rows("faq", handwritten.FAQ_LISTS)
    results["roleplay.jsonl"] = handwritten_rows("roleplay", handwritten.ROLEPLAY)
    results["grounded.jsonl"] = handwritten_rows("grounded", handwritten.GROUNDED)

    minimum = {"slop_en.jsonl": 300, "slop_zh.jsonl": 300, "human_en.jsonl": 500,
               "human_zh.jsonl": 500, "faq_lists.jsonl": 80, "roleplay.jsonl": 40,
               "grounded.jsonl": 30}
    files = {}
    for name in OUT_FILES:
        rows = results[name]
        assert len(rows) >= minimum[name], (name, len(rows))
        path = os.path.join(out_dir, name)
        write_jsonl(path, rows)
        size = os.path.getsize(path)
        assert size < MAX_FILE_BYTES, (name, size)
        files[name] = {"rows": len(rows), "sha256": sha256(path), "bytes": size}

    def fam_counts(rows):
        return dict(sorted(collections.Counter(r["family"] for r in rows).items()))

    manifest = {
        "seed": SEED,
        "python": sys.version.split()[0],
        "stdlib": STDLIB,
        "sources": {
            "english": f"CPython {sys.version.split()[0]} standard library docstrings (PSF licence)",
            "chinese": {"path": TOYHOM, "sha256": sha256(TOYHOM),
                        "split": "second half of Q&A pairs only (index >= n//2)",
                        "licence": "MIT (Toyhom)"},
        },
        "human_pool_rows": {"en": results["_pool_en"], "zh": results["_pool_zh"]},
        "phrases": {
            lang: {"file": f"phrases_{lang}.json",
                   "sha256": sha256(os.path.join(HERE, f"phrases_{lang}.json")),
                   "total": len(items),
                   "by_family": dict(sorted(collections.Counter(p["family"] for p in items).items())),
                   "disclaimer_join": dict(sorted(collections.Counter(
                       p["join"] for p in items if p["family"] == "disclaimer").items()))}
            for lang, items in phrases.items()},
        "handwritten_sha256": sha256(os.path.join(HERE, "handwritten.py")),
        "slop_rows_by_family": {lang: fam_counts(results[f"slop_{lang}.jsonl"]) for lang in ("en", "zh")},
        "files": files,
    }
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true",
                    help="rebuild in a temporary directory and compare with MANIFEST.json")
    args = ap.parse_args()
    mpath = os.path.join(HERE, "MANIFEST.json")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            new = build(tmp)
        old = json.load(open(mpath, encoding="utf-8"))
        bad = [n for n in OUT_FILES if old["files"].get(n, {}).get("sha256") != new["files"][n]["sha256"]]
        for n in OUT_FILES:
            print(f"{n:18s} {new['files'][n]['rows']:5d} rows  {'OK' if n not in bad else 'DIFFERS'}")
        sys.exit(1 if bad else 0)

    manifest = build(HERE)
    date = datetime.date.today().isoformat()
    if os.path.exists(mpath):
        old = json.load(open(mpath, encoding="utf-8"))
        if old.get("files") == manifest["files"]:
            date = old.get("date", date)        # unchanged split keeps its freeze date
    manifest = {"date": date, **manifest}
    with open(mpath, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    for n, f in manifest["files"].items():
        print(f"{n:18s} {f['rows']:5d} rows  {f['bytes']:8d} bytes")
    for lang, p in manifest["phrases"].items():
        print(f"phrases_{lang}: {p['total']} {p['by_family']} join={p['disclaimer_join']}")
    for lang, fc in manifest["slop_rows_by_family"].items():
        print(f"slop_{lang} families: {fc}")


if __name__ == "__main__":
    main()
