"""The main content of an article page, by maintained extractors rather than home-made heuristics.

readability-lxml and trafilatura fail differently: readability keeps whole article bodies but sometimes settles on a
confident wrong block (a teaser, a cookie banner, a list of other stories); trafilatura is precise but sometimes
drops half an article. `main_text` runs both on one parse of the page and picks per page (see `choose`);
trafilatura runs its fast pass, and its full cascade (which re-runs readability and justext) only where the fast
result is thin next to readability's (`precise_candidate`), which keeps the merge well under twice the time of
readability alone. Neither alone is best on pages it was not tuned on (bench/RESULTS.md, issue 18). Image alt text
is never output (gallery captions repeat it); code blocks, lists and tables stay as text.
"""

from __future__ import annotations

import bisect
import copy
import importlib.util
import re
import warnings
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Literal

from bs4 import BeautifulSoup
from lxml.etree import XPath, _Element, iterwalk, strip_tags
from pydantic import AfterValidator

from formats.html_text import element_text

EXTRACTORS: tuple[str, ...] = ("auto", "readability", "trafilatura", "resiliparse")


def _installed(name: str) -> str:
    """A config check: the optional fast path needs a package the default install does not have."""
    if name == "resiliparse" and importlib.util.find_spec("resiliparse") is None:
        raise ValueError("extractor: 'resiliparse' needs the resiliparse package "
                         "(pip install resiliparse==2.0.0), or use extractor: auto")
    return name


# The HTML source's `extractor:` key: 'auto' merges readability and trafilatura; the others run one extractor.
Extractor = Annotated[Literal["auto", "readability", "trafilatura", "resiliparse"], AfterValidator(_installed)]

_WORD = re.compile(r"\w+")
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def _as_input(html: str | _Element) -> str | _Element:
    return copy.deepcopy(html) if isinstance(html, _Element) else html


# --- readability ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Readable:
    text: str
    link_share: float  # share of the words that sit inside links: a list of other stories scores high


def readability_candidate(html: str | _Element) -> Readable:
    """readability's summary of a page; a tree is copied first (readability drops hidden elements in place)."""
    return _readable(_as_input(html))


def _readable(page: str | _Element) -> Readable:
    """readability on `page`, which it may change: hidden elements go (each retry deep-copies before cleaning)."""
    from readability import Document
    from readability.readability import Unparseable

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            summary = Document(page).summary(html_partial=True)
        except Unparseable:
            return Readable("", 0.0)
    body = BeautifulSoup(summary, "lxml").body
    if body is None:
        return Readable("", 0.0)
    for img in body.find_all(["img", "picture"]):  # alt text repeats gallery captions
        img.decompose()
    text = element_text(body)
    words = len(_WORD.findall(text))
    linked = sum(len(_WORD.findall(a.get_text(" "))) for a in body.find_all("a"))
    return Readable(text, linked / words if words else 0.0)


def by_readability(html: str | _Element) -> str:
    return readability_candidate(html).text


# --- trafilatura ----------------------------------------------------------------------------------------------------

def _xml_walk(node: _Element, out: list[str]) -> None:
    """Render trafilatura's internal XML (p, head, list/item, table/row/cell, code, quote, hi, lb) as text."""
    tag = node.tag
    if tag == "code" and (node.getparent() is None or node.getparent().tag in ("body", "doc", "main", "quote")):
        code = "".join(node.itertext()).strip("\n")
        out.append(f"\x00```\n{code}\n```\x00")
        out.append(_SPACES.sub(" ", (node.tail or "").replace("\n", " ")))
        return
    elif tag == "code":
        out.append("`" + "".join(node.itertext()) + "`")
        out.append(_SPACES.sub(" ", (node.tail or "").replace("\n", " ")))
        return
    elif tag == "lb":
        out.append("\n")
    elif tag == "item":
        parent = node.getparent()
        ordered = parent is not None and (parent.get("rend") or "").startswith("ol")
        out.append(f"\n{parent.index(node) + 1}. " if ordered and parent is not None else "\n- ")
    elif tag in ("p", "head", "list", "table", "row", "quote", "div", "body", "doc", "main"):
        out.append("\n\n" if tag != "row" else "\n")
    if tag != "graphic" and node.text:
        out.append(_SPACES.sub(" ", node.text.replace("\n", " ")))
    for child in node:
        if isinstance(child.tag, str):
            _xml_walk(child, out)
        elif child.tail:
            out.append(_SPACES.sub(" ", child.tail.replace("\n", " ")))
    if tag == "cell":
        out.append(" | ")
    elif tag in ("p", "head", "list", "table", "quote", "div"):
        out.append("\n\n")
    if node.tail and node.getparent() is not None:
        out.append(_SPACES.sub(" ", node.tail.replace("\n", " ")))


