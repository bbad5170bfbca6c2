"""Where the merge loses to readability-lxml on the Mozilla pages, and what the same kind of block does on the article
benchmark (issue 18). Runs both extractors once per page (as `merged` does), then scores `choose` under the current
Knobs and under the edge rules that would follow Mozilla's convention instead, on every set side by side.

    python bench/extract/conventions.py

Variants include the container rule (`Knobs.container`, off by default: issue 18 round 4), which needs the parsed
page; `candidates` keeps it in PAGES.

Prints: official F1 per set and variant; the pages of the readability set on which the merge scores below
readability, with the blocks readability kept that the merge dropped (where they sit, whether the reference holds
them); and, on the dev half, how often a readability-only block before the body (standfirst, caption, byline) is in the
article benchmark's reference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import trafilatura  # noqa: E402
from html_extract import DEVDATA, load_sets, official_f1, page_counts  # noqa: E402
from lxml.etree import _Element  # noqa: E402

from formats import main_text as mt  # noqa: E402

_TOKEN = re.compile(r"\w+")
VARIANTS: dict[str, mt.Knobs] = {
    "current": mt.Knobs(),
    "pre-body runs from 40 words": mt.Knobs(r_pre=40),
    "from 30 words": mt.Knobs(r_pre=30),
    "from 20 words": mt.Knobs(r_pre=20),
    "trafilatura-only after the body from 40": mt.Knobs(t_edge=40),
    "captions and credits kept (no markers)": mt.Knobs(drop_markers=False, marker_drops_run=False),
    "container rule (standfirsts inside the body's element)": mt.Knobs(container=True, inner_credits=False),
    "container rule, a lone lead caption keeps its credit": mt.Knobs(container=True),
}
PAGES: dict[str, _Element | None] = {}  # page id -> the parsed page (`candidates` keeps it), for the container rule


def candidates(html: str, pid: str = "") -> tuple[mt.Readable, str, list[str]]:
    """What `merged` hands to `choose` (readability's text from a copy with heading links unwrapped), and the page's
    titles for `without_title`."""
    tree = trafilatura.load_html(html)
    PAGES[pid] = tree
    if tree is None:
        readable = mt._readable(html)
        return readable, mt.precise_candidate(html, readable.text), []
    readable = mt._readable(mt.headings_unlinked(tree))
    return readable, mt.precise_candidate(tree, readable.text), mt.title_keys(tree)


def merge(readable: mt.Readable, precise: str, titles: list[str], knobs: mt.Knobs | None = None,
          page: _Element | None = None) -> str:
    """`merged` on cached candidates, under `knobs`."""
    headings = mt.heading_keys(page) if page is not None else set()
    return mt.without_title(mt.choose(readable, precise, knobs, page=page), titles, headings)


def share_in(block: str, text: str) -> float:
    """Share of the block's word n-grams (4, or its length if shorter) found in `text`, in order."""
    tokens, whole = _TOKEN.findall(block), _TOKEN.findall(text)
    n = min(4, len(tokens))
    if not n:
        return 1.0
    grams = {tuple(whole[i:i + n]) for i in range(len(whole) - n + 1)}
    mine = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return sum(g in grams for g in mine) / len(mine)


def f1(row: tuple[float, float, float]) -> float:
    tp, fp, fn = row
    return 1.0 if fp == fn == 0 else 2 * tp / (2 * tp + fp + fn)


def positions(readable: mt.Readable, precise: str) -> list[tuple[mt._Block, str]]:
    """readability's unagreed blocks with where they sit: before the first agreed block, between, after the last."""
    rb, tb = mt._blocks(readable.text), mt._blocks(precise)
    if not rb or not tb:
        return []
    mt._agreement(rb, set().union(*(b.shingles for b in tb)))
    ok = [b.agreed >= mt.Knobs().agree for b in rb]
    if not any(ok):
        return []
    first, last = ok.index(True), len(ok) - 1 - ok[::-1].index(True)
    return [(b, "pre" if i < first else "post" if i > last else "mid") for i, b in enumerate(rb) if not ok[i]]


def main() -> None:
    if not DEVDATA.is_dir():
        raise SystemExit(f"no page sets under {DEVDATA}")
    sets = load_sets(["heldout", "dev", "readability"])
    cached = {name: [(pid, ref, *candidates(html, pid)) for pid, html, ref in pages] for name, pages in sets.items()}
    plain = {name: {pid: mt.by_readability(html) for pid, html, _ in pages} for name, pages in sets.items()}
    print("| variant | " + " | ".join(cached) + " |\n|---|" + "---:|" * len(cached))
    print("| readability-lxml (the library as is) | " + " | ".join(
        f"{official_f1([page_counts(ref, plain[name][pid]) for pid, ref, *_ in rows])[0]:.4f}"
        for name, rows in cached.items()) + " |")
    for label, pick in (("readability-lxml, heading links unwrapped (the merge's input)", lambda r, t: r.text),
                        ("trafilatura, favor_precision", lambda r, t: t)):
        print(f"| {label} | " + " | ".join(
            f"{official_f1([page_counts(ref, pick(r, t)) for _, ref, r, t, _ in rows])[0]:.4f}"
            for rows in cached.values()) + " |")
    for label, knobs in VARIANTS.items():
        scores = (official_f1([page_counts(ref, merge(r, t, ts, knobs, PAGES[pid])) for pid, ref, r, t, ts in rows])[0]
                  for rows in cached.values())
        print(f"| merge, {label} | " + " | ".join(f"{score:.4f}" for score in scores) + " |")
    for name, rows in cached.items():
        if name.startswith("readability"):
            print(f"\n### {name}: pages where the merge scores below readability-lxml (the library as is)\n")
            for pid, ref, readable, precise, titles in rows:
                ours = merge(readable, precise, titles, page=PAGES[pid])
                r_f1, o_f1 = f1(page_counts(ref, plain[name][pid])), f1(page_counts(ref, ours))
                if o_f1 < r_f1 - 0.0005:
                    print(f"- {pid}: readability {r_f1:.3f}, merge {o_f1:.3f}")
                    for block, where in positions(readable, precise):
                        if share_in(block.text, ours) < 0.5 and block.words >= 2:
                            held = "in the reference" if share_in(block.text, ref) > 0.5 else "not in it"
                            print(f"  - dropped ({where}, {block.words} words, {held}): {block.text[:90]!r}")
                    extra = [b for b in mt._blocks(ours) if share_in(b.text, readable.text) < 0.5]
                    for block in extra:
                        held = "in the reference" if share_in(block.text, ref) > 0.5 else "not in it"
                        print(f"  - added from trafilatura ({block.words} words, {held}): {block.text[:90]!r}")
        if "dev" in name:
            kept = left = 0
            print(f"\n### {name}: readability-only blocks before the body, 20+ words, no boilerplate marker\n")
            for pid, ref, readable, precise, titles in rows:
                ours = merge(readable, precise, titles, page=PAGES[pid])
                for block, where in positions(readable, precise):
                    if where == "pre" and block.words >= 20 and not mt._BOILERPLATE.search(block.text.casefold()):
                        inside = share_in(block.text, ref) > 0.5
                        kept, left = kept + inside, left + (not inside)
                        verdict = "kept" if share_in(block.text, ours) > 0.5 else "dropped"
                        print(f"- {pid[:12]} ({block.words} words, {'in' if inside else 'not in'} the reference, "
                              f"{verdict} by the merge): {block.text[:90]!r}")
            print(f"\nin the reference: {kept}, left out: {left}")


if __name__ == "__main__":
    main()
