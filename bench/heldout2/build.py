#!/usr/bin/env python3
"""Build the second frozen held-out evaluation split for the text filters (bench/heldout2, issue 21).

Run from the repository root:

    python3 bench/heldout2/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout2/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: docstring paragraphs of THIRD-PARTY packages installed in the project's virtual
    environment (requests, pandas, sqlalchemy, ...; permissive licences, recorded in MANIFEST.json).
    Paragraphs that also occur in the CPython standard library (the source of bench/heldout) are skipped.
  * Chinese human text: Toyhom internal-medicine Q&A, CSV edition (GB18030, MIT licence), minus every
    pair whose answer or question occurs in toyhom_IM_neike.txt (the source of bench/heldout and of the
    dev split).

Everything is deterministic for a fixed SEED, Python version, package versions and source files. The
script never imports the packages it reads: it parses their source with ast.
This script was written without reading the filter implementation or its rules.
"""
from __future__ import annotations

import argparse
import ast
import collections
import csv
import datetime
import hashlib
import io
import json
import os
import random
import re
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True          # keep bench/heldout2 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261201
SITE = os.environ.get("HELDOUT2_SITE", "/work/main/.venv/lib/python3.11/site-packages")
STDLIB = os.environ.get("HELDOUT2_STDLIB", sysconfig.get_paths()["stdlib"])
DEVDATA = os.environ.get("HELDOUT2_DEVDATA", "/work/shared/devdata/csv")
TOYHOM_CSV = os.path.join(DEVDATA, "toyhom_internal_medicine_gb18030.csv")
TOYHOM_TXT = os.path.join(DEVDATA, "toyhom_IM_neike.txt")          # used before: only for exclusion

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
MARGIN = 600                 # spare injection candidates for the predicate-filtered takes (English clause rows)
PER_PACKAGE = 90             # cap on English paragraphs per package (diversity)
MAX_FILE_BYTES = 2_000_000

# Human texts that a count-only check found (verbatim, or with the same opening) in earlier evaluation or
# tuning material (bench/heldout, bench/devset, tests/fixtures, ...). That check printed counts and this
# split's own row ids only; the texts are excluded here by the first 16 hex digits of their sha256.
EXCLUDE_SHA256 = {
    "efe5ded6bae218db", "275639f9a3a577fc", "7673d39e9be18032", "56f9127ef02abaa3", "f1a241f4bd956c30",
    "6263f866684e99ff", "2d56973d4405c6d4", "14dc3b0f7d652c8e", "4835f849ba39b45c", "60b83f304618c730",
    "6bbba90db5cd5997", "78dc465b44b3f61f", "dbcccda16a9a47b4",
}


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


OUT_FILES = ["slop_en.jsonl", "slop_zh.jsonl", "human_en.jsonl", "human_zh.jsonl",
             "faq_lists.jsonl", "roleplay.jsonl", "grounded.jsonl"]

# import name -> distribution name (for version and licence in the .dist-info folder)
PACKAGES = {
    "requests": "requests", "pandas": "pandas", "sqlalchemy": "sqlalchemy", "pydantic": "pydantic",
    "jinja2": "jinja2", "click": "click", "yaml": "pyyaml", "bs4": "beautifulsoup4", "ftfy": "ftfy",
    "datasets": "datasets", "rich": "rich", "httpx": "httpx", "werkzeug": "werkzeug",
    "starlette": "starlette", "networkx": "networkx", "sympy": "sympy", "dateutil": "python_dateutil",
    "babel": "babel", "markdown": "markdown", "pygments": "pygments", "attr": "attrs",
    "jsonschema": "jsonschema", "packaging": "packaging", "tornado": "tornado", "dask": "dask",
    "toolz": "toolz", "humanize": "humanize", "huggingface_hub": "huggingface_hub",
    "trafilatura": "trafilatura", "mako": "mako", "alembic": "alembic", "urllib3": "urllib3",
    "fsspec": "fsspec", "typer": "typer", "soupsieve": "soupsieve", "sqlglot": "sqlglot",
    "dateparser": "dateparser", "anyio": "anyio", "h11": "h11", "websockets": "websockets",
    "cachetools": "cachetools", "filelock": "filelock", "markdown_it": "markdown_it_py", "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "redis": "redis", "docker": "docker", "semver": "semver", "pendulum": "pendulum",
    "transformers": "transformers", "pyarrow": "pyarrow",
}


