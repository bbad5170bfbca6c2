#!/usr/bin/env python3
"""Build the tenth frozen, blind held-out evaluation split for the text filters (bench/heldout10, issue 21).

Run from the repository root:

    python3 bench/heldout10/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout10/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout … bench/heldout9 (stdlib / package docstrings, METADATA, Debian
READMEs, man pages, GNU info, article benchmark, readability, Stack Overflow, MRPC, Perl POD, the rustup books,
Javadoc, PyPI READMEs, Toyhom, gettext catalogues, Git and PostgreSQL docs, manpages-zh, LibreOffice help zh-TW /
zh-CN, KiCad / GIMP / LilyPond zh, the Apache manual, SQLite docs, GNOME Help), so the filters have never been tuned
on them.

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: <p> prose paragraphs of the Debian 12 Installation Guide for amd64
    (installation-guide-amd64, en), of the GnuCash Tutorial and Concepts Guide and the GnuCash Help Manual
    (gnucash-docs, *-en) and of the R manuals (r-doc-html: An Introduction to R, R Data Import/Export, R Installation
    and Administration, the R Language Definition, R Internals, Writing R Extensions, the R FAQ).
  * Chinese human text: prose paragraphs of human-translated manuals: the Debian 12 Installation Guide zh_CN
    (installation-guide-amd64), the Debian Edu Bookworm manual in Simplified Chinese (debian-edu-doc-zh-cn) and the
    MATE User Guide zh_CN (mate-user-guide, DocBook <para> paragraphs).
    All .deb packages fetched with apt-get download and unpacked with dpkg-deb -x into HELDOUT10_DOCS/x/<package>
    (the .deb files in HELDOUT10_DOCS/debs; their sha256 are in MANIFEST.json).
  * HTML pages: ul, ol, dl and table blocks are removed before the <p> paragraphs are read; DocBook pages (.xml):
    itemizedlist, orderedlist, variablelist, table, informaltable, screen, programlisting and note-like blocks are
    removed before the <para> paragraphs are read (their paragraphs are list items, not running prose).

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout9/build.py (itself copied from bench/heldout8 … heldout5).
"""
from __future__ import annotations

import argparse
import collections
import datetime
import glob
import hashlib
import html
import json
import os
import random
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True          # keep bench/heldout10 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261210
DOCS = os.environ.get("HELDOUT10_DOCS", os.path.expanduser("~/.cache/sftcurate-bench/heldout10"))
DEBS = os.path.join(DOCS, "debs")
UNPACKED = os.path.join(DOCS, "x")
IG = "usr/share/doc/installation-guide-amd64"
GC = "usr/share/doc/gnucash-docs"
# (source key, package, glob under its unpacked tree, display name, cap on paragraphs per page)
EN_DOCS = [("installation-guide-en", "installation-guide-amd64", f"{IG}/en/*.html",
            "the Debian 12 Installation Guide", 20),
           ("gnucash-guide-en", "gnucash-docs", f"{GC}/gnucash-guide-en/*.html",
            "the GnuCash Tutorial and Concepts Guide", 20),
           ("gnucash-help-en", "gnucash-docs", f"{GC}/gnucash-help-en/*.html", "the GnuCash Help Manual", 20),
           ("r-doc-html", "r-doc-html", "usr/share/doc/r-doc-html/manual/*.html", "the R manuals", 150),
           ("debian-edu-doc-en", "debian-edu-doc-en",
            "usr/share/doc/debian-edu-doc-en/debian-edu-bookworm-manual.html", "the Debian Edu Bookworm manual", 150),
           ("mate-user-guide-en", "mate-user-guide", "usr/share/help/C/mate-user-guide/*.xml",
            "the MATE User Guide", 20)]
