#!/usr/bin/env python3
"""Build the third frozen, blind held-out evaluation split for the text filters (bench/heldout3, issue 21).

Run from the repository root:

    python3 bench/heldout3/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout3/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: long-form prose, not docstrings (the sources of bench/heldout and bench/heldout2):
    the long descriptions in `*.dist-info/METADATA` of installed packages NOT used by bench/heldout2, and the
    README files Debian ships in /usr/share/doc.
  * Chinese human text: human translations from the zh_CN gettext catalogues (`*.mo`) of the system's
    programs (instruction: translate the English message), and human-written bank customer questions from
    `bq_dev.csv` (instruction: say the same question another way; output: its human paraphrase).

Everything is deterministic for a fixed SEED and fixed input files. No package is imported: METADATA and
README files are read as text, catalogues with the standard library's gettext parser.
This script was written without reading the filter implementation or its rules.
"""
from __future__ import annotations

import argparse
import ast
import collections
import csv
import datetime
import gettext
import glob
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True          # keep bench/heldout3 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261203
SITE = os.environ.get("HELDOUT3_SITE", "/work/main/.venv/lib/python3.11/site-packages")
STDLIB = os.environ.get("HELDOUT3_STDLIB", sysconfig.get_paths()["stdlib"])
USR_DOC = os.environ.get("HELDOUT3_USR_DOC", "/usr/share/doc")
LOCALE = os.environ.get("HELDOUT3_LOCALE", "/usr/share/locale/zh_CN/LC_MESSAGES")
BQ_CSV = os.path.join(os.environ.get("HELDOUT3_DEVDATA", "/work/shared/devdata"), "dedup", "bq_dev.csv")
HELDOUT2_MANIFEST = os.path.join(os.path.dirname(HERE), "heldout2", "MANIFEST.json")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
MARGIN = 400                 # spare injection candidates for the predicate-filtered takes (English clause rows)
PER_DOC = 40                 # cap on English paragraphs per package / README folder (diversity)
PER_CATALOGUE = 120          # cap on Chinese translations per gettext domain (diversity)
N_BQ = 1100                  # bank-question paraphrase rows in the Chinese pool
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material. It printed
# counts only; the texts are excluded here by the first 16 hex digits of their sha256 (4 found on the first pass).
EXCLUDE_SHA256 = {"061bb7c2a8f34522", "179b7b37b5f2f4a5", "c3ac60df68cd2ec1", "dfa18393f4138f83"}


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


