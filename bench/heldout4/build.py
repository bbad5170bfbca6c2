#!/usr/bin/env python3
"""Build the fourth frozen, blind held-out evaluation split for the text filters (bench/heldout4, issue 21).

Run from the repository root:

    python3 bench/heldout4/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout4/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout (stdlib docstrings, Toyhom .txt), bench/heldout2 (docstrings of
51 packages, Toyhom CSV) or bench/heldout3 (METADATA long descriptions, /usr/share/doc READMEs, zh_CN gettext
catalogues, bq_dev.csv), so the filters have never been tuned on them.

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: prose paragraphs of the system's manual pages (/usr/share/man, troff source, parsed as
    text), paragraphs of the human reference article bodies of the article-extraction benchmark (devdata), and
    human paraphrases from the MSR paraphrase corpus (devdata).
  * Chinese human text: Traditional-Chinese human translations from the zh_TW / zh_HK / zh_Hant gettext
    catalogues, and prose paragraphs of the Chinese manual pages (/usr/share/man/zh_CN, zh_TW).
  * Real list-style / one-line answers for faq_lists.jsonl: bulleted lists from /usr/share/doc READMEs (v3 skipped
    every list), the NAME line of manual pages (one line, no full stop) and German translations (de catalogues).

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout3/build.py.
"""
from __future__ import annotations

import argparse
import ast
import collections
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
sys.dont_write_bytecode = True          # keep bench/heldout4 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261204
STDLIB = os.environ.get("HELDOUT4_STDLIB", sysconfig.get_paths()["stdlib"])
MAN = os.environ.get("HELDOUT4_MAN", "/usr/share/man")
USR_DOC = os.environ.get("HELDOUT4_USR_DOC", "/usr/share/doc")
LOCALE_ROOT = os.environ.get("HELDOUT4_LOCALE", "/usr/share/locale")
DEVDATA = os.environ.get("HELDOUT4_DEVDATA", "/work/shared/devdata")
ARTICLES = os.path.join(DEVDATA, "html", "article_benchmark", "ground-truth.json")
MRPC = os.path.join(DEVDATA, "dedup", "mrpc_train.txt")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
MARGIN = 400                 # spare injection candidates for the predicate-filtered takes (English clause rows)
PER_MAN_PAGE = 12            # cap on paragraphs per manual page (diversity)
N_MAN_EN = 1900              # English manual-page paragraphs in the pool
PER_ARTICLE = 8              # cap on paragraphs per news article
N_MRPC = 450                 # MSR paraphrase rows in the pool
PER_CATALOGUE = 150          # cap on Chinese translations per gettext domain (diversity)
MAN_SECTIONS = ("man1", "man5", "man7", "man8")
ZH_LOCALES = ("zh_TW", "zh_HK", "zh_Hant")
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material. It printed
# counts only; the texts are excluded here by the first 16 hex digits of their sha256 (5 on the first pass, 3 more
# on the second and 2 on the third, as each exclusion re-drew the pool; since then they are dropped after the draws).
EXCLUDE_SHA256: set[str] = {"4717d414fbed1022", "69cdc5bb02f74b1c", "c368e3cf118bb2c3", "c7f29ff0db03ce40",
                            "dba8b212b825bf92", "10e25a4bc04f1b27", "b02190bca67dacce", "f67bdb8c99df1fa2",
                            "51ae01af8da5fd5c", "b4d9fb8bbeec3aa7"}


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


