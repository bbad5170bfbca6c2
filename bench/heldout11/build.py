#!/usr/bin/env python3
"""Build the eleventh frozen, blind held-out evaluation split for the text filters (bench/heldout11, issue 21).

Run from the repository root:

    python3 bench/heldout11/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout11/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout … bench/heldout10 (stdlib / package docstrings, METADATA, Debian
READMEs, man pages, GNU info, article benchmark, readability, Stack Overflow, MRPC, Perl POD, the rustup books,
Javadoc, PyPI READMEs, Toyhom, gettext catalogues, Git and PostgreSQL docs, manpages-zh, LibreOffice help zh-TW /
zh-CN, KiCad / GIMP / LilyPond zh, the Apache manual, SQLite docs, GNOME Help, the Debian Installation Guide,
GnuCash, the R manuals, the Debian Edu manual, the MATE User Guide, the Inkscape tutorials), nor bench/tech_fp.py
(Debian Reference, maint-guide, Debian FAQ, Developer's Reference, Debian Administrator's Handbook, CMake), so the
filters have never been tuned on them.

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: <p> prose paragraphs of the Debian Policy Manual and its sub-policies (debian-policy), the
    Securing Debian Manual (harden-doc, en-US), the Mutt manual (mutt), the fish shell documentation
    (fish-common), the Z shell manual and FAQ (zsh-doc), A Brief History of Debian (debian-history), the AisleRiot
    help (aisleriot, DocBook <para>, C) and the Battle for Wesnoth manual (wesnoth-1.16-data), and the Standard
    paragraphs of LyX's own manuals (lyx-common, .lyx files).
  * Chinese human text: prose paragraphs of the AisleRiot help zh_CN (aisleriot), LyX's manuals zh_CN
    (lyx-common), the Battle for Wesnoth manual zh_CN (wesnoth-1.16-data), the MATE applets help zh_CN
    (mate-applets-common) and Chinese TeX documentation written in Chinese (texlive-lang-chinese: lshort-zh-cn,
    latex-notes-zh-cn, ctex-faq, impatient-cn, texlive-zh-cn, the Asymptote manual / FAQ / examples zh-cn,
    texproposal; LaTeX source paragraphs, simple font and logo commands resolved, any other command rejected).
    All .deb packages fetched with apt-get download and unpacked with dpkg-deb -x into HELDOUT11_DOCS/x/<package>
    (the .deb files in HELDOUT11_DOCS/debs; their sha256 are in MANIFEST.json).
  * HTML pages: ul, ol, dl and table blocks are removed before the <p> paragraphs are read; DocBook pages (.xml):
    itemizedlist, orderedlist, variablelist, table, informaltable, screen, programlisting and note-like blocks are
    removed before the <para> paragraphs are read (their paragraphs are list items, not running prose). LyX files:
    only Standard layouts, and none holding an inset other than quotes, typewriter text or a literal backslash.

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout10/build.py (itself copied from bench/heldout9 … heldout5).
"""
from __future__ import annotations

import argparse
import collections
import datetime
import glob
import gzip
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
sys.dont_write_bytecode = True          # keep bench/heldout11 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261211
DOCS = os.environ.get("HELDOUT11_DOCS", os.path.expanduser("~/.cache/sftcurate-bench/heldout11"))
DEBS = os.path.join(DOCS, "debs")
UNPACKED = os.path.join(DOCS, "x")
DP = "usr/share/doc/debian-policy"
LYX = "usr/share/lyx/doc"
TL = "usr/share/doc/texlive-doc"
WES = "usr/share/doc/wesnoth-1.16-data"
# (source key, package, glob under its unpacked tree, display name, cap on paragraphs per page)
EN_DOCS = [("debian-policy", "debian-policy", f"{DP}/**/*.html", "the Debian Policy Manual", 40),
           ("harden-doc", "harden-doc", "usr/share/doc/harden-doc/html/en-US/*.html", "the Securing Debian Manual",
            30),
           ("mutt-manual", "mutt", "usr/share/doc/mutt/html/manual.html", "the Mutt manual", 500),
           ("fish-doc", "fish-common", "usr/share/doc/fish/**/*.html", "the fish shell documentation", 20),
           ("zsh-doc", "zsh-doc", "usr/share/doc/zsh-common/html/*.html", "the Z shell manual", 40),
           ("debian-history", "debian-history", "usr/share/doc/debian-history/docs/*.en.html",
            "A Brief History of Debian", 40),
           ("aisleriot-en", "aisleriot", "usr/share/help/C/aisleriot/*.xml", "the AisleRiot help", 20),
           ("wesnoth-manual-en", "wesnoth-1.16-data", f"{WES}/manual.en.html", "the Battle for Wesnoth manual", 80),
           ("lyx-doc-en", "lyx-common", f"{LYX}/*.lyx", "the LyX manuals", 150),
           ("evolution-help-en", "evolution-common", "usr/share/help/C/evolution/*.page", "the Evolution help", 10),
           ("aptitude-doc-en", "aptitude-doc-en", "usr/share/doc/aptitude/html/en/*.html", "the aptitude user's manual",
            40)]
