#!/usr/bin/env python3
"""Build the fifth frozen, blind held-out evaluation split for the text filters (bench/heldout5, issue 21).

Run from the repository root:

    python3 bench/heldout5/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout5/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout (stdlib docstrings, Toyhom .txt), bench/heldout2 (docstrings of
51 packages, Toyhom CSV), bench/heldout3 (METADATA long descriptions, /usr/share/doc READMEs, zh_CN gettext
catalogues, bq_dev.csv) or bench/heldout4 (man pages, article-benchmark paragraphs, MRPC, zh_TW/zh_HK/zh_Hant
catalogues, zh man pages), so the filters have never been tuned on them. The Toyhom rows are the ones no earlier
split used (checked against the earlier splits' frozen jsonl files, count only).

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: prose paragraphs of the GNU info manuals (/usr/share/info, plain text), paragraphs of the
    expected reader-view text of the readability test pages (devdata), and prose paragraphs of Stack Overflow
    answers (devdata; paragraphs with code are skipped).
  * Chinese human text: human translations in vim's Chinese message catalogues (/usr/share/vim/vim90/lang) and the
    zh_Hans catalogues, and Toyhom doctors' answers (devdata) that no earlier split used.

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout4/build.py (itself copied from bench/heldout3/build.py).
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
import html
import io
import json
import os
import random
import re
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True          # keep bench/heldout5 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261205
STDLIB = os.environ.get("HELDOUT5_STDLIB", sysconfig.get_paths()["stdlib"])
INFO = os.environ.get("HELDOUT5_INFO", "/usr/share/info")
USR_DOC = os.environ.get("HELDOUT5_USR_DOC", "/usr/share/doc")
LOCALE_ROOT = os.environ.get("HELDOUT5_LOCALE", "/usr/share/locale")
VIM_LANG = os.environ.get("HELDOUT5_VIM_LANG", "/usr/share/vim/vim90/lang")
DEVDATA = os.environ.get("HELDOUT5_DEVDATA", "/work/shared/devdata")
READABILITY = os.path.join(DEVDATA, "html", "readability")
STACKOVERFLOW = os.path.join(DEVDATA, "html", "stackoverflow")
TOYHOM_CSV = os.path.join(DEVDATA, "csv", "toyhom_internal_medicine_gb18030.csv")
TOYHOM_TXT = os.path.join(DEVDATA, "csv", "toyhom_IM_neike.txt")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
MARGIN = 400                 # spare injection candidates for the predicate-filtered takes (English clause rows)
PER_INFO_MANUAL = 250        # cap on paragraphs per info manual (diversity)
PER_PAGE = 25                # cap on paragraphs per readability / Stack Overflow page
N_TOYHOM = 2600              # Toyhom answers in the Chinese pool
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material. It printed
# counts only; the texts are excluded here by the first 16 hex digits of their sha256, after all seeded draws
# (2 on the first pass).
EXCLUDE_SHA256: set[str] = {"56f9127ef02abaa3", "60b83f304618c730"}


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
# English human text 1: GNU info manuals (/usr/share/info), plain-text prose paragraphs
# ---------------------------------------------------------------------------
ENGLISH_WORDS = re.compile(r"\b(the|and|of|to|is|was|with|for|that)\b", re.I)
INFO_HEADER = re.compile(r"^File: [^,]+,\s+Node: ([^,\n]+)", re.M)
SKIP_NODES = re.compile(r"index|copying|license|licence|fdl|gfdl|gpl|top$|menu|history|changes|news|"
                        r"acknowledg|authors|contributors|bugs", re.I)


def read_info_files() -> list[tuple[str, list[str]]]:
    """(manual name, [info file paths]) for each GNU info manual; split files (find.info-1 ...) are one manual."""
    manuals = collections.defaultdict(list)
    for p in sorted(glob.glob(os.path.join(INFO, "*.info*.gz"))):
        base = os.path.basename(p)
        name = re.sub(r"\.info(-\d+)?\.gz$", "", base)
        manuals[name].append(p)
    return sorted(manuals.items())


def info_paragraphs(src: str):
    """(node name, paragraph) for each plain prose paragraph of an info file: a block whose first line is indented
    0, 3 or 5 spaces and whose other lines share the body indent (0, or 5 in a table body); examples (deeper
    indent), lists, menus, headings and cross-reference lines are not prose and are skipped."""
    for node in src.split("\x1f"):
        m = INFO_HEADER.search(node)
        if not m:
            continue
        name = m.group(1).strip()
        if SKIP_NODES.search(name):
            continue
        body = node[m.end():]
        for block in re.split(r"\n[ \t]*\n", body):
            lines = [ln.rstrip() for ln in block.strip("\n").split("\n")]
            if not lines or not lines[0].strip():
                continue
            ind = [len(ln) - len(ln.lstrip(" ")) for ln in lines]
            if ind[0] not in (0, 3, 5):
                continue
            rest = set(ind[1:])
            if ind[0] == 5 and rest - {5}:
                continue
            if ind[0] in (0, 3) and rest - {0}:
                continue
            first = lines[0].strip()
            if first.startswith(("•", "*", "-", "File:", "‘", "'", "`")) or re.match(r"\d+(\.\d+)*\s", first):
                continue
            if any(re.match(r"^\s*[*=.-]{3,}\s*$", ln) for ln in lines):
                continue
            para = "\n".join(ln.strip() for ln in lines)
            if "*Note" in para or "*note" in para or "See also" in para:
                continue
            yield name, para


Q_INFO = ["What does the GNU {m} manual say in its “{n}” section?", "Explain “{n}” from the {m} info manual.",
          "I'm reading `info {m}`, node {n}. What is it telling me?", "{m} documentation, {n}: summarise the point.",
          "Can you walk me through {n} in {m}?"]


def info_rows(rng: random.Random, seen: set, why: collections.Counter, skip_sh) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for manual, paths in read_info_files():
        cands = []
        for path in paths:
            try:
                with gzip.open(path, "rt", encoding="utf-8", errors="strict") as fh:
                    src = fh.read()
            except (OSError, UnicodeDecodeError, EOFError):
                continue
            for k, (node, para) in enumerate(info_paragraphs(src)):
                text = clean_paragraph(para)
                if text is None or text in seen:
                    continue
                seen.add(text)
                sh = word_shingles(text)
                if sh and len(sh & skip_sh) / len(sh) >= NEAR_DUP:
                    why["near_duplicate_of_stdlib_docs"] += 1
                    continue
                q = rng.choice(Q_INFO).format(m=manual, n=node)
                cands.append({"instruction": q, "output": text,
                              "src": f"info:{manual}:{text_key(node)}#{os.path.basename(path)}:{k}"})
        if len(cands) > PER_INFO_MANUAL:
            cands = rng.sample(cands, PER_INFO_MANUAL)
        if cands:
            info[manual] = {"files": {os.path.basename(p): sha256(p) for p in paths}, "paragraphs": len(cands)}
            rows.extend(cands)
    owners = _dpkg_owner([p for m in info for p in sorted(glob.glob(os.path.join(INFO, m + ".info*.gz")))])
    for v in info.values():
        pkgs = sorted({owners.get(os.path.join(INFO, f), "unknown") for f in v["files"]})
        v["debian_package"] = ",".join(pkgs)
        v["licence"] = ("; ".join(f"{p}: {debian_licence(p)}" for p in pkgs) + " (the manual's own licence, "
                        "mostly GFDL, is stated in its first node)" if pkgs != ["unknown"] else "unknown")
    return rows, info


# ---------------------------------------------------------------------------
# English human text 2 and 3: readability reference pages and Stack Overflow answers (devdata)
# ---------------------------------------------------------------------------
P_TAG = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")


def html_paragraph(inner: str) -> str | None:
    if re.search(r"<(code|pre|kbd|img|br|table|ul|ol|li|script|style)\b", inner, re.I):
        return None
    text = html.unescape(TAG.sub("", inner))
    return clean_paragraph(text)


def readability_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for path in sorted(glob.glob(os.path.join(READABILITY, "*", "expected.html"))):
        page = os.path.basename(os.path.dirname(path))
        with open(path, encoding="utf-8", errors="replace") as fh:
            src = fh.read()
        paras = [m.group(1) for m in P_TAG.finditer(src)]
        cands = []
        for k, inner in enumerate(paras):
            text = html_paragraph(inner)
            if text is None or text in seen or k == 0:
                continue
            if len(ENGLISH_WORDS.findall(text)) < 3:
                why["readability_not_english"] += 1
                continue
            seen.add(text)
            prev = " ".join(html.unescape(TAG.sub("", paras[k - 1])).split())
            lead = prev if len(prev) <= 90 else prev[:80].rsplit(" ", 1)[0] + " …"
            tmpl = rng.choice(["Keep going with this piece. The paragraph before was: “{l}”",
                               "Give me the paragraph that comes after “{l}”.",
                               "Draft the next paragraph of the article ({p}) following: {l}",
                               "How does the text continue after “{l}”?"])
            cands.append({"instruction": tmpl.format(l=lead, p=page), "output": text,
                          "src": f"readability:{page}#{k}"})
        if len(cands) > PER_PAGE:
            cands = rng.sample(cands, PER_PAGE)
        if cands:
            info[page] = {"sha256": sha256(path), "paragraphs": len(cands)}
            rows.extend(cands)
    return rows, info


def stackoverflow_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for path in sorted(glob.glob(os.path.join(STACKOVERFLOW, "*.html.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            src = fh.read()
        m = re.search(r'class="question-hyperlink">(.*?)</a>', src, re.S)
        title = html.unescape(TAG.sub("", m.group(1))).strip() if m else "this programming question"
        posts = src.split('class="s-prose js-post-body"')[2:]        # [0] page head, [1] the question itself
        cands = []
        for j, post in enumerate(posts):
            post = post.split('<div class="mt24', 1)[0].split('<div class="post-layout', 1)[0]
            for k, pm in enumerate(P_TAG.finditer(post)):
                text = html_paragraph(pm.group(1))
                if text is None or text in seen:
                    continue
                if len(ENGLISH_WORDS.findall(text)) < 3:
                    why["stackoverflow_not_english"] += 1
                    continue
                seen.add(text)
                tmpl = rng.choice(["Stack Overflow question: {t} — how would you answer?", "{t}",
                                   "Answer this like a Stack Overflow regular: {t}"])
                cands.append({"instruction": tmpl.format(t=title), "output": text,
                              "src": f"so:{text_key(os.path.basename(path))}#{j}:{k}"})
        if len(cands) > PER_PAGE:
            cands = rng.sample(cands, PER_PAGE)
        if cands:
            info[os.path.basename(path)] = {"sha256": sha256(path), "paragraphs": len(cands)}
            rows.extend(cands)
    return rows, info


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    skip_sh = stdlib_shingles()
    why: collections.Counter = collections.Counter()
    seen: set[str] = set()
    info_r, info_info = info_rows(rng, seen, why, skip_sh)
    read_r, read_info = readability_rows(rng, seen, why)
    so_r, so_info = stackoverflow_rows(rng, seen, why)
    rows = info_r + read_r + so_r
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
    return rows, {"info_manuals": info_info, "readability_pages": read_info, "stackoverflow_pages": so_info,
                  "info_rows": len(info_r), "readability_rows": len(read_r), "stackoverflow_rows": len(so_r),
                  "skipped": dict(sorted(why.items()))}


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

        for split in ("heldout", "heldout2", "heldout3", "heldout4"):
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
# Chinese human text: vim's Chinese message catalogues, zh_Hans / zh_Hant catalogues not used before, and
# Toyhom doctors' answers that no earlier split used
# ---------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"[%{}<>\\$`|_]|--|\t|https?:|&|\.\.\.$")
CJK = re.compile(r"[\u4e00-\u9fff]")
T_MO = ["这条 Vim 提示用中文怎么写？\n{m}", "請把這段編輯器訊息譯成中文：{m}",
        "Translate this Vim message into Chinese: {m}", "幫我翻一下這句英文（軟體介面）：{m}",
        "把下面这句英文翻成中文，保持术语准确。\n\n{m}"]
T_TOYHOM = ["{t}\n{a}", "患者提问：{a}", "{a}", "【{d}】{t}", "请以医生的身份回答：{t}（{a}）"]
ZH_END_PROSE = ("。", "！", "？")


def mo_rows(rng, seen, why) -> tuple[list[dict], dict]:
    rows, info = [], {}
    paths = sorted(glob.glob(os.path.join(VIM_LANG, "zh_*", "LC_MESSAGES", "*.mo")))
    paths += sorted(glob.glob(os.path.join(LOCALE_ROOT, "zh_Hans", "LC_MESSAGES", "*.mo")))
    for path in paths:
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
            if "\n" in msgstr or "\n" in msgid or len(msgstr) > 400 or re.match(r"E\d+:", msgid):
                why["mo_multiline_long_or_error_code"] += 1
                continue
            if msgstr in seen:
                why["duplicate"] += 1
                continue
            seen.add(msgstr)
            cands.append({"instruction": rng.choice(T_MO).format(m=msgid), "output": msgstr,
                          "src": f"mo:{os.path.relpath(path, '/usr/share')}:{text_key(msgid)}"})
        if cands:
            info[os.path.relpath(path, "/usr/share")] = {"sha256": sha256(path), "translations_in_pool": len(cands)}
            rows.extend(cands)
    owners = _dpkg_owner([os.path.join("/usr/share", p) for p in info])
    for p, v in info.items():
        pkg = owners.get(os.path.join("/usr/share", p), "unknown")
        v["debian_package"] = pkg
        v["licence"] = debian_licence(pkg) if pkg != "unknown" else "unknown"
    return rows, info


def toyhom_answer(ans: str) -> str | None:
    text = ans.strip()
    if not 30 <= len(text) <= 400 or "\n" in text or not text.endswith(ZH_END_PROSE):
        return None
    if re.search(r"[\\<>|`$_{}@#]|https?:|www|\?\?|�", text) or len(CJK.findall(text)) < 20:
        return None
    if sum(bool(CJK.match(c)) for c in text) / len(text) < 0.7:
        return None
    return text


def toyhom_rows(rng, seen, why) -> tuple[list[dict], dict]:
    rows = []
    with open(TOYHOM_CSV, "rb") as fh:
        table = list(csv.reader(io.StringIO(fh.read().decode("gb18030"))))[1:]
    for i, rec in enumerate(table):
        if len(rec) != 4:
            continue
        dept, title, ask, ans = (x.strip() for x in rec)
        text = toyhom_answer(ans)
        if text is None or text in seen or not title or not ask:
            why["toyhom_not_used"] += 1
            continue
        seen.add(text)
        q = rng.choice(T_TOYHOM).format(t=title, a=ask, d=dept)
        rows.append({"instruction": q, "output": text, "src": f"toyhom_csv:{i}"})
    with open(TOYHOM_TXT, "rb") as fh:
        lines = fh.read().decode("gb18030", errors="replace").split("\n")
    for i in range(len(lines) - 1):
        head, ans = lines[i].strip(), lines[i + 1].strip()
        if "," not in head or not ans or (i and lines[i - 1].strip()):
            continue
        title, _, ask = head.partition(",")
        text = toyhom_answer(ans)
        if text is None or text in seen or not title or not ask:
            why["toyhom_not_used"] += 1
            continue
        seen.add(text)
        q = rng.choice(T_TOYHOM).format(t=title, a=ask, d="内科")
        rows.append({"instruction": q, "output": text, "src": f"toyhom_txt:{i}"})
    n = len(rows)
    rows = drop_earlier(rows, why)
    info = {TOYHOM_CSV: {"sha256": sha256(TOYHOM_CSV)}, TOYHOM_TXT: {"sha256": sha256(TOYHOM_TXT)},
            "candidates": n, "not_in_an_earlier_split": len(rows), "licence": "MIT (LICENSE-toyhom)"}
    return rows, info


def chinese_pool(rng: random.Random) -> tuple[list[dict], dict]:
    seen, why = set(), collections.Counter()
    mo_r, mo_info = mo_rows(rng, seen, why)
    mo_r = drop_earlier(mo_r, why)
    toy_r, toy_info = toyhom_rows(rng, seen, why)
    toy_r.sort(key=lambda r: (r["src"], r["output"]))
    toy_r = rng.sample(toy_r, min(N_TOYHOM, len(toy_r)))
    rows = mo_r + toy_r
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    rows = drop_excluded(rows, why)
    return rows, {"catalogues": mo_info, "toyhom": toy_info, "mo_rows": len(mo_r), "toyhom_rows": len(toy_r),
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
                "what": "prose paragraphs of the GNU info manuals (/usr/share/info, plain text; index / licence / "
                        "menu nodes skipped), paragraphs of the expected reader-view text of the readability test "
                        "pages, and prose paragraphs (no code) of Stack Overflow answers",
                "info_dir": INFO, "info_manuals": pool_info["en"]["info_manuals"],
                "info_rows_in_pool": pool_info["en"]["info_rows"],
                "readability": {"dir": READABILITY, "pages": pool_info["en"]["readability_pages"],
                                "licence": "Apache-2.0 (mozilla/readability test pages); pages third-party, see "
                                           "/work/shared/devdata/README.md",
                                "rows_in_pool": pool_info["en"]["readability_rows"]},
                "stackoverflow": {"dir": STACKOVERFLOW, "pages": pool_info["en"]["stackoverflow_pages"],
                                  "licence": "page content CC BY-SA (Stack Overflow); page cache MIT (howdoi)",
                                  "rows_in_pool": pool_info["en"]["stackoverflow_rows"]},
                "skipped": pool_info["en"]["skipped"],
                "pool_rows": pool_info["en"]["pool_rows"], "pool_sha256": pool_info["en"]["pool_sha256"],
                "human_by_source": pool_info["en"]["human_by_source"],
                "slop_originals_by_source": pool_info["en"]["slop_originals_by_source"],
            },
            "chinese": {
                "what": "human translations in vim's zh_CN / zh_TW message catalogues and the zh_Hans catalogues "
                        "(instruction: translate the msgid), and Toyhom doctors' answers (instruction: the "
                        "patient's question) that no earlier split used",
                "catalogues": pool_info["zh"]["catalogues"], "mo_rows_in_pool": pool_info["zh"]["mo_rows"],
                "toyhom": pool_info["zh"]["toyhom"], "toyhom_rows_in_pool": pool_info["zh"]["toyhom_rows"],
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