def _dpkg_owner(paths: list[str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for i in range(0, len(paths), 400):
        try:
            out = subprocess.run(["dpkg-query", "-S", *paths[i:i + 400]], capture_output=True, text=True,
                                 check=False).stdout
        except OSError:
            return owners
        for line in out.splitlines():
            pkg, _, path = line.partition(": ")
            owners[path.strip()] = pkg.split(":")[0].split(",")[0].strip()
    return owners


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


# ---------------------------------------------------------------------------
# Manual pages (troff source read as text; no groff run, so the build is fast and does not depend on groff)
# ---------------------------------------------------------------------------
ESCAPES = [(re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""), (re.compile(r"\\\*\(L\"|\\\*\(R\""), "\""),
           (re.compile(r"\\\*\(--"), "—"), (re.compile(r"\\s[-+]?\d"), ""),
           (re.compile(r"\\\(aq"), "'"), (re.compile(r"\\\((dq|lq|rq)"), "\""), (re.compile(r"\\\((oq|cq)"), "'"),
           (re.compile(r"\\\(em|\\\[em\]"), "—"), (re.compile(r"\\\(en|\\\[en\]"), "–"), (re.compile(r"\\-"), "-"),
           (re.compile(r"\\(&|\||\^|%|c)"), ""), (re.compile(r"\\ "), " "), (re.compile(r"\\e"), lambda m: "\\")]
BREAK_MACROS = {".PP", ".P", ".LP", ".sp", ".TP", ".IP", ".SH", ".SS", ".HP", ".TQ", ".RS", ".RE", ".br",
                ".in", ".ti", ".PD", ".EX", ".EE", ".nf", ".fi", ".Sp", ".Vb", ".Ve", ".TH", ".UR", ".UE",
                ".MT", ".ME", ".SY", ".YS", ".OP", ".ne", ".bp"}
FONT_MACROS = {".B", ".I", ".SM", ".SB", ".BR", ".RB", ".IR", ".RI", ".BI", ".IB"}


def man_unescape(line: str) -> str | None:
    for pat, rep in ESCAPES:
        line = pat.sub(rep, line)
    return None if "\\" in line else line


def man_paragraphs(src: str):
    """(section heading, paragraph text) for each filled-text paragraph of a man page's troff source."""
    heading, buf, nofill, skip_next, broken = None, [], False, False, False
    for raw in src.split("\n"):
        if raw.startswith((".\\\"", "'\\\"", ".IX", "\\\"")):
            continue
        if raw.startswith((".", "'")):
            parts = raw.split(None, 1)
            mac, arg = parts[0], (parts[1] if len(parts) > 1 else "")
            if mac in FONT_MACROS:
                words = re.findall(r'"[^"]*"|\S+', arg)
                words = [w.strip('"') for w in words]
                text = " ".join(words) if mac in (".B", ".I", ".SM", ".SB") else "".join(words)
                if nofill or skip_next:
                    skip_next = False
                    continue
                u = man_unescape(text)
                if u is None:
                    broken = True
                else:
                    buf.append(u)
                continue
            if mac in BREAK_MACROS:
                if buf and not broken and not nofill:
                    yield heading, " ".join(buf)
                buf, broken = [], False
                if mac in (".SH", ".SS"):
                    heading = arg.strip().strip('"') or None
                elif mac in (".nf", ".EX", ".Vb"):
                    nofill = True
                elif mac in (".fi", ".EE", ".Ve"):
                    nofill = False
                elif mac == ".TP":
                    skip_next = True        # the tag line of a tagged paragraph is not prose
                continue
            broken = True                   # any other request or macro: the paragraph is not plain prose
            continue
        if nofill:
            continue
        if skip_next:
            skip_next = False
            continue
        if not raw.strip():
            if buf and not broken:
                yield heading, " ".join(buf)
            buf, broken = [], False
            continue
        u = man_unescape(raw)
        if u is None:
            broken = True
        else:
            buf.append(u.strip())
    if buf and not broken and not nofill:
        yield heading, " ".join(buf)


def read_man(path: str) -> str | None:
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8", errors="strict") as fh:
                src = fh.read()
        else:
            with open(path, encoding="utf-8", errors="strict") as fh:
                src = fh.read()
    except (OSError, UnicodeDecodeError, EOFError):
        return None
    if src.lstrip().startswith(".so ") or len(src) > 400_000:
        return None
    return src


SKIP_MAN = ("gcloud", "bq.", "gsutil")


def man_files(root: str) -> list[str]:
    out = []
    for sec in MAN_SECTIONS:
        for p in sorted(glob.glob(os.path.join(root, sec, "*"))):
            # the Google Cloud SDK's thousands of generated pages (gcloud_*) are one template: skipped
            if os.path.isfile(p) and not os.path.islink(p) and not os.path.basename(p).startswith(SKIP_MAN):
                out.append(p)
    return out


def man_name(path: str) -> tuple[str, str]:
    base = os.path.basename(path)
    base = base[:-3] if base.endswith(".gz") else base
    name, _, sec = base.rpartition(".")
    return name, sec


ENGLISH_WORDS = re.compile(r"\b(the|and|of|to|is|was|with|for|that)\b", re.I)
Q_MAN = ["What does the {p}({s}) manual page say under “{h}”?",
         "{p}: can you explain the “{h}” section of its man page?",
         "I'm reading man {s} {p}. What is the point of “{h}”?", "Explain the {h} part of the {p} manual."]
Q_MAN_PLAIN = ["What does the manual page of {p} tell me?", "Tell me something from the {p}({s}) manual.",
               "What else is in man {p}?", "Anything worth knowing from the {p} man page?"]


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    skip_sh = stdlib_shingles()
    why: collections.Counter = collections.Counter()
    seen: set[str] = set()
    man_rows, pages = [], {}
    for path in man_files(MAN):
        src = read_man(path)
        if src is None:
            continue
        name, sec = man_name(path)
        cands = []
        for k, (heading, para) in enumerate(man_paragraphs(src)):
            text = clean_paragraph(para)
            if text is None or text in seen or "  " in para.strip():
                continue
            seen.add(text)
            sh = word_shingles(text)
            if sh and len(sh & skip_sh) / len(sh) >= NEAR_DUP:
                why["near_duplicate_of_stdlib_docs"] += 1
                continue
            if heading and len(heading) <= 40 and heading.upper() not in ("NAME", "SYNOPSIS") \
                    and not MARKUP.search(heading):
                tmpl = rng.choice(Q_MAN).format(p=name, s=sec, h=heading.title() if heading.isupper() else heading)
            else:
                tmpl = rng.choice(Q_MAN_PLAIN).format(p=name, s=sec)
            cands.append({"instruction": tmpl, "output": text, "src": f"man:{sec}/{name}#{k}"})
        if len(cands) > PER_MAN_PAGE:
            cands = rng.sample(cands, PER_MAN_PAGE)
        if cands:
            pages[os.path.relpath(path, MAN)] = {"sha256": sha256(path), "paragraphs": len(cands)}
            man_rows.extend(cands)
    man_rows.sort(key=lambda r: r["src"])
    man_rows = rng.sample(man_rows, min(N_MAN_EN, len(man_rows)))
    used_pages = {r["src"].split("#", 1)[0][4:] for r in man_rows}
    owners = _dpkg_owner(sorted(os.path.join(MAN, p) for p in pages))
    man_info = {}
    for p, info in sorted(pages.items()):
        name, sec = man_name(p)
        if f"{sec}/{name}" in used_pages:
            pkg = owners.get(os.path.join(MAN, p), "unknown")
            man_info[p] = {**info, "debian_package": pkg, "licence": debian_licence(pkg) if pkg != "unknown"
                           else "unknown"}

    # news / blog article bodies: the benchmark's human reference text
    with open(ARTICLES, encoding="utf-8") as fh:
        truth = json.load(fh)
    art_rows = []
    for key in sorted(truth):
        body = truth[key].get("articleBody") or ""
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", body)]
        cands = []
        for k, para in enumerate(paras):
            text = clean_paragraph(para)
            if text is None or text in seen or k == 0:
                continue
            if len(ENGLISH_WORDS.findall(text)) < 3:       # some benchmark pages are German, Spanish, ...
                why["article_not_english"] += 1
                continue
            seen.add(text)
            prev = paras[k - 1]
            lead = prev if len(prev) <= 90 else prev[:80].rsplit(" ", 1)[0] + " …"
            tmpl = rng.choice(["Continue this article with its next paragraph: “{l}”",
                               "Write the paragraph that follows “{l}” in the article.",
                               "What comes next in the story after: {l}",
                               "Next paragraph, please. The previous one was: “{l}”"])
            cands.append({"instruction": tmpl.format(l=lead), "output": text, "src": f"article:{key[:12]}#{k}"})
        if len(cands) > PER_ARTICLE:
            cands = rng.sample(cands, PER_ARTICLE)
        art_rows.extend(cands)

    # MSR paraphrase corpus: the second sentence of a paraphrase pair is a human rewrite of the first
    mrpc_rows = []
    with open(MRPC, encoding="utf-8-sig") as fh:
        lines = fh.read().splitlines()[1:]
    for i, line in enumerate(lines):
        parts = line.split("\t")
        if len(parts) != 5 or parts[0] != "1":
            continue
        q, a = parts[3].strip(), parts[4].strip()
        if q == a or a in seen or not a.endswith((".", "!", "?")) or not a[:1].isupper() or len(a) < 50:
            why["mrpc_not_used"] += 1
            continue
        seen.add(a)
        tmpl = rng.choice(["Paraphrase this sentence: {q}", "Say the same thing in other words:\n\n{q}",
                           "Rewrite the following news sentence without changing its meaning. {q}",
                           "Reword: “{q}”"])
        mrpc_rows.append({"instruction": tmpl.format(q=q), "output": a, "src": f"mrpc:{i}"})
    mrpc_rows = rng.sample(mrpc_rows, min(N_MRPC, len(mrpc_rows)))

    rows = man_rows + art_rows + mrpc_rows
    # whole documents in a seeded order, so that slop rows and human rows rarely come from the same document
    by_doc = collections.defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["src"], r["output"])):
        doc = r["src"].split("#", 1)[0] if not r["src"].startswith("mrpc:") else r["src"]
        by_doc[doc].append(r)
    docs = sorted(by_doc)
    rng.shuffle(docs)
    rows = []
    for doc in docs:
        rng.shuffle(by_doc[doc])
        rows.extend(by_doc[doc])
    rows = drop_excluded(rows, why)
    return rows, {"man_pages": man_info, "man_rows": len(man_rows), "article_rows": len(art_rows),
                  "mrpc_rows": len(mrpc_rows), "skipped": dict(sorted(why.items()))}