OUT_FILES = ["slop_en.jsonl", "slop_zh.jsonl", "human_en.jsonl", "human_zh.jsonl",
             "faq_lists.jsonl", "roleplay.jsonl", "grounded.jsonl"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# English human text: long descriptions (METADATA) and Debian README files
# ---------------------------------------------------------------------------
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")
# code fences, reST directives, URLs, e-mail, HTML, tables, headings, quotes, images/links, indented blocks
MARKUP = re.compile(r"(```|::|https?://|www\.|\||<[a-zA-Z/!]|^\s*[#=+]|^\s{4,}|\.\. |^\s*>|\t|\[!\[|\]\(|@|\$ |"
                    r">>>|TODO|FIXME|XXX|`_|^[A-Z][A-Za-z-]*: )", re.M)
LIST_LINE = re.compile(r"^\s*([-*+•]|\d+[.)])\s", re.M)      # lists lose their shape when collapsed: skipped
LICENCE_TEXT = re.compile(r"copyright|warrant|licen[cs]e[ds]? under|general public licen|permitted in any medium",
                          re.I)
RULE_LINE = re.compile(r"^\s*[-=~^*_]{3,}\s*$", re.M)
HEADING_MD = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
UNDERLINE = re.compile(r"^\s*[-=~^*]{3,}\s*$")


def clean_paragraph(para: str) -> str | None:
    if MARKUP.search(para) or RULE_LINE.search(para) or LIST_LINE.search(para) or LICENCE_TEXT.search(para):
        return None
    text = " ".join(para.split())
    if not 50 <= len(text) <= 800 or len(text.split()) < 8:
        return None
    if not text[0].isupper():
        return None
    if not text.endswith((".", "!", "?")):
        return None
    if len(SENT_SPLIT.split(text)) > 7:
        return None
    if sum(c.isalpha() or c.isspace() for c in text) / len(text) < 0.82:
        return None
    return text


def paragraphs_with_headings(body: str):
    """(heading or None, paragraph) for each blank-line separated block, the heading being the last one seen."""
    heading = None
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        md = HEADING_MD.match(lines[0].strip())
        if md:
            heading, lines = md.group(1).strip(" *`"), lines[1:]
        elif len(lines) >= 2 and UNDERLINE.match(lines[1]) and 3 <= len(lines[0].strip()) <= 60:
            heading, lines = lines[0].strip(" *`"), lines[2:]
        if lines and "".join(lines).strip():
            yield heading, "\n".join(lines)


def dist_info(folder: str) -> dict:
    """Name, version and licence of an installed distribution, from its METADATA header."""
    meta_text = open(os.path.join(SITE, folder, "METADATA"), encoding="utf-8", errors="replace").read()
    header, _, body = meta_text.partition("\n\n")
    meta, classifiers = {}, []
    for line in header.splitlines():
        key, _, value = line.partition(": ")
        if key == "Classifier" and value.startswith("License ::"):
            classifiers.append(value.split(" :: ")[-1])
        elif key in ("Name", "Version", "License-Expression", "License") and key not in meta:
            meta[key] = value.strip()
    licence = meta.get("License-Expression") or "; ".join(classifiers)
    if not licence and meta.get("License") and len(meta["License"]) <= 40:
        licence = meta["License"]
    return {"name": meta.get("Name", folder), "version": meta.get("Version", "?"), "licence": licence or "unknown",
            "body": body}


def norm_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def heldout2_distributions() -> set[str]:
    """The distributions whose docstrings bench/heldout2 used: their METADATA is skipped here."""
    with open(HELDOUT2_MANIFEST, encoding="utf-8") as fh:
        packages = json.load(fh)["sources"]["english"]["packages"]
    return {norm_dist(p["distribution"]) for p in packages.values()} | {norm_dist(k) for k in packages}


def debian_licence(pkg: str) -> str:
    path = os.path.join(USR_DOC, pkg, "copyright")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("License:"):
                    return line.split(":", 1)[1].strip() or "see copyright"
    except OSError:
        return "unknown"
    return f"see /usr/share/doc/{pkg}/copyright"


WORD_K = 6                   # word shingles for the near-duplicate check against the standard library
NEAR_DUP = 0.5


def word_shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + WORD_K]) for i in range(len(words) - WORD_K + 1)}


def stdlib_shingles() -> set[tuple[str, ...]]:
    """6-word shingles of every standard-library docstring (bench/heldout's source)."""
    out: set[tuple[str, ...]] = set()
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
                        out |= word_shingles(doc)
    return out


Q_INTRO = ["What is {p}?", "Give me a short introduction to {p}.", "What does the {p} project do?",
           "I just came across {p}. What is it for?"]
Q_SECTION = ["What does the {p} documentation say under “{h}”?", "{p}: can you explain the “{h}” part?",
             "I'm reading about {p}. What's the gist of “{h}”?", "Tell me about {h} in {p}."]
Q_MORE = ["What else should I know about {p}?", "Anything more worth knowing about {p}?",
          "Tell me more about {p}.", "Can you go into more detail about {p}?"]