# pages skipped by rule: indexes, search pages, the one-page copies of the policy, the mutt pages that repeat
# manual.html, LyX's lists of functions / shortcuts and its dummy documents
SKIP_PAGE = re.compile(r"(genindex|search|/index|/policy-1|/perl-policy-1|/menu-policy-1|LFUNs|Shortcuts|Dummy|"
                       r"LaTeXConfig|Formula-numbering|Development)\.(html|lyx)$")
ZH_DOCS = [("aisleriot-zh", "aisleriot", "usr/share/help/zh_CN/aisleriot/*.xml", "AisleRiot 纸牌游戏帮助", 20),
           ("lyx-doc-zh", "lyx-common", f"{LYX}/zh_CN/*.lyx", "LyX 中文文档", 150),
           ("wesnoth-manual-zh", "wesnoth-1.16-data", f"{WES}/manual.zh_CN.html", "韦诺之战游戏手册", 150),
           ("mate-applets-zh", "mate-applets-common", "usr/share/help/zh_CN/**/*.xml", "MATE 小程序帮助", 12),
           ("wesnoth-manual-zh-tw", "wesnoth-1.16-data", f"{WES}/manual.zh_TW.html", "韋諾之戰遊戲手冊", 150),
           ("brasero-help-zh", "brasero-common", "usr/share/help/zh_CN/brasero/*.page", "Brasero 帮助", 12),
           ("cheese-help-zh", "cheese-common", "usr/share/help/zh_CN/cheese/*.page", "Cheese 帮助", 12),
           ("gnome-boxes-help-zh", "gnome-boxes", "usr/share/help/zh_CN/gnome-boxes/*.page", "Boxes 帮助", 12),
           ("gnome-logs-help-zh", "gnome-logs", "usr/share/help/zh_CN/gnome-logs/*.page", "日志帮助", 12),
           ("evolution-help-zh", "evolution-common", "usr/share/help/zh_CN/evolution/*.page", "Evolution 帮助", 12),
           ("harden-doc-zh", "harden-doc", "usr/share/doc/harden-doc/html/zh-CN/*.html", "Debian 安全手册", 30),
           ("lshort-zh-cn", "texlive-lang-chinese", f"{TL}/latex/lshort-chinese/src/chap/*.tex*",
            "一份（不太）简短的 LaTeX 介绍", 40),
           ("latex-notes-zh-cn", "texlive-lang-chinese", f"{TL}/generic/latex-notes-zh-cn/src/*.tex*",
            "LaTeX 笔记", 40),
           ("ctex-faq", "texlive-lang-chinese", f"{TL}/latex/ctex-faq/src/*.tex*", "CTeX 常见问题", 60),
           ("impatient-cn", "texlive-lang-chinese", f"{TL}/**/impatient-cn/**/*.tex*", "TeX for the Impatient 中译本",
            60),
           ("texlive-zh-cn", "texlive-lang-chinese", f"{TL}/**/texlive-zh-cn/**/*.tex*", "TeX Live 指南", 60),
           ("asymptote-zh-cn", "texlive-lang-chinese", f"{TL}/**/asymptote-*-zh-cn/**/*.tex*", "Asymptote 中文文档",
            40),
           ("texproposal", "texlive-lang-chinese", f"{TL}/latex/texproposal/**/*.tex*", "TeX 推广建议书", 40)]
