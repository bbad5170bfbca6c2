"""Main-text extraction (issue 18): the merge of readability and trafilatura, the extractor: config key, the split."""

from __future__ import annotations

import gzip
import json
import sys

import pytest
from pydantic import ValidationError

from formats.example import Example
from formats.main_text import (
    Knobs,
    Readable,
    by_readability,
    by_trafilatura,
    choose,
    headings_unlinked,
    main_text,
    precise_candidate,
    readability_candidate,
    similar_to_title,
    without_title,
)
from formats.readers import read_source
from formats.readers.html_reader import HtmlSource
from tests.conftest import ROOT

PROSE = ("The council voted on Tuesday to rebuild the old harbour wall after two winters of storm damage. "
         "Engineers said the new wall would be three metres higher and faced with local granite. ")


def _paragraph(n: int) -> str:
    return (f"Paragraph {n} of the report. " + PROSE * 2).strip()


ARTICLE = """<html><head><title>Harbour wall</title></head><body>
<nav><a href="/">Home</a> &gt; <a href="/news">News</a> &gt; <a href="/news/local">Local</a></nav>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies or manage consent.</div>
<article><h1>Harbour wall to be rebuilt</h1>
{paras}
<figure><img src="a.jpg" alt="Kit Water"><figcaption>The wall after the storm.</figcaption></figure>
<img src="b.jpg" alt="Kit Water">
<pre><code class="language-python">def height(m):
    return m + 3
</code></pre>
<ul><li>Cost: four million pounds for the whole project</li><li>Start: next spring, weather permitting</li></ul>
<table><tr><th>Year</th><th>Storms</th></tr><tr><td>2023</td><td>7</td></tr></table>
{more}
</article>
<aside><h3>Related</h3><ul><li><a href="/x">Another story</a></li><li><a href="/y">And another</a></li></ul></aside>
<footer>Copyright 2024 Harbour News. All rights reserved.</footer>
</body></html>"""


def _page() -> str:
    return ARTICLE.format(paras="".join(f"<p>{_paragraph(i)}</p>" for i in range(4)),
                         more="".join(f"<p>{_paragraph(i)}</p>" for i in range(4, 8)))


@pytest.mark.parametrize("extractor,table", [("auto", True), ("readability", False), ("trafilatura", True)])
def test_article_text_keeps_code_lists_tables_and_drops_alt_text_and_furniture(extractor, table):
    """readability alone drops a two-row table; the merge takes it from trafilatura."""
    text = main_text(_page(), extractor)
    for n in range(8):
        assert f"Paragraph {n} of the report" in text, (extractor, n)
    assert "Kit Water" not in text
    assert "return m + 3" in text and "Start: next spring" in text
    assert ("2023 | 7" in text) is table
    assert "All rights reserved" not in text and "Another story" not in text
    # readability alone keeps the cookie banner above the article; the merge drops it (trafilatura does not hold it)
    assert ("cookies" in text) is (extractor == "readability")


def test_auto_keeps_code_block_fenced():
    text = main_text(_page())
    assert "```" in text and "def height(m):\n    return m + 3" in text


HIDDEN = '<div hidden><p>{}</p></div><div style="display: none"><p>{}</p></div>'.format(
    "Hidden paragraph that readability drops from the tree it is given. " * 3,
    "A second hidden paragraph, styled out of view and never meant to be read. " * 3)


LINKED_TITLE = '<h2><a href="/storms">Storm damage</a> in numbers</h2>'


@pytest.mark.parametrize("page", [_page(), _page().replace("<article>", "<article>" + HIDDEN),
                                  _page().replace("<ul>", LINKED_TITLE + "<ul>")])
def test_one_parse_gives_what_two_parses_gave(page):
    """The shared tree (readability drops hidden elements from its copy, whose heading links are unwrapped) changes
    nothing against parsing the page a second time for readability."""
    import trafilatura

    second = headings_unlinked(trafilatura.load_html(page))
    assert main_text(page) == choose(readability_candidate(second), by_trafilatura(page))
    if LINKED_TITLE in page:
        assert "Storm damage in numbers" in main_text(page) and "Storm damage" not in by_readability(page)


