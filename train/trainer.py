"""The training loop is `transformers.Trainer`, fed by our collator: checkpoints, resume, DDP and logs come with it.

What stays ours: the items (packed rows, or single examples for the padded fallback), the collator that builds
restarting position ids / prompt-masked labels (train/packing.py), the chunked loss, and an eval loss that is the
mean over trained tokens (Trainer's own averages per batch, which weighs a short val batch like a long one).
Tokens/s, trained tokens/s and padding share are added to every log line, so TensorBoard shows them beside loss, lr
and grad norm.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback, TrainingArguments

from train.packing import collate_packed, collate_padded, pack
from train.prompts import IGNORE, Encoded
from train.settings import TrainSettings


class Collator:
    """Items → model inputs: packed rows (lists of examples) or single examples padded to the batch's longest."""

    def __init__(self, pad_id: int, packing: bool) -> None:
        self.pad_id, self.packing = pad_id, packing

    def __call__(self, items: Sequence[Any]) -> dict[str, torch.Tensor]:
        batch = collate_packed(items, self.pad_id) if self.packing else collate_padded(items, self.pad_id)
        # counted here, where padding is known; popped by the trainer before the forward pass
        return {**batch.inputs, "real_tokens": torch.tensor(batch.real_tokens)}


def items(examples: Sequence[Encoded], seq_len: int, packing: bool) -> list[Any]:
    """The Trainer's dataset: one packed row per item (first-fit decreasing), or one example per item."""
    return pack(examples, seq_len) if packing else list(examples)


class CuratedTrainer(Trainer):
    """Trainer with our loss (chunked when asked), token counters in the logs and a per-token eval loss."""

    def __init__(self, *args: Any, loss_chunk: int = 0, loraplus_lr_ratio: float | None = None,
                 padded_lengths: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loss_chunk, self.loraplus_lr_ratio, self.padded_lengths = loss_chunk, loraplus_lr_ratio, padded_lengths
        self.counts = {"real": 0, "trained": 0, "positions": 0}
        self._since = {"real": 0, "trained": 0, "time": time.perf_counter()}

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        """Padded fallback: examples of similar length share a batch (Trainer's length-grouped sampler)."""
        if self.padded_lengths is None:
            return super()._get_train_sampler(train_dataset)
        from transformers.trainer_pt_utils import LengthGroupedSampler

        return LengthGroupedSampler(self.args.train_batch_size * self.args.gradient_accumulation_steps,
                                    lengths=self.padded_lengths)

    def create_optimizer(self, model: Any = None) -> Any:
        """LoRA+ when asked (its param groups are saved and restored with the checkpoint like any other)."""
        if self.loraplus_lr_ratio and self.optimizer is None:
            from train.adapters import loraplus_optimizer

            self.optimizer = loraplus_optimizer(self.model, self.args.learning_rate, self.loraplus_lr_ratio,
                                                self.args.weight_decay)
            return self.optimizer
        return super().create_optimizer(model) if model is not None else super().create_optimizer()

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        real = inputs.pop("real_tokens", None)
        if model.training and real is not None:
            self.counts["real"] += int(real)
            self.counts["trained"] += int((inputs["labels"][:, 1:] != IGNORE).sum())
            self.counts["positions"] += inputs["input_ids"].numel()
        if self.loss_chunk and not return_outputs:
            from train.loss import chunked_causal_lm_loss, supports_chunked_loss

            # a DDP-wrapped model must run its own forward (gradient sync hooks): chunking is single-process
            if model is self.accelerator.unwrap_model(model) and supports_chunked_loss(model):
                # same normalisation as the model's loss under Trainer: a sum over the whole accumulated batch
                # (all processes) divided by its trained-token count, times the processes DDP averages over
                loss = chunked_causal_lm_loss(model, inputs, self.loss_chunk, reduction="sum")
                if num_items_in_batch is None:
                    return loss / max(1, int((inputs["labels"][:, 1:] != IGNORE).sum()))
                loss = loss / num_items_in_batch
                if self.args.average_tokens_across_devices:
                    loss = loss * self.accelerator.num_processes
                return loss
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log line: throughput since the previous one
            now = time.perf_counter()
            seconds = max(1e-9, now - self._since["time"])
            logs["tokens_per_s"] = round((self.counts["real"] - self._since["real"]) / seconds, 1)
            logs["trained_tokens_per_s"] = round((self.counts["trained"] - self._since["trained"]) / seconds, 1)
            logs["padding_share"] = round(1 - self.counts["real"] / max(1, self.counts["positions"]), 4)
            self._since = {"real": self.counts["real"], "trained": self.counts["trained"], "time": now}
        super().log(logs, start_time)

    def evaluate(self, eval_dataset: Any = None, ignore_keys: list[str] | None = None,
                 metric_key_prefix: str = "eval") -> dict[str, float]:
        """Mean loss per trained token over val.jsonl (same masking and packing as training), on every process."""
        loader = self.get_eval_dataloader(eval_dataset)
        model = self.model
        was_training = model.training
        model.eval()
        total = torch.zeros(2, dtype=torch.float64, device=self.args.device)
        with torch.no_grad():
            for inputs in loader:
                inputs = self._prepare_inputs(inputs)
                inputs.pop("real_tokens", None)
                n = int((inputs["labels"][:, 1:] != IGNORE).sum())
                if n:
                    with self.compute_loss_context_manager():
                        loss = model(**inputs, use_cache=False).loss
                    total += torch.tensor([float(loss) * n, n], dtype=torch.float64, device=total.device)
        model.train(was_training)
        total = self.accelerator.reduce(total, reduction="sum")
        metrics = {f"{metric_key_prefix}_loss": round(float(total[0] / total[1]), 5)} if total[1] else {}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


class LogTo(TrainerCallback):
    """Training log lines to our `log` (print, or the Prefect run logger) instead of Trainer's printer."""

    def __init__(self, log: Any) -> None:
        self.write = log

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
               ) -> None:
        if state.is_world_process_zero and logs:
            shown = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items())
            self.write(f"step {state.global_step}/{state.max_steps}  {shown}")


