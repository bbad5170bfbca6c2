#!/usr/bin/env python3
"""Build the seventh frozen, blind held-out evaluation split for the text filters (bench/heldout7, issue 21).

Run from the repository root:

    python3 bench/heldout7/build.py            # (re)build the jsonl files + MANIFEST.json
    python3 bench/heldout7/build.py --check    # rebuild in a temp dir, compare sha256 with MANIFEST.json

Why these sources: none of them fed bench/heldout (stdlib docstrings, Toyhom .txt), bench/heldout2 (docstrings of
51 packages, Toyhom CSV), bench/heldout3 (METADATA long descriptions of installed packages, /usr/share/doc READMEs,
zh_CN gettext catalogues, bq_dev.csv), bench/heldout4 (man pages, article-benchmark paragraphs, MRPC, zh_TW/zh_HK/
zh_Hant catalogues, zh man pages), bench/heldout5 (GNU info manuals, readability pages, Stack Overflow answers, vim's
Chinese catalogues) or bench/heldout6 (Perl POD, the Rust book / Rustonomicon, the Chinese Rust by Example, Toyhom),
so the filters have never been tuned on them. Toyhom answers are used only where no earlier split's frozen jsonl
holds them (checked count only).

Inputs (see README.md):
  * phrases_en.json / phrases_zh.json  -- hand-written boilerplate, by family (new phrasings)
  * handwritten.py                     -- hand-written FAQ / role-play / grounded rows
  * English human text: prose paragraphs of the rustup toolchain's HTML docs other than the book and the nomicon
    (The Rust Reference, The Cargo Book, The rustc book, the Edition Guide, the Embedded Rust Book, the rustdoc
    book), and the prose of Javadoc comments in OpenJDK 17's src.zip.
  * Chinese human text: prose paragraphs of the Chinese READMEs / long descriptions of PyPI packages (downloaded
    with pip download --no-deps into HELDOUT7_PYPI; permissive licences only), and Toyhom doctors' answers
    (devdata) that no earlier split used.

Everything is deterministic for a fixed SEED and fixed input files. No package is imported.
This script was written without reading the filter implementation or its rules. The injection code (section
"Injection") is copied unchanged from bench/heldout6/build.py (itself copied from bench/heldout5 / heldout4).
"""
from __future__ import annotations

import argparse
import collections
import csv
import datetime
import email.parser
import glob
import hashlib
import html
import io
import json
import os
import random
import re
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True          # keep bench/heldout7 free of __pycache__
sys.path.insert(0, HERE)
import handwritten  # noqa: E402

SEED = 20261207
RUST_DOC = os.environ.get("HELDOUT7_RUST_DOC", "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/"
                                               "rust/html")
RUST_EN = ["reference/print.html", "cargo/print.html", "rustc/print.html", "edition-guide/print.html",
           "embedded-book/print.html", "rustdoc/print.html"]
JDK_SRC = os.environ.get("HELDOUT7_JDK_SRC", "/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip")
PYPI = os.environ.get("HELDOUT7_PYPI", "/tmp/hz7")
DEVDATA = os.environ.get("HELDOUT7_DEVDATA", "/work/shared/devdata")
TOYHOM_CSV = os.path.join(DEVDATA, "csv", "toyhom_internal_medicine_gb18030.csv")
TOYHOM_TXT = os.path.join(DEVDATA, "csv", "toyhom_IM_neike.txt")
EARLIER_SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6")

USES_PER_PHRASE = 2          # each phrase is injected this many times (different rows / separators)
N_COMBO = 60                 # extra rows with two injections (opener+closer, disclaimer+closer)
N_HUMAN = {"en": 1200, "zh": 1200}   # cap on untouched human rows
# spare injection candidates for the predicate-filtered takes (English clause rows); Chinese takes only skip rows
# that open with a greeting, and the Chinese pool is small, so its margin is small too
MARGIN = {"en": 400, "zh": 40}
PER_CHAPTER = 12             # cap on paragraphs per Rust doc chapter
PER_JAVA_FILE = 2            # cap on Javadoc paragraphs per source file (diversity)
JAVA_FILES = 900             # source files drawn (seeded) from src.zip's java.* modules, so Rust and Java balance
PER_PACKAGE = 120            # cap on README paragraphs per PyPI archive (wheel or sdist)
MAX_FILE_BYTES = 2_000_000

