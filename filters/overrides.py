"""Overrides: a person's decisions after reading the report, as data. `keep` re-admits rows a filter dropped (and
protects them from the later corpus steps); `drop` removes kept rows. The file comes from report.html's ticks.

Applied after the shards are merged, so a re-run reuses every cached shard; each override is in the ledger as the
reason (`override.keep` flags the row, `override.drop` rejects it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import RowView, set_meta, take

READMIT_STAGES = ("repair", "slop", "noise")  # shard-stage rejects hold the whole row as it was when dropped


class OverrideIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep: list[str] = Field(default_factory=list, description="ids of rejected rows to keep")
    drop: list[str] = Field(default_factory=list, description="ids of kept rows to drop")


class OverrideSettings(OverrideIds):
    file: str | None = Field(None, description="an overrides.yaml from report.html (relative to the config)")

    @model_validator(mode="before")
    @classmethod
    def _a_path_alone(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value


def load_overrides(settings: OverrideSettings, base_dir: Path) -> OverrideIds:
    """The config's ids plus the file's; a file that is not keep/drop lists of ids raises ValueError."""
    ids = OverrideIds(keep=list(settings.keep), drop=list(settings.drop))
    if settings.file:
        path = base_dir / settings.file
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            found = OverrideIds.model_validate(data)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as err:
            raise ValueError(f"{path}: not an overrides file (keep: [ids], drop: [ids]): {err}") from err
        ids.keep += found.keep
        ids.drop += found.drop
    both = sorted(set(ids.keep) & set(ids.drop))
    if both:
        raise ValueError(f"ids both kept and dropped: {both[:5]}")
    return ids


class OverrideStep:
    """First of the corpus steps: re-admit `keep` rows from the ledger, drop `drop` rows."""

    name, label = "override", "overrides"

    def __init__(self, settings: OverrideSettings, base_dir: Path) -> None:
        ids = load_overrides(settings, base_dir)
        self.keep, self.drop = set(ids.keep), set(ids.drop)

    def rule_ids(self) -> list[str]:
        return ["override.keep", "override.not-trainable"] * bool(self.keep) + ["override.drop"] * bool(self.drop)

    def apply(self, rows: Sequence[Example], ledger: Ledger) -> Sequence[Example]:
        back = ledger.readmit(self.keep, READMIT_STAGES)
        rows = rows.with_rows(back) if isinstance(rows, RowView) else [*rows, *back]
        kept = []
        for index, row in enumerate(rows):
            if row.id in self.drop:
                ledger.drop(row, self.name, "override.drop", "ticked for dropping in the overrides", "override")
                continue
            if not row.instruction.strip() or not row.output.strip():  # the writers would refuse it
                ledger.drop(row, self.name, "override.not-trainable", "kept by the overrides, but it has no "
                            "instruction or no output: a trainer cannot use it", "override")
                continue
            if row.id in self.keep:
                set_meta(rows, index, row, override="keep")  # formats.step.run_steps holds it out of later steps
                ledger.flag(row, self.name, "override.keep", "override")  # adds to the same meta: it lasts too
            kept.append(index)
        return take(rows, kept)