def test_trafilatura_full_cascade_runs_only_when_its_fast_pass_is_thin(monkeypatch):
    import formats.main_text as main_text_module

    full_runs: list[str] = []

    def full(html, favor_precision=True):
        full_runs.append(html)
        return by_trafilatura(html, favor_precision)

    monkeypatch.setattr(main_text_module, "by_trafilatura", full)
    page = _page()
    readable = readability_candidate(page).text
    assert "Paragraph 7 of the report" in precise_candidate(page, readable) and not full_runs  # fast pass enough
    short = "<html><body><article><p>One short line of text.</p></article></body></html>"
    assert precise_candidate(short, readable) == by_trafilatura(short) and full_runs == [short]  # under 250 chars
    assert precise_candidate(page, readable * 3) and len(full_runs) == 2  # readability's text over twice as long


def test_text_that_is_not_html_still_comes_back():
    assert "just a line of words" in main_text("just a line of words")


def _texts(*blocks: str) -> str:
    return "\n\n".join(blocks)


def test_choose_takes_agreed_blocks_and_an_embedded_post_only_trafilatura_kept():
    body = [_paragraph(i) for i in range(6)]
    post = ("Interesting to see the new stadium lights running at full power tonight, the whole bay is lit up "
            "and people are out on the pier watching")
    readable = Readable(_texts(*body), 0.0)
    precise = _texts(*body[:3], post, *body[3:])
    merged = choose(readable, precise)
    assert merged.split("\n\n") == [*body[:3], post, *body[3:]]


def test_choose_drops_bylines_credits_and_repeated_captions_only_readability_kept():
    body = [_paragraph(i) for i in range(6)]
    caption = "Engineers inspect the damaged harbour wall in the rain on Monday morning."
    readable = Readable(_texts("Jane Doe, Ap Staff Writer", *body[:2], caption, caption, "Photo: John Roe, AP",
                               *body[2:], "Share this article"), 0.0)
    merged = choose(readable, _texts(*body)).split("\n\n")
    assert merged.count(caption) <= 1
    assert "Photo: John Roe, AP" not in merged and "Share this article" not in merged
    assert "Jane Doe, Ap Staff Writer" not in merged  # short, before the first agreed block
    assert [b for b in merged if b.startswith("Paragraph")] == body


def test_choose_drops_a_caption_with_its_credit_but_not_a_paragraph_beside_a_credit():
    body = [_paragraph(i) for i in range(6)]
    caption = ("Engineers inspect the damaged harbour wall in the rain on Monday morning, two days after the "
               "second storm of the winter broke through the old sea defences")
    extra = " ".join([PROSE] * 3)  # a paragraph of prose (over 60 words) only readability kept
    merged = choose(Readable(_texts(*body[:3], caption, "Photo: John Roe, AP", *body[3:]), 0.0), _texts(*body))
    assert caption not in merged  # the credit marks the caption beside it as furniture too
    merged = choose(Readable(_texts(*body[:3], extra, "Photo: John Roe, AP", *body[3:]), 0.0), _texts(*body))
    assert extra.strip() in merged and "Photo: John Roe" not in merged


def test_choose_related_marks_a_label_not_a_sentence_that_uses_the_word():
    body = [_paragraph(i) for i in range(6)]
    lead_in = "Additional facts related to harbour walls include:"  # prose that introduces the next paragraph
    label = "Related: Harbour wall to be rebuilt"  # a link to another story
    merged = choose(Readable(_texts(*body[:3], lead_in, *body[3:]), 0.0), _texts(*body)).split("\n\n")
    assert merged == [*body[:3], lead_in, *body[3:]]
    merged = choose(Readable(_texts(*body[:3], label, *body[3:]), 0.0), _texts(*body)).split("\n\n")
    assert merged == body


def test_auto_keeps_the_linked_titles_of_a_listicle_that_readability_lxml_drops():
    films = ["Lady Bird", "Get Out", "The Square"]
    sections = "".join(f'<h3>{n}) <a href="/films/{n}">{film}</a></h3><p>{_paragraph(n)}</p>'
                       for n, film in enumerate(films, 1))
    page = (f"<html><head><title>Best films</title></head><body><article><h1>The best films of the year</h1>"
            f"<p>{_paragraph(0)}</p>{sections}</article></body></html>")
    assert "Lady Bird" not in by_readability(page)  # readability-lxml drops headings that are mostly link text
    titles = [block for block in main_text(page).split("\n\n") if block[:2] in ("1)", "2)", "3)")]
    assert titles == ["1) Lady Bird", "2) Get Out", "3) The Square"]
    assert all(_paragraph(n) in main_text(page) for n in range(4))