# pages skipped by rule: none
SKIP_PAGE = re.compile(r"$^")
ZH_DOCS = [("installation-guide-zh", "installation-guide-amd64", f"{IG}/zh_CN/*.html", "Debian 12 安装指南", 60),
           ("debian-edu-doc-zh-cn", "debian-edu-doc-zh-cn",
            "usr/share/doc/debian-edu-doc-zh-cn/debian-edu-bookworm-manual.html", "Debian Edu Bookworm 手册", 150),
           ("mate-user-guide-zh", "mate-user-guide", "usr/share/help/zh_CN/mate-user-guide/*.xml", "MATE 用户指南", 60),
           ("inkscape-tutorials", "inkscape-tutorials", "usr/share/inkscape/tutorials/*.zh_CN.svg",
            "Inkscape 教程", 40)]
# HTML blocks whose paragraphs are list items / table cells, removed before <p> paragraphs are read
HTML_BLOCK = re.compile(r"<(ul|ol|dl|table)\b.*?</\1>", re.S | re.I)
# DocBook blocks whose paragraphs are list items / table cells / code / admonitions, removed before <para> is read
DOCBOOK_BLOCK = re.compile(r"<(itemizedlist|orderedlist|variablelist|simplelist|table|informaltable|screen|"
                           r"programlisting|literallayout|note|tip|important|warning|caution|figure|"
                           r"mediaobject|inlinemediaobject|glossary|bibliography)\b.*?</\1>", re.S)
EARLIER_SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
                  "heldout8", "heldout9")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
# spare injection candidates for the predicate-filtered takes (English clause rows); Chinese takes only skip rows
# that open with a greeting
MARGIN = {"en": 400, "zh": 40}
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material (sha256[:16]
# of the text); excluded after all seeded draws.
EXCLUDE_SHA256: set[str] = set()


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def drop_excluded(rows: list[dict], why: collections.Counter) -> list[dict]:
    """Drop the excluded texts last, after all seeded draws, so that excluding one does not re-draw the pool."""
    kept = [r for r in rows if text_key(r["output"]) not in EXCLUDE_SHA256]
    why["found_in_earlier_material"] += len(rows) - len(kept)
    return kept


OUT_FILES = ["slop_en.jsonl", "slop_zh.jsonl", "human_en.jsonl", "human_zh.jsonl",
             "faq_lists.jsonl", "roleplay.jsonl", "grounded.jsonl"]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# English prose filter (v5's)
# ---------------------------------------------------------------------------
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(`])")
# code fences, reST directives, URLs, e-mail, HTML, tables, headings, quotes, images/links, indented blocks
MARKUP = re.compile(r"(```|::|https?://|www\.|\||<[a-zA-Z/!]|^\s*[#=+]|^\s{4,}|\.\. |^\s*>|\t|\[!\[|\]\(|@|\$ |"
                    r">>>|TODO|FIXME|XXX|`_|^[A-Z][A-Za-z-]*: )", re.M)
LIST_LINE = re.compile(r"^\s*([-*+•]|\d+[.)])\s", re.M)      # lists lose their shape when collapsed: skipped
LICENCE_TEXT = re.compile(r"copyright|warrant|licen[cs]e[ds]? under|general public licen|permitted in any medium",
                          re.I)
RULE_LINE = re.compile(r"^\s*[-=~^*_]{3,}\s*$", re.M)
ENGLISH_WORDS = re.compile(r"\b(the|and|of|to|is|was|with|for|that)\b", re.I)


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




# ---------------------------------------------------------------------------
# HTML manuals: <p> paragraphs
# ---------------------------------------------------------------------------
P_TAG = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S | re.I)
PARA_TAG = re.compile(r"<para\b[^>]*>(.*?)</para>", re.S)          # DocBook (.xml) pages
SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)            # SVG tutorials: one <text> = one paragraph
TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
# a paragraph holding code, an image, a line break, a list, a table or a script is not plain prose: skipped
NOT_PROSE_TAG = re.compile(r"<(code|pre|kbd|samp|tt|var|img|br|table|ul|ol|li|dl|script|style|svg|math|media|cmd|"
                           r"input|output|sys|var|command|filename|literal|userinput|computeroutput|replaceable|"
                           r"systemitem|envar|option|ulink|email|programlisting|screen)\b", re.I)