# ---------------------------------------------------------------------------
# English human text: third-party docstrings
# ---------------------------------------------------------------------------
SKIP_DIRS = {"test", "tests", "testing", "_vendor", "vendor", "vendored", "__pycache__", "benchmarks",
             "conftest", "examples"}
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")
# reST/numpydoc markup, doctests, URLs, tables, placeholders: not prose an SFT answer would contain
MARKUP = re.compile(r"(>>>|::|``|:[a-z_]+:`|\.\. |https?://|\t|\||---|===|\{\}|\\n|TODO|FIXME|XXX|\[\d+\]_)")
HEADER = re.compile(r"^[A-Z][A-Za-z ]{0,30}:\s")
SECTION_WORDS = ("Args:", "Arguments:", "Returns:", "Raises:", "Parameters", "Example", "Usage:", "Yields:",
                 "Attributes:", "Note:", "Keyword arguments", "See also", "See Also", "Warning:")


def dist_info(dist: str) -> dict:
    """Version and licence of an installed distribution, from its .dist-info folder."""
    folders = sorted(d for d in os.listdir(SITE)
                     if d.endswith(".dist-info") and d.lower().startswith(dist.lower() + "-"))
    assert len(folders) == 1, (dist, folders)
    meta_text = open(os.path.join(SITE, folders[0], "METADATA"), encoding="utf-8").read()
    meta = {}
    classifiers = []
    for line in meta_text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(": ")
        if key == "Classifier" and value.startswith("License ::"):
            classifiers.append(value.split(" :: ")[-1])
        elif key in ("Version", "License-Expression", "License") and key not in meta:
            meta[key] = value.strip()
    licence = meta.get("License-Expression") or "; ".join(classifiers)
    if not licence and meta.get("License") and len(meta["License"]) <= 40:
        licence = meta["License"]
    return {"distribution": dist, "version": meta["Version"], "licence": licence}


def _module_files(pkg: str):
    """(public dotted module name, path, is_private_file) for every .py file of a package.

    Objects in private files (httpx._models, anyio._core._fileio) are named after the public part of the
    path (httpx.Request); the docstrings of private modules themselves are skipped."""
    base = os.path.join(SITE, pkg)
    if os.path.isfile(base + ".py"):
        yield pkg, base + ".py", False
        return
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for fname in sorted(files):
            if not fname.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(root, fname), SITE)[:-3].replace(os.sep, ".")
            parts = rel.split(".")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            public = []
            for part in parts:
                if part.startswith("_"):
                    break
                public.append(part)
            yield ".".join(public), os.path.join(root, fname), len(public) < len(parts)


def _docstrings(path: str, mod: str, private: bool):
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return
    doc = ast.get_docstring(tree)
    if doc and not private:
        yield mod, "module", doc
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        doc = ast.get_docstring(node)
        if doc:
            yield f"{mod}.{node.name}", kind, doc
        if kind == "class":
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and not sub.name.startswith("_"):
                    doc = ast.get_docstring(sub)
                    if doc:
                        yield f"{mod}.{node.name}.{sub.name}", "method", doc


def clean_paragraph(para: str) -> str | None:
    if MARKUP.search(para):
        return None
    lines = para.split("\n")
    if any(ln[:1].isspace() for ln in lines):          # indented block: list, code, field list
        return None
    if any(w in para for w in SECTION_WORDS):
        return None
    text = " ".join(para.split())
    if not 40 <= len(text) <= 700 or len(text.split()) < 7:
        return None
    if not (text[0].isalpha() and text[0].isupper()) or HEADER.match(text):
        return None
    if not text.endswith((".", "!", "?")):
        return None
    if len(SENT_SPLIT.split(text)) > 6:
        return None
    if sum(c.isalpha() or c.isspace() for c in text) / len(text) < 0.85:
        return None
    return text


WORD_K = 6                   # word shingles for the near-duplicate check against the standard library
NEAR_DUP = 0.5               # share of shingles already in the earlier source above which a text is skipped


def word_shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + WORD_K]) for i in range(len(words) - WORD_K + 1)}


def stdlib_paragraphs() -> set[str]:
    """Every whitespace-collapsed docstring paragraph of the standard library (bench/heldout's source)."""
    out = set()
    for root, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "idlelib", "lib2to3"))
        for fname in sorted(files):
            if not fname.endswith(".py"):
                continue
            try:
                with open(os.path.join(root, fname), encoding="utf-8") as fh:
                    tree = ast.parse(fh.read())
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node)
                    if doc:
                        out.update(" ".join(p.split()) for p in re.split(r"\n\s*\n", doc))
    return out


