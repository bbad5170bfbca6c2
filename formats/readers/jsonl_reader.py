"""JSONL and JSON-array (Alpaca style, with LLaMA-Factory's `system`/`history` columns) files; ShareGPT
`conversations` and OpenAI `messages` rows become conversations (formats/conversation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson
from pydantic import Field

from formats import cancel
from formats.columns import map_row, missing_columns
from formats.conversation import conversation_example
from formats.example import Example, Reject
from formats.limits import current
from formats.outputs import CHAT_SHAPES
from formats.sources import Columns, SourceBase, SourceKind, file_problems


class JsonlSource(SourceBase):
    kind: Literal["jsonl"]
    path: str = Field(description=".jsonl, or a .json array (Alpaca style)")
    columns: Columns = Columns()

def _turns(row: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The (role, text) turns of a chat row in any registered spelling (ShareGPT, OpenAI messages), with a
    top-level `system` field (LLaMA-Factory's sharegpt column) first; None for a row that is not a chat."""
    shape = next((shape for shape in CHAT_SHAPES if isinstance(row.get(shape.turns), list)), None)
    if shape is None:
        return None
    turns = []
    if isinstance(row.get("system"), str) and row["system"].strip():
        turns.append(("system", row["system"]))
    for index, turn in enumerate(row[shape.turns]):
        if not isinstance(turn, dict):
            raise ValueError(f"turn {index} is not an object")
        role = next((turn[s.role] for s in CHAT_SHAPES if s.role in turn), "")
        text = next((turn[s.content] for s in CHAT_SHAPES if s.content in turn), None)
        turns.append((str(role), text))
    return turns


def _history(row: dict[str, Any]) -> list[list[str]]:
    """LLaMA-Factory's alpaca `history`: [[user, assistant], …] before the row's own exchange."""
    history = row.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(t, str) and t.strip() for t in p)
            for p in history):
        raise ValueError("history is not a list of [user, assistant] text pairs")
    return [list(pair) for pair in history]


class LineTooLong(ValueError):
    """One JSONL line over limits.max_page_bytes: skipped without holding it in memory."""


def _lines(handle: BinaryIO, limit: int) -> Iterator[bytes | LineTooLong]:
    """The file's lines, each read up to `limit` bytes: a 2 GB line is skipped in 1 MiB steps, never held."""
    while line := handle.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while rest := handle.readline(1 << 20):
                cancel.check()
                size += len(rest)
                if rest.endswith(b"\n"):
                    break
            yield LineTooLong(f"{size} bytes > limits.max_page_bytes ({limit})")
            continue
        yield line


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    if head.startswith(b"[") and path.suffix != ".jsonl":  # in a .jsonl file "[" starts a (bad) line
        limit = current().max_page_bytes
        if path.stat().st_size > limit:  # a JSON array is parsed whole: it must fit in memory
            raise ValueError(f"{path.name}: a JSON array of {path.stat().st_size} bytes is more than "
                             f"limits.max_page_bytes ({limit}); write it as JSONL (one object a line) or raise "
                             "the limit")
        try:
            rows = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as err:
            raise ValueError(f"{path.name}: not valid JSON ({err})") from err
        for index, row in enumerate(rows, 1):
            yield index, row if isinstance(row, dict) else ValueError("array item is not an object")
        return
    with path.open("rb") as handle:
        for line_no, line in enumerate(_lines(handle, current().max_page_bytes), 1):
            if isinstance(line, Exception):
                yield line_no, line
                continue
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                yield line_no, ValueError(f"invalid JSON: {err}")
                continue
            yield line_no, row if isinstance(row, dict) else ValueError("line is not a JSON object")


def read_jsonl(spec: JsonlSource, base_dir: Path) -> Iterator[Example | Reject]:
    path = (base_dir / spec.path)
    name = Path(spec.path).as_posix()  # relative to the config file, as written: unique within the source
    is_array = path.suffix == ".json"
    unit = "item" if is_array else "line"
    rows = 0
    for number, row in _rows(path):
        rows += 1
        locator = f"{name}:{number}"
        if isinstance(row, Exception):
            rule = "limit.max_page_bytes" if isinstance(row, LineTooLong) else "bad-json"
            yield Reject.raw(spec.name, locator, rule, f"{unit} {number}: {row}", {"file": str(path)})
            continue
        try:
            turns = _turns(row)
            if turns is not None:
                yield conversation_example(spec.name, locator, turns)
                continue
            missing = missing_columns(spec.columns, row.keys())
            if missing:
                raise ValueError(f"missing field(s) {missing}; the row has {sorted(row)}")
            instruction, context, output = map_row(row, spec.columns)
            example = Example.from_fields(spec.name, locator, instruction, context, output)
            example.history = _history(row)
            system = row.get("system")
            example.system = system if isinstance(system, str) else ""
        except (ValueError, AttributeError, TypeError) as err:
            yield Reject.raw(spec.name, locator, "bad-row", f"{unit} {number}: {err}", row)
            continue
        yield example
    if rows == 0:
        yield Reject.raw(spec.name, name, "empty-file", f"{name}: no rows (the file is empty or blank)",
                         {"file": str(path)})


KIND = SourceKind(model=JsonlSource, read=read_jsonl, input_files=lambda spec: [spec.path],
                  check=lambda spec, base_dir: file_problems("path", base_dir, spec.path))
