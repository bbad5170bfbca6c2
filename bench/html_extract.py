"""Main-content extraction quality on ../shared/devdata/html/readability/*/ (expected.html is the reference).

Token-level precision / recall / F1 (bag of words, case-folded) of each method's text against the expected text,
macro-averaged over pages, and ms/page.

    python bench/html_extract.py
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from formats.main_text import by_get_text, by_readability, by_trafilatura, main_text  # noqa: E402

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "devdata" / "html" / "readability"
_WORD = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.casefold()))


def prf(got: Counter[str], want: Counter[str]) -> tuple[float, float, float]:
    overlap = sum((got & want).values())
    p = overlap / max(1, sum(got.values()))
    r = overlap / max(1, sum(want.values()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    pages = sorted(p for p in PAGES.iterdir() if (p / "source.html").is_file()) if PAGES.is_dir() else []
    if not pages:
        raise SystemExit(f"no pages under {PAGES}")
    methods = {"get_text": by_get_text, "trafilatura": by_trafilatura, "readability": by_readability,
               "ours (readability, trafilatura fallback)": main_text}
    print(f"{len(pages)} pages\n| method | precision | recall | F1 | ms/page (median) |\n|---|---:|---:|---:|---:|")
    for name, extract in methods.items():
        scores, times = [], []
        for page in pages:
            html = (page / "source.html").read_text(encoding="utf-8", errors="replace")
            want = tokens(BeautifulSoup((page / "expected.html").read_text(encoding="utf-8"), "lxml").get_text(" "))
            start = time.perf_counter()
            text = extract(html)
            times.append((time.perf_counter() - start) * 1000)
            scores.append(prf(tokens(text), want))
        p, r, f = (statistics.mean(s[i] for s in scores) for i in range(3))
        print(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {statistics.median(times):.1f} |", flush=True)


if __name__ == "__main__":
    main()