def xml_text(body: _Element | None) -> str:
    if body is None:
        return ""
    parts: list[str] = []
    _xml_walk(body, parts)
    pieces = "".join(parts).split("\x00")
    for i in range(0, len(pieces), 2):  # even pieces are prose, odd ones code
        lines = (line.strip() for line in pieces[i].split("\n"))
        pieces[i] = _BLANKS.sub("\n\n", "\n".join(lines))
    return "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip()).strip()


def _trafilatura_body(html: str | _Element, favor_precision: bool, fast: bool) -> _Element | None:
    """trafilatura without comments, tables kept. It copies a tree it is given, so `html` stays as it was."""
    import trafilatura

    document = trafilatura.bare_extraction(html, include_comments=False, include_tables=True, include_images=False,
                                           favor_precision=favor_precision, with_metadata=False, fast=fast)
    return document.body if document is not None else None


def by_trafilatura(html: str | _Element, favor_precision: bool = True) -> str:
    """trafilatura's full cascade; favour precision: readability is the recall-heavy partner."""
    return xml_text(_trafilatura_body(html, favor_precision, fast=False))


# trafilatura's own threshold (settings.cfg MIN_EXTRACTED_SIZE): shorter output sends it to its fallbacks
_MIN_EXTRACTED_CHARS = 250


def _thin(body: _Element | None, text: str, readable: str) -> bool:
    """Whether trafilatura's full cascade could differ from its fast pass: the cases in which its compare_extraction
    swaps in readability or justext (own text short, readability's over twice as long, no paragraph text, more
    tables than paragraphs). Tested against our own readability text, which that comparison would recompute."""
    if body is None or len(text) < _MIN_EXTRACTED_CHARS or 2 * len(text) < len(readable):
        return True
    return not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))


def precise_candidate(html: str | _Element, readable: str) -> str:
    """trafilatura's text at the cost of its fast pass on most pages: the full cascade (which runs readability
    and justext again) only when the fast result is thin next to `readable`."""
    body = _trafilatura_body(html, True, fast=True)
    text = xml_text(body)
    return by_trafilatura(html) if _thin(body, text, readable) else text


# --- resiliparse (optional fast path) -------------------------------------------------------------------------------