Q_FIRST = {
    "module": ["What is the purpose of the `{n}` module?", "Give me an overview of `{n}`.",
               "What does the `{n}` module in {p} contain?", "I'm reading the {p} source. What is `{n}` about?"],
    "function": ["What does `{n}()` do?", "Can you describe the function `{n}`?",
                 "I keep seeing `{n}` in code. What is it?", "Briefly, what is the role of `{n}` in {p}?"],
    "class": ["Explain the `{n}` class.", "What is `{n}` in {p}?", "What kind of object is `{n}`?",
              "Tell me about the class `{n}`."],
    "method": ["What happens when I call `{n}()`?", "Describe the method `{n}`.", "What's the job of `{n}`?",
               "In {p}, what does `{n}` do?"],
}
Q_LATER = ["Anything else worth knowing about `{n}`?", "Could you add more detail on `{n}`?",
           "What are the finer points of `{n}`?", "What else should a {p} user know about `{n}`?"]


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    skip = stdlib_paragraphs()
    skip_shingles = set().union(*(word_shingles(p) for p in skip))
    rows, seen, per_pkg, skipped_stdlib, skipped_earlier = [], set(), {}, 0, 0
    for pkg in sorted(PACKAGES):
        cands = []
        for mod, path, private in _module_files(pkg):
            for name, kind, doc in _docstrings(path, mod, private):
                k = 0
                for para in re.split(r"\n\s*\n", doc):
                    text = clean_paragraph(para)
                    if text is None or text in seen:
                        continue
                    seen.add(text)
                    if text_key(text) in EXCLUDE_SHA256:
                        skipped_earlier += 1
                        continue
                    sh = word_shingles(text)
                    if text in skip or (sh and len(sh & skip_shingles) / len(sh) >= NEAR_DUP):
                        skipped_stdlib += 1          # copied or adapted from the standard library
                        continue
                    tmpl = rng.choice(Q_FIRST[kind] if k == 0 else Q_LATER)
                    cands.append({"instruction": tmpl.format(n=name, p=pkg), "output": text,
                                  "src": f"{pkg}:{name}"})
                    k += 1
                    if k >= 2:
                        break
        if len(cands) > PER_PACKAGE:
            cands = rng.sample(cands, PER_PACKAGE)
        per_pkg[pkg] = len(cands)
        rows.extend(cands)
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    return rows, {"per_package": per_pkg, "skipped_as_stdlib": skipped_stdlib, "skipped_earlier": skipped_earlier}


# ---------------------------------------------------------------------------
# Chinese human text: Toyhom internal medicine, CSV edition, minus the .txt edition used before
# ---------------------------------------------------------------------------
def _used_before() -> tuple[set[str], set[str], str]:
    with open(TOYHOM_TXT, "rb") as fh:
        text = fh.read().decode("gb18030").replace("\r\n", "\n")
    questions, answers = set(), set()
    for block in text.split("\n\n\n"):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if len(lines) != 2:
            continue
        questions.add(lines[0].split(",", 1)[-1].strip())
        answers.add(lines[1].strip())
    return questions, answers, text


CHAR_K = 10                  # character shingles for the near-duplicate check against the .txt edition
NEAR_DUP_ZH = 0.6            # above this share the answer is a variant of one used before (the source's own
                             # boilerplate sentences alone reach 0.2-0.4, so the bar is higher than in English)


def chinese_pool(rng: random.Random) -> tuple[list[dict], dict]:
    with open(TOYHOM_CSV, "rb") as fh:
        records = list(csv.DictReader(io.StringIO(fh.read().decode("gb18030"))))
    old_q, old_a, old_text = _used_before()
    old_shingles = {old_text[i:i + CHAR_K] for i in range(len(old_text) - CHAR_K + 1)}

    def near_dup(answer):
        grams = [answer[i:i + CHAR_K] for i in range(len(answer) - CHAR_K + 1)]
        return bool(grams) and sum(g in old_shingles for g in grams) / len(grams) >= NEAR_DUP_ZH

    rows, seen, why = [], set(), collections.Counter()
    for i, rec in enumerate(records):
        question, answer = (rec["ask"] or "").strip(), (rec["answer"] or "").strip()
        if not question or not answer:
            why["empty"] += 1
        elif answer in old_a or answer in old_text:
            why["answer_in_txt_edition"] += 1
        elif question in old_q:
            why["question_in_txt_edition"] += 1
        elif answer in seen:
            why["duplicate_answer"] += 1
        elif text_key(answer) in EXCLUDE_SHA256:
            why["found_in_earlier_material"] += 1
        elif near_dup(answer):
            why["near_duplicate_of_txt_edition"] += 1
        else:
            seen.add(answer)
            rows.append({"instruction": question, "output": answer, "src": f"toyhom_csv:{i}"})
    rng.shuffle(rows)
    return rows, {"csv_records": len(records), "kept": len(rows), "dropped": dict(sorted(why.items()))}


