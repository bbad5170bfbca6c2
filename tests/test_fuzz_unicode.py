"""Property: random Unicode (CJK, RTL, emoji, combining and zero-width characters, control characters, lone
surrogates escaped in JSON or left as bad bytes in CSV) goes through the whole chain (readers, cleaning, dedup,
writers, report) without a crash, and every row read is kept or rejected."""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats.writers import read_jsonl
from tests.conftest import write
from tests.offline import curate_offline

SPECIAL = ("\u200b\u200c\u200d\u2060\ufeff"  # zero-width
           "\u200e\u200f\u202a\u202b\u202e\u2066\u2069"  # direction marks and overrides
           "\u0301\u0308\u0336\u20dd"  # combining
           "😀👩‍💻🏳️‍🌈🇨🇳"  # emoji, ZWJ sequences, flags
           "你好世界问题回答，。？！「」"  # CJK and full-width punctuation
           "مرحبا بالعالم שלום"  # Arabic, Hebrew
           "\u00a0\u3000\t\r\n")  # odd spaces and line breaks
TEXT = st.text(st.one_of(st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from(SPECIAL)),
               max_size=40)
WITH_SURROGATES = st.text(st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=40)
ROWS = st.lists(st.tuples(WITH_SURROGATES, WITH_SURROGATES), min_size=1, max_size=12)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=ROWS, page_rows=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5))
def test_random_unicode_through_the_whole_chain(tmp_path_factory, rows, page_rows):
    folder = tmp_path_factory.mktemp("fuzz")
    # JSONL: ensure_ascii writes a lone surrogate as a \\udXXX escape, which a strict parser refuses (a reject)
    lines = [json.dumps({"instruction": q, "output": a}) for q, a in rows]
    write(folder / "d.jsonl", "\n".join(lines) + "\n")
    # CSV: lone surrogates become bytes that are not UTF-8 (surrogatepass), which the reader quarantines
    with (folder / "d.csv").open("w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["q", "a"])
        writer.writerows(rows)
    items = "".join(f'<div class="faq-item"><p class="question">{html.escape(q)}</p>'
                    f'<p class="answer">{html.escape(a)}</p></div>' for q, a in page_rows)
    write(folder / "p.html", f"<html><body>{items}</body></html>")
    config = write(folder / "p.yaml", """
sources:
  - {name: j, kind: jsonl, path: d.jsonl}
  - {name: c, kind: csv, path: d.csv, encoding: utf-8, columns: {instruction: q, input: null, output: a}}
  - {name: h, kind: html, paths: p.html, selectors: faq}
output: {dir: out, extra_formats: [messages, sharegpt]}
""")
    report, out = curate_offline(config)
    sources = report["sources"]
    for name, counts in sources.items():
        assert counts["read"] == counts["kept"] + counts["rejected"], name
        assert counts["status"] == "ok", report["failed_sources"]
    assert sources["j"]["read"] == sum(1 for line in lines if line.strip())
    assert sources["c"]["read"] == len(rows) and sources["h"]["read"] >= 1  # a page is one reject or its items
    written = read_jsonl(out / "train.jsonl") + read_jsonl(out / "val.jsonl") if report["totals"]["kept"] else []
    assert len(written) == report["totals"]["kept"]
    assert all(_encodable(r["instruction"] + r["input"] + r["output"]) for r in written)
    assert Path(out / "report.json").is_file() and read_jsonl(out / "rejects.jsonl") is not None
