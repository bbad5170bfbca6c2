"""A conversation's turns go through the same checks as a single-turn row, one exchange at a time.

Each exchange (a user turn and the assistant's reply) is checked as if it were a row of its own, with the rules
of its role (instruction-scoped rules see user turns, output-scoped rules see assistant turns). Edits name the
turn (`turns[3]`: the second assistant reply; turns count from 0, the system prompt apart). When an exchange
fails (a refusal at turn 3 of 6), the conversation is cut before it (`bad_turn: cut`, kept whole up to the last
good exchange, the removed turns written to the ledger) or dropped whole (`bad_turn: drop`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from formats.example import Example
from formats.ledger import Ledger

Check = Callable[[Example, Ledger], bool]  # False: the exchange fails (its reject is in the ledger)


class ConversationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bad_turn: Literal["cut", "drop"] = Field(
        "cut", description="an exchange that fails a check: cut the conversation before it, or drop it whole")


def turn_field(exchange: int, field: str) -> str:
    """The ledger's name for a field of an exchange: user turns are even, assistant turns odd."""
    return {"instruction": f"turns[{2 * exchange}]", "output": f"turns[{2 * exchange + 1}]"}.get(field, field)


def _exchanges(example: Example) -> list[Example]:
    """Views of the earlier exchanges (sharing the row's id and meta, so flags land on the row), then the row."""
    return [Example(example.id, user, "", assistant, example.source, example.meta)
            for user, assistant in example.history] + [example]


def check_exchanges(example: Example, check: Check, ledger: Ledger, stage: str, policy: str) -> bool:
    """Run `check` on every exchange in order; False when the row is dropped. The row is changed in place."""
    views = _exchanges(example)
    for number, view in enumerate(views):
        scratch = Ledger()
        passed = check(view, scratch)
        for edit in scratch.edits:
            edit.field = turn_field(number, edit.field)
        if passed:
            ledger.merge(scratch)
            continue
        reject = scratch.rejects[-1]
        count = scratch.rules[reject.rule]
        count.hits, count.dropped = count.hits - 1, count.dropped - 1  # the row itself is cut or dropped below
        scratch.rejects.clear()
        scratch.edits.clear()  # edits to the failed exchange go with it
        ledger.merge(scratch)
        where = f"turn {2 * number + 1} of {2 * len(views)}"
        if policy == "drop" or number == 0:
            ledger.drop(example, stage, reject.rule, f"{where}: {reject.detail}", count.category,
                        meta={"bad_turn": 2 * number + 1})
            return False
        removed = [text for view in views[number:] for text in
                   (f"{view.instruction}\n\n{view.input}" if view.input else view.instruction, view.output)]
        ledger.edit(example, stage, reject.rule, f"turns[{2 * number}:]", "\n\n".join(removed),
                    category=count.category, action="cut")
        last = views[number - 1]
        example.instruction, example.input, example.output = last.instruction, last.input, last.output
        example.history = [[view.instruction, view.output] for view in views[:number - 1]]
        example.meta["cut_at_turn"] = 2 * number
        return True
    example.history = [[view.instruction, view.output] for view in views[:-1]]
    return True