# ---------------------------------------------------------------------------
# Injection
# ---------------------------------------------------------------------------
# an English clause disclaimer lower-cases the answer's first word: only ordinary words, so it is reversible
CLAUSE_START_EN = {"The", "This", "It", "If", "When", "These", "Each", "All", "Any", "Most", "In",
                   "For", "By", "On", "Only", "Some", "Such", "Both", "Unless", "Since", "Because", "Otherwise",
                   "Its", "There", "Instead", "Many", "One", "No", "Normally", "Usually", "Currently", "Whether",
                   "With", "Without", "After", "Before", "While", "Once", "Every", "That", "Note", "Can", "Used",
                   "Given", "Depending", "At", "To", "Unlike", "As", "Setting", "Calling"}
# ... and only answers whose first sentence is a clause (has a finite verb), not a noun-phrase fragment such as
# "The base class for all expressions.", which would read wrongly after "..., but"
FINITE_VERB_EN = re.compile(r"\b(is|are|was|were|will|would|can|could|may|might|must|should|shall|does|do|did|has|have|"
                            r"returns|uses|allows|means|makes|takes|works|provides|contains|needs|gets|sets|"
                            r"raises|accepts|supports|requires|causes|applies|happens|behaves)\b")
GREETING_ZH = ("你好", "您好", "亲爱的", "这位朋友", "朋友你好", "你们好")
ZH_END = ("。", "！", "？", "!", "?", ".")


def wchoice(rng, options):
    vals, weights = zip(*options, strict=True)
    return rng.choices(vals, weights=weights, k=1)[0]


def _pick_sep(rng, opts, avoid):
    if avoid is not None and len(opts) > 1:
        rest = [o for o in opts if o[0] != avoid]
        if rest:
            opts = rest
    return wchoice(rng, opts)


def sep_opener(lang, text, rng, avoid=None):
    if lang == "en":
        opts = ([("\n", 4), ("\n\n", 5), (" ", 1)] if text.endswith(":")
                else [(" ", 5), ("\n\n", 4), ("\n", 1)])
    else:
        if text.endswith(("，", ",")):
            return ""
        opts = ([("\n", 5), ("", 3), ("\n\n", 2)] if text.endswith(("：", ":"))
                else [("", 55), ("\n", 30), ("\n\n", 10), (" ", 5)])
    return _pick_sep(rng, opts, avoid)


def sep_closer(lang, text, orig, rng, avoid=None):
    if "\n" in text:
        return "\n\n"
    if lang == "en":
        opts = [(" ", 40), ("\n\n", 45), ("\n", 15)]
    else:
        opts = ([("", 45), ("\n", 30), ("\n\n", 20), (" ", 5)] if orig.endswith(ZH_END)
                else [("\n", 6), ("\n\n", 4)])
    return _pick_sep(rng, opts, avoid)


def sep_disclaimer(lang, text, rng, avoid=None):
    if lang == "en":
        opts = [("\n", 5), ("\n\n", 3), (" ", 2)] if text.endswith(":") else [(" ", 6), ("\n\n", 3), ("\n", 1)]
    else:
        opts = [("\n", 6), ("", 4)] if text.endswith(("：", ":")) else [("", 6), ("\n", 3), ("\n\n", 1)]
    return _pick_sep(rng, opts, avoid)


def clause_ok(lang, orig):
    if lang == "zh":
        return not orig.startswith(GREETING_ZH)
    if orig.split(" ", 1)[0] not in CLAUSE_START_EN:
        return False
    first_sentence = SENT_SPLIT.split(orig, 1)[0]
    verb = FINITE_VERB_EN.search(first_sentence)
    # "A handler that is registered ..." is still a fragment: the first verb must not open a relative clause
    return bool(verb) and not re.search(r"\b(that|which|who)\s+$", first_sentence[:verb.start()])


