"""Readers turn one configured source into a stream of Examples (and Rejects for bad rows)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from formats.example import Example, Reject
from formats.sources import CsvSource, HtmlSource, JsonlSource, SqlSource

Record = Example | Reject


def read_source(spec: HtmlSource | CsvSource | SqlSource | JsonlSource, base_dir: Path) -> Iterator[Record]:
    """Dispatch on the source kind. Row-level problems come back as Rejects; source-level ones raise."""
    if isinstance(spec, CsvSource):
        from formats.readers.csv_reader import read_csv
        return read_csv(spec, base_dir)
    if isinstance(spec, JsonlSource):
        from formats.readers.jsonl_reader import read_jsonl
        return read_jsonl(spec, base_dir)
    if isinstance(spec, SqlSource):
        from formats.readers.sql_reader import read_sql
        return read_sql(spec, base_dir)
    from formats.readers.html_reader import read_html
    return read_html(spec, base_dir)
