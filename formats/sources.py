"""What every source kind shares: the base of its config model, the column mapping, and `SourceKind`, the
one object a reader module declares so that config validation, dispatch and the cache can derive from it.

Unknown keys are refused (`extra="forbid"`) so a typo fails before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from formats.example import Example, Reject

Record = Example | Reject

# A column mapping value: a column name, several columns joined by a blank line, or a constant.
ColumnRef = str | list[str] | dict[Literal["const"], str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(Strict):
    """Which input columns/fields become instruction, input and output."""

    instruction: ColumnRef = "instruction"
    input: ColumnRef | None = "input"
    output: ColumnRef = "output"


class Sample(Strict):
    """How much of a source the dataset takes, after filtering and dedup (filters/mix.py)."""

    weight: float | None = Field(None, gt=0, description="share of the final dataset (set on every source or none)")
    max_rows: int | None = Field(None, gt=0, description="keep at most this many of the source's rows")


class SourceBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short id used in provenance and reports")
    license: str | None = None
    sample: Sample | None = Field(None, description="mixing: a cap and/or a target share of the dataset")




def _nothing_to_show(spec: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SourceKind:
    """One kind of source (`kind: <name>` in the config), declared once by its reader module.

    - `model`: the pydantic model of a `sources:` entry; its `kind` field is a one-value Literal naming the kind.
    - `read(spec, base_dir)`: the records; row problems come back as Rejects, source problems raise.
    - `input_files(spec)`: glob patterns (relative to the config file) whose bytes decide what is read, for the
      cache; None when the source is a server that is read on every run.
    - `check(spec, base_dir)`: problems found on disk before any work, each "key: message" with the key
      relative to the entry (`path: file not found: …`).
    - `summary(spec)`: what the report may show of the entry beyond its name and kind (never a secret).
    """

    model: type[SourceBase]
    read: Callable[[Any, Path], Iterator[Record]]
    input_files: Callable[[Any], list[str] | None]
    check: Callable[[Any, Path], list[str]]
    summary: Callable[[Any], dict[str, Any]] = _nothing_to_show

    @property
    def name(self) -> str:
        return get_args(self.model.model_fields["kind"].annotation)[0]


def file_problems(key: str, base_dir: Path, path: str) -> list[str]:
    """The check of a kind that reads one file."""
    return [] if (base_dir / path).is_file() else [f"{key}: file not found: {base_dir / path}"]