def paragraphs(path: str, src: str) -> list[str]:
    tag = PARA_TAG if path.endswith(".xml") else SVG_TEXT if path.endswith(".svg") else P_TAG
    return [m.group(1) for m in tag.finditer(src)]


def plain(inner: str) -> str:
    return " ".join(html.unescape(TAG.sub("", inner)).split())


def page_title(src: str, fallback: str) -> str:
    m = TITLE.search(src)
    title = plain(m.group(1)) if m else ""
    return title[:80] if title else fallback


def lead_of(prev: str) -> str:
    prev = plain(prev)
    return prev if len(prev) <= 90 else prev[:80].rsplit(" ", 1)[0] + " …"


def zh_lead(prev: str) -> str:
    prev = plain(prev)
    return prev if len(prev) <= 60 else prev[:50] + "……"


def doc_files(pkg: str, pattern: str) -> list[str]:
    root = os.path.join(UNPACKED, pkg)
    return sorted(p for p in glob.glob(os.path.join(root, pattern), recursive=True) if os.path.isfile(p))


def deb_info(pkg: str) -> dict:
    debs = sorted(glob.glob(os.path.join(DEBS, f"{pkg}_*.deb")))
    info = {"deb": {os.path.basename(d): sha256(d) for d in debs}}
    copyright_files = glob.glob(os.path.join(UNPACKED, pkg, "usr/share/doc/*/copyright"))
    if copyright_files:
        info["copyright_sha256"] = sha256(sorted(copyright_files)[0])
    return info


# ---------------------------------------------------------------------------
# English human text: the Debian Installation Guide, the GnuCash guide and help manual, the R manuals
# ---------------------------------------------------------------------------
Q_EN = ["In {b}, section “{c}”, which paragraph comes after this one? “{l}”",
        "Quote the next paragraph of {b} (“{c}”). The one before it begins: {l}",
        "{b}, “{c}”: carry on from “{l}”",
        "I'm working through “{c}” in {b} and just finished “{l}”. What's the paragraph after that?",
        "Write out the paragraph of {b} that follows “{l}” (section: {c}).",
        "Continue {b} — “{c}” — past this paragraph: {l}"]


def page_source(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        src = fh.read()
    if path.endswith(".xml"):
        src = DOCBOOK_BLOCK.sub("", src)
    elif path.endswith(".html"):
        src = HTML_BLOCK.sub("", src)
    return src


def en_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for key, pkg, pattern, book, per_file in EN_DOCS:
        files = [p for p in doc_files(pkg, pattern) if not SKIP_PAGE.search(p)]
        n_files = n = 0
        for path in files:
            src = page_source(path)
            rel = os.path.relpath(path, os.path.join(UNPACKED, pkg))
            title = page_title(src, os.path.basename(path).split(".")[0])
            paras = paragraphs(path, src)
            cands = []
            for k, inner in enumerate(paras):
                if k == 0 or NOT_PROSE_TAG.search(inner):
                    continue
                text = clean_paragraph(plain(inner))
                if text is None or text in seen:
                    continue
                if len(ENGLISH_WORDS.findall(text)) < 3:
                    why["en_not_english"] += 1
                    continue
                seen.add(text)
                q = rng.choice(Q_EN).format(b=book, c=title, l=lead_of(paras[k - 1]))
                cands.append({"instruction": q, "output": text, "src": f"{key}:{rel}#{k}"})
            if len(cands) > per_file:
                cands = rng.sample(cands, per_file)
            if cands:
                n_files += 1
                n += len(cands)
                rows.extend(cands)
        info[key] = {"package": pkg, **deb_info(pkg), "pages": len(files), "files_used": n_files, "paragraphs": n}
    return rows, info


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    why: collections.Counter = collections.Counter()
    seen: set[str] = set()
    rows, info = en_rows(rng, seen, why)
    n = len(rows)
    rows = drop_earlier(rows, why)
    by_doc = collections.defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["src"], r["output"])):
        by_doc[r["src"].split("#", 1)[0]].append(r)
    docs = sorted(by_doc)
    rng.shuffle(docs)
    rows = []
    for doc in docs:
        rng.shuffle(by_doc[doc])
        rows.extend(by_doc[doc])
    rows = drop_excluded(rows, why)
    return rows, {"docs": info, "candidates": n, "skipped": dict(sorted(why.items()))}