def by_resiliparse(html: str) -> str:
    """resiliparse's main-content text: ~10x faster, slightly lower F1 (bench/RESULTS.md)."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True, alt_texts=False, preserve_formatting=True,
                              list_bullets=True, links=False, noscript=False, comments=False)


def by_get_text(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n", strip=True)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def bag(text: str) -> Counter[str]:
    return Counter(words(text))


# --- choosing per page ----------------------------------------------------------------------------------------------

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
# Text that marks a block as page furniture rather than article: consent banners, log-in walls, share bars, bylines
# of photos, breadcrumbs. Word-bounded, case-folded; a marker only counts against a block that the other extractor
# did not also keep. 'related' only as a label that opens the block ('Related: …', 'Related stories'): in a sentence
# ('facts related to X include:') it is prose.
_BOILERPLATE = re.compile(
    r"\b(?:cookies?|consent|privacy policy|terms of (?:use|service)|log ?in|sign (?:in|up)|subscribe|subscription"
    r"|newsletter|advertisement|sponsored|all rights reserved|copyright|share (?:this|on)|follow us"
    r"|read more|you may also like|recommended|getty images|breadcrumb|skip to)\b|\b(?:photo|image|credit)s?:|©"
    r"|^\W*related\b")


_CREDIT = re.compile(r"\bgetty images\b|\b(?:photo|image|credit)s?:|©")
# a time of day or a year: a short block that has one before the body is a dateline ('Published 11:34 PM EST Nov 19')
_DATELINE = re.compile(r"\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b")


# a credit line: 'Photo illustration by Slate. Photo by David Dyer-Bennet.'
_CREDIT_LINE = re.compile(r"\b(?:photo(?:graph)?s?|images?|illustration)(?: illustration)? by\b", re.IGNORECASE)
_JOINERS = frozenset({"and", "by", "of", "the", "de", "van", "von", "und", "et", "y", "for"})


def _byline(text: str) -> bool:
    """A short block of names ('Lisa Kaczke and Trevor J. Mitchell, Sioux Falls Argus Leader') or a photo credit:
    every word capitalised but for joiners, or a 'Photo by' line. Asked only of blocks before the body."""
    if _CREDIT_LINE.search(text):
        return True
    words = [w for w in _WORD.findall(text) if not w.isdigit()]
    return bool(words) and all(w[0].isupper() or w.casefold() in _JOINERS for w in words)


@dataclass
class Knobs:
    """Thresholds of `choose`, kept together so the bench can show what each one does."""

    agree: float = 0.7  # a block is agreed when this share of its shingles is in the other extractor's text
    min_words: int = 25  # fewer words than this from an extractor means it found nothing
    # An unagreed block (one extractor only) needs this many words; 'mid' blocks sit between agreed blocks, 'edge'
    # blocks before the first or after the last. Bylines, dates and photo credits are short; embedded posts and
    # paragraphs the other extractor dropped are long.
    r_mid: int = 0
    r_edge: int = 60
    # a readability-only run before the body: a standfirst, a caption, a byline. Mozilla's reader view keeps them, the
    # article benchmark's annotators leave them out (bench/RESULTS.md, issue 18): 60 follows the latter
    r_pre: int = 60
    t_mid: int = 10
    t_edge: int = 60
    drop_markers: bool = True  # an unagreed block with a boilerplate marker goes
    # A credit or share line drops its whole run of unagreed blocks (the caption beside a 'Photo: X, AP'), unless the
    # run holds a table or a block of prose_words or more.
    marker_drops_run: bool = True
    drop_caps: bool = True  # an unagreed all-capitals block is a teaser headline or a section label
    keep_tables: bool = True  # an unagreed table between agreed blocks stays, however short
    repeat_words: int = 50  # a repeated block this long is content (a repeated paragraph), not a caption
    prose_words: int = 60
    title_words: int = 20  # a first agreed block shorter than this is a title: blocks after it are not 'mid' yet
    edge_block: int = 20  # a run of unagreed edge blocks needs one block this long (not a list of teasers)
    repeat_min: int = 5  # a repeat of a block shorter than this is kept (a list of 'link' items, not a caption)
    # Mozilla's reader view keeps a standfirst or lead caption that sits inside the element holding the whole body
    # (the lowest common ancestor of the first and last agreed blocks of body_words or more); with `container` such a
    # readability-only block before the body is judged as one between agreed blocks (bylines, datelines and gallery
    # captions still go). Off: it lifts the 37 Mozilla pages and costs the held-out article benchmark, whose
    # annotators leave the same blocks out (bench/RESULTS.md, issue 18 round 4).
    container: bool = False
    body_words: int = 15
    inner_credits: bool = True  # with `container`: a lone lead caption inside that element keeps its photo credit
    r_inner: int = 5  # such a run needs this many words


def _shingles_of(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 4:
        return {tuple(tokens)} if tokens else set()
    return set(zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False))


@dataclass
class _Block:
    text: str
    key: str  # the words, case-folded: equal keys are repeats (gallery captions)
    shingles: set[tuple[str, ...]]
    words: int
    agreed: float = 0.0


def _blocks(text: str) -> list[_Block]:
    out = []
    for part in _PARAGRAPHS.split(text):
        tokens = _WORD.findall(part.casefold())
        if tokens:
            out.append(_Block(part.strip(), " ".join(tokens), _shingles_of(tokens), len(tokens)))
    return out


def _agreement(blocks: list[_Block], other: set[tuple[str, ...]]) -> float:
    """Word-weighted share of `blocks` that the other text also holds; sets each block's own share."""
    total = agreed = 0.0
    for block in blocks:
        block.agreed = len(block.shingles & other) / len(block.shingles) if block.shingles else 1.0
        total += block.words
        agreed += block.words * block.agreed
    return agreed / total if total else 0.0


_NO_TEXT = frozenset({"script", "style", "noscript", "template", "head"})


