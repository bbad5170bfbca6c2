"""Alpaca: one {"instruction", "input", "output"} object per example (plus our id and source)."""

from __future__ import annotations

from typing import Any

from formats.example import FIELDS, Example
from formats.outputs.base import OutputFormat


def _convert(example: Example, system: str | None = None) -> dict[str, Any]:
    return {"instruction": example.instruction, "input": example.input, "output": example.output,
            "id": example.id, "source": example.source}


def _check(row: dict[str, Any]) -> None:
    for key in FIELDS:
        if not isinstance(row.get(key), str):
            raise ValueError(f"row {row.get('id')}: {key} is not a string")
    if not row["output"].strip() or not row["instruction"].strip():
        raise ValueError(f"row {row.get('id')}: empty instruction or output")


FORMAT = OutputFormat(
    name="alpaca", convert=_convert, check=_check,
    llamafactory={"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input", "response": "output"}},
    axolotl={"type": "alpaca"})
