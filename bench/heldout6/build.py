#!/usr/bin/env python3
"""Build the sixth frozen, blind held-out evaluation split for the text filters (bench/heldout6, issue 21).

Run from the repository root:

    python3 bench/heldout6/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout6/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout (stdlib docstrings, Toyhom .txt), bench/heldout2 (docstrings of
51 packages, Toyhom CSV), bench/heldout3 (METADATA long descriptions, /usr/share/doc READMEs, zh_CN gettext
catalogues, bq_dev.csv), bench/heldout4 (man pages, article-benchmark paragraphs, MRPC, zh_TW/zh_HK/zh_Hant
catalogues, zh man pages) or bench/heldout5 (GNU info manuals, readability pages, Stack Overflow answers, vim's
Chinese catalogues), so the filters have never been tuned on them. The Toyhom rows are the ones no earlier split
used (checked against the earlier splits' frozen jsonl files, count only).

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: prose paragraphs of the Perl core module documentation (POD in /usr/share/perl), and
    prose paragraphs (no inline code) of "The Rust Programming Language" and "The Rustonomicon" as shipped with
    the rustup toolchain's HTML docs.
  * Chinese human text: paragraphs of the Chinese translation of "Rust by Example" (rustup HTML docs), and Toyhom
    doctors' answers (devdata) that no earlier split used.

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout5/build.py (itself copied from bench/heldout4/build.py).
"""
from __future__ import annotations

import argparse
import collections
import csv
import datetime
import glob
import hashlib
import html
import io
import json
import os
import random
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True          # keep bench/heldout6 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261206
PERL = os.environ.get("HELDOUT6_PERL", "/usr/share/perl/5.36.0")
RUST_DOC = os.environ.get("HELDOUT6_RUST_DOC", "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/"
                                               "rust/html")