# ---------------------------------------------------------------------------
# Chinese human text: Traditional-Chinese gettext translations, Chinese manual pages
# ---------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"[%{}<>\\$`|_]|--|\t|https?:|&|\.\.\.$")
CJK = re.compile(r"[\u4e00-\u9fff]")
T_MO = ["把這條軟體訊息翻譯成繁體中文：\n{m}", "請將下列英文介面文字譯為正體中文。\n\n{m}",
        "Translate this program message into Traditional Chinese: {m}", "這句英文提示用中文（台灣）怎麼說？{m}",
        "帮我把这句软件提示翻成繁体字：{m}"]
T_MAN_ZH = ["{p} 的手册页在“{h}”一节里说了什么？", "請說明 {p} 說明文件中「{h}」這一段。",
            "{p}({s}) 手册：{h} 部分讲什么？"]


def zh_cn_msgstrs() -> set[str]:
    """Every zh_CN translation (bench/heldout3's source): a Traditional row equal to one is skipped."""
    out = set()
    for path in glob.glob(os.path.join(LOCALE_ROOT, "zh_CN", "LC_MESSAGES", "*.mo")):
        try:
            with open(path, "rb") as fh:
                cat = gettext.GNUTranslations(fh)._catalog
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        out.update(v.strip() for v in cat.values() if isinstance(v, str))
    return out