# Human texts that the count-only check (check_fresh.py) found in earlier evaluation or tuning material. It prints
# counts only; the texts are excluded here by the first 16 hex digits of their sha256, after all seeded draws
# (341 on the first pass, 41 on the second: presumably all Toyhom answers in the built bench/devset files of the
# main checkout, which check_fresh.py compares too). The 391 keys of bench/heldout6/build.py's EXCLUDE_SHA256 (texts
# that heldout6's check found in the same material) are included as well, so that the few of them this split's pool
# had not yet drawn are excluded without another pass.
EXCLUDE_SHA256: set[str] = {
    "0096e57238a2b31e", "016c8981dbe961ab", "02db089ed4ae857e", "0343b6526857b566", "03514b6a5443c9a5",
    "0490119b9008e9fa", "04b324fdd92c842a", "04ef87d117151b14", "0518af755821d5fa", "05adbfe522e997cd",
    "064142399a3b5cb8", "06bb39f9f0effafc", "0758aa8af870dfb2", "07ae8d1e4a19b385", "07f0cf449c6e7c10",
    "08e3292faeb4a763", "0957af14f56617e0", "099c984237266151", "0a80cc49506ee38a", "0d0820d4abf7f059",
    "0d91797f05e4d484", "0dd2f5375b921de5", "0e22a9954b3d4758", "0e813df68e2fcfc2", "0ef205eebf008a6d",
    "103a2eefb3f88c72", "109a23aec84e3204", "11e256b75467756c", "126305987747f01f", "12b5911e25b4b526",
    "12e80294589d6bb2", "134e6959fe6e5ee9", "13ce24d163881bcf", "14c9127d619d3445", "15814a1be8745118",
    "16d5a6db12ff83ce", "179503fee40e385d", "18432975e5e169f7", "1879f2dd039e3525", "18e2a998fbd6c837",
    "195de38fff5d32c7", "197869dbd4cd1adf", "1a89522c9729f8f3", "1abe4366dd9c3cad", "1beb897c905b9bb0",
    "1c4fbba0f3be3a50", "1cce42954911fc34", "1cfaf335c07e54c4", "1ee0a1d20a772fa3", "1f4d425205a9e4ff",
    "1f731b0725a8bbf4", "201f8af22a2890e4", "202132bf201e090f", "204bd40e4c13c99c", "20d4c0c2fba59889",
    "22ce0bf7cac7b58e", "231d19abc06940f0", "2329dc79702261d8", "2345a886abfd4653", "240df548efc33ac6",
    "24eab7e6faec5578", "2555a87532f11fa3", "258d6d2edebc9f56", "25e353f85477f1b9", "293b995580501e00",
    "2b1e876adb29878d", "2b88bcc751b9a935", "2c26c19e41c0d4b3", "2d56973d4405c6d4", "2debb97326bf67db",
    "2dfef8e912394043", "2f10e96f165c916b", "2f900c19c1215eee", "32508a698086ad2e", "327d0653de12095e",
    "32a5b8cc526ef08b", "32bdbe2d0b8dcfde", "32e29110d82f8cae", "32ff65ed7134a608", "33510dc7a4df9dc6",
    "33619751d3bb6f27", "33a810e576563202", "3505330e20dfc0cf", "351f3495732002e9", "3541dde5b806449a",
    "35671ed92603a145", "35b9438513d7bc79", "36195dd15d4f74d3", "370fe37bc3644bb7", "395606bb5ad3b99c",
    "3a1e7af74410398d", "3a42e5d0c822eb0e", "3a8c4d203a2af786", "3b1944bfd5bb3280", "3b8d1055afe0a4bb",
    "3bf4eeddf8e8f93f", "3c0f545aa07e7871", "3c5f601e61546ff9", "3c92f0e2f61e183d", "3d2e1624cb911010",
    "3dfe1201dc712084", "3dfe3dad0448b667", "3e5b8610e368b9b2", "3ed11f058347bab6", "3f672030a619e02b",
    "4186863b0fbdf0a9", "43b5934fa84054a5", "448fefe80f583340", "479e44d7679c6b49", "47cd81ffe425b08b",
    "484146c5a7e3b66e", "4856e361bfe071d7", "489432bf5d385c35", "490c5314913cf1a9", "492a61b3990ce58e",
    "49434099ec003f8f", "4a10ac84d09f5e7b", "4aacfc9b23ad7569", "4b3d1dd91a2baff8", "4bebae62b061cfea",
    "4d49481eebed4d82", "4d5bc5fac7469b9f", "4d9b0368fdf43619", "4db1aec497974c69", "4e0bba601abb532c",
    "4f008607139818c2", "4f4e673f01fbbae1", "5153f233fb89141e", "52c1e6e0d22557b5", "5379203838d65b4c",
    "538b478327398e15", "53e36ade2db12983", "544f57857b434201", "54e7409d40d25bc2", "55355551e27d8613",
    "5543e570c0cbde9c", "558b9130d40015f7", "55a1794426124fec", "5604dd6fda55535e", "562a0e71606603cb",
    "56bac027e6aee750", "56f9127ef02abaa3", "57088d4ca83a4fa9", "5754f62d9799fd18", "59ab048de32fb1a0",
    "5a314c5f7d8ed6ce", "5a638abf07489432", "5ab72667fb42d931", "5b30923340136ffb", "5e3a523d9ddf4dcb",
    "5e5c4fe83f11b161", "5f1bf0fdc8576837", "5ff3a63aa30d4c5b", "602ede5f9d401b91", "60b83f304618c730",
    "60dd12e8420c260c", "610f5673d6f3df3e", "61b3ad35ef9fe787", "61d2fb31489a46f2", "62c697842f225da7",
    "64e50d323e976081", "64fe124ff1a06cbf", "65a23b5cd2fc59bd", "65cfaf0ab7b36a7f", "671eb96bdafc8c90",
    "690f2b643f0ca9b5", "6a22a0d8e4cb76ec", "6a506e5138a0ff00", "6b99d705c40496b2", "6bad9d162d652e47",
    "6cab2ffec22038e7", "717029ee5d2addff", "722287566b1fc674", "727c929e1b904004", "7299acde70f6e057",
    "730ba7386ed881c3", "732ccb0ca58c9a88", "738e69ca1ddccb3b", "73a56efa1069b946", "73e09988f1168171",
    "75de78c400f62927", "765bc84465bb64f2", "769db03c8f56bd62", "76ec59da19d63398", "7738c850fa34aa22",
    "77ad8cee019d6ad2", "77d7f6c099b5106a", "7849e21dbe0314af", "7a8869fa8b02a348", "7ac41254a86fb95d",
    "7bc15355e3167482", "7be68c6e5e2935f6", "7cd908ab4e902a75", "7ced23514404dc43", "7d11cd158d9c12a7",
    "7d1ac9afca1c54ab", "7d75b98e48658659", "7dab7ef013f050f3", "7e2c9156a20d8782", "7ea4eb2ada997066",
    "7fb11529dfac48ff", "820c65d4620c8d16", "82fec9f3b3e789ed", "832599c2361047a7", "832a51cdd4965c09",
    "83c2d1639cd61510", "84f2213363ed984b", "85ef15ab2c36cd30", "85f4a05a51e7e081", "8804756c1e07cc6c",
    "88ef1631df6f2bae", "8cc7634524f827d0", "8d1ddb5e49f54e63", "8d901a1cde83cb42", "8dd6aadf04054fcd",
    "8e10a8ab665d123a", "8fea3b42a48792a0", "906a867029a876f2", "91181447fe6e367c", "915cbe769fbdd33a",
    "91c7c055e7052264", "9295852b27005ae8", "92e599b03b54120c", "93f1d6668989d938", "9418d26519551b4d",
    "94b13c39d72d2550", "9540a7a34ba68266", "956d81d25dc4bbc0", "95fda03568d52a53", "966b48dd3a6c72b6",
    "969f4a587ee9a0eb", "99eae82d26ab37a3", "9a72cc9697001805", "9accdbfb3b4aac67", "9be622a31445b72b",
    "9c4683bc0369fd59", "9c4fe38a44711dbc", "9cedd310706b54cb", "9cf61647f5fe15c1", "9d03a4f6ad4a934a",
    "9de8ba12e82ddc79", "9e41322661b41ccb", "9e6b1449f533f82e", "9f86e38e6fa00043", "a0481a49ba1f0d00",
    "a07d587e084648d8", "a1f4da5e759724ba", "a2ee54ae1972d8cc", "a30aa039f798e19b", "a30caff6f74db21d",
    "a393b59c377c2647", "a4b9b605c3f8c6ec", "a4de662bf6afe16c", "a4ff27ca5ea08989", "a6c13a06c4f6d797",
    "a745b30f4d312357", "a78b2641744016ac", "a7c4b21509d84881", "a8af7b511d40f65a", "a8bdc50bbeffa702",
    "aad8848807d1c9ed", "abf42378f44c3b0c", "ac4e21b320182921", "acca6c9239ef517c", "acd1ebbf063a0fc8",
    "ad3f938eb14fe4c4", "afb4c3a5ac70e0d2", "b09b729cdb272973", "b0cb6a2888b077dc", "b119f6ce77eea180",
    "b2a6fa35ae086158", "b38839f866be1ecd", "b4d0c40ac035be9c", "b4d450aeb2b671ed", "b55989b8ddcd1273",
    "b5d5feacba261a4a", "b6d13f89463d4e54", "b7664ff87a5a95fb", "b8388a2d4bdaddad", "b880e4dd80191bba",
    "b9293d715e68c856", "b9440af0f840bbda", "b980957aa8ddb955", "b9f2b705ca6a12a1", "ba0722ae2d750caa",
    "ba19b82ebf2dedc5", "ba9539c82c9d8306", "bb336d40f996fa10", "bb37c62da132e005", "bbda05e7a10b1491",
    "bc54e16c5d33bba4", "bc602ad5491eb09f", "bc9ea90d876c7fe2", "bd5b3a5e8c92adb9", "be3dd092055ffc97",
    "be9c93d3c01ae86a", "bebad4097ead1296", "c06a5abbc476c790", "c089eddd228d4fbf", "c0ebcfb5529ff1ed",
    "c1c7621e2f454a05", "c1df3fcd3a5a989c", "c2f5c1445dc62cc2", "c4eeee8e93f7d8ce", "c522166decddcec0",
    "c5471ea9540dd3f6", "c6995d40f894ab22", "c6ea7bd0f050f6ce", "c98ba36553876fd6", "ca3f01a0fe259896",
    "cb1a43ad6e8a1bc1", "cb3870ef79d8c09d", "ccad979a22beba37", "cdc52f1689526aa0", "cdc6d5dfe7d55535",
    "cdf1441e07c01512", "ceab21ce42c46f46", "cf7f969fd93e5c57", "cfbde1d67d0f6fb0", "d0678b2d772e9386",
    "d17a034f565f6806", "d2d869c8079eb1d9", "d351425306e0f3bf", "d434ba5cfdb3cd1b", "d49bce5e7a512f7e",
    "d5f1e1a46b2411c0", "d679049f22b2eefd", "d692e2a1a400b4b0", "d6f9572f58b05665", "d733aea378b9a042",
    "d7463c67503ade26", "d78398985eb86a66", "d91242b217f7aacd", "d925ee3f6f85e652", "d941a5cb3291af27",
    "d99c163df989f2f8", "da1952e7530149be", "db56711f6b852216", "dbc398aa621c6236", "dbf61dece060bb95",
    "dc939a31ed54d552", "dcf1a886b79b833c", "dd530fc52cd0f5f8", "ddfbdfd1d1356cd1", "de672f00b8afe996",
    "dea59355c0fd98e9", "def4c05d4549eb5c", "e0ec04d359789e69", "e0f609121a921014", "e1439a0ab3f6b826",
    "e18705602d51b595", "e1f76f5d3e4b37cb", "e43e3215d3e769a4", "e446a3e34c963542", "e44b4813cf948fc9",
    "e45d10e821e5bc49", "e5c3239ce09e2996", "e5fc7c577701ef63", "e69798c8dfc11977", "e75d5f7127452fea",
    "e8c74cd936b5ee02", "ea46a821df72b046", "ea4ddc1ccb225e0f", "ea9f007ba3b3bae3", "eb956bdfb984c9c6",
    "ebd5349f9a7661fb", "ed049deae81ee746", "ed6724b33b3f3996", "ed8951ff67502744", "eece7d9314ff73c0",
    "ef40bf1c9c123ffb", "ef67a25dc893817e", "efb67632ea396469", "efc7937a844374ae", "f0987a68a575e82b",
    "f1cefada4b133c6f", "f1d02a46132c0a73", "f2968991544fc635", "f3ee2698c1cb0531", "f412b2e76f365edf",
    "f5d1f922a446eef3", "f65c2de253a8fd33", "fa2f251cf44c5daa", "fbc20ecffc8a84a4", "fbf47014ff5b0e87",
    "fc0ffe9548896579", "fd1270322b2d5462", "fd21afdcdfc81d3d", "ff74d8fa9e2bcd2d", "ff892e482d4846de",
    "ff964b7d053dba13"}


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
# English human text 1: Rust documentation other than the book and the nomicon (rustup HTML docs), <p> paragraphs
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


