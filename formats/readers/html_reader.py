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

from formats import cancel
from formats.example import Example, Reject
from formats.html_text import element_text
from formats.limits import LimitExceeded, current
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


_CHUNK = 1 << 20
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class PageRefused(ValueError):
    """One page is not read; `rule` is the reject's rule id (a limit's or `binary-page`)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


def read_page_bytes(path: Path, max_bytes: int) -> bytes:
    """The page's bytes, gunzipped in chunks: stops at `max_bytes` decompressed bytes, so a gzip bomb costs one
    chunk over the limit (gzip.decompress would inflate all of it first), and a stop request ends it between
    chunks."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    parts, size = [], 0
    with (gzip.open(path, "rb") if compressed else path.open("rb")) as handle:
        while chunk := handle.read(_CHUNK):
            cancel.check()
            size += len(chunk)
            if size > max_bytes:
                what = "decompresses to" if compressed else "is"
                raise PageRefused("limit.max_page_bytes", f"{what} more than {max_bytes} bytes (limits.max_page_bytes)")
            parts.append(chunk)
    return b"".join(parts)


def looks_binary(raw: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB (UTF-16/32 pages with a BOM have NULs and are text)."""
    head = raw[:8192]
    if not head or head.startswith(_BOMS):
        return False
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return b"\x00" in head or controls > len(head) // 20


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


def page_locator(path: Path, base_dir: Path) -> str:
    """The page's path relative to the config file: `a/faq.html` and `b/faq.html` are different pages."""
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def read_html(spec: HtmlSource, base_dir: Path) -> Iterator[Example | Reject]:
    """Every page is accounted for: its rows, or one reject saying why it gave none."""
    paths = page_paths(spec, base_dir)
    if not paths:
        raise FileNotFoundError(f"no pages match {spec.paths!r} under {base_dir}")
    limits = current()
    source_bytes = 0
    for path in paths:
        page = page_locator(path, base_dir)
        remaining = limits.max_source_bytes - source_bytes
        try:
            raw = read_page_bytes(path, min(limits.max_page_bytes, remaining))
            source_bytes += len(raw)
            if len(raw) > limits.max_parse_bytes:
                raise PageRefused("limit.max_parse_bytes",
                                  f"{len(raw)} bytes > {limits.max_parse_bytes} (limits.max_parse_bytes)")
            html = decode_page(raw, spec.encoding)
            if looks_binary(raw):
                raise PageRefused("binary-page", "binary data (NUL or control bytes), not an HTML page")
        except PageRefused as err:
            if err.rule == "limit.max_page_bytes" and remaining < limits.max_page_bytes:
                raise LimitExceeded("max_source_bytes", f"{spec.name}: its pages decompress to more than "
                                    f"{limits.max_source_bytes} bytes in all (stopped at {page})") from None
            yield Reject.raw(spec.name, page, err.rule, f"{page}: {err}", {"file": str(path)})
            continue
        except (OSError, ValueError, LookupError, EOFError) as err:
            yield Reject.raw(spec.name, page, "bad-page", f"{page}: {err}", {"file": str(path)})
            continue
        if spec.extract == "text":
            yield _text_example(spec, html, page, path)
            continue
        found = False
        for record in _qa_examples(spec, BeautifulSoup(html, "lxml"), page):
            found = True
            yield record
        if not found:
            yield Reject.raw(spec.name, page, "no-items",
                             f"{page}: no element matches the selectors {spec.selectors!r}", {"file": str(path)})


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