def zh_man_paragraph(para: str) -> str | None:
    text = "".join(para.split()) if CJK.search(para) else None
    if text is None or not 20 <= len(text) <= 400 or len(CJK.findall(text)) < 12:
        return None
    if not text.endswith(("。", "！", "？")) or re.search(r"[\\<>|`$_{}@]|https?:|--", text):
        return None
    if sum(bool(CJK.match(c)) for c in text) / len(text) < 0.6:
        return None
    return text


def chinese_pool(rng: random.Random) -> tuple[list[dict], dict]:
    rows, seen, why = [], set(), collections.Counter()
    old = zh_cn_msgstrs()
    catalogues = {}
    for loc in ZH_LOCALES:
        mo_files = sorted(glob.glob(os.path.join(LOCALE_ROOT, loc, "LC_MESSAGES", "*.mo")))
        owners = _dpkg_owner(mo_files)
        for path in mo_files:
            domain = os.path.basename(path)[:-3]
            try:
                with open(path, "rb") as fh:
                    catalog = gettext.GNUTranslations(fh)._catalog
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            cands = []
            for msgid, msgstr in sorted((k, v) for k, v in catalog.items()
                                        if isinstance(k, str) and isinstance(v, str)):
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
                if msgstr in old:
                    why["same_as_a_zh_CN_translation"] += 1
                    continue
                seen.add(msgstr)
                cands.append({"instruction": rng.choice(T_MO).format(m=msgid), "output": msgstr,
                              "src": f"mo:{loc}:{domain}:{text_key(msgid)}"})
            if len(cands) > PER_CATALOGUE:
                cands = rng.sample(cands, PER_CATALOGUE)
            if cands:
                catalogues[f"{loc}/{domain}"] = {"sha256": sha256(path),
                                                 "debian_package": owners.get(path, "unknown"),
                                                 "translations_in_pool": len(cands)}
                if owners.get(path):
                    catalogues[f"{loc}/{domain}"]["licence"] = debian_licence(owners[path])
                rows.extend(cands)
    man_zh = {}
    for loc in ("zh_CN", "zh_TW"):
        for path in man_files(os.path.join(MAN, loc)):
            src = read_man(path)
            if src is None:
                continue
            name, sec = man_name(path)
            n = 0
            for k, (heading, para) in enumerate(man_paragraphs(src)):
                text = zh_man_paragraph(para)
                if text is None or text in seen:
                    continue
                seen.add(text)
                h = heading if heading and len(heading) <= 20 else "说明"
                rows.append({"instruction": rng.choice(T_MAN_ZH).format(p=name, s=sec, h=h), "output": text,
                             "src": f"manzh:{loc}/{sec}/{name}#{k}"})
                n += 1
            if n:
                man_zh[os.path.relpath(path, MAN)] = {"sha256": sha256(path), "paragraphs": n}
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    rows = drop_excluded(rows, why)
    return rows, {"catalogues": catalogues, "man_pages_zh": man_zh, "skipped": dict(sorted(why.items()))}


