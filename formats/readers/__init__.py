"""The source kinds: each reader module declares one `SourceKind` (config model, read, input files, checks);
config validation, dispatch and the cache all derive from `SOURCE_KINDS`. A new kind is one module plus one
line here (docs/extending.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import Field

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


def read_source(spec: Any, base_dir: Path) -> Iterator[Record]:
    """The records of one configured source. Row-level problems come back as Rejects; source-level ones raise."""
    return kind_of(spec).read(spec, base_dir)
