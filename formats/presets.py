"""Page-shape presets for Q/A extraction that need more than CSS selectors.

A preset takes a parsed page and yields (instruction, input, output) triples; `selectors: <name>` in a config
picks one. Custom CSS selectors (formats/readers/html_reader.py) still work for any other site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bs4 import BeautifulSoup, Tag

from formats.html_text import element_text

Extractor = Callable[[BeautifulSoup], Iterator[tuple[str, str, str]]]
_BODY = ".js-post-body, .post-text, .s-prose"


def _votes(answer: Tag) -> int:
    count = answer.select_one(".js-vote-count, [itemprop=upvoteCount], .vote-count-post")
    if count is None:
        return 0
    raw = count.get("data-value") or count.get_text(strip=True)
    try:
        return int(str(raw).replace(",", ""))
    except ValueError:
        return 0


def stackoverflow(soup: BeautifulSoup) -> Iterator[tuple[str, str, str]]:
    """A Stack Exchange question page: title → instruction, question body → input, the accepted answer (or, where
    none is accepted, the top-voted one; the first of equals) → output. Code stays as Markdown fences."""
    for notice in soup.select("aside, .s-notice, .post-notice, .js-post-notice, .question-status"):
        notice.decompose()  # "Locked.", "This question already has answers here" — site chrome, not content
    title = soup.select_one("#question-header h1 a.question-hyperlink, #question-header h1, h1 a.question-hyperlink")
    question = soup.select_one("#question")
    body = question.select_one(_BODY) if question else None
    answers = soup.select("div.answer[id^=answer-], div.answer[data-answerid]")
    accepted = [a for a in answers if "accepted-answer" in (a.get("class") or [])
                or a.get("itemprop") == "acceptedAnswer"]
    chosen = accepted[0] if accepted else max(answers, key=_votes, default=None)
    answer_body = chosen.select_one(_BODY) if chosen else None
    yield element_text(title), element_text(body), element_text(answer_body)


EXTRACTORS: dict[str, Extractor] = {"stackoverflow": stackoverflow}