Q_RUST = ["{b}, section “{c}”. Carry on from here: “{l}”", "In {b} (“{c}”), what is the paragraph after “{l}”?",
          "Continue the “{c}” page of {b}. The paragraph before reads: {l}",
          "Please write what {b} says next about “{c}”, after: “{l}”",
          "Next paragraph, please. Source: {b}, “{c}”. Preceding text: {l}"]
RUST_BOOK = {"reference/print.html": "The Rust Reference", "cargo/print.html": "The Cargo Book",
             "rustc/print.html": "The rustc book", "edition-guide/print.html": "The Rust Edition Guide",
             "embedded-book/print.html": "The Embedded Rust Book", "rustdoc/print.html": "The rustdoc book"}


def lead_of(prev: str) -> str:
    prev = " ".join(html.unescape(TAG.sub("", prev)).split())
    return prev if len(prev) <= 90 else prev[:80].rsplit(" ", 1)[0] + " …"


def rust_en_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, info = [], {}
    for rel in RUST_EN:
        path = os.path.join(RUST_DOC, rel)
        if not os.path.exists(path):
            continue
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


# ---------------------------------------------------------------------------
# English human text 2: prose of Javadoc comments in OpenJDK 17's src.zip (java.* modules)
# ---------------------------------------------------------------------------
JAVADOC = re.compile(r"/\*\*(.*?)\*/", re.S)
JD_BLOCK = re.compile(r"<(pre|ul|ol|li|dl|dt|dd|table|tr|td|th|blockquote|h[1-6]|img|hr|div|caption|sup|sub)\b", re.I)
JD_SPLIT = re.compile(r"\n\s*\n|<p\b[^>]*>|</p>", re.I)
JD_INLINE = re.compile(r"\{@(code|literal|link|linkplain)\s+([^{}]*)\}")


