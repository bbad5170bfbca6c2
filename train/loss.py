"""Cross-entropy on trained tokens only, in chunks: never materialises the full [tokens x vocab] logits.

With a 128k vocabulary, 4 x 2048 packed tokens give 8192 x 128256 logits: ~2 GiB in bf16, ~4 GiB upcast to fp32,
and as much again for their gradient. Here only positions whose label is trained go through the LM head (the
prompt's ~40% never do), a chunk at a time, each chunk recomputed in the backward pass instead of kept.
Same value and gradients as the model's own loss (tested); models with logit soft-capping use their own loss.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from train.prompts import IGNORE


def supports_chunked_loss(model: Any) -> bool:
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = causal.config
    return (hasattr(causal, "model") and hasattr(causal, "lm_head")
            and not getattr(config, "final_logit_softcapping", None) and not getattr(config, "logit_scale", None))


def chunked_causal_lm_loss(model: Any, inputs: dict[str, torch.Tensor], chunk: int = 4096,
                           reduction: str = "mean") -> torch.Tensor:
    """Next-token loss over labels != -100, as `model(**inputs).loss` computes it (mean), or its sum."""
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    labels = inputs["labels"]
    hidden = causal.model(input_ids=inputs["input_ids"], position_ids=inputs.get("position_ids"),
                          attention_mask=inputs.get("attention_mask"), use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != IGNORE
    h, y = hidden[:, :-1][keep], targets[keep]
    head = causal.lm_head

    def piece(h_part: torch.Tensor, y_part: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(head(h_part).float(), y_part, reduction="sum")

    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, y.numel(), chunk):
        total = total + checkpoint(piece, h[start:start + chunk], y[start:start + chunk], use_reentrant=False)
    return total if reduction == "sum" else total / max(1, y.numel())