# ---------------------------------------------------------------------------
# Real list-style and one-line answers for faq_lists.jsonl (assembled, not written)
# ---------------------------------------------------------------------------
N_README_LISTS = 14
N_MAN_NAMES = 12
N_DE = 10
LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s+\S")


def readme_lists(rng: random.Random) -> tuple[list[tuple], dict]:
    """Bulleted lists of 3-8 short items from /usr/share/doc READMEs, one per package, verbatim (dedented)."""
    found = []
    for path in sorted(glob.glob(os.path.join(USR_DOC, "*", "README*"))):
        if path.endswith((".gz", ".html")) or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="strict") as fh:
                body = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        pkg = os.path.basename(os.path.dirname(path))
        for heading, block in paragraphs_with_headings(body):
            lines = [ln.rstrip() for ln in block.split("\n") if ln.strip()]
            if not 3 <= len(lines) <= 8 or not all(LIST_ITEM.match(ln) for ln in lines):
                continue
            if any(len(ln) > 90 or re.search(r"https?:|@|`|\\|\t|\[|<", ln) for ln in lines):
                continue
            indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
            found.append((pkg, heading, "\n".join(ln[indent:] for ln in lines), path))
            break
    picked = rng.sample(found, min(N_README_LISTS, len(found)))
    rows, info = [], {}
    for pkg, heading, text, path in sorted(picked):
        q = (f"What does the {pkg} README list under “{heading}”?" if heading and len(heading) <= 50
             else f"List the points the {pkg} README makes.")
        rows.append(("en", q, "", text, f"real list from /usr/share/doc/{pkg}/{os.path.basename(path)}"))
        info[f"{pkg}/{os.path.basename(path)}"] = {"sha256": sha256(path), "licence": debian_licence(pkg)}
    return rows, info


def man_name_lines(rng: random.Random) -> tuple[list[tuple], dict]:
    """The NAME line of manual pages: a lower-case one-line answer without a full stop."""
    found = []
    for path in man_files(MAN):
        if not os.path.basename(path).endswith(".1.gz"):
            continue
        src = read_man(path)
        if src is None:
            continue
        m = re.search(r"^\.SH\s+\"?NAME\"?\s*\n([^\n.][^\n]*)\n", src, re.M)
        if not m:
            continue
        line = man_unescape(m.group(1))
        if not line or " - " not in line:
            continue
        name, _, desc = line.partition(" - ")
        desc = desc.strip()
        if not 15 <= len(desc) <= 80 or desc.endswith(".") or not desc[:1].islower() or "," in name:
            continue
        found.append((name.strip(), desc, path))
    picked = rng.sample(found, min(N_MAN_NAMES, len(found)))
    rows, info = [], {}
    tmpl = ["In a few words, what does {n} do?", "One-line description of {n}?", "What is {n}? Keep it short.",
            "{n} — what's it for?"]
    for name, desc, path in sorted(picked):
        rows.append(("en", rng.choice(tmpl).format(n=name), "", desc,
                     f"real one-line NAME description from {os.path.relpath(path, MAN)}, no full stop"))
        info[os.path.relpath(path, MAN)] = {"sha256": sha256(path)}
    return rows, info