def jd_inline(m) -> str:
    kind, body = m.group(1), m.group(2).strip()
    if kind in ("code", "literal"):
        return body
    target, _, label = body.partition(" ")
    if label.strip():
        return label.strip()
    target = target.lstrip("#").replace("#", ".")
    return target.split("(")[0] if "(" in target and target.endswith(")") and "()" not in target else target


def javadoc_paragraphs(comment: str):
    lines = [re.sub(r"^\s*\*? ?", "", ln) for ln in comment.split("\n")]
    body = []
    for ln in lines:
        if ln.lstrip().startswith("@"):       # block tags (@param, @return, @throws, @see, @since ...)
            break
        body.append(ln)
    text = "\n".join(body)
    for para in JD_SPLIT.split(text):
        if not para.strip():
            continue
        if JD_BLOCK.search(para) or re.search(r"\{@(?!code|literal|link|linkplain)", para):
            yield None
            continue
        for _ in range(2):
            para = JD_INLINE.sub(jd_inline, para)
        if "{@" in para:
            yield None
            continue
        yield " ".join(html.unescape(TAG.sub("", para)).split())


Q_JAVA = ["Java SE 17, {c}: what does the Javadoc say after “{l}”?",
          "Write the next paragraph of the API documentation of {c}, following: {l}",
          "OpenJDK 17 source, {c}. Continue the doc comment after this paragraph: “{l}”",
          "Explain the next point in the Javadoc of {c}. Previous paragraph: “{l}”",
          "{p} package, class {s}: continue the documentation comment. It so far reads “{l}”"]