RUST_EN = ["book/print.html", "nomicon/print.html"]
RUST_ZH = "rust-by-example/zh/print.html"
DEVDATA = os.environ.get("HELDOUT6_DEVDATA", "/work/shared/devdata")
TOYHOM_CSV = os.path.join(DEVDATA, "csv", "toyhom_internal_medicine_gb18030.csv")
TOYHOM_TXT = os.path.join(DEVDATA, "csv", "toyhom_IM_neike.txt")
EARLIER_SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
MARGIN = 400                 # spare injection candidates for the predicate-filtered takes (English clause rows)
PER_POD = 16                 # cap on paragraphs per Perl module (diversity)
PER_CHAPTER = 30             # cap on paragraphs per Rust book chapter
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material. It printed
# counts only; the texts are excluded here by the first 16 hex digits of their sha256, after all seeded draws
# (350 on the first pass, 41 on the second; most presumably in the built bench/devset files of the main
# checkout, which check_fresh.py compares too).
EXCLUDE_SHA256: set[str] = {"0096e57238a2b31e", "016c8981dbe961ab", "02db089ed4ae857e", "0343b6526857b566",
    "03514b6a5443c9a5", "0490119b9008e9fa", "04b324fdd92c842a", "04ef87d117151b14", "0518af755821d5fa",
    "05adbfe522e997cd", "064142399a3b5cb8", "06bb39f9f0effafc", "0758aa8af870dfb2", "07ae8d1e4a19b385",
    "07f0cf449c6e7c10", "08e3292faeb4a763", "0957af14f56617e0", "099c984237266151", "0a80cc49506ee38a",
    "0d0820d4abf7f059", "0d91797f05e4d484", "0dd2f5375b921de5", "0e22a9954b3d4758", "0e813df68e2fcfc2",
    "0ef205eebf008a6d", "103a2eefb3f88c72", "109a23aec84e3204", "11e256b75467756c", "126305987747f01f",
    "12b5911e25b4b526", "12e80294589d6bb2", "134e6959fe6e5ee9", "13ce24d163881bcf", "14c9127d619d3445",
    "15814a1be8745118", "16d5a6db12ff83ce", "179503fee40e385d", "18432975e5e169f7", "1879f2dd039e3525",
    "18e2a998fbd6c837", "195de38fff5d32c7", "197869dbd4cd1adf", "1a89522c9729f8f3", "1abe4366dd9c3cad",
    "1beb897c905b9bb0", "1c4fbba0f3be3a50", "1cce42954911fc34", "1cfaf335c07e54c4", "1ee0a1d20a772fa3",
    "1f4d425205a9e4ff", "1f731b0725a8bbf4", "201f8af22a2890e4", "202132bf201e090f", "204bd40e4c13c99c",
    "20d4c0c2fba59889", "22ce0bf7cac7b58e", "231d19abc06940f0", "2329dc79702261d8", "2345a886abfd4653",
    "240df548efc33ac6", "24eab7e6faec5578", "2555a87532f11fa3", "258d6d2edebc9f56", "25e353f85477f1b9",
    "293b995580501e00", "2b1e876adb29878d", "2b88bcc751b9a935", "2c26c19e41c0d4b3", "2d56973d4405c6d4",
    "2debb97326bf67db", "2dfef8e912394043", "2f10e96f165c916b", "2f900c19c1215eee", "32508a698086ad2e",
    "327d0653de12095e", "32a5b8cc526ef08b", "32bdbe2d0b8dcfde", "32e29110d82f8cae", "32ff65ed7134a608",
    "33510dc7a4df9dc6", "33619751d3bb6f27", "33a810e576563202", "3505330e20dfc0cf", "351f3495732002e9",
    "3541dde5b806449a", "35671ed92603a145", "35b9438513d7bc79", "36195dd15d4f74d3", "370fe37bc3644bb7",
    "395606bb5ad3b99c", "3a1e7af74410398d", "3a42e5d0c822eb0e", "3a8c4d203a2af786", "3b1944bfd5bb3280",
    "3b8d1055afe0a4bb", "3bf4eeddf8e8f93f", "3c0f545aa07e7871", "3c5f601e61546ff9", "3c92f0e2f61e183d",
    "3d2e1624cb911010", "3dfe1201dc712084", "3dfe3dad0448b667", "3e5b8610e368b9b2", "3ed11f058347bab6",
    "3f672030a619e02b", "4186863b0fbdf0a9", "43b5934fa84054a5", "448fefe80f583340", "479e44d7679c6b49",
    "47cd81ffe425b08b", "484146c5a7e3b66e", "4856e361bfe071d7", "489432bf5d385c35", "490c5314913cf1a9",
    "492a61b3990ce58e", "49434099ec003f8f", "4a10ac84d09f5e7b", "4aacfc9b23ad7569", "4b3d1dd91a2baff8",
    "4bebae62b061cfea", "4d49481eebed4d82", "4d5bc5fac7469b9f", "4d9b0368fdf43619", "4db1aec497974c69",
    "4e0bba601abb532c", "4f008607139818c2", "4f4e673f01fbbae1", "5153f233fb89141e", "52c1e6e0d22557b5",
    "5379203838d65b4c", "538b478327398e15", "53e36ade2db12983", "544f57857b434201", "54e7409d40d25bc2",
    "55355551e27d8613", "5543e570c0cbde9c", "558b9130d40015f7", "55a1794426124fec", "5604dd6fda55535e",
    "562a0e71606603cb", "56bac027e6aee750", "56f9127ef02abaa3", "57088d4ca83a4fa9", "5754f62d9799fd18",
    "59ab048de32fb1a0", "5a314c5f7d8ed6ce", "5a638abf07489432", "5ab72667fb42d931", "5b30923340136ffb",
    "5e3a523d9ddf4dcb", "5e5c4fe83f11b161", "5f1bf0fdc8576837", "5ff3a63aa30d4c5b", "602ede5f9d401b91",
    "60b83f304618c730", "60dd12e8420c260c", "610f5673d6f3df3e", "61b3ad35ef9fe787", "61d2fb31489a46f2",
    "62c697842f225da7", "64e50d323e976081", "64fe124ff1a06cbf", "65a23b5cd2fc59bd", "65cfaf0ab7b36a7f",
    "671eb96bdafc8c90", "690f2b643f0ca9b5", "6a22a0d8e4cb76ec", "6a506e5138a0ff00", "6b99d705c40496b2",
    "6bad9d162d652e47", "6cab2ffec22038e7", "717029ee5d2addff", "722287566b1fc674", "727c929e1b904004",
    "7299acde70f6e057", "730ba7386ed881c3", "732ccb0ca58c9a88", "738e69ca1ddccb3b", "73a56efa1069b946",
    "73e09988f1168171", "75de78c400f62927", "765bc84465bb64f2", "769db03c8f56bd62", "76ec59da19d63398",
    "7738c850fa34aa22", "77ad8cee019d6ad2", "77d7f6c099b5106a", "7849e21dbe0314af", "7a8869fa8b02a348",
    "7ac41254a86fb95d", "7bc15355e3167482", "7be68c6e5e2935f6", "7cd908ab4e902a75", "7ced23514404dc43",
    "7d11cd158d9c12a7", "7d1ac9afca1c54ab", "7d75b98e48658659", "7dab7ef013f050f3", "7e2c9156a20d8782",
    "7ea4eb2ada997066", "7fb11529dfac48ff", "820c65d4620c8d16", "82fec9f3b3e789ed", "832599c2361047a7",
    "832a51cdd4965c09", "83c2d1639cd61510", "84f2213363ed984b", "85ef15ab2c36cd30", "85f4a05a51e7e081",
    "8804756c1e07cc6c", "88ef1631df6f2bae", "8cc7634524f827d0", "8d1ddb5e49f54e63", "8d901a1cde83cb42",
    "8dd6aadf04054fcd", "8e10a8ab665d123a", "8fea3b42a48792a0", "906a867029a876f2", "91181447fe6e367c",
    "915cbe769fbdd33a", "91c7c055e7052264", "9295852b27005ae8", "92e599b03b54120c", "93f1d6668989d938",
    "9418d26519551b4d", "94b13c39d72d2550", "9540a7a34ba68266", "956d81d25dc4bbc0", "95fda03568d52a53",
    "966b48dd3a6c72b6", "969f4a587ee9a0eb", "99eae82d26ab37a3", "9a72cc9697001805", "9accdbfb3b4aac67",
    "9be622a31445b72b", "9c4683bc0369fd59", "9c4fe38a44711dbc", "9cedd310706b54cb", "9cf61647f5fe15c1",
    "9d03a4f6ad4a934a", "9de8ba12e82ddc79", "9e41322661b41ccb", "9e6b1449f533f82e", "9f86e38e6fa00043",
    "a0481a49ba1f0d00", "a07d587e084648d8", "a1f4da5e759724ba", "a2ee54ae1972d8cc", "a30aa039f798e19b",
    "a30caff6f74db21d", "a393b59c377c2647", "a4b9b605c3f8c6ec", "a4de662bf6afe16c", "a4ff27ca5ea08989",
    "a6c13a06c4f6d797", "a745b30f4d312357", "a78b2641744016ac", "a7c4b21509d84881", "a8af7b511d40f65a",
    "a8bdc50bbeffa702", "aad8848807d1c9ed", "abf42378f44c3b0c", "ac4e21b320182921", "acca6c9239ef517c",
    "acd1ebbf063a0fc8", "ad3f938eb14fe4c4", "afb4c3a5ac70e0d2", "b09b729cdb272973", "b0cb6a2888b077dc",
    "b119f6ce77eea180", "b2a6fa35ae086158", "b38839f866be1ecd", "b4d0c40ac035be9c", "b4d450aeb2b671ed",
    "b55989b8ddcd1273", "b5d5feacba261a4a", "b6d13f89463d4e54", "b7664ff87a5a95fb", "b8388a2d4bdaddad",
    "b880e4dd80191bba", "b9293d715e68c856", "b9440af0f840bbda", "b980957aa8ddb955", "b9f2b705ca6a12a1",
    "ba0722ae2d750caa", "ba19b82ebf2dedc5", "ba9539c82c9d8306", "bb336d40f996fa10", "bb37c62da132e005",
    "bbda05e7a10b1491", "bc54e16c5d33bba4", "bc602ad5491eb09f", "bc9ea90d876c7fe2", "bd5b3a5e8c92adb9",
    "be3dd092055ffc97", "be9c93d3c01ae86a", "bebad4097ead1296", "c06a5abbc476c790", "c089eddd228d4fbf",
    "c0ebcfb5529ff1ed", "c1c7621e2f454a05", "c1df3fcd3a5a989c", "c2f5c1445dc62cc2", "c4eeee8e93f7d8ce",
    "c522166decddcec0", "c5471ea9540dd3f6", "c6995d40f894ab22", "c6ea7bd0f050f6ce", "c98ba36553876fd6",
    "ca3f01a0fe259896", "cb1a43ad6e8a1bc1", "cb3870ef79d8c09d", "ccad979a22beba37", "cdc52f1689526aa0",
    "cdc6d5dfe7d55535", "cdf1441e07c01512", "ceab21ce42c46f46", "cf7f969fd93e5c57", "cfbde1d67d0f6fb0",
    "d0678b2d772e9386", "d17a034f565f6806", "d2d869c8079eb1d9", "d351425306e0f3bf", "d434ba5cfdb3cd1b",
    "d49bce5e7a512f7e", "d5f1e1a46b2411c0", "d679049f22b2eefd", "d692e2a1a400b4b0", "d6f9572f58b05665",
    "d733aea378b9a042", "d7463c67503ade26", "d78398985eb86a66", "d91242b217f7aacd", "d925ee3f6f85e652",
    "d941a5cb3291af27", "d99c163df989f2f8", "da1952e7530149be", "db56711f6b852216", "dbc398aa621c6236",
    "dbf61dece060bb95", "dc939a31ed54d552", "dcf1a886b79b833c", "dd530fc52cd0f5f8", "ddfbdfd1d1356cd1",
    "de672f00b8afe996", "dea59355c0fd98e9", "def4c05d4549eb5c", "e0ec04d359789e69", "e0f609121a921014",
    "e1439a0ab3f6b826", "e18705602d51b595", "e1f76f5d3e4b37cb", "e43e3215d3e769a4", "e446a3e34c963542",
    "e44b4813cf948fc9", "e45d10e821e5bc49", "e5c3239ce09e2996", "e5fc7c577701ef63", "e69798c8dfc11977",
    "e75d5f7127452fea", "e8c74cd936b5ee02", "ea46a821df72b046", "ea4ddc1ccb225e0f", "ea9f007ba3b3bae3",
    "eb956bdfb984c9c6", "ebd5349f9a7661fb", "ed049deae81ee746", "ed6724b33b3f3996", "ed8951ff67502744",
    "eece7d9314ff73c0", "ef40bf1c9c123ffb", "ef67a25dc893817e", "efb67632ea396469", "efc7937a844374ae",
    "f0987a68a575e82b", "f1cefada4b133c6f", "f1d02a46132c0a73", "f2968991544fc635", "f3ee2698c1cb0531",
    "f412b2e76f365edf", "f5d1f922a446eef3", "f65c2de253a8fd33", "fa2f251cf44c5daa", "fbc20ecffc8a84a4",
    "fbf47014ff5b0e87", "fc0ffe9548896579", "fd1270322b2d5462", "fd21afdcdfc81d3d", "ff74d8fa9e2bcd2d",
    "ff892e482d4846de", "ff964b7d053dba13"}


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
# English human text 1: Perl core module documentation (POD inside /usr/share/perl/*.pm and *.pod)
# ---------------------------------------------------------------------------
POD_CODE = re.compile(r"([BIFCLSZE])<([^<>]*)>")
POD_SKIP_HEAD = re.compile(r"licen[cs]e|copyright|author|see also|bugs|history|changes|maintain|acknowledg|"
                           r"thanks|version|synopsis|credits", re.I)


