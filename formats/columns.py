"""Map a raw row (CSV record, SQL row, JSON object) onto instruction / input / output."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from formats.example import FIELDS
from formats.sources import ColumnRef, Columns


def as_text(value: Any) -> str:
    """Cells arrive as str, numbers, None or NaN; the record wants plain text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def referenced(columns: Columns) -> list[str]:
    """Every input column a mapping reads (constants excluded)."""
    names: list[str] = []
    for ref in (columns.instruction, columns.input, columns.output):
        if isinstance(ref, str):
            names.append(ref)
        elif isinstance(ref, list):
            names.extend(ref)
    return names


def missing_columns(columns: Columns, available: Iterable[str], optional: Iterable[str] = ("input",)) -> list[str]:
    """Mapped columns that the source does not have; the default `input` column may be absent."""
    have = set(available)
    missing = []
    for field in FIELDS:
        ref = getattr(columns, field)
        names = [ref] if isinstance(ref, str) else ref if isinstance(ref, list) else []
        for name in names:
            if name not in have and not (field in optional and ref == Columns().input):
                missing.append(name)
    return missing


def resolve(row: Mapping[str, Any], ref: ColumnRef | None) -> str:
    if ref is None:
        return ""
    if isinstance(ref, str):
        return as_text(row.get(ref))
    if isinstance(ref, list):
        return "\n\n".join(t for t in (as_text(row.get(name)) for name in ref) if t.strip())
    return ref["const"]


def map_row(row: Mapping[str, Any], columns: Columns) -> tuple[str, str, str]:
    return (resolve(row, columns.instruction), resolve(row, columns.input), resolve(row, columns.output))


def record_mapper(columns: Columns, header: list[str]) -> Callable[[list[str]], tuple[str, str, str]]:
    """A mapper for positional records (CSV) that resolves column names to indexes once, not per row."""
    def getter(ref: ColumnRef | None) -> Callable[[list[str]], str]:
        if ref is None or (isinstance(ref, str) and ref not in header):
            return lambda record: ""  # the optional default `input` column is absent
        if isinstance(ref, str):
            index = header.index(ref)
            return lambda record: record[index]
        if isinstance(ref, list):
            indexes = [header.index(name) for name in ref]
            return lambda record: "\n\n".join(t for t in (record[i] for i in indexes) if t.strip())
        constant = ref["const"]
        return lambda record: constant

    get_instruction, get_input, get_output = (getter(columns.instruction), getter(columns.input),
                                              getter(columns.output))
    return lambda record: (get_instruction(record), get_input(record), get_output(record))