def java_rows(rng: random.Random, seen: set, why: collections.Counter) -> tuple[list[dict], dict]:
    rows, n_files = [], 0
    with zipfile.ZipFile(JDK_SRC) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".java") and n.startswith("java.")
                       and "/internal/" not in n)
        n_java = len(names)
        names = sorted(rng.sample(names, min(JAVA_FILES, len(names))))
        for name in names:
            src = zf.read(name).decode("utf-8", errors="replace")
            module, _, rel = name.partition("/")
            cls = rel[:-5].replace("/", ".")
            pkg, _, simple = cls.rpartition(".")
            cands = []
            for ci, m in enumerate(JAVADOC.finditer(src)):
                prev = cls
                for k, para in enumerate(javadoc_paragraphs(m.group(1))):
                    if para is None:
                        prev = cls
                        continue
                    lead, prev = prev, para
                    text = clean_paragraph(para)
                    if text is None or text in seen:
                        continue
                    if len(ENGLISH_WORDS.findall(text)) < 3:
                        why["java_not_english"] += 1
                        continue
                    seen.add(text)
                    q = rng.choice(Q_JAVA).format(c=cls, p=pkg, s=simple, l=lead_of(lead))
                    cands.append({"instruction": q, "output": text, "src": f"java:{name}#{ci}.{k}"})
            if len(cands) > PER_JAVA_FILE:
                cands = rng.sample(cands, PER_JAVA_FILE)
            if cands:
                n_files += 1
                rows.extend(cands)
    return rows, {"path": JDK_SRC, "sha256": sha256(JDK_SRC), "files_in_java_modules": n_java,
                  "files_drawn": len(names),
                  "files_used": n_files,
                  "licence": "GPL-2.0 WITH Classpath-exception-2.0 (OpenJDK 17)",
                  "debian_package": "openjdk-17-source 17.0.19+10-1~deb12u2"}


