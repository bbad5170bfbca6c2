"""Main-text extraction quality and speed, each extractor side by side in one run (issue 18).

Page sets under ../shared/devdata/html/ (reference text beside each page):
- article benchmark, held-out half (bench/extract/split.json, frozen before tuning) -- reported first
- article benchmark, dev half (tuned on)
- readability: the 37 Mozilla test pages (expected.html; tuned on)
- with --newspaper4k DIR: newspaper4k's test pages (DIR = tests/data of its sdist, `pip download --no-deps
  --no-binary :all: newspaper4k==0.9.6`): 23 pages, html/NAME.html with the article text its tests expect in
  txt/NAME.txt; news in English, Arabic, Chinese, Japanese, Thai, Latvian, Spanish, Korean. Never tuned on (issue 18
  round 4). The reference is what newspaper4k's maintainers accept as its output, not a human annotation.

Scores:
- "official F1": the article-extraction benchmark's metric. Tokens are \\w+ runs (case kept); a page's text becomes
  its multiset of 4-token shingles (a text under 4 tokens is one shingle); per page tp/fp/fn are the shingle-count
  overlaps, normalised to sum to 1; precision and recall are averaged over pages (precision over pages with any
  prediction, recall over pages with any reference; a page with fp = fn = 0 scores 1); F1 = 2PR / (P + R) of those
  means.
- "bag F1": case-folded bag-of-words F1 per page, macro-averaged (the figure this project quoted before, 0.981).
- ms/page: median wall time of one extractor on one page, all extractors timed in the same loop over pages (the
  order rotates from page to page).

    python bench/html_extract.py [--sets heldout,dev,readability] [--skip-resiliparse] [--newspaper4k DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from formats.main_text import Knobs, by_readability, by_resiliparse, by_trafilatura, main_text, merged  # noqa: E402

DEVDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "devdata" / "html"
SPLIT = Path(__file__).resolve().parent / "extract" / "split.json"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_counts(reference: str, predicted: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page, so that long pages weigh no more than short ones."""
    want, got = shingles(reference), shingles(predicted)
    tp, fp, fn = sum((want & got).values()), sum((got - want).values()), sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def official_f1(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    precision = [1.0 if fp == fn == 0 else tp / (tp + fp) for tp, fp, fn in rows if tp + fp > 0]
    recall = [1.0 if fp == fn == 0 else tp / (tp + fn) for tp, fp, fn in rows if tp + fn > 0]
    p = statistics.mean(precision) if precision else 0.0
    r = statistics.mean(recall) if recall else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def bag_f1(reference: str, predicted: str) -> float:
    want, got = Counter(_TOKEN.findall(reference.casefold())), Counter(_TOKEN.findall(predicted.casefold()))
    total = sum(want.values()) + sum(got.values())
    return 2 * sum((want & got).values()) / total if total else 0.0


def newspaper4k_pages(data: Path) -> list[tuple[str, str, str]]:
    """newspaper4k's test pages that have an expected text: [(name, html, text)]."""
    return [(html.stem, html.read_text(encoding="utf-8", errors="replace"),
             (data / "txt" / f"{html.stem}.txt").read_text(encoding="utf-8"))
            for html in sorted((data / "html").glob("*.html")) if (data / "txt" / f"{html.stem}.txt").is_file()]


def load_sets(names: list[str], newspaper4k: Path | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """{set: [(page id, html, reference text)]}"""
    sets: dict[str, list[tuple[str, str, str]]] = {}
    bench = DEVDATA / "article_benchmark"
    if any(n in names for n in ("heldout", "dev")):
        truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
        split = json.loads(SPLIT.read_text(encoding="utf-8"))
        for name in ("heldout", "dev"):
            if name in names:
                sets[f"article {name} ({len(split[name])})"] = [
                    (pid, gzip.decompress((bench / "html" / f"{pid}.html.gz").read_bytes()).decode("utf-8", "replace"),
                     truth[pid]["articleBody"]) for pid in split[name]]
    if "readability" in names:
        pages = sorted(p for p in (DEVDATA / "readability").iterdir() if (p / "source.html").is_file())
        sets[f"readability ({len(pages)})"] = [
            (p.name, (p / "source.html").read_text(encoding="utf-8", errors="replace"),
             BeautifulSoup((p / "expected.html").read_text(encoding="utf-8"), "lxml").get_text(" ")) for p in pages]
    if newspaper4k is not None:
        unseen = newspaper4k_pages(newspaper4k)
        sets[f"newspaper4k test pages, unseen ({len(unseen)})"] = unseen
    return sets


def trafilatura_default(html: str) -> str:
    """trafilatura as the benchmark runs it: extract() with comments off, everything else default."""
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="heldout,dev,readability")
    parser.add_argument("--skip-resiliparse", action="store_true")
    parser.add_argument("--newspaper4k", type=Path, help="tests/data of newspaper4k's sdist (unseen pages)")
    args = parser.parse_args()
    if not DEVDATA.is_dir():
        raise SystemExit(f"no page sets under {DEVDATA}")
    methods: dict[str, Callable[[str], str]] = {
        "readability-lxml 0.9 (summary, no alt text)": by_readability,
        "trafilatura 2.3.1 extract()": trafilatura_default,
        "trafilatura, favor_precision": by_trafilatura,
        "ours: auto (readability + trafilatura, merged)": main_text,
        "ours, Knobs(container=True) (off by default)": lambda html: merged(html, Knobs(container=True)),
    }
    if not args.skip_resiliparse:
        methods["resiliparse 2.0.0 (extractor: resiliparse)"] = by_resiliparse
    print("machine: 2 cores, shared with other jobs; all methods timed in one loop over the same pages\n")
    for set_name, pages in load_sets(args.sets.split(","), args.newspaper4k).items():
        rows: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
        bags: dict[str, list[float]] = {m: [] for m in methods}
        times: dict[str, list[float]] = {m: [] for m in methods}
        names = list(methods)
        for i, (_, html, reference) in enumerate(pages):
            for name in names[i % len(names):] + names[:i % len(names)]:  # rotate: no method always runs first
                extract = methods[name]
                start = time.perf_counter()
                text = extract(html)
                times[name].append((time.perf_counter() - start) * 1000)
                rows[name].append(page_counts(reference, text))
                bags[name].append(bag_f1(reference, text))
        print(f"### {set_name}\n\n| method | official F1 | precision | recall | bag F1 | ms/page (median) |\n"
              "|---|---:|---:|---:|---:|---:|")
        for name in methods:
            f, p, r = official_f1(rows[name])
            print(f"| {name} | {f:.3f} | {p:.3f} | {r:.3f} | {statistics.mean(bags[name]):.3f} "
                  f"| {statistics.median(times[name]):.1f} |")
        slower = max(statistics.median(times[m]) for m in list(methods)[:2])
        ours = statistics.median(times["ours: auto (readability + trafilatura, merged)"])
        container = statistics.median(times["ours, Knobs(container=True) (off by default)"])
        print(f"\nours / slower single extractor: {ours / slower:.2f}x "
              f"(container rule on: {container / slower:.2f}x)\n", flush=True)


if __name__ == "__main__":
    main()