# HTML blocks whose paragraphs are list items / table cells, removed before <p> paragraphs are read
HTML_BLOCK = re.compile(r"<(ul|ol|dl|table)\b.*?</\1>", re.S | re.I)
# DocBook blocks whose paragraphs are list items / table cells / code / admonitions, removed before <para> is read
DOCBOOK_BLOCK = re.compile(r"<(itemizedlist|orderedlist|variablelist|simplelist|table|informaltable|screen|"
                           r"programlisting|literallayout|note|tip|important|warning|caution|figure|"
                           r"mediaobject|inlinemediaobject|glossary|bibliography)\b.*?</\1>", re.S)
# Mallard blocks (GNOME application help) whose paragraphs are list items, steps, table cells, notes or code
MALLARD_BLOCK = re.compile(r"<(list|steps|terms|tree|table|note|code|screen|synopsis|comment|figure|media|links)\b"
                           r".*?</\1>", re.S)
EARLIER_SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
                  "heldout8", "heldout9", "heldout10")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
# spare injection candidates for the predicate-filtered takes (English clause rows); Chinese takes only skip rows
# that open with a greeting
MARGIN = {"en": 330, "zh": 40}
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
DIV_PARA = re.compile(r'<div class="para"[^>]*>(.*?)</div>', re.S)
SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)            # SVG tutorials: one <text> = one paragraph
TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
# a paragraph holding code, an image, a line break, a list, a table or a script is not plain prose: skipped
NOT_PROSE_TAG = re.compile(r"<(code|pre|kbd|samp|tt|var|img|br|table|ul|ol|li|dl|script|style|svg|math|media|cmd|"
                           r"input|output|sys|var|command|filename|literal|userinput|computeroutput|replaceable|"
                           r"systemitem|envar|option|ulink|email|programlisting|screen)\b", re.I)


def paragraphs(path: str, src: str) -> list[str]:
    if path.endswith(".lyx"):
        return lyx_paragraphs(src)
    if path.endswith((".tex", ".tex.gz")):
        return tex_paragraphs(src)
    tag = PARA_TAG if path.endswith(".xml") else SVG_TEXT if path.endswith(".svg") else P_TAG
    if 'class="para"' in src:               # Publican HTML (the Securing Debian Manual): <div class="para">
        tag = DIV_PARA
    return [m.group(1) for m in tag.finditer(src)]


# LyX: one Standard layout = one paragraph; formatting lines (\\lang, \\emph, ...) dropped, lines joined as LyX
# wrapped them (the break follows the space). A layout with an inset (other than quotes) or typewriter / code text
# is returned wrapped in <code> so that it counts as non-prose (but still serves as the previous paragraph).
LYX_LAYOUT = re.compile(r"\\begin_layout (\w+)\n(.*?)\n\\end_layout", re.S)
LYX_QUOTES = re.compile(r"\\begin_inset Quotes (\w+)\n\\end_inset\n?")
LYX_SPECIAL = re.compile(r"^\\SpecialChar (\S+)$", re.M)
LYX_CHARS = {"LyX": "LyX", "LaTeX": "LaTeX", "LaTeX2e": "LaTeX2e", "TeX": "TeX", "ldots": "…", "slash": "/",
             "menuseparator": " > ", "nobreakdash": "-", "\\@.": "", "\\-": "", "endofsentence": ""}


def lyx_paragraphs(src: str) -> list[str]:
    out = []
    for m in LYX_LAYOUT.finditer(src):
        kind, body = m.group(1), m.group(2)
        body = LYX_QUOTES.sub(lambda q: "“" if q.group(1)[1] == "l" else "”", body)
        body = LYX_SPECIAL.sub(lambda c: LYX_CHARS.get(c.group(1), "\x00"), body)
        bad = (kind != "Standard" or "\\begin_inset" in body or "\\family typewriter" in body or "\x00" in body
               or "\\backslash" in body)
        text = "".join(line for line in body.split("\n") if not line.startswith("\\")).replace("\x00", "")
        text = html.escape(" ".join(text.split()))
        out.append(f"<code>{text}</code>" if bad or "\\" in text else text)
    return out