def english_pool(rng: random.Random) -> tuple[list[dict], dict]:
    why: collections.Counter = collections.Counter()
    seen: set[str] = set()
    rust_r, rust_info = rust_en_rows(rng, seen, why)
    java_r, java_info = java_rows(rng, seen, why)
    rows = drop_earlier(rust_r + java_r, why)
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
    return rows, {"rust_docs": rust_info, "javadoc": java_info, "rust_rows": len(rust_r), "java_rows": len(java_r),
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
# Chinese human text 1: prose paragraphs of the Chinese READMEs / long descriptions of PyPI packages
# ---------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_END_PROSE = ("。", "！", "？")
PERMISSIVE = re.compile(r"\b(MIT|BSD|Apache|MPL|Mozilla Public)", re.I)
NOT_PERMISSIVE = re.compile(r"\b(GPL|AGPL|LGPL|GNU|proprietary|commercial|non-commercial|CC BY-NC)", re.I)
T_README = ["继续写 {p} 项目文档的下一段。上一段：{l}", "{p} 的 README 里，“{l}”后面接着写什么？",
            "請接著寫 {p} 說明文件的下一段（前一段：{l}）", "用中文续写 {p} 的项目介绍，接在这段后面：{l}",
            "{p}：把这份中文文档接下去写完。\n\n上一段：{l}", "幫我接續 {p} 的中文說明：「{l}」之後是什麼？"]
MD_SKIP_LINE = re.compile(r"^\s*([#|>*+<!\[$=~^`]|-|\d+[.、)]|[（(]?\d+[)）]|[一二三四五六七八九十]+、"
                          r"|\.\.|::|pip |    |\t)")


def zh_lead(prev: str) -> str:
    prev = " ".join(html.unescape(TAG.sub("", prev)).split())
    return prev if len(prev) <= 60 else prev[:50] + "……"


def _join_lines(lines: list[str]) -> str:
    out = ""
    for ln in (x.strip() for x in lines):
        if not ln:
            continue
        if out and not (CJK.match(out[-1]) or CJK.match(ln[0]) or out[-1] in "，。；：！？、）》」』"
                        or ln[0] in "，。；：！？、（《「『"):
            out += " "
        out += ln
    return out


def md_inline(text: str) -> str | None:
    if re.search(r"!\[|<[a-zA-Z/!]", text):
        return None
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)          # [text](url) -> text
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!~|])", r"\1", text)      # markdown escapes
    if re.search(r"https?:|www\.|\{|\}|\||\\", text):
        return None
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"``?([^`]+)``?", r"\1", text)
    if re.search(r"[*`\[\]]", text):
        return None
    return text


