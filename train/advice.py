"""Which base model to start from and whether to mix in general data, from the dataset's size and breadth.

The rules are our users' notes, stated with their thresholds so a person can disagree with them: under ~10k rows an
adapter cannot teach a base model to chat, so start from the chat (instruct) model; over ~100k rows the base model
is worth it (the chat model's tuning gets overwritten anyway); a narrow set (one source, or one opening word in
most instructions) makes the model "dumber" on everything else after SFT, so mix in general instruction data.
"""

from __future__ import annotations

from typing import Any

SMALL_ROWS = 10_000
LARGE_ROWS = 100_000
NARROW_OPENER_SHARE = 0.3


def data_advice(stats: dict[str, Any], model_has_chat_template: bool) -> list[str]:
    """Advice lines; each says the figure it is based on."""
    rows = stats["rows"]
    lines = []
    if rows < SMALL_ROWS:
        lines.append(f"{rows} rows (< {SMALL_ROWS:,}): start from the chat/instruct model, not the base model"
                     + ("" if model_has_chat_template else " (this tokenizer has no chat template: is it a base "
                                                           "model?)"))
    elif rows > LARGE_ROWS:
        lines.append(f"{rows} rows (> {LARGE_ROWS:,}): enough to start from the base model")
    else:
        lines.append(f"{rows} rows ({SMALL_ROWS:,}-{LARGE_ROWS:,}): either the chat or the base model; compare both "
                     "on val.jsonl")
    sources = stats.get("sources") or {}
    openers = stats.get("top_first_words") or []
    top_share = openers[0][1] / max(1, rows) if openers else 0.0
    if len(sources) <= 1 or top_share >= NARROW_OPENER_SHARE:
        why = (f"one source ({next(iter(sources), '?')})" if len(sources) <= 1 else
               f"{top_share:.0%} of instructions start with {openers[0][0]!r}")
        lines.append(f"narrow set ({why}): mix in general instruction data (10-30%) or the model gets worse at "
                     "everything else after SFT")
    return lines