def _owners(page: _Element, blocks: list[_Block], wanted: list[int]) -> dict[int, _Element]:
    """The element of the page that holds the first words of each wanted block (the owner of its first word), found
    by searching the page's words in document order; a block not found is left out."""
    words: list[str] = []
    owners: list[_Element] = []
    skipping = 0  # depth inside a script, style or the like
    for event, el in iterwalk(page, events=("start", "end")):
        text_of = isinstance(el.tag, str) and el.tag not in _NO_TEXT
        if event == "start":
            if not text_of and isinstance(el.tag, str):
                skipping += 1
            elif not skipping and text_of and el.text:
                for word in _WORD.findall(el.text.casefold()):
                    words.append(word)
                    owners.append(el)
            continue
        if not text_of and isinstance(el.tag, str):
            skipping -= 1
        parent = el.getparent()
        if not skipping and el.tail and parent is not None:
            for word in _WORD.findall(el.tail.casefold()):
                words.append(word)
                owners.append(parent)
    joined = " " + " ".join(words) + " "
    starts = [0] * len(words)  # offset in `joined` of the space before each word
    offset = 0
    for n, word in enumerate(words):
        starts[n] = offset
        offset += len(word) + 1
    found: dict[int, _Element] = {}
    for i in wanted:
        at = joined.find(" " + " ".join(blocks[i].key.split(" ")[:8]) + " ")
        if at >= 0:
            found[i] = owners[bisect.bisect_left(starts, at)]
    return found


def _in_container(page: _Element, blocks: list[_Block], ok: list[bool], candidates: list[int],
                  body_words: int) -> set[int]:
    """Which of `candidates` (readability-only blocks before the body) sit inside the page's element that holds the
    body: the lowest common ancestor of the first and last agreed blocks of `body_words` or more (in document order
    every block between those two sits inside it too). <body> or <html> holds everything, so it is no container."""
    ends = [i for i, b in enumerate(blocks) if ok[i] and b.words >= body_words]
    if not ends:
        return set()
    found = _owners(page, blocks, [ends[0], ends[-1], *candidates])
    if ends[0] not in found or ends[-1] not in found:
        return set()
    first = found[ends[0]]
    first_up = {first, *first.iterancestors()}
    last = found[ends[-1]]
    container = next((el for el in (last, *last.iterancestors()) if el in first_up), None)
    if container is None or container.tag in ("body", "html"):
        return set()
    return {i for i in candidates if i in found and any(el is container for el in found[i].iterancestors())}


def _span(ok: list[bool], blocks: list[_Block] | None = None, title_words: int = 0) -> tuple[int, int]:
    first, last = ok.index(True), len(ok) - 1 - ok[::-1].index(True)
    if blocks is not None and blocks[first].words < title_words and first < last:
        first = ok.index(True, first + 1)  # a short first agreed block is a title: the body starts after it
    return first, last