def pod_text(para: str) -> str | None:
    """Plain text of a POD paragraph: formatting codes resolved; None for nested or double-bracket codes."""
    if "<<" in para:
        return None

    def code(m):
        kind, body = m.group(1), m.group(2)
        if kind == "E":
            return {"lt": "<", "gt": ">", "verbar": "|", "sol": "/"}.get(body, "")
        if kind == "Z":
            return ""
        if kind == "L":
            return body.split("|", 1)[0] if "|" in body else body.split("/")[-1].strip('"')
        return body

    for _ in range(3):
        para = POD_CODE.sub(code, para)
    return None if re.search(r"[BIFCLSZE]<", para) else para


def pod_paragraphs(src: str):
    """(heading or None, paragraph) for each ordinary POD paragraph (not verbatim, not a command, not in a list)."""
    in_pod, heading, over = False, None, 0
    for block in re.split(r"\n[ \t]*\n", src.replace("\r\n", "\n")):
        if not block.strip():
            continue
        first = block.lstrip("\n")
        if first.startswith("="):
            cmd = first.split(None, 1)[0]
            if cmd == "=cut":
                in_pod = False
                continue
            in_pod = True
            if cmd.startswith("=head"):
                heading = first.split(None, 1)[1].strip() if len(first.split(None, 1)) > 1 else None
            elif cmd == "=over":
                over += 1
            elif cmd == "=back":
                over = max(0, over - 1)
            continue
        if not in_pod or over or first[:1].isspace():
            continue
        if heading and POD_SKIP_HEAD.search(heading):
            continue
        text = pod_text(first)
        if text:
            yield heading, text


