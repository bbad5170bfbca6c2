"""The output formats: each module declares one `OutputFormat`; writers, checks, trainer entries and the chat
readers derive from `OUTPUT_FORMATS`. A new format is one module plus one line here (docs/extending.md)."""

from __future__ import annotations

from formats.outputs import alpaca, messages, sharegpt
from formats.outputs.base import ChatShape, OutputFormat

OUTPUT_FORMATS: dict[str, OutputFormat] = {fmt.name: fmt for fmt in (
    alpaca.FORMAT,
    messages.FORMAT,
    sharegpt.FORMAT,
)}

CHAT_SHAPES: list[ChatShape] = [fmt.chat for fmt in OUTPUT_FORMATS.values() if fmt.chat]