def _doc_rows(rng, project: str, body: str, src: str, skip_sh, seen, why) -> list[dict]:
    cands = []
    for k, (heading, para) in enumerate(paragraphs_with_headings(body)):
        text = clean_paragraph(para)
        if text is None or text in seen:
            continue
        seen.add(text)
        if text_key(text) in EXCLUDE_SHA256:
            why["found_in_earlier_material"] += 1
            continue
        sh = word_shingles(text)
        if sh and len(sh & skip_sh) / len(sh) >= NEAR_DUP:
            why["near_duplicate_of_stdlib_docs"] += 1
            continue
        if heading and len(heading) <= 50 and not MARKUP.search(heading):
            tmpl = rng.choice(Q_SECTION)
        else:
            tmpl = rng.choice(Q_INTRO if not cands else Q_MORE)
        cands.append({"instruction": tmpl.format(p=project, h=heading), "output": text, "src": f"{src}#{k}"})
    if len(cands) > PER_DOC:
        cands = rng.sample(cands, PER_DOC)
    return cands


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    skip_sh = stdlib_shingles()
    old = heldout2_distributions() | {"sftcurate"}
    rows, seen, why = [], set(), collections.Counter()
    packages, readmes = {}, {}
    for folder in sorted(d for d in os.listdir(SITE) if d.endswith(".dist-info")):
        info = dist_info(folder)
        if norm_dist(info["name"]) in old:
            continue
        cands = _doc_rows(rng, info["name"], info["body"], f"metadata:{info['name']}", skip_sh, seen, why)
        if cands:
            packages[info["name"]] = {"version": info["version"], "licence": info["licence"],
                                      "paragraphs_in_pool": len(cands)}
            rows.extend(cands)
    doc_files = set(glob.glob(os.path.join(USR_DOC, "*", "README*")))
    for ext in ("*.md", "*.md.gz", "*.txt", "*.txt.gz", "*.rst", "*.rst.gz"):
        doc_files.update(glob.glob(os.path.join(USR_DOC, "*", ext)))
    for path in sorted(doc_files):
        pkg = os.path.basename(os.path.dirname(path))
        try:
            if path.endswith(".gz"):
                with gzip.open(path, "rt", encoding="utf-8", errors="strict") as fh:
                    body = fh.read()
            else:
                with open(path, encoding="utf-8", errors="strict") as fh:
                    body = fh.read()
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        cands = _doc_rows(rng, pkg, body, f"usrdoc:{pkg}/{os.path.basename(path)}", skip_sh, seen, why)
        if cands:
            entry = readmes.setdefault(pkg, {"licence": debian_licence(pkg), "files": {}})
            entry["files"][os.path.basename(path)] = {"sha256": sha256(path), "paragraphs_in_pool": len(cands)}
            rows.extend(cands)
    # whole documents in a seeded order, so that slop rows and human rows rarely come from the same document
    # (their instructions name the project, and no instruction may be shared between the two)
    by_doc = collections.defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["src"], r["output"])):
        by_doc[r["src"].split("#", 1)[0]].append(r)
    docs = sorted(by_doc)
    rng.shuffle(docs)
    rows = []
    for doc in docs:
        rng.shuffle(by_doc[doc])
        rows.extend(by_doc[doc])
    return rows, {"packages": packages, "readmes": readmes, "skipped": dict(sorted(why.items()))}


# ---------------------------------------------------------------------------
# Chinese human text: zh_CN gettext translations, and bank-question paraphrases
# ---------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"[%{}<>\\$`|_]|--|\t|https?:|&|\.\.\.$")
CJK = re.compile(r"[\u4e00-\u9fff]")
T_MO = ["把这条软件提示翻译成中文：\n{m}", "请将下面的英文界面文字译成简体中文。\n\n{m}",
        "Translate this program message into Simplified Chinese: {m}", "这句英文提示用中文怎么说？\n{m}"]
T_BQ = ["换一种说法表达下面这个问题：{q}", "请用不同的措辞改写这句客户提问：{q}", "同一个意思，换个问法：{q}",
        "Paraphrase this customer question in Chinese: {q}"]


def _dpkg_owner(paths: list[str]) -> dict[str, str]:
    try:
        out = subprocess.run(["dpkg-query", "-S", *paths], capture_output=True, text=True, check=False).stdout
    except OSError:
        return {}
    owners = {}
    for line in out.splitlines():
        pkg, _, path = line.partition(": ")
        owners[path.strip()] = pkg.split(":")[0].split(",")[0].strip()
    return owners