def clause_join(lang, text, orig):
    if lang == "zh":
        return text + orig
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
                    "expected": expected, "original": row["output"] if expected == "strip" else None})

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
        if k % 4 == 3:
            first = rng.choice(discs)
            if first["join"] == "clause":
                row = pool.take(lambda r: clause_ok(lang, r["output"]))
                head = clause_join(lang, first["text"], row["output"])
            else:
                row = pool.take(no_greet)
                head = first["text"] + sep_disclaimer(lang, first["text"], rng) + row["output"]
        else:
            first = rng.choice(openers)
            row = pool.take(no_greet)
            head = first["text"] + sep_opener(lang, first["text"], rng) + row["output"]
        output = head + sep_closer(lang, cl["text"], row["output"], rng) + cl["text"]
        rec("combo", f"{first['id']}+{cl['id']}", row, output, "strip")

    rng.shuffle(out)
    return [{"id": f"{lang}-slop-{i:04d}", **r} for i, r in enumerate(out, 1)]


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


def sha256_rows(rows):
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r["src"], r["instruction"], r["output"]], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def handwritten_rows(prefix, items):
    rows = [{"id": f"{prefix}-{i:03d}", "lang": lang, "instruction": instr, "input": inp, "output": out,
             "note": note} for i, (lang, instr, inp, out, note) in enumerate(items, 1)]
    assert len({r["output"] for r in rows}) == len(rows), f"duplicate output in {prefix}"
    assert all(r["output"] and r["instruction"] and r["note"] for r in rows), prefix
    return rows


def load_phrases():
    phrases = {lang: json.load(open(os.path.join(HERE, f"phrases_{lang}.json"), encoding="utf-8"))
               for lang in ("en", "zh")}
    all_ids = []
    for lang, items in phrases.items():
        texts = [p["text"] for p in items]
        all_ids += [p["id"] for p in items]
        assert len(set(texts)) == len(texts), lang
        for p in items:
            assert p["family"] in ("opener", "closer", "disclaimer", "refusal", "identity_only"), p
            assert (p["family"] == "disclaimer") == ("join" in p), p
            assert p.get("join", "sentence") in ("sentence", "clause"), p
            assert p["text"] == p["text"].strip() and "+" not in p["id"], p
    assert len(set(all_ids)) == len(all_ids)
    return phrases