# LaTeX: paragraphs are separated by blank lines; comments and display environments removed; a few font and logo
# commands resolved; a paragraph with any other command, brace or math is returned as <code> (non-prose).
TEX_ENV = re.compile(r"\\begin\{([a-zA-Z*]+)\}.*?\\end\{\1\}", re.S)
TEX_PROSE_ENV = {"quote", "quotation", "center", "flushleft"}
TEX_LOGO = re.compile(r"\\(LaTeXe|LaTeX|TeX|XeTeX|XeLaTeX|pdfTeX|pdfLaTeX|LuaTeX|LuaLaTeX|BibTeX|ConTeXt|MiKTeX|"
                      r"CTeX|ctex|TeXLive|TL)(\{\}|\\ |(?![A-Za-z]))")
TEX_FONT = re.compile(r"\\(emph|textbf|textit|textsf|kaishu|heiti|songti|fangsong|uline|underline|enquote|"
                      r"textsl|textup|textrm|texttt|pkg|cls|file|env|opt|program|prog|name|zihao|song|hei|kai|"
                      r"fs|li)\{([^{}\\$]*)\}")
# references, labels, index entries, citations and simple footnotes are dropped
TEX_DROP = re.compile(r"~?\\(ref|pageref|cite|label|index|footnote|eqref|autoref|nocite)\{[^{}]*\}")


def tex_paragraphs(src: str) -> list[str]:
    src = re.sub(r"(?<!\\)%.*", "", src)
    src = TEX_ENV.sub(lambda m: m.group(0) if m.group(1) in TEX_PROSE_ENV else "\n\n\\ENV\n\n", src)
    out = []
    for para in re.split(r"\n\s*\n", src):
        text = TEX_LOGO.sub(lambda m: {"LaTeXe": "LaTeX2e", "TL": "TeX Live", "TeXLive": "TeX Live",
                                       "ctex": "CTeX"}.get(m.group(1), m.group(1)), para)
        text = TEX_DROP.sub("", text)
        for _ in range(3):
            text = TEX_FONT.sub(r"\2", text)
        text = re.sub(r"(?<=[\u4e00-\u9fff，。：；、（）“”])\n|\n(?=[\u4e00-\u9fff，。：；、（）“”])", "", text)
        text = " ".join(text.replace("~", " ").split())
        if not text:
            continue
        bad = re.search(r"[\\{}$&#^_]", text)
        out.append(f"<code>{html.escape(text)}</code>" if bad else html.escape(text))
    return out


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
# English human text: Debian Policy, the Securing Debian Manual, Mutt, fish, zsh, Debian history, AisleRiot,
# Wesnoth, LyX, Evolution, aptitude
# ---------------------------------------------------------------------------
Q_EN = ["Reading {b} (“{c}”). After the paragraph “{l}”, what does the text say next?",
        "Give me the paragraph of {b} that comes right after “{l}”. It's in “{c}”.",
        "{b} — “{c}”. Previous paragraph: {l}\nNext paragraph, please.",
        "Could you recite the following paragraph from {b}, section “{c}”? The one before reads “{l}”",
        "Pick up {b} where “{l}” leaves off (from “{c}”).",
        "What's the next paragraph in “{c}” of {b}, following on from: {l}"]


