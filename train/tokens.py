"""Token counts by the target model's own tokenizer, for the curation report (instead of the estimate).

Loaded from a local folder or the local Hugging Face cache only: curation never downloads. When the tokenizer
cannot be had, the report keeps the estimate and says why."""

from __future__ import annotations

from collections.abc import Callable


def token_counter(model: str) -> tuple[Callable[[str], int] | None, str]:
    """(count, method): a counter and a label for the report, or (None, why not) to keep the estimate."""
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError) as err:
        reason = str(err).splitlines()[0][:200]
        return None, f"estimate (the tokenizer of {model!r} is not available offline: {reason})"

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count, f"tokenizer of {model}"
