"""The adapter family from peft, chosen in `train.lora`: LoRA (default), DoRA, rsLoRA scaling, VeRA, LoRA+ rates.

All of them are peft's own implementations on the 4-bit base; this module only maps our settings onto them, so an
adapter reloads with plain `PeftModel.from_pretrained`. LoRA+ is not an adapter shape but an optimizer choice
(B matrices get `loraplus_lr_ratio` x the learning rate of A); it is built here so the Trainer can use it.
"""

from __future__ import annotations

from typing import Any

from train.settings import LoraSettings


def peft_config(lora: LoraSettings, seed: int = 0) -> Any:
    """The peft config for the chosen method; the settings validator has already refused impossible mixes."""
    if lora.method == "vera":
        from peft import VeraConfig

        # VeRA's shared A/B are regenerated from this key at load; saving them too makes reload independent of it
        return VeraConfig(r=lora.r, target_modules=lora.target_modules, vera_dropout=lora.dropout, bias="none",
                          task_type="CAUSAL_LM", projection_prng_key=seed, save_projection=True)
    from peft import LoraConfig

    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules, bias="none", task_type="CAUSAL_LM",
                      use_dora=lora.method == "dora", use_rslora=lora.rslora)


def describe(lora: LoraSettings) -> str:
    """One line for the log and the model card."""
    if lora.method == "vera":
        return f"VeRA r={lora.r} (shared frozen random projections, trained scaling vectors)"
    name = {"lora": "LoRA", "dora": "DoRA"}[lora.method]
    scale = f"alpha/sqrt(r)={lora.alpha / lora.r ** 0.5:.2f} (rsLoRA)" if lora.rslora else \
        f"alpha/r={lora.alpha / lora.r:.2f}"
    plus = f", LoRA+ B-matrix lr x{lora.loraplus_lr_ratio:g}" if lora.loraplus_lr_ratio else ""
    return f"{name} r={lora.r}, alpha={lora.alpha}, scaling {scale}, dropout {lora.dropout}{plus}"


def loraplus_optimizer(model: Any, lr: float, ratio: float, weight_decay: float) -> Any:
    """AdamW with peft's LoRA+ parameter groups (A at lr, B at lr x ratio)."""
    import torch
    from peft.optimizers import create_loraplus_optimizer

    return create_loraplus_optimizer(model=model, optimizer_cls=torch.optim.AdamW, lr=lr, loraplus_lr_ratio=ratio,
                                     weight_decay=weight_decay)
