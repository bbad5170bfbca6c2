"""CSV exports: encoding and delimiter detection, streaming, line-precise quarantine of bad rows.

The stdlib `csv` reader is used rather than pandas: it streams, knows the physical line of every
record (quoted fields may span lines), and lets a malformed row be quarantined with its line number
while the rest of the file goes on — pandas' fast parser can only skip or warn.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from formats.columns import missing_columns, record_mapper
from formats.encoding import detect_encoding
from formats.example import Example, Reject
from formats.sources import Columns, SourceBase, SourceKind, file_problems
from formats.threads import Thread, ThreadCollector, only_one_mapping


class CsvSource(SourceBase):
    kind: Literal["csv"]
    path: str
    encoding: str = "auto"
    delimiter: str = "auto"
    columns: Columns = Columns()
    thread: Thread | None = Field(None, description="one row per message: group rows into conversations")
    chunk_rows: int = Field(50_000, gt=0)

    _one_mapping = model_validator(mode="after")(only_one_mapping)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that did not decode, kept by errors="surrogateescape"
_DECODE_ERRORS = [0]


def _count_and_escape(error: UnicodeDecodeError) -> tuple[str, int]:
    """surrogateescape that also counts: rows only need the (slower) check once the file has had a bad byte."""
    _DECODE_ERRORS[0] += 1
    return codecs.lookup_error("surrogateescape")(error)


codecs.register_error("sftcurate-escape", _count_and_escape)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(spec: CsvSource, base_dir: Path) -> Iterator[Example | Reject]:
    path = base_dir / spec.path
    encoding = detect_encoding(path) if spec.encoding == "auto" else spec.encoding
    errors_before = _DECODE_ERRORS[0]
    with path.open("r", encoding=encoding, errors="sftcurate-escape", newline="") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        delimiter = _sniff_delimiter(sample) if spec.delimiter == "auto" else spec.delimiter
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip().lstrip("\ufeff") for name in header]
        missing = [c for c in spec.thread.columns() if c not in header] if spec.thread else \
            missing_columns(spec.columns, header)
        if missing:
            raise ValueError(f"{path.name}: column(s) {missing} not found; the file has {header}")
        width = len(header)
        mapper = record_mapper(spec.columns, header)
        threads = ThreadCollector(spec.name, spec.thread) if spec.thread else None
        name = path.name
        start = reader.line_num
        for record in reader:
            line = start + 1
            start = reader.line_num
            locator = f"{name}:{line}"
            if len(record) != width:
                if not any(cell.strip() for cell in record):
                    continue  # blank line: not a row
                yield Reject.raw(spec.name, locator, "bad-csv-row",
                                 f"line {line}: {len(record)} fields, header has {width}",
                                 {"fields": [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                                             for c in record]})
                continue
            if _DECODE_ERRORS[0] != errors_before and _UNDECODED.search("".join(record)):
                yield Reject.raw(spec.name, locator, "undecodable-bytes",
                                 f"line {line}: bytes not valid in {encoding}",
                                 {k: v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                                  for k, v in zip(header, record, strict=True)})
                continue
            if threads is not None:
                threads.add(dict(zip(header, record, strict=True)), locator)
                continue
            instruction, context, output = mapper(record)
            yield Example.from_fields(spec.name, locator, instruction, context, output)
    if threads is not None:
        yield from threads.examples()


KIND = SourceKind(model=CsvSource, read=read_csv, input_files=lambda spec: [spec.path],
                  check=lambda spec, base_dir: file_problems("path", base_dir, spec.path))