Q_POD = ["What does the documentation of Perl's {m} module say next, under “{h}”, after: “{l}”",
         "perldoc {m}, section {h}. Continue after this paragraph: “{l}”",
         "I'm reading the {m} docs ({h}). The previous paragraph says “{l}” What comes next?",
         "Explain the next point in {m}'s “{h}” section. Context: {l}",
         "Perl, {m}: write the paragraph that follows “{l}”"]


def perl_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    paths = sorted(glob.glob(os.path.join(PERL, "**", "*.pm"), recursive=True)
                   + glob.glob(os.path.join(PERL, "**", "*.pod"), recursive=True))
    for path in paths:
        rel = os.path.relpath(path, PERL)
        module = re.sub(r"\.(pm|pod)$", "", rel).replace(os.sep, "::")
        try:
            with open(path, encoding="utf-8") as fh:
                src = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        cands = []
        prev = module
        for k, (head, para) in enumerate(pod_paragraphs(src)):
            lead, prev = prev, " ".join(para.split())
            text = clean_paragraph(para)
            if text is None or text in seen:
                continue
            if len(ENGLISH_WORDS.findall(text)) < 3:
                why["pod_not_english"] += 1
                continue
            seen.add(text)
            h = head if head and len(head) <= 60 and not re.search(r"[<>$@%]", head) else "DESCRIPTION"
            cands.append({"instruction": rng.choice(Q_POD).format(m=module, h=h, l=lead_of(lead)), "output": text,
                          "src": f"pod:{rel}#{k}"})
        if len(cands) > PER_POD:
            cands = rng.sample(cands, PER_POD)
        if cands:
            info[rel] = {"sha256": sha256(path), "paragraphs": len(cands)}
            rows.extend(cands)
    return rows, info


