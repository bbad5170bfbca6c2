"""Writers: atomic JSONL files in the shapes trainers read (Alpaca, OpenAI messages, ShareGPT)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from formats.example import Example

Format = Literal["alpaca", "messages", "sharegpt"]
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class OutputSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dir: str = "out"
    format: Format = "alpaca"
    extra_formats: list[Format] = Field(
        default_factory=list, description="also write these formats, each in its own subfolder (out/<format>/)")
    val_fraction: float = Field(0.02, ge=0, lt=1)
    seed: int = 0
    system_prompt: str | None = Field(None, description="messages/sharegpt: optional system turn")
    name: str = Field("sft_curated", pattern=r"^[A-Za-z0-9_.-]+$", description="dataset name in trainer configs")
    license: str | None = Field(None, description="licence of the curated dataset, for the dataset card")


def format_folders(settings: OutputSettings, out_dir: Path) -> list[tuple[str, Path]]:
    """(format, folder) for every format written: the main one in the output folder, extras in out/<format>/."""
    extras = [f for f in dict.fromkeys(settings.extra_formats) if f != settings.format]
    return [(settings.format, out_dir)] + [(fmt, out_dir / fmt) for fmt in extras]


def _user_text(ex: Example) -> str:
    return f"{ex.instruction}\n\n{ex.input}" if ex.input else ex.instruction


def to_alpaca(ex: Example, system: str | None = None) -> dict[str, Any]:
    return {"instruction": ex.instruction, "input": ex.input, "output": ex.output, "id": ex.id,
            "source": ex.source}


def to_messages(ex: Example, system: str | None = None) -> dict[str, Any]:
    turns = [{"role": "system", "content": system}] if system else []
    turns += [{"role": "user", "content": _user_text(ex)}, {"role": "assistant", "content": ex.output}]
    return {"messages": turns, "id": ex.id, "source": ex.source}


def to_sharegpt(ex: Example, system: str | None = None) -> dict[str, Any]:
    turns = [{"from": "system", "value": system}] if system else []
    turns += [{"from": "human", "value": _user_text(ex)}, {"from": "gpt", "value": ex.output}]
    return {"conversations": turns, "id": ex.id, "source": ex.source}


CONVERTERS: dict[str, Callable[[Example, str | None], dict[str, Any]]] = {
    "alpaca": to_alpaca, "messages": to_messages, "sharegpt": to_sharegpt}
_ROLES = {"messages": ("role", "content", "user", "assistant"), "sharegpt": ("from", "value", "human", "gpt")}


def check_row(row: dict[str, Any], fmt: str) -> None:
    """Refuse a row a trainer would choke on: empty output, non-string fields, turns that do not alternate
    user/assistant or do not end with the assistant. A failure here is a bug upstream, so it raises."""
    if fmt == "alpaca":
        for key in ("instruction", "input", "output"):
            if not isinstance(row.get(key), str):
                raise ValueError(f"row {row.get('id')}: {key} is not a string")
        if not row["output"].strip() or not row["instruction"].strip():
            raise ValueError(f"row {row.get('id')}: empty instruction or output")
        return
    role_key, content_key, user, assistant = _ROLES[fmt]
    turns = row["messages" if fmt == "messages" else "conversations"]
    roles = [t[role_key] for t in turns if t[role_key] != "system"]
    if not all(isinstance(t[content_key], str) and t[content_key].strip() for t in turns):
        raise ValueError(f"row {row.get('id')}: a turn is empty or not a string")
    if not roles or roles[-1] != assistant or any(r != (user, assistant)[i % 2] for i, r in enumerate(roles)):
        raise ValueError(f"row {row.get('id')}: turns must alternate {user}/{assistant} and end with {assistant}")


def converted(examples: Iterable[Example], fmt: str, system: str | None) -> Iterable[dict[str, Any]]:
    convert = CONVERTERS[fmt]
    for ex in examples:
        row = convert(ex, system)
        check_row(row, fmt)
        yield row


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A temp file beside the target, renamed over it when the block ends without error: readers never see half
    a file, and a failed write leaves the old one in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs should read like any file the user writes
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_file(path) as handle:
        handle.write(data)


def atomic_write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """One JSON object a line, streamed: a million rows never sit in memory as one bytes object."""
    count = 0
    with atomic_file(path) as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")
            count += 1
    return count


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


def split_train_val(examples: list[Example], fraction: float, seed: int,
                    group_of: Callable[[Example], str] | None = None) -> tuple[list[Example], list[Example]]:
    """Deterministic split by a hash of the row's group (its id unless a group is given), so the same
    row always lands on the same side and members of one group never straddle the split."""
    if fraction <= 0:
        return list(examples), []
    train, val = [], []
    for ex in examples:
        group = group_of(ex) if group_of else ex.id
        bucket = int.from_bytes(hashlib.blake2b(f"{seed}:{group}".encode(), digest_size=8).digest(), "big")
        (val if bucket / 2**64 < fraction else train).append(ex)
    return train, val