def build(out_dir):
    phrases = load_phrases()
    rng = random.Random(SEED)
    pools, pool_info = {}, {}
    pools["en"], pool_info["en"] = english_pool(random.Random(SEED + 1))
    pools["zh"], pool_info["zh"] = chinese_pool(random.Random(SEED + 2))
    results = {}
    for lang in ("en", "zh"):
        rows = pools[lang]
        n_strip = sum(1 for p in phrases[lang] if p["family"] in ("opener", "closer", "disclaimer"))
        n_drop = len(phrases[lang]) - n_strip
        n_inject = n_strip * USES_PER_PHRASE + N_COMBO
        inj = Pool(rows[: n_inject + MARGIN])
        cut = n_inject + MARGIN + n_drop * USES_PER_PHRASE
        drop = Pool(rows[n_inject + MARGIN: cut])
        rest = rows[cut:]
        slop = build_slop(lang, phrases[lang], inj, drop, random.Random(rng.randrange(1 << 30)))
        human_rows = (inj.rows + rest)[: N_HUMAN[lang]]   # unused injection candidates are untouched rows
        human = [{"id": f"{lang}-human-{i:04d}", "lang": lang, "instruction": r["instruction"], "input": "",
                  "output": r["output"]} for i, r in enumerate(human_rows, 1)]
        # sanity: disjoint outputs, strip rows restorable, every phrase used
        used_outputs = {r["original"] for r in slop if r["original"]}
        assert not used_outputs & {r["output"] for r in human}
        assert len(used_outputs) == sum(1 for r in slop if r["original"])
        for r in slop:
            if r["expected"] == "strip":
                assert r["output"] != r["original"] and r["original"][1:] in r["output"], r["id"]
        # no phrase may occur verbatim at the start / end of any human text (else the labels would conflict)
        texts = [r["output"] for r in human] + sorted(used_outputs)
        for p in phrases[lang]:
            t = p["text"]
            if p["family"] in ("opener", "disclaimer"):
                assert not any(x.startswith(t.rstrip("，,")) for x in texts), p["id"]
            elif p["family"] == "closer":
                assert not any(x.endswith(t) for x in texts), p["id"]
            else:
                assert t not in texts, p["id"]
        used_ids = collections.Counter(pid for r in slop for pid in r["phrase_id"].split("+"))
        missing = [p["id"] for p in phrases[lang] if used_ids[p["id"]] < USES_PER_PHRASE]
        assert not missing, missing
        results[f"slop_{lang}.jsonl"] = slop
        results[f"human_{lang}.jsonl"] = human
        pool_info[lang]["pool_rows"] = len(rows)
        pool_info[lang]["pool_sha256"] = sha256_rows(rows)
        pool_info[lang]["instruction_overlap_slop_human"] = len(
            {r["instruction"] for r in slop} & {r["instruction"] for r in human})

    results["faq_lists.jsonl"] = handwritten_rows("faq", handwritten.FAQ_LISTS)
    results["roleplay.jsonl"] = handwritten_rows("roleplay", handwritten.ROLEPLAY)
    results["grounded.jsonl"] = handwritten_rows("grounded", handwritten.GROUNDED)

    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 1000,
               "faq_lists.jsonl": 80, "roleplay.jsonl": 40, "grounded.jsonl": 30}
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

    def lang_counts(rows):
        return dict(sorted(collections.Counter(r["lang"] for r in rows).items()))

    manifest = {
        "seed": SEED,
        "python": sys.version.split()[0],
        "sources": {
            "english": {
                "what": "docstring paragraphs of third-party packages (ast.get_docstring; never imported)",
                "site_packages": SITE,
                "packages": {pkg: dist_info(dist) | {"paragraphs_in_pool": pool_info["en"]["per_package"][pkg]}
                             for pkg, dist in sorted(PACKAGES.items())},
                "paragraphs_skipped_as_stdlib": pool_info["en"]["skipped_as_stdlib"],
                "paragraphs_found_in_earlier_material": pool_info["en"]["skipped_earlier"],
                "pool_rows": pool_info["en"]["pool_rows"],
                "pool_sha256": pool_info["en"]["pool_sha256"],
            },
            "chinese": {
                "what": "Toyhom internal-medicine Q&A, CSV edition; instruction = ask, output = answer",
                "path": TOYHOM_CSV, "sha256": sha256(TOYHOM_CSV), "licence": "MIT (Toyhom)",
                "excluded_if_in": {"path": TOYHOM_TXT, "sha256": sha256(TOYHOM_TXT)},
                "csv_records": pool_info["zh"]["csv_records"], "dropped": pool_info["zh"]["dropped"],
                "pool_rows": pool_info["zh"]["pool_rows"], "pool_sha256": pool_info["zh"]["pool_sha256"],
            },
        },
        "instruction_overlap_slop_human": {lang: pool_info[lang]["instruction_overlap_slop_human"]
                                           for lang in ("en", "zh")},
        "phrases": {
            lang: {"file": f"phrases_{lang}.json", "sha256": sha256(os.path.join(HERE, f"phrases_{lang}.json")),
                   "total": len(items),
                   "by_family": dict(sorted(collections.Counter(p["family"] for p in items).items())),
                   "disclaimer_join": dict(sorted(collections.Counter(
                       p["join"] for p in items if p["family"] == "disclaimer").items()))}
            for lang, items in phrases.items()},
        "handwritten_sha256": sha256(os.path.join(HERE, "handwritten.py")),
        "handwritten_by_lang": {name[:-6]: lang_counts(results[name])
                                for name in ("faq_lists.jsonl", "roleplay.jsonl", "grounded.jsonl")},
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
        for key in ("phrases", "handwritten_sha256"):
            if old.get(key) != new.get(key):
                bad.append(key)
        for n in OUT_FILES:
            print(f"{n:18s} {new['files'][n]['rows']:5d} rows  {'OK' if n not in bad else 'DIFFERS'}")
        if bad:
            print("DIFFERS:", ", ".join(bad))
        sys.exit(1 if bad else 0)

    manifest = build(HERE)
    date = datetime.date.today().isoformat()
    if os.path.exists(mpath):
        old = json.load(open(mpath, encoding="utf-8"))
        if old.get("files") == manifest["files"]:
            date = old.get("date", date)        # an unchanged split keeps its freeze date
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