# ---------------------------------------------------------------------------
# English human text 2 and Chinese human text 1: Rust documentation (rustup HTML docs), <p> paragraphs
# ---------------------------------------------------------------------------
P_TAG = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S | re.I)
H_TAG = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")


def html_paragraph(inner: str) -> str | None:
    if re.search(r"<(code|pre|kbd|img|br|table|ul|ol|li|script|style)\b", inner, re.I):
        return None
    text = html.unescape(TAG.sub("", inner))
    return clean_paragraph(text)


def chapters(src: str):
    """(chapter title, chapter html) for each <h1> section of an mdBook print page."""
    main = src.split("<main>", 1)[-1].split("</main>", 1)[0]
    marks = list(H_TAG.finditer(main))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(main)
        yield " ".join(html.unescape(TAG.sub("", m.group(1))).split()), main[m.end():end]


Q_RUST = ["From “{b}”, chapter “{c}”: continue after this. “{l}”", "{b}, “{c}”: what comes after “{l}”?",
          "Write the next paragraph of the “{c}” chapter ({b}), following: {l}",
          "Explain the next point of “{c}” in {b}. Previous paragraph: “{l}”"]
RUST_BOOK = {"book/print.html": "The Rust Programming Language", "nomicon/print.html": "The Rustonomicon"}