def choose(readable: Readable, precise: str, knobs: Knobs | None = None, page: _Element | None = None) -> str:
    """Merge readability's and trafilatura's texts: blocks both keep, in readability's order, plus the blocks only
    one of them keeps when they are long enough for where they sit and carry no boilerplate marker. A block repeated
    more often than the other extractor repeats it (a caption under every photo) is kept once, unless it is under
    `repeat_min` words (list items, labels). Thresholds: `Knobs`, tuned on the article benchmark's dev half and the
    37 readability pages (bench/RESULTS.md, issue 18)."""
    knobs = knobs or Knobs()
    r_text = readable.text
    rb, tb = _blocks(r_text), _blocks(precise)
    r_words, t_words = sum(b.words for b in rb), sum(b.words for b in tb)
    if t_words < knobs.min_words or r_words < knobs.min_words:
        return r_text if r_words >= t_words else precise
    r_all = set().union(*(b.shingles for b in rb))
    t_all = set().union(*(b.shingles for b in tb))
    r_in_t, t_in_r = _agreement(rb, t_all), _agreement(tb, r_all)
    r_ok = [b.agreed >= knobs.agree for b in rb]
    t_ok = [b.agreed >= knobs.agree for b in tb]
    if max(r_in_t, t_in_r) < knobs.agree or not any(r_ok) or not any(t_ok):  # different blocks: pick one
        return precise if readable.link_share > 0.3 or t_words > r_words else r_text
    r_first, r_last = _span(r_ok, rb, knobs.title_words)
    pre = [i for i in range(r_first) if not r_ok[i]]
    inner: set[int] = set()  # of `pre`: inside the element that holds the body, so judged as between agreed blocks
    if knobs.container and pre and page is not None:
        inner = _in_container(page, rb, r_ok, pre, knobs.body_words)
    # a caption readability has twice (a gallery's full and shortened captions, or its every slide) is not a lead's
    gallery = {i for i in inner if rb[i].shingles and any(
        j != i and len(rb[i].shingles & b.shingles) >= 0.5 * len(rb[i].shingles) for j, b in enumerate(rb))}
    t_first, t_last = _span(t_ok, tb, knobs.title_words)
    # trafilatura-only blocks go after the readability block that holds the agreed block before them
    inserts: dict[int, list[tuple[_Block, bool]]] = {}
    where: dict[tuple[str, ...], int] = {}  # shingle -> the first readability block that holds it
    for i, block in enumerate(rb):
        for sh in block.shingles:
            where.setdefault(sh, i)
    anchor = -1
    for j, block in enumerate(tb):
        if t_ok[j]:
            anchor = max((where[sh] for sh in block.shingles if sh in where), default=anchor)
        else:
            inserts.setdefault(anchor, []).append((block, not t_first < j < t_last))
    t_counts = Counter(b.key for b in tb)
    r_counts = Counter(b.key for b in rb)
    seen: Counter[str] = Counter()
    out: list[str] = []
    run: list[_Block] = []  # consecutive unagreed blocks, judged together: a table's rows, not one row
    run_need = 0
    run_mid = True  # every block of the run sits between agreed blocks

    emitted: set[tuple[str, ...]] = set()

    def fresh(block: _Block, other_counts: Counter[str], agreed: bool) -> bool:
        """False for a repeat beyond what the other extractor has (a caption under every photo)."""
        seen[block.key] += 1
        if block.words < knobs.repeat_min:
            return True
        if not agreed and block.shingles and len(block.shingles & emitted) >= 0.5 * len(block.shingles):
            return False  # a near-copy of what is already out: the same caption rendered twice
        return block.words >= knobs.repeat_words or seen[block.key] <= max(1, other_counts[block.key])

    credits = [i for i in inner if _CREDIT.search(rb[i].text.casefold())]
    credited = {id(rb[i]) for i in inner} if knobs.inner_credits and len(credits) == 1 else set()

    def furniture(block: _Block) -> bool:
        text = block.text.casefold()
        if id(block) in credited:  # a caption inside the article's container keeps its photo credit
            text = _CREDIT.sub(" ", text)
        return bool((knobs.drop_markers and _BOILERPLATE.search(text))
                    or (knobs.drop_caps and block.text.isupper()))

    def flush() -> None:
        nonlocal run
        marked = [furniture(b) for b in run]
        kept = [b for b, m in zip(run, marked, strict=True) if not m]
        table = knobs.keep_tables and run_mid and any(" | " in b.text for b in kept)
        # a credit or share line marks its run as furniture (a caption beside its credit), unless the run holds a
        # table or a paragraph of prose
        if knobs.marker_drops_run and any(marked) and not table and max(b.words for b in run) < knobs.prose_words:
            kept = []
        teasers = not run_mid and kept and max(b.words for b in kept) < knobs.edge_block
        if table or (sum(b.words for b in kept) >= run_need and not teasers):
            out.extend(b.text for b in kept)
            emitted.update(*(b.shingles for b in kept))
        run = []

    def extra(block: _Block, other_counts: Counter[str], need: int, mid: bool) -> None:
        nonlocal run_need, run_mid
        if fresh(block, other_counts, False):
            run_need = need if not run else max(run_need, need)
            run_mid = mid if not run else run_mid and mid
            run.append(block)

    for block, edge in inserts.get(-1, []):
        extra(block, r_counts, knobs.t_edge if edge else knobs.t_mid, not edge)
    for i, block in enumerate(rb):
        if r_ok[i]:
            flush()
            if fresh(block, t_counts, True):
                out.append(block.text)
                emitted.update(block.shingles)
        elif i in inner:  # before the body, inside its container: a caption or standfirst, judged on its own run
            if run and not run_mid:
                flush()
            if i not in gallery and (block.words >= knobs.title_words
                                     or not (_DATELINE.search(block.text) or _byline(block.text))):
                extra(block, t_counts, knobs.r_inner, True)
        else:
            mid = r_first < i < r_last
            if inner and i < r_first and run and run_mid:
                flush()
            extra(block, t_counts, knobs.r_mid if mid else knobs.r_pre if i < r_first else knobs.r_edge, mid)
        if inserts.get(i):
            flush()
        for block_t, edge in inserts.get(i, []):
            extra(block_t, r_counts, knobs.t_edge if edge else knobs.t_mid, not edge)
        if inserts.get(i):
            flush()
    flush()
    return "\n\n".join(out)