class Interrupted(RuntimeError):
    """Raised by StopAfter: the run died here."""


class StopAfter(TrainerCallback):
    """Die after optimizer step N, before any later checkpoint: a crash at a known point, for resume drills."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.step:
            raise Interrupted(f"stopped after step {self.step} (StopAfter)")


def training_arguments(settings: TrainSettings, out: Path, device: str, dtype: Any, has_eval: bool
                       ) -> TrainingArguments:
    """Our settings in Trainer's words; every choice that differs from Trainer's default is set here."""
    eval_steps = settings.eval_every if has_eval and settings.eval_every else None
    early = settings.early_stopping_patience is not None and eval_steps is not None
    # early stopping keeps the best adapter: load_best_model_at_end needs a checkpoint at every eval
    save_steps = eval_steps if early else settings.save_every
    # TensorBoard is added by the caller with a writer on OUTPUT/logs (Trainer's default is a dated folder)
    report_to = [r for r in settings.report_to if r not in ("none", "tensorboard")] or "none"
    scheduler_kwargs = {"min_lr_rate": settings.min_lr_rate} if settings.lr_scheduler == "cosine_with_min_lr" else {}
    return TrainingArguments(
        output_dir=str(out / "checkpoints"),
        report_to=report_to,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        max_steps=settings.max_steps or -1,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        lr_scheduler_type=settings.lr_scheduler,
        lr_scheduler_kwargs=scheduler_kwargs,
        warmup_steps=settings.warmup_steps,
        max_grad_norm=1.0,
        optim="adamw_torch",
        logging_strategy="steps",
        logging_steps=settings.log_every,
        eval_strategy="steps" if eval_steps else "no",
        eval_steps=eval_steps,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 500,
        save_total_limit=settings.save_total_limit,
        load_best_model_at_end=early,
        metric_for_best_model="eval_loss" if early else None,
        greater_is_better=False,
        bf16=device == "cuda" and dtype == torch.bfloat16,  # autocast: without it throughput halves on an H100
        fp16=device == "cuda" and dtype == torch.float16,
        use_cpu=device == "cpu",
        gradient_checkpointing=False,  # enabled by add_lora (non-reentrant) before the adapter goes on
        ddp_find_unused_parameters=False,
        ddp_backend="gloo" if device == "cpu" and int(os.environ.get("WORLD_SIZE", 1)) > 1 else None,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        seed=settings.seed,
        disable_tqdm=True,
        save_only_model=False,
    )