def lead_of(prev: str) -> str:
    prev = " ".join(html.unescape(TAG.sub("", prev)).split())
    return prev if len(prev) <= 90 else prev[:80].rsplit(" ", 1)[0] + " …"


def rust_en_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for rel in RUST_EN:
        path = os.path.join(RUST_DOC, rel)
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        n = 0
        for ci, (title, body) in enumerate(chapters(src)):
            paras = [m.group(1) for m in P_TAG.finditer(body)]
            cands = []
            for k, inner in enumerate(paras):
                text = html_paragraph(inner)
                if text is None or text in seen or k == 0:
                    continue
                if len(ENGLISH_WORDS.findall(text)) < 3:
                    why["rust_not_english"] += 1
                    continue
                seen.add(text)
                q = rng.choice(Q_RUST).format(b=RUST_BOOK[rel], c=title, l=lead_of(paras[k - 1]))
                cands.append({"instruction": q, "output": text, "src": f"rust:{rel.split('/')[0]}:{ci}#{k}"})
            if len(cands) > PER_CHAPTER:
                cands = rng.sample(cands, PER_CHAPTER)
            rows.extend(cands)
            n += len(cands)
        info[rel] = {"sha256": sha256(path), "paragraphs": n}
    return rows, info


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    why: collections.Counter = collections.Counter()
    seen: set[str] = set()
    pod_r, pod_info = perl_rows(rng, seen, why)
    rust_r, rust_info = rust_en_rows(rng, seen, why)
    rows = drop_earlier(pod_r + rust_r, why)
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
    return rows, {"pod_files": pod_info, "rust_docs": rust_info, "pod_rows": len(pod_r), "rust_rows": len(rust_r),
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
# Chinese human text: the Chinese "Rust by Example" and Toyhom doctors' answers that no earlier split used
# ---------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")
T_RBE = ["《通过例子学 Rust》“{c}”一节，接着这段往下写：{l}", "Rust 入门教程（{c}）：上一段是“{l}”，下一段讲什么？",
         "继续写这篇 Rust 教程的下一段。\n\n章节：{c}\n上一段：{l}", "請接著寫 Rust 範例教學「{c}」的下一段。",
         "{c}：用中文把这一部分接下去讲完。"]
T_TOYHOM = ["{t}\n{a}", "患者提问：{a}", "{a}", "【{d}】{t}", "请以医生的身份回答：{t}（{a}）"]
ZH_END_PROSE = ("。", "！", "？")


def zh_lead(prev: str) -> str:
    prev = " ".join(html.unescape(TAG.sub("", prev)).split())
    return prev if len(prev) <= 60 else prev[:50] + "……"


def rbe_rows(rng, seen, why) -> tuple[list[dict], dict]:
    """Paragraphs of the Chinese Rust by Example (human translation); inline code kept as its text."""
    path = os.path.join(RUST_DOC, RUST_ZH)
    with open(path, encoding="utf-8") as fh:
        src = fh.read()
    rows = []
    for ci, (title, body) in enumerate(chapters(src)):
        paras = [m.group(1) for m in P_TAG.finditer(body)]
        for k, inner in enumerate(paras):
            if re.search(r"<(pre|img|br|table|ul|ol|li|script|style)\b", inner, re.I):
                why["rbe_not_prose"] += 1
                continue
            text = " ".join(html.unescape(TAG.sub("", inner)).split())
            if (not 20 <= len(text) <= 500 or len(CJK.findall(text)) < 20 or not text.endswith(("。", "！", "？", "："))
                    or re.search(r"https?:|www\.|\{|\}", text)):
                why["rbe_not_prose"] += 1
                continue
            if text in seen:
                why["duplicate"] += 1
                continue
            seen.add(text)
            q = rng.choice(T_RBE).format(c=title, l=zh_lead(paras[k - 1]) if k else title)
            rows.append({"instruction": q, "output": text, "src": f"rbe:{ci}#{k}"})
    return rows, {path: {"sha256": sha256(path), "licence": "MIT OR Apache-2.0 (rust-lang/rust-by-example and its "
                                                           "Chinese translation)"}}


def toyhom_answer(ans: str) -> str | None:
    text = ans.strip()
    if not 30 <= len(text) <= 600 or "\n" in text or not text.endswith(ZH_END_PROSE):
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
    rbe_r, rbe_info = rbe_rows(rng, seen, why)
    rbe_r = drop_earlier(rbe_r, why)
    toy_r, toy_info = toyhom_rows(rng, seen, why)
    rows = rbe_r + toy_r
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    rows = drop_excluded(rows, why)
    return rows, {"rbe": rbe_info, "toyhom": toy_info, "rbe_rows": len(rbe_r), "toyhom_rows": len(toy_r),
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

    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 200,
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
                "what": "prose paragraphs of the Perl core module documentation (POD in .pm / .pod files; "
                        "verbatim blocks, lists and licence / author / history sections skipped), and prose "
                        "paragraphs without inline code of The Rust Programming Language and The Rustonomicon "
                        "(rustup HTML docs, print.html)",
                "perl_dir": PERL, "pod_files": pool_info["en"]["pod_files"],
                "pod_licence": "Perl 5 core documentation: same terms as Perl itself (Artistic-1.0 or GPL-1.0+); "
                               "Debian packages perl-modules-5.36 / libperl5.36",
                "pod_rows_in_pool": pool_info["en"]["pod_rows"],
                "rust_doc_dir": RUST_DOC, "rust_docs": pool_info["en"]["rust_docs"],
                "rust_licence": "MIT OR Apache-2.0 (rust-lang/book, rust-lang/nomicon)",
                "rust_rows_in_pool": pool_info["en"]["rust_rows"],
                "skipped": pool_info["en"]["skipped"],
                "pool_rows": pool_info["en"]["pool_rows"], "pool_sha256": pool_info["en"]["pool_sha256"],
                "human_by_source": pool_info["en"]["human_by_source"],
                "slop_originals_by_source": pool_info["en"]["slop_originals_by_source"],
            },
            "chinese": {
                "what": "paragraphs of the Chinese translation of Rust by Example (rustup HTML docs; instruction: "
                        "continue the tutorial), and Toyhom doctors' answers (instruction: the patient's question) "
                        "that no earlier split used",
                "rbe": pool_info["zh"]["rbe"], "rbe_rows_in_pool": pool_info["zh"]["rbe_rows"],
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