def readme_paragraphs(src: str):
    src = src.replace("\r\n", "\n")
    src = re.sub(r"```.*?```", "\n\n", src, flags=re.S)
    src = re.sub(r"<!--.*?-->", "\n\n", src, flags=re.S)
    for block in re.split(r"\n[ \t]*\n", src):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if any(MD_SKIP_LINE.match(ln) for ln in lines) or any(re.fullmatch(r"\s*[-=~^*_]{3,}\s*", ln) for ln in lines):
            yield None
            continue
        text = md_inline(_join_lines(lines))
        yield text


def zh_prose(text: str | None) -> str | None:
    if text is None or not 20 <= len(text) <= 500 or not text.endswith(ZH_END_PROSE):
        return None
    if len(CJK.findall(text)) < 20:
        return None
    return text


def _archive_texts(path: str) -> tuple[str, list[tuple[str, str]], dict]:
    """(METADATA text, [(name, README text)], {licence-file name: first 400 chars}) of a wheel or sdist."""
    meta, readmes, lic = "", [], {}

    def want(name):
        base = name.rsplit("/", 1)[-1]
        if re.search(r"(^|/)(third_party|3rdparty|thirdparty|vendor|vendored|node_modules|site-packages)/", name, re.I):
            return False
        return re.fullmatch(r"README([._-][\w-]+)?\.(md|rst|txt|markdown)|README", base, re.I)

    if path.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as zf:
            for n in sorted(zf.namelist()):
                base = n.rsplit("/", 1)[-1]
                if n.endswith(".dist-info/METADATA") or (n.count("/") <= 1 and base == "PKG-INFO" and not meta):
                    meta = zf.read(n).decode("utf-8", errors="replace")
                elif want(n):
                    readmes.append((n, zf.read(n).decode("utf-8", errors="replace")))
                elif re.match(r"LICEN[CS]E|COPYING", base, re.I) and n.count("/") <= 2:
                    lic[n] = zf.read(n)[:400].decode("utf-8", errors="replace")
    else:
        with tarfile.open(path) as tf:
            for m in sorted(tf.getmembers(), key=lambda m: m.name):
                if not m.isfile():
                    continue
                n, base = m.name, m.name.rsplit("/", 1)[-1]
                if n.count("/") == 1 and base == "PKG-INFO":
                    meta = tf.extractfile(m).read().decode("utf-8", errors="replace")
                elif want(n):
                    readmes.append((n, tf.extractfile(m).read().decode("utf-8", errors="replace")))
                elif re.match(r"LICEN[CS]E|COPYING", base, re.I) and n.count("/") <= 2:
                    lic[n] = tf.extractfile(m).read()[:400].decode("utf-8", errors="replace")
    return meta, readmes, lic


def licence_of(msg, lic_files: dict) -> str | None:
    cands = [msg.get("License-Expression") or "", (msg.get("License") or "").split("\n")[0][:120]]
    cands += [c.split("::")[-1].strip() for c in msg.get_all("Classifier") or [] if c.startswith("License ::")]
    cands = [c for c in cands if c.strip() and c.strip().upper() not in ("UNKNOWN", "NONE")]
    if not cands:
        cands = [t.strip().split("\n")[0][:120] for t in lic_files.values()]
    joined = "; ".join(dict.fromkeys(cands))
    if not joined or NOT_PERMISSIVE.search(joined) or not PERMISSIVE.search(joined):
        return None
    return joined


