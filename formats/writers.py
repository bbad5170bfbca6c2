"""Writers: atomic JSONL files in the shapes trainers read (Alpaca, OpenAI messages, ShareGPT)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from formats.example import Example
from formats.outputs import OUTPUT_FORMATS

_UMASK = os.umask(0o022)
os.umask(_UMASK)


class OutputSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dir: str = "out"
    format: str = Field("alpaca", description="one of the registered output formats (formats/outputs/)")
    extra_formats: list[str] = Field(
        default_factory=list, description="also write these formats, each in its own subfolder (out/<format>/)")
    val_fraction: float = Field(0.02, ge=0, lt=1)
    seed: int = 0
    system_prompt: str | None = Field(None, description="messages/sharegpt: optional system turn")
    name: str = Field("sft_curated", pattern=r"^[A-Za-z0-9_.-]+$", description="dataset name in trainer configs")
    license: str | None = Field(None, description="licence of the curated dataset, for the dataset card")

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in OUTPUT_FORMATS:
            raise ValueError(f"unknown format {value!r}; one of {', '.join(OUTPUT_FORMATS)}")
        return value

    @field_validator("extra_formats")
    @classmethod
    def _known_formats(cls, values: list[str]) -> list[str]:
        for value in values:
            cls._known_format(value)
        return values


def format_folders(settings: OutputSettings, out_dir: Path) -> list[tuple[str, Path]]:
    """(format, folder) for every format written: the main one in the output folder, extras in out/<format>/."""
    extras = [f for f in dict.fromkeys(settings.extra_formats) if f != settings.format]
    return [(settings.format, out_dir)] + [(fmt, out_dir / fmt) for fmt in extras]


def converted(examples: Iterable[Example], fmt: str, system: str | None,
              conversations: bool = False) -> Iterable[dict[str, Any]]:
    """Rows in the shape of `fmt`, each checked as a trainer would read it. With `conversations` (the dataset
    holds at least one), every row carries the format's conversation columns, so a file has one schema."""
    output = OUTPUT_FORMATS[fmt]
    for ex in examples:
        row = output.convert(ex, system)
        if conversations:
            for key, empty in output.conversation_columns.items():
                row.setdefault(key, empty)
        output.check(row)
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


def in_val(group: str, fraction: float, seed: int) -> bool:
    """Whether a row of this group goes to val: a hash of the group below `fraction`."""
    if fraction <= 0:
        return False
    bucket = int.from_bytes(hashlib.blake2b(f"{seed}:{group}".encode(), digest_size=8).digest(), "big")
    return bucket / 2**64 < fraction


def split_train_val(examples: list[Example], fraction: float, seed: int,
                    group_of: Callable[[Example], str] | None = None) -> tuple[list[Example], list[Example]]:
    """Deterministic split by a hash of the row's group (its id unless a group is given), so the same
    row always lands on the same side and members of one group never straddle the split."""
    if fraction <= 0:
        return list(examples), []
    train, val = [], []
    for ex in examples:
        (val if in_val(group_of(ex) if group_of else ex.id, fraction, seed) else train).append(ex)
    return train, val