def headings_unlinked(tree: _Element) -> _Element:
    """A copy of the page for readability with the links inside headings unwrapped (their text stays). readability-lxml
    drops every h1-h6 with over a third of its text in links (its `sanitize`), the linked, numbered titles of a
    listicle among them; Readability.js, which it ports and whose output is Mozilla's reader view, keeps them. Our
    output is text, so the link itself loses nothing."""
    page = copy.deepcopy(tree)
    for heading in page.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        strip_tags(heading, "a")
    return page


_TITLE_TEXT = XPath("//head/title//text()")
_TITLE_META = XPath('//meta[@property="og:title"]/@content | //meta[@name="twitter:title"]/@content')


def title_keys(tree: _Element) -> list[str]:
    """The page's own titles (<title>, og:title, twitter:title) as case-folded word keys. Over the whole tree: on
    broken pages the parser moves meta tags, or the whole head, into the body."""
    found = ["".join(_TITLE_TEXT(tree)), *_TITLE_META(tree)]
    keys = (" ".join(_WORD.findall(str(title).casefold())) for title in found)
    return [key for key in keys if key]


_HEADINGS = XPath("//h1 | //h2")


def heading_keys(tree: _Element) -> set[str]:
    """The page's h1 and h2 texts as case-folded word keys: Readability.js asks whether a heading repeats the title,
    never a paragraph (a question's first line can share most of a Stack Overflow title's words)."""
    keys = (" ".join(_WORD.findall("".join(h.itertext()).casefold())) for h in _HEADINGS(tree))
    return {key for key in keys if key}


def similar_to_title(key: str, title: str) -> float:
    """Readability.js's textSimilarity(title, heading): 1 less the share of the heading's characters (its words
    joined by spaces) in words the title does not have. 'MathJax v3 beta: MathML input, HTML output test' under the
    title 'MathJax v3 with MathML input and HTML output' scores 0.8; Readability.js drops a heading over 0.75."""
    words = key.split(" ")
    title_words = set(title.split(" "))
    return 1 - len(" ".join(w for w in words if w not in title_words)) / len(key)


def without_title(text: str, titles: list[str], headings: Collection[str] = (), min_chars: int = 12,
                  similar: float = 0.75) -> str:
    """`text` less its first block when that block is one of the page's titles, or a run of a title's words of
    `min_chars` or more (a <title> often carries ' | Site name' or a kicker), or one of the page's h1/h2 `headings`
    that Readability.js would call the same as a title (`similar_to_title`, `min_chars` or more).
    Both references leave the headline out (Readability.js drops a heading that repeats the title; the article
    benchmark's articleBody has none), and the HTML reader offers {title} and {h1} to the instruction instead."""
    first, _, rest = text.partition("\n\n")
    key = " ".join(_WORD.findall(first.casefold()))
    if rest and key and any(key == title or len(key) >= min_chars and (
            f" {key} " in f" {title} " or key in headings and similar_to_title(key, title) > similar)
                            for title in titles):
        return rest
    return text


def merged(html: str, knobs: Knobs | None = None) -> str:
    """`extractor: auto`: one parse for both extractors (a deep copy of the tree costs a fraction of a parse;
    readability drops hidden elements from the tree it gets, trafilatura copies what it gets), then `choose`.
    readability's copy has its heading links unwrapped (`headings_unlinked`); a first block that is the page's title
    goes (`without_title`)."""
    import trafilatura

    tree = trafilatura.load_html(html)
    if tree is None:  # not HTML to trafilatura: each extractor parses the string its own way
        readable = _readable(html)
        return choose(readable, precise_candidate(html, readable.text), knobs)
    readable = _readable(headings_unlinked(tree))
    text = choose(readable, precise_candidate(tree, readable.text), knobs, page=tree)
    return without_title(text, title_keys(tree), heading_keys(tree))


def main_text(html: str, extractor: str = "auto") -> str:
    """The page's main content as text; plain page text only when every extractor comes back empty."""
    if extractor == "readability":
        text = by_readability(html)
    elif extractor == "trafilatura":
        text = by_trafilatura(html)
    elif extractor == "resiliparse":
        _installed("resiliparse")
        text = by_resiliparse(html)
    elif extractor == "auto":
        text = merged(html)
    else:
        raise ValueError(f"extractor: unknown {extractor!r}; expected one of {list(EXTRACTORS)}")
    return text or by_get_text(html)