def german_lines(rng: random.Random) -> tuple[list[tuple], dict]:
    """German human translations of one-line UI strings (de catalogues): short answers without a full stop."""
    found = []
    for path in sorted(glob.glob(os.path.join(LOCALE_ROOT, "de", "LC_MESSAGES", "*.mo"))):
        try:
            with open(path, "rb") as fh:
                cat = gettext.GNUTranslations(fh)._catalog
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        for k, v in sorted((k, v) for k, v in cat.items() if isinstance(k, str) and isinstance(v, str)):
            k, v = k.strip(), v.strip()
            if (30 <= len(v) <= 100 and k[:1].isupper() and not v.endswith((".", ":")) and "\n" not in k + v
                    and not PLACEHOLDER.search(k + v) and "  " not in k + v and len(v.split()) >= 4):
                found.append((os.path.basename(path)[:-3], k, v, path))
    picked = rng.sample(found, min(N_DE, len(found)))
    rows, info = [], {}
    tmpl = ["Übersetze diese Programmmeldung ins Deutsche: {m}", "Translate into German: {m}",
            "Wie lautet die deutsche Oberfläche für „{m}“?"]
    for domain, k, v, path in sorted(picked):
        rows.append(("de", rng.choice(tmpl).format(m=k), "", v,
                     f"real German translation from the {domain} catalogue (de), no full stop"))
        info[domain] = {"sha256": sha256(path)}
    return rows, info


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

    faq_rng = random.Random(SEED + 3)
    lists, lists_info = readme_lists(faq_rng)
    names, names_info = man_name_lines(faq_rng)
    german, german_info = german_lines(faq_rng)
    faq_info = {"readme_lists": lists_info, "man_name_lines": names_info, "german_catalogues": german_info,
                "rows": {"readme_lists": len(lists), "man_name_lines": len(names), "german": len(german)}}
    results["faq_lists.jsonl"] = handwritten_rows("faq", handwritten.FAQ_LISTS + lists + names + german)
    results["roleplay.jsonl"] = handwritten_rows("roleplay", handwritten.ROLEPLAY)
    results["grounded.jsonl"] = handwritten_rows("grounded", handwritten.GROUNDED)

    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 1000,
               "faq_lists.jsonl": 60, "roleplay.jsonl": 60, "grounded.jsonl": 60}
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
                "what": "prose paragraphs of manual pages (/usr/share/man man1/5/7/8, troff read as text, gcloud/bq/"
                        "gsutil pages skipped), paragraphs of the human reference article bodies of the "
                        "article-extraction benchmark, and human paraphrases (second sentence) of MSR-PC pairs",
                "man_dir": MAN, "man_pages": pool_info["en"]["man_pages"],
                "man_rows_in_pool": pool_info["en"]["man_rows"],
                "articles": {"path": ARTICLES, "sha256": sha256(ARTICLES), "licence": "MIT (benchmark); pages "
                             "third-party, see /work/shared/devdata/README.md",
                             "rows_in_pool": pool_info["en"]["article_rows"]},
                "mrpc": {"path": MRPC, "sha256": sha256(MRPC), "licence": "MSR-PC licence, research use",
                         "rows_in_pool": pool_info["en"]["mrpc_rows"]},
                "skipped": pool_info["en"]["skipped"],
                "pool_rows": pool_info["en"]["pool_rows"], "pool_sha256": pool_info["en"]["pool_sha256"],
                "human_by_source": pool_info["en"]["human_by_source"],
                "slop_originals_by_source": pool_info["en"]["slop_originals_by_source"],
            },
            "chinese": {
                "what": "human Traditional-Chinese translations from the zh_TW / zh_HK / zh_Hant gettext catalogues "
                        "(instruction: translate the msgid), and prose paragraphs of the zh_CN / zh_TW manual pages",
                "locale_root": LOCALE_ROOT, "catalogues": pool_info["zh"]["catalogues"],
                "man_pages_zh": pool_info["zh"]["man_pages_zh"],
                "skipped": pool_info["zh"]["skipped"],
                "pool_rows": pool_info["zh"]["pool_rows"], "pool_sha256": pool_info["zh"]["pool_sha256"],
                "human_by_source": pool_info["zh"]["human_by_source"],
                "slop_originals_by_source": pool_info["zh"]["slop_originals_by_source"],
            },
            "faq_lists_assembled": faq_info,
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
