"""A conversation from any source (ShareGPT, OpenAI `messages`, a thread table) becomes one Example: the system
prompt, the earlier exchanges as [user, assistant] pairs, and the last exchange in instruction/output.

Role names of every registered chat format are understood (formats/outputs/), plus the aliases real exports use.
What cannot become a clean alternating conversation raises ValueError with the reason, and the reader
quarantines the row with it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from formats.example import Example
from formats.outputs import CHAT_SHAPES

ROLES: dict[str, str] = {
    **{shape.user: "user" for shape in CHAT_SHAPES},
    **{shape.assistant: "assistant" for shape in CHAT_SHAPES},
    **{shape.system: "system" for shape in CHAT_SHAPES},
    "bot": "assistant", "model": "assistant", "chatgpt": "assistant", "customer": "user",
}
UNSUPPORTED = {"tool", "function", "function_call", "observation", "ipython"}


def conversation_example(source: str, locator: str, turns: Iterable[tuple[str, str]],
                         roles: dict[str, str] | None = None, **meta: Any) -> Example:
    """The Example for these (role, text) turns, in order. `roles` maps a source's own role names (a thread
    table's "agent", "customer") onto user / assistant / system, before the built-in names.

    Consecutive turns of one role are joined (a user who sent two messages); trailing user turns without a
    reply are cut and counted in meta, since there is nothing to learn from them."""
    names = {**ROLES, **{k.lower(): v for k, v in (roles or {}).items()}}
    system: list[str] = []
    merged: list[list[str]] = []  # [role, text]
    joined = 0
    for index, (raw_role, text) in enumerate(turns):
        role_name = str(raw_role).strip().lower()
        if role_name in UNSUPPORTED:
            raise ValueError(f"turn {index} has role {raw_role!r}: tool and function turns are not supported yet")
        role = names.get(role_name)
        if role is None:
            raise ValueError(f"turn {index} has an unknown role {raw_role!r} (known: {', '.join(sorted(names))})")
        if not isinstance(text, str):
            raise ValueError(f"turn {index} ({role}) is not text")
        if role == "system":
            if merged:
                raise ValueError(f"turn {index} is a system prompt after the conversation started")
            system.append(text)
            continue
        if merged and merged[-1][0] == role:
            merged[-1][1] = f"{merged[-1][1]}\n\n{text}"
            joined += 1
        else:
            merged.append([role, text])
    if merged and merged[0][0] == "assistant":
        raise ValueError("the conversation starts with an assistant turn (nothing it answers)")
    unanswered = 1 if merged and merged[-1][0] == "user" else 0
    pairs = [(merged[i][1], merged[i + 1][1]) for i in range(0, len(merged) - unanswered, 2)]
    if not pairs:
        raise ValueError("conversation has no user turn followed by an assistant turn")
    for number, (user, assistant) in enumerate(pairs):
        if not user.strip() or not assistant.strip():
            raise ValueError(f"exchange {number} has an empty {'user' if not user.strip() else 'assistant'} turn")
    if joined:
        meta["joined_turns"] = joined
    if unanswered:
        meta["unanswered_turn_cut"] = True
    instruction, output = pairs[-1]
    example = Example.from_fields(source, locator, instruction, "", output, **meta)
    example.system = "\n\n".join(system)
    example.history = [list(pair) for pair in pairs[:-1]]
    return example
