"""Training settings: one pydantic model, so the pipeline config can carry a `train:` section checked up front."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LoraSettings(BaseModel):
    """LoRA shape. r=16/alpha=32 on every linear layer is the QLoRA paper's recipe and a safe default."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"
    method: Literal["lora", "dora", "vera"] = Field(
        "lora", description="lora; dora (weight-decomposed: magnitude + direction, closer to full fine-tuning, "
        "slower); vera (frozen shared random A/B, only scaling vectors trained: far fewer parameters, use a larger r)")
    rslora: bool = Field(False, description="rank-stabilised scaling alpha/sqrt(r) instead of alpha/r (helps large r)")
    loraplus_lr_ratio: float | None = Field(
        None, gt=0, description="LoRA+: B matrices learn this many times faster than A (the paper suggests 16); "
        "lora/dora only")

    @model_validator(mode="after")
    def _vera_has_no_alpha_tricks(self) -> LoraSettings:
        if self.method == "vera" and (self.rslora or self.loraplus_lr_ratio):
            raise ValueError("rslora and loraplus_lr_ratio apply to lora/dora, not vera")
        return self


class GateSettings(BaseModel):
    """Refuse to spend GPU hours on a dataset that is too small or mostly too long to train on."""

    model_config = ConfigDict(extra="forbid")

    min_rows: int = Field(20, ge=0, description="fewer rows than this is not worth an adapter")
    max_over_length_share: float = Field(0.2, ge=0.0, le=1.0)


class TrainSettings(BaseModel):
    """Everything the QLoRA task reads; `python -m train.qlora` builds one from its flags."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    model: str = Field("", description="local path or hub id of the base model")
    template: Literal["auto", "alpaca", "chat"] = Field(
        "auto", description="auto = the tokenizer's chat template when it has one, else the Alpaca template")
    max_seq_len: int = Field(1024, ge=16)
    train_on: Literal["all", "last"] = Field(
        "all", description="conversations: train every assistant turn, or only the last (like LLaMA-Factory's "
        "mask_history)")
    lora: LoraSettings = LoraSettings()
    gates: GateSettings = GateSettings()
    learning_rate: float = Field(2e-4, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_steps: int = Field(0, ge=0)
    lr_scheduler: Literal["cosine_with_min_lr", "cosine", "linear", "constant", "constant_with_warmup"] = Field(
        "cosine_with_min_lr", description="transformers' scheduler names; the default decays to min_lr_rate x peak")
    min_lr_rate: float = Field(0.1, ge=0, le=1, description="cosine_with_min_lr: the floor as a share of the peak")
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps (None: epochs)")
    epochs: float = Field(1.0, gt=0)
    batch_size: int = Field(4, ge=1, description="sequences per micro-batch (packed sequences when packing)")
    grad_accum: int = Field(1, ge=1)
    packing: bool = Field(True, description="pack examples into max_seq_len rows with per-example attention; "
                                            "False: length-grouped padded batches")
    gradient_checkpointing: bool = True
    compute_dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="auto: bfloat16 on a GPU that supports it, float16 on an older GPU, float32 on CPU")
    loss_chunk: int | None = Field(
        None, ge=0, description="tokens per chunk for the chunked cross-entropy over trained positions only (saves "
        "GiBs with 128k vocabularies); 0: the model's own loss; None: 4096 when the vocabulary has >= 32k tokens")
    eval: bool = True
    eval_every: int | None = Field(None, ge=1, description="eval loss on val.jsonl every N steps (None: before "
                                                          "and after training only)")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="stop when eval loss has not improved for N evals (needs eval_every); the best "
        "checkpoint's adapter is kept")
    early_stopping_threshold: float = Field(0.0, ge=0, description="an improvement smaller than this does not count")
    save_every: int | None = Field(None, ge=1, description="write a resumable checkpoint every N steps")
    save_total_limit: int | None = Field(2, ge=1, description="checkpoints kept (oldest deleted first)")
    report_to: list[str] = Field(["tensorboard"], description="trackers for the logs (transformers' names: "
                                                               "tensorboard, wandb, mlflow, ...; none: off)")
    samples: int = Field(4, ge=0, description="val prompts generated greedily after training (samples.jsonl)")
    sample_max_new_tokens: int = Field(64, ge=1)
    merge: bool = Field(False, description="also write base+adapter merged (from a non-quantised reload)")
    preview_rows: int = Field(2, ge=0)
    seed: int = 0
    threads: int | None = Field(None, ge=1, description="torch CPU threads (None: torch's default)")
    log_every: int = Field(1, ge=1)
