"""HTML pages (plain or .gz, any charset): Q/A pairs by CSS selectors, or an article's main text.

Pages are parsed, never rendered: nothing is fetched and no script runs.
"""

from __future__ import annotations

import codecs
import glob
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from bs4 import BeautifulSoup, Tag
from bs4.dammit import UnicodeDammit
from pydantic import Field, field_validator

from formats.example import Example, Reject
from formats.html_text import element_text
from formats.main_text import Extractor, main_text
from formats.presets import EXTRACTORS
from formats.sources import SourceBase, SourceKind


class HtmlSource(SourceBase):
    kind: Literal["html"]
    paths: str | list[str] = Field(description="glob(s) of .html / .html.gz files, relative to the config file")
    extract: Literal["qa", "text"] = "qa"
    extractor: Extractor = Field("auto", description="text mode: auto (readability + trafilatura) or one of them")
    selectors: str | dict[str, str] | None = Field(
        None, description="Q/A mode: a preset name or {item, instruction, input, output} CSS selectors")
    instruction: str | None = Field(None, description="text mode: template, e.g. 'Explain {title}'")
    encoding: str = "auto"

    @field_validator("selectors")
    @classmethod
    def _known_selector_keys(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        if isinstance(value, dict):
            unknown = set(value) - {"item", "instruction", "input", "output"}
            if unknown:
                raise ValueError(f"unknown selector key(s) {sorted(unknown)}; expected item, instruction, "
                                 "input, output")
            if "output" not in value or "instruction" not in value:
                raise ValueError("selectors need at least 'instruction' and 'output'")
        return value

# Presets for page shapes that ship with the project; custom selectors work for any other site.
PRESETS: dict[str, dict[str, str]] = {
    "faq": {"item": ".faq-item, details", "instruction": ".question, summary", "output": ".answer"},
}


def page_paths(spec: HtmlSource, base_dir: Path) -> list[Path]:
    found: set[Path] = set()
    for pattern in _patterns(spec):
        found.update(Path(p) for p in glob.glob(str(base_dir / pattern), recursive=True))
    return sorted(p for p in found if p.is_file())


def decode_page(raw: bytes, declared: str = "auto") -> str:
    """Bytes to text: a configured encoding wins, else BOM / <meta charset> / detection (UnicodeDammit)."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if declared != "auto":
        return raw.decode(declared)
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):  # a byte-order mark outranks whatever the markup says
            return raw.decode(codec)
    dammit = UnicodeDammit(raw, known_definite_encodings=["utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise ValueError("could not determine the page's character encoding")
    return dammit.unicode_markup


def _qa_examples(spec: HtmlSource, soup: BeautifulSoup, page: str) -> Iterator[Example | Reject]:
    if isinstance(spec.selectors, str) and spec.selectors in EXTRACTORS:
        for index, (instruction, context, output) in enumerate(EXTRACTORS[spec.selectors](soup)):
            yield Example.from_fields(spec.name, f"{page}#{index}", instruction, context, output)
        return
    selectors = PRESETS[spec.selectors] if isinstance(spec.selectors, str) else spec.selectors or {}
    items: list[Tag] = soup.select(selectors["item"]) if selectors.get("item") else [soup]
    for index, item in enumerate(items):
        locator = f"{page}#{index}"
        instruction = element_text(item.select_one(selectors["instruction"]))
        context = element_text(item.select_one(selectors["input"])) if selectors.get("input") else ""
        output = element_text(item.select_one(selectors["output"]))
        yield Example.from_fields(spec.name, locator, instruction, context, output)


def _text_example(spec: HtmlSource, html: str, page: str, path: Path) -> Example:
    """Text mode: the article's main content is the output; the instruction comes from the config's template."""
    soup = BeautifulSoup(html, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    fields = {"title": title, "h1": h1.get_text(" ", strip=True) if h1 else title, "url": path.name}
    return Example.from_fields(spec.name, f"{page}#0", (spec.instruction or "{title}").format(**fields), "",
                               main_text(html, spec.extractor))


def read_html(spec: HtmlSource, base_dir: Path) -> Iterator[Example | Reject]:
    paths = page_paths(spec, base_dir)
    if not paths:
        raise FileNotFoundError(f"no pages match {spec.paths!r} under {base_dir}")
    for path in paths:
        page = path.name
        try:
            html = decode_page(path.read_bytes(), spec.encoding)
        except (OSError, ValueError, LookupError, EOFError) as err:
            yield Reject.raw(spec.name, page, "bad-page", f"{page}: {err}", {"file": str(path)})
            continue
        if spec.extract == "text":
            yield _text_example(spec, html, page, path)
        else:
            yield from _qa_examples(spec, BeautifulSoup(html, "lxml"), page)


def _patterns(spec: HtmlSource) -> list[str]:
    return [spec.paths] if isinstance(spec.paths, str) else list(spec.paths)


def _check(spec: HtmlSource, base_dir: Path) -> list[str]:
    problems = []
    if not any(glob.glob(str(base_dir / p), recursive=True) for p in _patterns(spec)):
        problems.append(f"paths: no file matches {spec.paths!r} under {base_dir}")
    if spec.extract == "text" and not spec.instruction:
        problems.append("instruction: text mode needs an instruction template, e.g. 'Summarise the article {title}'")
    if spec.extract == "qa" and not spec.selectors:
        problems.append("selectors: Q/A mode needs a preset name or CSS selectors")
    presets = sorted({*PRESETS, *EXTRACTORS})
    if isinstance(spec.selectors, str) and spec.selectors not in presets:
        problems.append(f"selectors: unknown preset {spec.selectors!r}; presets: {presets}")
    return problems


KIND = SourceKind(model=HtmlSource, read=read_html, input_files=_patterns, check=_check)
