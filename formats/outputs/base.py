"""What an output format is: how an Example becomes a JSONL row, what a valid row looks like, and the entries
LLaMA-Factory and axolotl need to read it. One `OutputFormat` object per format (formats/outputs/<name>.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from formats.example import Example


@dataclass(frozen=True)
class ChatShape:
    """How a chat format spells a conversation: the list's key, the role and content keys, the role names."""

    turns: str
    role: str
    content: str
    user: str
    assistant: str
    system: str = "system"

    def turn(self, role: str, text: str) -> dict[str, str]:
        return {self.role: role, self.content: text}


@dataclass(frozen=True)
class OutputFormat:
    """- `convert(example, system_prompt)`: the JSONL row.
    - `check(row)`: raises ValueError on a row a trainer would choke on (a bug upstream, never data to ship).
    - `llamafactory`: the columns/tags part of a dataset_info.json entry.
    - `axolotl`: an axolotl `datasets:` entry without its path.
    - `chat`: the conversation spelling, for chat formats (readers accept every registered spelling).
    - `conversation_columns`: columns only conversations fill, with the value a single-turn row gets; written on
      every row of a dataset that holds a conversation (one schema per file), and nowhere otherwise.
    - `conversation_llamafactory` / `conversation_axolotl`: what the trainer entries add for such a dataset."""

    name: str
    convert: Callable[[Example, str | None], dict[str, Any]]
    check: Callable[[dict[str, Any]], None]
    llamafactory: dict[str, Any]
    axolotl: dict[str, Any]
    chat: ChatShape | None = None
    conversation_columns: dict[str, Any] = field(default_factory=dict)
    conversation_llamafactory: dict[str, Any] = field(default_factory=dict)
    conversation_axolotl: dict[str, Any] = field(default_factory=dict)


def chat_format(name: str, shape: ChatShape) -> OutputFormat:
    """A chat format from its spelling alone: conversion, checks and trainer entries all follow from it."""

    names = {"system": shape.system, "user": shape.user, "assistant": shape.assistant}

    def convert(example: Example, system: str | None = None) -> dict[str, Any]:
        """Every turn in order; the row's own system prompt, else the configured one."""
        turns = [shape.turn(shape.system, system)] if system and not example.system else []
        turns += [shape.turn(names[role], text) for role, text in example.turns()]
        return {shape.turns: turns, "id": example.id, "source": example.source}

    def check(row: dict[str, Any]) -> None:
        turns = row[shape.turns]
        roles = [t[shape.role] for t in turns if t[shape.role] != shape.system]
        if not all(isinstance(t[shape.content], str) and t[shape.content].strip() for t in turns):
            raise ValueError(f"row {row.get('id')}: a turn is empty or not a string")
        expected = (shape.user, shape.assistant)
        if not roles or roles[-1] != shape.assistant or any(r != expected[i % 2] for i, r in enumerate(roles)):
            raise ValueError(f"row {row.get('id')}: turns must alternate {shape.user}/{shape.assistant} and end "
                             f"with {shape.assistant}")

    llamafactory = {"formatting": "sharegpt", "columns": {"messages": shape.turns},
                    "tags": {"role_tag": shape.role, "content_tag": shape.content, "user_tag": shape.user,
                             "assistant_tag": shape.assistant, "system_tag": shape.system}}
    axolotl: dict[str, Any] = {"type": "chat_template", "field_messages": shape.turns,
                               "message_property_mappings": {"role": shape.role, "content": shape.content}}
    if (shape.user, shape.assistant, shape.system) != ("user", "assistant", "system"):
        axolotl["roles"] = {"user": [shape.user], "assistant": [shape.assistant], "system": [shape.system]}
    # every assistant turn is a target, each ending in its end-of-turn token (axolotl's chat_template options)
    return OutputFormat(name, convert, check, llamafactory, axolotl, shape,
                        conversation_axolotl={"roles_to_train": ["assistant"], "train_on_eos": "turn"})
