"""Greedy generations for a few val prompts beside their reference answers: what the adapter learned, readable.

Greedy (no sampling), so the same adapter gives the same text; the prompt is built exactly as in training
(`PromptFormat.prompt_ids`), conversations included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from train.prompts import PromptFormat


def prompt_ids(fmt: PromptFormat, row: dict[str, Any]) -> list[int]:
    """The prompt as trained: a conversation's whole history (system, earlier turns) up to its last reply."""
    if fmt.is_conversation(row):
        encoded = fmt.encode_conversation(row)
        return encoded.input_ids[:encoded.trained_spans[-1][0]]
    return fmt.prompt_ids(row)


def generate_samples(model: Any, fmt: PromptFormat, rows: Sequence[dict[str, Any]], max_new_tokens: int,
                     device: str) -> list[dict[str, Any]]:
    """One record per row: id, prompt (the user's last turn), reference, generated."""
    import torch

    was_training = model.training
    model.eval()
    pad = fmt.tokenizer.pad_token_id if fmt.tokenizer.pad_token_id is not None else fmt.eos_id
    out = []
    with torch.no_grad():
        for row in rows:
            ids = torch.tensor([prompt_ids(fmt, row)], device=device)
            generated = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                       max_new_tokens=max_new_tokens, eos_token_id=fmt.eos_id, pad_token_id=pad,
                                       use_cache=True)
            new = generated[0, ids.shape[1]:].tolist()
            text = fmt.tokenizer.decode(new, skip_special_tokens=True).strip()
            out.append({"id": row.get("id"), "prompt": PromptFormat.user_text(row), "reference": row["output"],
                        "generated": text, "new_tokens": len(new),
                        "stopped_at_eos": fmt.eos_id in new})
    model.train(was_training)
    return out


def samples_markdown(samples: Sequence[dict[str, Any]], width: int = 300) -> str:
    """A side-by-side table for the training report."""
    def cell(text: str) -> str:
        text = " ".join(str(text).split())
        return (text[:width] + "…" if len(text) > width else text).replace("|", "\\|")

    lines = ["| id | prompt | reference | generated (greedy) |", "|---|---|---|---|"]
    lines += [f"| {cell(s['id'])} | {cell(s['prompt'])} | {cell(s['reference'])} | {cell(s['generated'])} |"
              for s in samples]
    return "\n".join(lines)
