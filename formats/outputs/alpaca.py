"""Alpaca: one {"instruction", "input", "output"} object per example (plus our id and source); a conversation
adds LLaMA-Factory's `system` and `history` ([[user, assistant], …] before the last exchange) columns."""

from __future__ import annotations

from typing import Any

from formats.example import FIELDS, Example
from formats.outputs.base import OutputFormat


def _convert(example: Example, system: str | None = None) -> dict[str, Any]:
    row = {"instruction": example.instruction, "input": example.input, "output": example.output,
           "id": example.id, "source": example.source}
    if example.is_conversation:
        row |= {"system": example.system, "history": [list(pair) for pair in example.history]}
    return row


def _check(row: dict[str, Any]) -> None:
    for key in FIELDS:
        if not isinstance(row.get(key), str):
            raise ValueError(f"row {row.get('id')}: {key} is not a string")
    if not row["output"].strip() or not row["instruction"].strip():
        raise ValueError(f"row {row.get('id')}: empty instruction or output")
    history = row.get("history", [])
    if not all(len(pair) == 2 and all(isinstance(t, str) and t.strip() for t in pair) for pair in history):
        raise ValueError(f"row {row.get('id')}: history must be [user, assistant] pairs of non-empty text")


FORMAT = OutputFormat(
    name="alpaca", convert=_convert, check=_check,
    llamafactory={"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input", "response": "output"}},
    axolotl={"type": "alpaca"},
    conversation_columns={"system": "", "history": []},
    conversation_llamafactory={"columns": {"system": "system", "history": "history"}})