def test_the_first_block_goes_when_it_is_the_page_title_and_only_then():
    body = _texts(_paragraph(0), _paragraph(1))
    titles = ["harbour wall to be rebuilt harbour news", "harbour wall to be rebuilt"]
    assert without_title(_texts("Harbour wall to be rebuilt", body), titles) == body
    assert without_title(_texts("Harbour Wall To Be Rebuilt!", body), titles[:1]) == body  # before ' | Site name'
    assert without_title(_texts("Harbour", body), titles[:1]) == _texts("Harbour", body)  # a word of it is not it
    assert without_title(_texts("Storm damage in numbers", body), titles) == _texts("Storm damage in numbers", body)
    assert without_title("Harbour wall to be rebuilt", titles) == "Harbour wall to be rebuilt"  # never empties
    page = _page().replace("<title>Harbour wall</title>", "<title>Harbour wall to be rebuilt | Harbour News</title>")
    assert not main_text(page).startswith("Harbour wall") and main_text(_page()).startswith("Harbour wall to be")


def test_a_heading_readability_js_would_call_the_title_goes_and_a_paragraph_like_it_stays():
    title = "mathjax v3 with mathml input and html output"  # Mozilla's mathjax test page
    heading = "MathJax v3 beta: MathML input, HTML output test"
    key = "mathjax v3 beta mathml input html output test"
    assert similar_to_title(key, title) == pytest.approx(0.8)
    body = _texts(_paragraph(0), _paragraph(1))
    assert without_title(_texts(heading, body), [title], {key}) == body  # an h1 of the page
    assert without_title(_texts(heading, body), [title]) == _texts(heading, body)  # the same words, not a heading
    lede = "Input and output of MathJax v3 changed in every beta since the summer."
    assert without_title(_texts(lede, body), [title], {key}) == _texts(lede, body)  # shares words, is not the title


def test_a_questions_first_line_that_shares_the_titles_words_stays(devdata):
    page = gzip.decompress(next((devdata / "html" / "stackoverflow").glob("*2003505*")).read_bytes()).decode()
    assert main_text(page).startswith("I want to delete a branch both locally and remotely.")


def test_the_mathjax_page_loses_its_heading_as_in_mozillas_reader_view(devdata):
    page = (devdata / "html" / "readability" / "mathjax" / "source.html").read_text(encoding="utf-8")
    text = main_text(page)
    assert not text.startswith("MathJax v3 beta") and text.startswith("When")
    assert "there are two solutions to" in text


def test_choose_a_title_both_keep_does_not_make_the_byline_under_it_body_text():
    body = [_paragraph(i) for i in range(6)]
    readable = Readable(_texts("Harbour wall to be rebuilt", "Jane Doe, Harbour News Staff Writer",
                               "Updated 5:27 am, Wednesday, November 20, 2019", *body), 0.0)
    merged = choose(readable, _texts("Harbour wall to be rebuilt", *body)).split("\n\n")
    assert merged == ["Harbour wall to be rebuilt", *body]


def test_choose_drops_a_list_of_teasers_after_the_article_but_keeps_a_last_paragraph():
    body = [_paragraph(i) for i in range(6)]
    teasers = [f"Story {n}: the council plans {n} new things for the town" for n in range(8)]  # 10 words each
    merged = choose(Readable(_texts(*body, *teasers), 0.0), _texts(*body))
    assert merged == _texts(*body)
    last = " ".join([PROSE] * 3)
    assert choose(Readable(_texts(*body, last), 0.0), _texts(*body)).endswith(last.strip())


def test_choose_keeps_short_repeated_list_items():
    body = [_paragraph(i) for i in range(4)]
    readable = Readable(_texts(*body[:2], "Links", *["link"] * 5, *body[2:]), 0.0)
    assert choose(readable, _texts(*body[:2], "Links", *body[2:])).split("\n\n").count("link") == 5


def test_choose_keeps_readability_when_trafilatura_found_a_fragment():
    body = [_paragraph(i) for i in range(10)]
    assert choose(Readable(_texts(*body), 0.0), body[0] + " tiny") == _texts(*body)
    assert choose(Readable("", 0.0), _texts(*body)) == _texts(*body)


def test_choose_keeps_a_repeated_long_paragraph_both_extractors_hold():
    body = [_paragraph(i) for i in range(4)]
    readable = Readable(_texts(body[0], body[1], body[1], body[2], body[3]), 0.0)
    assert choose(readable, _texts(*body)).split("\n\n").count(body[1]) == 2  # long: content, not a caption


