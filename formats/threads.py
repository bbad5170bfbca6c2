"""Thread tables: one row per message (a support ticket's customer and agent replies, a chat log in SQL), grouped
into one conversation per key and ordered, then built like any other conversation (formats/conversation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from formats.columns import as_text
from formats.conversation import conversation_example
from formats.example import Example, Reject
from formats.sources import Strict


class Thread(Strict):
    """`thread:` in a CSV or SQL source, instead of `columns:`."""

    key: str | list[str] = Field(description="column(s) naming the conversation a row belongs to")
    order_by: str | list[str] = Field(description="column(s) that order a conversation's messages (numbers sort "
                                                  "as numbers)")
    role: str = Field(description="column holding who wrote the message")
    text: str = Field(description="column holding the message")
    roles: dict[str, Literal["user", "assistant", "system"]] = Field(
        default_factory=dict, description="the table's own role names, e.g. {customer: user, agent: assistant}")

    def columns(self) -> list[str]:
        return [*_names(self.key), *_names(self.order_by), self.role, self.text]


def only_one_mapping(source: Any) -> Any:
    """A source maps its rows with `columns` (one row, one example) or `thread` (rows grouped into
    conversations), never both: the other would be silently ignored."""
    if source.thread is not None and "columns" in source.model_fields_set:
        raise ValueError("give either columns (one row per example) or thread (one row per message), not both")
    return source


def _names(ref: str | list[str]) -> list[str]:
    return [ref] if isinstance(ref, str) else list(ref)


def _sort_key(value: Any) -> tuple[int, float, str]:
    text = as_text(value).strip()
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


class ThreadCollector:
    """Collects a table's rows, then yields one Example (or a quarantined Reject) per conversation, in the order
    each conversation first appeared."""

    def __init__(self, source: str, thread: Thread) -> None:
        self.source, self.thread = source, thread
        self.threads: dict[tuple[str, ...], list[tuple[tuple, int, dict[str, Any], str]]] = {}

    def add(self, row: dict[str, Any], locator: str) -> None:
        key = tuple(as_text(row[name]) for name in _names(self.thread.key))
        order = tuple(_sort_key(row[name]) for name in _names(self.thread.order_by))
        messages = self.threads.setdefault(key, [])
        messages.append((order, len(messages), row, locator))

    def examples(self) -> Iterator[Example | Reject]:
        names = _names(self.thread.key)
        for key, messages in self.threads.items():
            messages.sort(key=lambda m: (m[0], m[1]))
            locator = "thread " + ",".join(f"{n}={v}" for n, v in zip(names, key, strict=True))
            turns = [(as_text(row[self.thread.role]), as_text(row[self.thread.text])) for _, _, row, _ in messages]
            try:
                yield conversation_example(self.source, locator, turns, roles=self.thread.roles,
                                           messages=len(messages))
            except ValueError as err:
                yield Reject.raw(self.source, locator, "bad-conversation", f"{locator}: {err}",
                                 {"messages": [{**{k: as_text(v) for k, v in row.items()}, "locator": where}
                                               for _, _, row, where in messages]})
