"""The one record every stage passes along, and the ledger entries that explain what happened to it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

FIELDS = ("instruction", "input", "output")


def make_id(source: str, locator: str) -> str:
    """A stable id from where a row came from: same source + locator gives the same id on every run."""
    digest = hashlib.blake2b(f"{source}\x1f{locator}".encode(), digest_size=8).hexdigest()
    return f"{source}-{digest}"


def context_of(system: str, history: list[list[str]]) -> str:
    """A conversation's system prompt and earlier turns, without role labels ("" for a single-turn row): what
    dedup, decontamination and the size stats count besides the last exchange."""
    return "\n".join([system, *(text for pair in history for text in pair)]) if system or history else ""


@dataclass(slots=True)
class Example:
    """One instruction/input/output example with its provenance; a conversation is one Example too.

    `meta` carries at least `locator` (file:line, page#element, table key) so every output row
    and ledger entry can be traced to its origin. A conversation keeps its last exchange in instruction/output
    (the user's last turn and the reply to it), the exchanges before it in `history` as [user, assistant] pairs
    (LLaMA-Factory's alpaca `history`), and its system prompt in `system`. Single-turn rows have neither, and
    serialise exactly as before.
    """

    id: str
    instruction: str
    input: str
    output: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    system: str = ""
    history: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_fields(cls, source: str, locator: str, instruction: str, input: str, output: str,
                    **meta: Any) -> Example:
        return cls(make_id(source, locator), instruction, input, output, source,
                   {"locator": locator, **meta})

    def to_dict(self) -> dict[str, Any]:
        """A plain dict with its own `meta` (a shallow copy: ~10x faster than dataclasses.asdict's deep copy)."""
        row = {"id": self.id, "instruction": self.instruction, "input": self.input, "output": self.output,
               "source": self.source, "meta": dict(self.meta)}
        if self.system:
            row["system"] = self.system
        if self.history:
            row["history"] = [list(pair) for pair in self.history]
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Example:
        return cls(row["id"], row["instruction"], row["input"], row["output"], row["source"],
                   row.get("meta") or {}, row.get("system") or "", [list(p) for p in row.get("history") or []])

    @property
    def is_conversation(self) -> bool:
        return bool(self.history or self.system)

    def turns(self) -> list[tuple[str, str]]:
        """Every turn in order as (role, text), roles "system", "user", "assistant"; the last user turn holds
        instruction and input as one message (what a chat trainer shows the model)."""
        out = [("system", self.system)] if self.system else []
        for user, assistant in self.history:
            out += [("user", user), ("assistant", assistant)]
        user = f"{self.instruction}\n\n{self.input}" if self.input else self.instruction
        return out + [("user", user), ("assistant", self.output)]

    def text_of(self, field_name: str) -> str:
        """The text a ledger entry's field names: a field, "system", or "turns[i]" (counted without the system
        prompt; a cut "turns[i:]" has no text left in the row)."""
        if field_name.startswith("turns["):
            index = field_name[6:-1]
            if not index.isdigit():
                return ""
            turns = [text for role, text in self.turns() if role != "system"]
            return turns[int(index)] if int(index) < len(turns) else ""
        return str(getattr(self, field_name, ""))

    def context_text(self) -> str:
        return context_of(self.system, self.history)


@dataclass(slots=True)
class Reject:
    """A row that left the pipeline, kept whole with the stage and rule that removed it."""

    id: str
    source: str
    stage: str
    rule: str
    detail: str
    row: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> bytes:
        """`orjson.dumps(self.to_dict())`, the same bytes without the deep copy of the row that `asdict` makes
        (~50 µs a reject)."""
        return orjson.dumps({"id": self.id, "source": self.source, "stage": self.stage, "rule": self.rule,
                             "detail": self.detail, "row": self.row})

    @classmethod
    def of(cls, example: Example, stage: str, rule: str, detail: str) -> Reject:
        return cls(example.id, example.source, stage, rule, detail, example.to_dict())

    @classmethod
    def raw(cls, source: str, locator: str, rule: str, detail: str, row: dict[str, Any]) -> Reject:
        """A bad input row that never became an Example (quarantined at ingest)."""
        return cls(make_id(source, locator), source, "ingest", rule, detail,
                   {"locator": locator, "raw": row})


@dataclass(slots=True)
class Edit:
    """One change to a kept row: which rule, which field, and exactly what was removed or replaced.

    `at` is the offset in the field where the change began, for edits that record one (a PII mask, whose
    `removed` is a typed salted hash, never the value); absent from the JSON otherwise."""

    id: str
    source: str
    stage: str
    rule: str
    field: str
    removed: str
    added: str = ""
    at: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field (strings and an int: nothing to deep-copy, so no `asdict`), `at` only when set."""
        out = {"id": self.id, "source": self.source, "stage": self.stage, "rule": self.rule, "field": self.field,
               "removed": self.removed, "added": self.added}
        if self.at is not None:
            out["at"] = self.at
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())