def _spec(**extra) -> HtmlSource:
    return HtmlSource(name="p", kind="html", paths="*.html", extract="text", instruction="Explain {title}", **extra)


def test_extractor_key_chooses_the_extractor(tmp_path):
    (tmp_path / "a.html").write_text(_page(), encoding="utf-8")
    outputs = {}
    for extractor in ("auto", "readability", "trafilatura"):
        records = list(read_source(_spec(extractor=extractor), tmp_path))
        assert len(records) == 1 and isinstance(records[0], Example)
        outputs[extractor] = records[0].output
    assert all("Paragraph 7 of the report" in text for text in outputs.values())
    assert outputs["readability"] != outputs["trafilatura"]  # really two different extractors


def test_unknown_extractor_is_a_config_error_naming_the_key():
    with pytest.raises(ValidationError, match="extractor"):
        _spec(extractor="boilerpipe")


def test_missing_resiliparse_is_a_config_error_naming_the_key(monkeypatch):
    monkeypatch.setitem(sys.modules, "resiliparse", None)  # as if the package were not installed
    with pytest.raises(ValidationError) as err:
        _spec(extractor="resiliparse")
    message = str(err.value)
    assert "extractor" in message and "pip install resiliparse" in message


def test_resiliparse_fast_path_when_installed():
    pytest.importorskip("resiliparse")
    text = main_text(_page(), "resiliparse")
    assert "Paragraph 7 of the report" in text and "Kit Water" not in text


def test_article_split_is_frozen_disjoint_and_complete(devdata):
    sys.path.insert(0, str(ROOT / "bench" / "extract"))
    from make_split import split

    truth = json.loads((devdata / "html" / "article_benchmark" / "ground-truth.json").read_text(encoding="utf-8"))
    frozen = json.loads((ROOT / "bench" / "extract" / "split.json").read_text(encoding="utf-8"))
    assert split(list(truth)) == {"dev": frozen["dev"], "heldout": frozen["heldout"]}
    assert not set(frozen["dev"]) & set(frozen["heldout"])
    assert set(frozen["dev"]) | set(frozen["heldout"]) == set(truth)


STANDFIRST = ("What the council decided about the harbour wall, what it will cost the town and why the engineers "
              "chose local granite this time.")  # 22 words
BYLINE, DATELINE = "Jane Doe and John Smith, Harbour News", "Published 11:34 PM, Nov 19, 2019"


def _standfirst_page(inside: bool) -> str:
    head = f"<header><p>{STANDFIRST}</p><p>{BYLINE}</p><p>{DATELINE}</p></header>"
    body = "".join(f"<p>{_paragraph(i)}</p>" for i in range(6))
    article = f"<article><div>{head}{body}</div></article>" if inside else (
        f"<div>{head}</div><article><div>{body}</div></article>")
    return f"<html><head><title>Harbour wall</title></head><body>{article}</body></html>"


@pytest.mark.parametrize("inside", [True, False])
def test_container_rule_keeps_a_standfirst_inside_the_body_element_but_not_its_byline_or_date(inside):
    from lxml import html as lxml_html

    body = [_paragraph(i) for i in range(6)]
    readable = Readable(_texts(STANDFIRST, BYLINE, DATELINE, *body), 0.0)  # readability keeps the header
    precise = _texts(*body)  # trafilatura does not
    tree = lxml_html.fromstring(_standfirst_page(inside))
    on = choose(readable, precise, Knobs(container=True), page=tree).split("\n\n")
    # inside the element that holds the whole body: a standfirst; a byline and a dateline are never body
    assert on == ([STANDFIRST] if inside else []) + body
    assert choose(readable, precise, Knobs(), page=tree) == choose(readable, precise) == _texts(*body)  # default off


def test_container_rule_on_mozillas_medicalnewstoday_page_keeps_its_standfirst(devdata):
    import trafilatura

    page = (devdata / "html" / "readability" / "medicalnewstoday" / "source.html").read_text(encoding="utf-8")
    tree = trafilatura.load_html(page)
    readable = readability_candidate(headings_unlinked(tree))
    precise = precise_candidate(tree, readable.text)
    standfirst = "Neuroscience tells us that most of the work done by our brains"
    assert standfirst not in choose(readable, precise, page=tree)
    assert standfirst in choose(readable, precise, Knobs(container=True), page=tree)
