"""The source kinds: each reader module declares one `SourceKind` (config model, read, input files, checks);
config validation, dispatch and the cache all derive from `SOURCE_KINDS`. A new kind is one module plus one
line here (docs/extending.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import Field

from formats import cancel
from formats.example import FIELDS, Example, Reject
from formats.limits import LimitExceeded, Limits, enter, leave, using
from formats.readers import csv_reader, html_reader, jsonl_reader, sql_reader
from formats.sources import Record, SourceKind

SOURCE_KINDS: dict[str, SourceKind] = {kind.name: kind for kind in (
    html_reader.KIND,
    csv_reader.KIND,
    sql_reader.KIND,
    jsonl_reader.KIND,
)}

# The config's `sources:` entry: one of the registered models, chosen by its `kind`.
Source = Annotated[Union[tuple(kind.model for kind in SOURCE_KINDS.values())],  # noqa: UP007 - built at run time
                   Field(discriminator="kind")]


def kind_of(spec: Any) -> SourceKind:
    return SOURCE_KINDS[spec.kind]


def read_source(spec: Any, base_dir: Path, limits: Limits | None = None) -> Iterator[Record]:
    """The records of one configured source. Row-level problems come back as Rejects; source-level ones raise.

    The limits hold for every kind: a field over `max_field_chars` turns its row into a reject (kept with the
    field cut short), more than `max_rows_per_source` records fail the source, and a stop request ends the read.
    """
    return _limited(kind_of(spec).read(spec, base_dir), spec.name, limits or Limits())


_SHOWN_CHARS = 2000  # what a reject keeps of an oversized field


def _oversized(example: Example, limit: int) -> Reject | None:
    if len(example.instruction) <= limit and len(example.input) <= limit and len(example.output) <= limit:
        return None  # the common case, without building a list per row
    long = [name for name in FIELDS if len(getattr(example, name)) > limit]
    if not long:
        return None
    row = example.to_dict()
    for name in long:
        row[name] = row[name][:_SHOWN_CHARS] + f"… [{len(getattr(example, name))} characters, cut here]"
    detail = ", ".join(f"{name}: {len(getattr(example, name))} characters" for name in long)
    return Reject(example.id, example.source, "ingest", "limit.max_field_chars", f"{detail} > {limit}", row)


def _limited(records: Iterator[Record], source: str, limits: Limits) -> Iterator[Record]:
    count = 0
    try:
        cancel.check()
        token = enter(limits)  # a reader reads its limits when it starts, i.e. inside the first next()
        try:
            record = next(records, None)
        finally:
            leave(token)  # (switching per record cost ~0.5-2.5 µs a row)
        while record is not None:
            count += 1
            if count > limits.max_rows_per_source:
                raise LimitExceeded("max_rows_per_source",
                                    f"{source} has more than {limits.max_rows_per_source} rows")
            if isinstance(record, Example):
                record = _oversized(record, limits.max_field_chars) or record
            yield record
            if not count & 255:
                cancel.check()  # every 256 records: a stop request is seen within milliseconds
            record = next(records, None)
    finally:
        close = getattr(records, "close", None)
        if close:  # a database cursor or an open file goes now, not when the garbage collector gets to it
            with using(limits):
                close()