def chinese_pool(rng: random.Random) -> tuple[list[dict], dict]:
    rows, seen, why = [], set(), collections.Counter()
    mo_files = sorted(glob.glob(os.path.join(LOCALE, "*.mo")))
    owners = _dpkg_owner(mo_files)
    catalogues = {}
    for path in mo_files:
        domain = os.path.basename(path)[:-3]
        try:
            with open(path, "rb") as fh:
                catalog = gettext.GNUTranslations(fh)._catalog
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        cands = []
        for msgid, msgstr in sorted((k, v) for k, v in catalog.items() if isinstance(k, str) and isinstance(v, str)):
            msgid, msgstr = msgid.strip(), msgstr.strip()
            if (not msgid[:1].isalpha() or "  " in msgid + msgstr or PLACEHOLDER.search(msgid + msgstr)
                    or len(CJK.findall(msgstr)) < 12):
                why["mo_not_prose"] += 1
                continue
            if "\n" in msgstr or "\n" in msgid or len(msgstr) > 400:
                why["mo_multiline_or_long"] += 1
                continue
            if msgstr in seen:
                why["duplicate"] += 1
                continue
            if text_key(msgstr) in EXCLUDE_SHA256:
                why["found_in_earlier_material"] += 1
                continue
            seen.add(msgstr)
            cands.append({"instruction": rng.choice(T_MO).format(m=msgid), "output": msgstr,
                          "src": f"mo:{domain}:{text_key(msgid)}"})
        if len(cands) > PER_CATALOGUE:
            cands = rng.sample(cands, PER_CATALOGUE)
        if cands:
            catalogues[domain] = {"sha256": sha256(path), "debian_package": owners.get(path, "unknown"),
                                  "translations_in_pool": len(cands)}
            if owners.get(path):
                catalogues[domain]["licence"] = debian_licence(owners[path])
            rows.extend(cands)
    with open(BQ_CSV, encoding="utf-8-sig") as fh:
        pairs = [r for r in csv.DictReader(fh) if r["label"] == "1"]
    bq = []
    for i, r in enumerate(pairs):
        q, a = r["sentence1"].strip(), r["sentence2"].strip()
        if not q or not a or q == a or len(CJK.findall(a)) < 4:
            why["bq_empty_or_same"] += 1
        elif a in seen:
            why["duplicate"] += 1
        elif text_key(a) in EXCLUDE_SHA256:
            why["found_in_earlier_material"] += 1
        else:
            seen.add(a)
            bq.append({"instruction": rng.choice(T_BQ).format(q=q), "output": a, "src": f"bq_dev:{i}"})
    bq = rng.sample(bq, min(N_BQ, len(bq)))
    rows.extend(bq)
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    return rows, {"catalogues": catalogues, "bq_rows": len(bq), "bq_positive_pairs": len(pairs),
                  "skipped": dict(sorted(why.items()))}


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
        # unused injection candidates are untouched rows too, but no human row shares an instruction with a slop row
        slop_instr = {r["instruction"] for r in slop}
        human_rows = [r for r in inj.rows + rest if r["instruction"] not in slop_instr][: N_HUMAN[lang]]
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
        pool_info[lang]["instruction_overlap_slop_human"] = len(slop_instr & {r["instruction"] for r in human})
        pool_info[lang]["human_by_source"] = dict(sorted(collections.Counter(
            r["src"].split(":", 1)[0] for r in human_rows).items()))
        pool_info[lang]["slop_originals_by_source"] = dict(sorted(collections.Counter(
            r["src"].split(":", 1)[0] for r in rows if r["output"] in used_outputs).items()))

    results["faq_lists.jsonl"] = handwritten_rows("faq", handwritten.FAQ_LISTS)
    results["roleplay.jsonl"] = handwritten_rows("roleplay", handwritten.ROLEPLAY)
    results["grounded.jsonl"] = handwritten_rows("grounded", handwritten.GROUNDED)

    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 1000,
               "faq_lists.jsonl": 40, "roleplay.jsonl": 40, "grounded.jsonl": 40}
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
                "what": "long-form prose paragraphs: METADATA long descriptions of packages not used by "
                        "bench/heldout2, and Debian README files in /usr/share/doc",
                "site_packages": SITE, "usr_doc": USR_DOC,
                "metadata_packages": pool_info["en"]["packages"],
                "debian_readmes": pool_info["en"]["readmes"],
                "skipped": pool_info["en"]["skipped"],
                "pool_rows": pool_info["en"]["pool_rows"], "pool_sha256": pool_info["en"]["pool_sha256"],
                "human_by_source": pool_info["en"]["human_by_source"],
                "slop_originals_by_source": pool_info["en"]["slop_originals_by_source"],
            },
            "chinese": {
                "what": "human zh_CN translations from gettext catalogues (instruction: translate the msgid), "
                        "and human bank-question paraphrases from bq_dev.csv (label 1 pairs)",
                "locale_dir": LOCALE, "catalogues": pool_info["zh"]["catalogues"],
                "bq_csv": {"path": BQ_CSV, "sha256": sha256(BQ_CSV), "licence": "research use "
                           "(terrifyzhao/text_matching, see /work/shared/devdata/README.md)",
                           "positive_pairs": pool_info["zh"]["bq_positive_pairs"],
                           "rows_in_pool": pool_info["zh"]["bq_rows"]},
                "skipped": pool_info["zh"]["skipped"],
                "pool_rows": pool_info["zh"]["pool_rows"], "pool_sha256": pool_info["zh"]["pool_sha256"],
                "human_by_source": pool_info["zh"]["human_by_source"],
                "slop_originals_by_source": pool_info["zh"]["slop_originals_by_source"],
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
    for lang in ("english", "chinese"):
        src = manifest["sources"][lang]
        print(f"{lang}: pool {src['pool_rows']}, human by source {src['human_by_source']}, "
              f"slop originals by source {src['slop_originals_by_source']}, skipped {src['skipped']}")


if __name__ == "__main__":
    main()