# ---------------------------------------------------------------------------
# Earlier splits' frozen text: a candidate found in it (verbatim or same opening) is dropped, counted only
# ---------------------------------------------------------------------------
_EARLIER_BLOB: list[str] = []


def earlier_blob() -> str:
    """Every string value of the earlier splits' frozen jsonl rows, decoded, one per line."""
    if not _EARLIER_BLOB:
        parts = []

        def walk(obj):
            if isinstance(obj, str):
                parts.append(obj)
            elif isinstance(obj, dict):
                for v in obj.values():
                    walk(v)
            elif isinstance(obj, list):
                for v in obj:
                    walk(v)

        for split in EARLIER_SPLITS:
            for p in sorted(glob.glob(os.path.join(REPO, "bench", split, "*.jsonl"))):
                with open(p, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            walk(json.loads(line))
        _EARLIER_BLOB.append("\n".join(parts))
    return _EARLIER_BLOB[0]


def in_earlier(text: str) -> bool:
    blob = earlier_blob()
    keys = [text[:20], text[len(text) // 4: len(text) // 4 + 20]] if len(text) >= 60 else [text]
    return text in blob or any(k in blob for k in keys)


def drop_earlier(rows: list[dict], why: collections.Counter) -> list[dict]:
    kept = [r for r in rows if not in_earlier(r["output"])]
    why["in_an_earlier_split"] += len(rows) - len(kept)
    return kept



# ---------------------------------------------------------------------------
# Chinese human text: human-translated manuals (Installation Guide zh_CN, Debian Edu manual zh-CN, MATE guide zh_CN)
# ---------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_END_PROSE = ("。", "！", "？")
T_ZH = ["《{b}》的“{c}”部分，“{l}”这段后面紧跟的是哪一段？", "把《{b}》“{c}”里接下来的一段给我，上文：{l}",
        "“{l}”——这是《{b}》“{c}”中的一段，请接着写下一段。", "{b} / {c}\n前一段：{l}\n请给出后一段原文。",
        "帮我往下接《{b}》（{c}）的内容，我读到：“{l}”", "《{b}》「{c}」這一節，在「{l}」之後寫了什麼？"]


def zh_prose(text: str | None) -> str | None:
    if text is None or not 20 <= len(text) <= 500 or not text.endswith(ZH_END_PROSE):
        return None
    if len(CJK.findall(text)) < 20 or len(CJK.findall(text)) / len(text) < 0.5:
        return None
    if re.search(r"https?:|www\.|[{}|\\<>$@]|\t", text):
        return None
    return text


def zh_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for key, pkg, pattern, book, per_file in ZH_DOCS:
        files = doc_files(pkg, pattern)
        n_files = n = 0
        for path in files:
            src = page_source(path)
            rel = os.path.relpath(path, os.path.join(UNPACKED, pkg))
            title = page_title(src, os.path.basename(path).split(".")[0])
            paras = paragraphs(path, src)
            cands = []
            for k, inner in enumerate(paras):
                if k == 0 or NOT_PROSE_TAG.search(inner):
                    continue
                text = zh_prose(plain(inner))
                if text is None:
                    why["zh_not_prose"] += 1
                    continue
                if text in seen:
                    why["duplicate"] += 1
                    continue
                seen.add(text)
                q = rng.choice(T_ZH).format(b=book, c=title, l=zh_lead(paras[k - 1]))
                cands.append({"instruction": q, "output": text, "src": f"{key}:{rel}#{k}"})
            if len(cands) > per_file:
                cands = rng.sample(cands, per_file)
            if cands:
                n_files += 1
                n += len(cands)
                rows.extend(cands)
        info[key] = {"package": pkg, **deb_info(pkg), "pages": len(files), "files_used": n_files, "paragraphs": n}
    return rows, info


def chinese_pool(rng: random.Random) -> tuple[list[dict], dict]:
    seen, why = set(), collections.Counter()
    rows, info = zh_rows(rng, seen, why)
    n = len(rows)
    rows = drop_earlier(rows, why)
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    rows = drop_excluded(rows, why)
    return rows, {"docs": info, "candidates": n, "skipped": dict(sorted(why.items()))}


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
        inj = Pool(rows[: n_inject + MARGIN[lang]])
        cut = n_inject + MARGIN[lang] + n_drop * USES_PER_PHRASE
        assert len(rows) > cut, (lang, len(rows), cut)
        drop = Pool(rows[n_inject + MARGIN[lang]: cut])
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

    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 150,
               "faq_lists.jsonl": 50, "roleplay.jsonl": 50, "grounded.jsonl": 50}
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

    licences = {
        "installation-guide-amd64": "GPL-2 (the Debian Installation Guide and its translations; the package's "
                                    "copyright file)",
        "gnucash-docs": "GFDL-NIV-1.1+ (GnuCash Documentation Team; the package's copyright file)",
        "r-doc-html": "GPL-2 (the package's copyright file; the R manuals carry the R Core Team's verbatim-copying "
                      "permission notice)",
        "debian-edu-doc-en": "GPL-2+ (Debian Edu developers; the package's copyright file)",
        "inkscape-tutorials": "GPL-2+ (Inkscape tutorial authors and translators; the package's copyright file)",
        "debian-edu-doc-zh-cn": "GPL-2+ (Debian Edu developers and translators; the package's copyright file)",
        "mate-user-guide": "GFDL-1.1+ (MATE documentation team and translators; the package's copyright file)",
    }

    def src_block(lang, what):
        return {"what": what, "docs_dir": DOCS,
                "sources": {key: {**doc, "licence": licences[doc["package"]]}
                            for key, doc in pool_info[lang]["docs"].items()},
                "candidates": pool_info[lang]["candidates"], "skipped": pool_info[lang]["skipped"],
                "pool_rows": pool_info[lang]["pool_rows"], "pool_sha256": pool_info[lang]["pool_sha256"],
                "human_by_source": pool_info[lang]["human_by_source"],
                "slop_originals_by_source": pool_info[lang]["slop_originals_by_source"]}

    manifest = {
        "seed": SEED,
        "python": sys.version.split()[0],
        "sources": {
            "english": src_block("en", "prose <p> / <para> paragraphs (no code, image, list or table inside; not a "
                                       "page's first paragraph; list / table blocks removed first) of the Debian 12 "
                                       "Installation Guide for amd64 (installation-guide-amd64 20230508+deb12u1, en), "
                                       "the GnuCash Tutorial and Concepts Guide and the GnuCash Help Manual "
                                       "(gnucash-docs 4.13-1, *-en), the R manuals (r-doc-html 4.2.2.20221110-2), the "
                                       "Debian Edu Bookworm manual (debian-edu-doc-en 2.12.23~deb12u1) and the MATE "
                                       "User Guide (mate-user-guide 1.26.0-1, C); at most 20 per Installation Guide, "
                                       "GnuCash or MATE page, 150 per R manual and from the Debian Edu manual; "
                                       "instruction: continue the page"),
            "chinese": src_block("zh", "prose paragraphs (same rules; DocBook <para> with list / table / code / "
                                       "admonition blocks removed first; SVG <text> elements) of human-translated "
                                       "manuals: the Debian 12 Installation Guide zh_CN (installation-guide-amd64 "
                                       "20230508+deb12u1), the Debian Edu Bookworm manual zh-CN (debian-edu-doc-zh-cn "
                                       "2.12.23~deb12u1), the MATE User Guide zh_CN (mate-user-guide 1.26.0-1) and the "
                                       "Inkscape tutorials zh_CN (inkscape-tutorials 1.2.2-2); at most 60 per "
                                       "Installation Guide or MATE page, 150 from the Debian Edu manual, 40 per "
                                       "Inkscape tutorial; instruction: continue the page"),
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