def page_source(path: str) -> str:
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            src = fh.read()
    else:
        with open(path, encoding="utf-8", errors="replace") as fh:
            src = fh.read()
    if path.endswith(".xml"):
        src = DOCBOOK_BLOCK.sub("", src)
    elif path.endswith(".page"):
        src = MALLARD_BLOCK.sub("", src)
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
            title = page_title(src, re.sub(r"\.(tex\.gz|tex|lyx|html|xml)$", "", os.path.basename(path)))
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
# Chinese human text: translated manuals (AisleRiot, LyX, Wesnoth, GNOME / MATE help, Securing Debian Manual) and
# Chinese TeX documentation
# ---------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_END_PROSE = ("。", "！", "？", ".")   # "." : the Securing Debian Manual zh-CN uses half-width punctuation
T_ZH = ["我在读《{b}》的“{c}”，读完“{l}”之后，下一段原文是什么？", "《{b}》·{c}\n上一段：{l}\n请写出紧接着的那一段。",
        "请把《{b}》“{c}”中“{l}”后面的段落给我。", "续写《{b}》（{c}）：前文为“{l}”",
        "“{c}”这一部分（《{b}》）里，接在“{l}”后面的是哪段话？", "請給出《{b}》「{c}」中「{l}」的下一段。"]


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
            title = page_title(src, re.sub(r"\.(tex\.gz|tex|lyx|html|xml)$", "", os.path.basename(path)))
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
        "debian-policy": "GPL-2+ (Debian Policy Manual and sub-policies; the package's copyright file)",
        "harden-doc": "GPL-2 (the Securing Debian Manual and its translations; the package's copyright file)",
        "mutt": "GPL-2+ (Mutt and its manual; the package's copyright file)",
        "fish-common": "GPL-2 (fish shell and its documentation; the package's copyright file)",
        "zsh-doc": "zsh licence, MIT-like (the Z shell manual; the package's copyright file)",
        "debian-history": "GPL-2+ (A Brief History of Debian; the package's copyright file)",
        "aisleriot": "GPL-3+ / GFDL (AisleRiot and its help, with translations; the package's copyright file)",
        "wesnoth-1.16-data": "GPL-2+ (Battle for Wesnoth data and manual, with translations; the package's copyright "
                             "file)",
        "lyx-common": "GPL-2+ (LyX and its documentation, with translations; the package's copyright file)",
        "evolution-common": "LGPL-2+ / GFDL / CC BY-SA (Evolution and its help, with translations; the package's "
                            "copyright file)",
        "aptitude-doc-en": "GPL-2+ (the aptitude user's manual; the package's copyright file)",
        "mate-applets-common": "GFDL-1.1+ (MATE applets help and translations; the package's copyright file)",
        "texlive-lang-chinese": "LPPL / GPL / GFDL / other free licences per work (TeX Live Chinese documentation; "
                                "the package's copyright file)",
        "brasero-common": "GPL-2+ / GFDL (Brasero help and translations; the package's copyright file)",
        "cheese-common": "GPL-2+ / GFDL (Cheese help and translations; the package's copyright file)",
        "gnome-boxes": "LGPL-2+ / CC BY-SA (GNOME Boxes help and translations; the package's copyright file)",
        "gnome-logs": "GPL-3+ / CC BY-SA (GNOME Logs help and translations; the package's copyright file)",
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
            "english": src_block("en", "prose <p> / <para> / Mallard <p> paragraphs (no code, image, list or table "
                                       "inside; not a page's first paragraph; list / table blocks removed first) and "
                                       "LyX Standard paragraphs of the Debian Policy Manual (debian-policy 4.6.2.0), "
                                       "the Securing Debian Manual (harden-doc 3.19+nmu1, en-US), the Mutt manual "
                                       "(mutt 2.2.12), the fish documentation (fish-common 3.6.0), the Z shell "
                                       "manual (zsh-doc 5.9-4), A Brief History of Debian (debian-history 2.28), the "
                                       "AisleRiot help (aisleriot, C), the Battle for Wesnoth manual "
                                       "(wesnoth-1.16-data, en), LyX's manuals (lyx-common 2.3.7), the Evolution help "
                                       "(evolution-common, C) and the aptitude user's manual (aptitude-doc-en); "
                                       "instruction: continue the page"),
            "chinese": src_block("zh", "prose paragraphs (same rules; DocBook <para> and Mallard <p> with list / table "
                                       "/ code / admonition blocks removed first; LyX Standard paragraphs; LaTeX "
                                       "paragraphs with simple font / logo commands resolved) of the AisleRiot help "
                                       "zh_CN, LyX's manuals zh_CN, the Battle for Wesnoth manual zh_CN and zh_TW, the "
                                       "MATE applets help zh_CN, the Brasero / Cheese / Boxes / Logs / Evolution help "
                                       "zh_CN, the Securing Debian Manual zh-CN and Chinese TeX documentation "
                                       "(texlive-lang-chinese: lshort-zh-cn, latex-notes-zh-cn, ctex-faq, "
                                       "impatient-cn, texlive-zh-cn, Asymptote zh-cn, texproposal); instruction: "
                                       "continue the page"),
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
