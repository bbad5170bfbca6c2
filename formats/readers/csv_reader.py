"""CSV exports: encoding and delimiter detection, streaming, line-precise quarantine of bad rows.

The stdlib `csv` reader is used rather than pandas: it streams, knows the physical line of every
record (quoted fields may span lines), and lets a malformed row be quarantined with its line number
while the rest of the file goes on — pandas' fast parser can only skip or warn.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from formats.columns import missing_columns, record_mapper, referenced
from formats.encoding import detect_encoding
from formats.example import Example, Reject
from formats.limits import current
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


def _records(reader: Any, spec: CsvSource, name: str) -> Iterator[tuple[int, list[str] | Reject]]:
    """(first physical line, fields) per record; a field over the size limit becomes a reject and the file
    goes on at the next record (the csv module resumes there)."""
    start = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            line, start = start + 1, reader.line_num
            rule = "limit.max_field_chars" if "field limit" in str(err) else "bad-csv-row"
            yield line, Reject.raw(spec.name, f"{name}:{line}", rule, f"line {line}: {err} (limits.max_field_chars)"
                                   if rule.startswith("limit") else f"line {line}: {err}", {})
            continue
        line, start = start + 1, reader.line_num
        yield line, record


def read_csv(spec: CsvSource, base_dir: Path) -> Iterator[Example | Reject]:
    path = base_dir / spec.path
    name = Path(spec.path).as_posix()  # relative to the config file, as written: unique within the source
    if path.stat().st_size == 0:
        yield Reject.raw(spec.name, name, "empty-file", f"{name}: the file is empty (0 bytes)", {"file": str(path)})
        return
    encoding = detect_encoding(path) if spec.encoding == "auto" else spec.encoding
    errors_before = _DECODE_ERRORS[0]
    csv.field_size_limit(current().max_field_chars)
    with path.open("r", encoding=encoding, errors="sftcurate-escape", newline="") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        delimiter = _sniff_delimiter(sample) if spec.delimiter == "auto" else spec.delimiter
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise ValueError(f"{name}: the header line cannot be read: {err}") from None
        if header is None:
            yield Reject.raw(spec.name, name, "empty-file", f"{name}: no header line", {"file": str(path)})
            return
        header = [column.strip().lstrip("\ufeff") for column in header]
        missing = [c for c in spec.thread.columns() if c not in header] if spec.thread else \
            missing_columns(spec.columns, header)
        if missing:
            raise ValueError(f"{name}: column(s) {missing} not found; the file has {header}")
        used = spec.thread.columns() if spec.thread else referenced(spec.columns)
        repeated = sorted({c for c in used if header.count(c) > 1})
        if repeated:
            raise ValueError(f"{name}: the header names column(s) {repeated} more than once; rename them in the "
                             "file so the mapping is unambiguous")
        width = len(header)
        mapper = record_mapper(spec.columns, header)
        threads = ThreadCollector(spec.name, spec.thread) if spec.thread else None
        rows = 0
        for line, record in _records(reader, spec, name):
            locator = f"{name}:{line}"
            if isinstance(record, Reject):
                rows += 1
                yield record
                continue
            if len(record) != width:
                if not any(cell.strip() for cell in record):
                    continue  # blank line: not a row
                rows += 1
                yield Reject.raw(spec.name, locator, "bad-csv-row",
                                 f"line {line}: {len(record)} fields, header has {width}",
                                 {"fields": [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                                             for c in record]})
                continue
            rows += 1
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
        if rows == 0:
            yield Reject.raw(spec.name, name, "empty-file", f"{name}: a header and no rows", {"header": header})


KIND = SourceKind(model=CsvSource, read=read_csv, input_files=lambda spec: [spec.path],
                  check=lambda spec, base_dir: file_problems("path", base_dir, spec.path))