def readme_rows(rng, seen, why) -> tuple[list[dict], dict]:
    rows, info = [], {}
    paths = sorted(p for p in glob.glob(os.path.join(PYPI, "*")) if p.endswith((".whl", ".tar.gz", ".zip")))
    for path in paths:
        try:
            meta, readmes, lic_files = _archive_texts(path)
        except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
            why["pypi_unreadable"] += 1
            continue
        msg = email.parser.Parser().parsestr(meta)
        name, version = msg.get("Name") or os.path.basename(path), msg.get("Version") or "?"
        licence = licence_of(msg, lic_files)
        if licence is None:
            why["pypi_licence_not_permissive_or_unknown"] += 1
            continue
        texts = [("METADATA", msg.get_payload() or "")] + readmes
        cands = []
        for src_name, doc in texts:
            prev = msg.get("Summary") or name
            for k, para in enumerate(readme_paragraphs(doc)):
                if para is None:
                    continue
                lead, prev = prev, para
                text = zh_prose(para)
                if text is None:
                    why["pypi_not_prose"] += 1
                    continue
                if text in seen:
                    why["duplicate"] += 1
                    continue
                seen.add(text)
                q = rng.choice(T_README).format(p=name, l=zh_lead(lead))
                cands.append({"instruction": q, "output": text,
                              "src": f"pypi:{name}#{os.path.basename(path)}/{src_name}.{k}"})
        if len(cands) > PER_PACKAGE:
            cands = rng.sample(cands, PER_PACKAGE)
        if cands:
            entry = info.setdefault(name, {"version": version, "licence": licence, "files": {}, "paragraphs": 0})
            entry["files"][os.path.basename(path)] = sha256(path)
            entry["paragraphs"] += len(cands)
            rows.extend(cands)
    return rows, info


# ---------------------------------------------------------------------------
# Chinese human text 2: Toyhom doctors' answers that no earlier split used
# ---------------------------------------------------------------------------
T_TOYHOM = ["{t}\n{a}", "患者提问：{a}", "{a}", "【{d}】{t}", "请以医生的身份回答：{t}（{a}）"]


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
    rd_r, rd_info = readme_rows(rng, seen, why)
    rd_r = drop_earlier(rd_r, why)
    toy_r, toy_info = toyhom_rows(rng, seen, why)
    rows = rd_r + toy_r
    rows.sort(key=lambda r: (r["src"], r["output"]))
    rng.shuffle(rows)
    rows = drop_excluded(rows, why)
    return rows, {"pypi": rd_info, "toyhom": toy_info, "pypi_rows": len(rd_r), "toyhom_rows": len(toy_r),
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

    # fresh Chinese human text is scarce (the Toyhom files are used up; PyPI READMEs give a few paragraphs a package)
    minimum = {"slop_en.jsonl": 600, "slop_zh.jsonl": 600, "human_en.jsonl": 1000, "human_zh.jsonl": 150,
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
                "what": "prose paragraphs (<p> without inline code) of the rustup toolchain's HTML docs other than "
                        "the book and the nomicon (print.html of reference, cargo, rustc, edition-guide, "
                        "embedded-book, rustdoc), and the prose of Javadoc comments in OpenJDK 17's src.zip (java.* "
                        "modules, no internal packages; block tags, <pre>, lists and tables skipped; {@code x} -> x)",
                "rust_doc_dir": RUST_DOC, "rust_docs": pool_info["en"]["rust_docs"],
                "rust_licence": "MIT OR Apache-2.0 (rust-lang/reference, rust-lang/cargo, rust-lang/rust, "
                                "rust-lang/edition-guide, rust-embedded/book)",
                "rust_rows_in_pool": pool_info["en"]["rust_rows"],
                "javadoc": pool_info["en"]["javadoc"], "java_rows_in_pool": pool_info["en"]["java_rows"],
                "skipped": pool_info["en"]["skipped"],
                "pool_rows": pool_info["en"]["pool_rows"], "pool_sha256": pool_info["en"]["pool_sha256"],
                "human_by_source": pool_info["en"]["human_by_source"],
                "slop_originals_by_source": pool_info["en"]["slop_originals_by_source"],
            },
            "chinese": {
                "what": "prose paragraphs of the Chinese READMEs / long descriptions of PyPI packages (pip download "
                        "--no-deps; METADATA and top-level README files of the wheel or sdist; permissive licences "
                        "only; instruction: continue the package's documentation), and Toyhom doctors' answers "
                        "(instruction: the patient's question) that no earlier split used",
                "pypi_dir": PYPI, "pypi": pool_info["zh"]["pypi"], "pypi_rows_in_pool": pool_info["zh"]["pypi_rows"],
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
