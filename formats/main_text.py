"""The main content of an article page, by maintained extractors rather than home-made heuristics.

Two extractors with different failure modes: readability (Mozilla's algorithm, via readability-lxml) keeps the
article body best on article pages (bench/html_extract.py: F1 0.98 vs trafilatura's 0.94 on the 37 reference
pages) but can come back nearly empty on pages that are not articles; trafilatura is precise and more robust there.
`main_text` uses readability and falls back to trafilatura only when readability finds almost nothing, so the
common case pays for one extractor; plain text is the last resort.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup

from formats.html_text import element_text

_WORD = re.compile(r"\w+")


def by_readability(html: str) -> str:
    from readability import Document

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = Document(html).summary(html_partial=True)
    return element_text(BeautifulSoup(summary, "lxml").body)


def by_trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=False) or ""


def by_get_text(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n", strip=True)


MIN_WORDS = 25  # fewer words than this from readability means it did not find the article


def main_text(html: str) -> str:
    readable = by_readability(html)
    if len(_WORD.findall(readable)) >= MIN_WORDS:
        return readable
    return by_trafilatura(html) or readable or by_get_text(html)
