"""QLoRA on a curated dataset: stats gate → (dry run: label preview, stop) → 4-bit NF4 + LoRA training → adapter.

    python -m train.qlora --data out --model PATH_OR_HUB_ID [--output DIR] [--dry-run] [--save-every N] [--resume]
    accelerate launch --num_processes 2 -m train.qlora --data out --model ...     # data-parallel, 4-bit base on each

Plain Python, no Prefect: a flow task calls `run_training(data_dir, settings, output_dir)`. The loop is
`transformers.Trainer` (train/trainer.py) fed by our collator: loss on response tokens + EOS only, examples packed
with per-example attention (train/packing.py). The output folder holds the adapter with its filled-in model card,
tokenizer, prompt_template.json and train_config.json (everything inference needs), plus metrics.json, stats.json,
loss_curve.png, samples.jsonl, report.md, TensorBoard logs (logs/) and resumable checkpoints (checkpoints/).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from formats.writers import atomic_write_json, atomic_write_jsonl, read_jsonl
from train.gate import GateError, check_gates, encode_rows, gate_problems, label_preview, render_preview, training_stats
from train.prompts import Encoded, PromptFormat
from train.settings import TrainSettings

__all__ = ["GateError", "TrainSettings", "dry_run", "run_training", "main"]


class SetupError(RuntimeError):
    """A missing data folder, an unreachable model, a bad checkpoint: said plainly, before any work starts."""


# -- loading -----------------------------------------------------------------------------------------------
def device_and_dtype(settings: TrainSettings) -> tuple[str, Any]:
    """bf16 compute on a GPU that has it; fp32 on CPU, where bf16 matmuls measured ~3x slower here."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = settings.compute_dtype
    if name == "auto":
        if device == "cuda":
            name = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        else:
            name = "float32"
    return device, getattr(torch, name)


def load_tokenizer(model: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model)
    except OSError as err:
        raise SetupError(_unreachable(model, err)) from err


def load_config(model: str) -> Any:
    """The model's config.json only (no weights): for the memory estimate."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model)
    except OSError as err:
        raise SetupError(_unreachable(model, err)) from err


def _unreachable(model: str, err: Exception) -> str:
    if Path(model).exists():
        return f"--model {model}: the folder exists but holds no loadable tokenizer/config ({err})"
    offline = os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True")
    return (f"--model {model}: not a local folder, and it could not be fetched from the Hugging Face Hub"
            + (" (HF_HUB_OFFLINE is set)" if offline else " (offline, a typo, or a gated model without a token?)")
            + f". Download it where there is network (`hf download {model} --local-dir DIR`) and pass --model DIR")


def quantization_config(compute_dtype: Any) -> Any:
    """Every 4-bit field set: transformers' own defaults are fp4 without double quantisation."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype, bnb_4bit_quant_storage=torch.uint8)


def load_4bit(model: str, compute_dtype: Any, device: str) -> Any:
    """The base model in NF4. Non-quantised parts stay in the compute dtype (no blanket fp32 upcast).

    Under `accelerate launch` / torchrun every process loads its own 4-bit copy onto its own GPU (LOCAL_RANK).
    """
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"quantization_config": quantization_config(compute_dtype), "dtype": compute_dtype}
    if device == "cuda":
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", 0))}
    base = AutoModelForCausalLM.from_pretrained(model, **kwargs)
    base.config.use_cache = False  # required for the packed block-diagonal mask; useless in training anyway
    return base


def add_lora(base: Any, settings: TrainSettings) -> Any:
    """The adapter chosen in train.lora (LoRA, DoRA, rsLoRA, VeRA) on the 4-bit base, checkpointing on."""
    from peft import get_peft_model

    from train.adapters import peft_config

    if settings.gradient_checkpointing:
        kwargs = {"use_reentrant": False}  # non-reentrant: no input-requires-grad hack needed for a frozen base
        if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.2x; the old name is deprecated
            base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    return get_peft_model(base, peft_config(settings.lora, settings.seed))


def peak_memory(device: str) -> dict[str, Any]:
    import torch

    if device == "cuda":
        return {"peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3),
                "peak_memory_kind": "torch.cuda.max_memory_allocated"}
    return {"peak_memory_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
            "peak_memory_kind": "process max RSS (CPU)"}


# -- data --------------------------------------------------------------------------------------------------
def read_split(data_dir: Path, name: str) -> list[dict[str, Any]]:
    path = data_dir / f"{name}.jsonl"
    if not path.is_file():
        return []
    rows = read_jsonl(path)
    bad = [i for i, r in enumerate(rows) if "instruction" not in r or "output" not in r]
    if bad:
        raise ValueError(f"{path}: rows {bad[:5]} are not Alpaca rows (instruction/input/output); "
                         "write the dataset with output.format: alpaca")
    return rows


def prepare(data_dir: str | Path, settings: TrainSettings) -> tuple[PromptFormat, list[Encoded], dict[str, Any]]:
    """Tokenizer, encoded train examples and the stats; only the tokenizer is loaded (nothing on a GPU)."""
    if not settings.model:
        raise SetupError("no base model: pass --model (a local folder or a hub id) or set train.model")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SetupError(f"data folder not found: {data_dir} (--data is the curation's output folder, with "
                         "train.jsonl)")
    if not (data_dir / "train.jsonl").is_file():
        raise SetupError(f"no train.jsonl in {data_dir}: point --data at the curation's output folder")
    rows = read_split(data_dir, "train")
    fmt = PromptFormat(load_tokenizer(settings.model), settings.template, settings.train_on)
    encoded, stats = training_stats(rows, fmt, settings.max_seq_len)
    return fmt, encoded, stats


def dry_run(data_dir: str | Path, settings: TrainSettings, output_dir: str | Path | None = None) -> dict[str, Any]:
    """Stats, gate verdict, label preview of a few rows, memory estimate and data advice; loads no model weights."""
    from train.advice import data_advice
    from train.memory import estimate

    fmt, _, stats = prepare(data_dir, settings)
    rows = read_split(Path(data_dir), "train")[:settings.preview_rows]
    config = load_config(settings.model)
    vocab = getattr(getattr(config, "text_config", None) or config, "vocab_size", 0)
    trained_share = stats["training"]["trained_tokens"] / max(1, stats["training"]["train_tokens"])
    report = {"stats": stats, "gate_problems": gate_problems(stats, settings.gates),
              "preview": [label_preview(r, fmt, settings.max_seq_len) for r in rows],
              "memory_estimate": estimate(config, settings.max_seq_len, settings.batch_size, settings.lora.r,
                                          loss_chunk=resolved_loss_chunk(settings, vocab),
                                          trained_share=trained_share),
              "advice": data_advice(stats, bool(fmt.tokenizer.chat_template))}
    if output_dir:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(output_dir) / "dry_run.json", report)
    return report


def resolved_loss_chunk(settings: TrainSettings, vocab: int) -> int:
    from train.memory import auto_loss_chunk

    return auto_loss_chunk(vocab) if settings.loss_chunk is None else settings.loss_chunk


# -- training ----------------------------------------------------------------------------------------------
def _autocast(device: str, dtype: Any) -> Any:
    import contextlib

    import torch

    if device == "cuda" and dtype in (torch.bfloat16, torch.float16):
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def check_packed_attention(model: Any, examples: list[Encoded], device: str, dtype: Any) -> dict[str, Any]:
    """Does this model + transformers keep packed examples apart? Logits of two packed examples vs each alone.

    `leak` is what plain causal attention over the row would do to the second example; packing is trusted when the
    packed logits stay far closer to the separate run than that (or both are negligible). Costs three short
    forward passes; a model whose attention ignores restarting position ids falls back to padded batches.
    """
    import torch

    from train.packing import collate_packed

    pair = [Encoded(e.input_ids[:48], e.labels[:48]) for e in examples[:2]]
    if len(pair) < 2:
        return {"ok": True, "checked": False}
    batch = collate_packed([pair], 0).inputs
    ids, positions = batch["input_ids"].to(device), batch["position_ids"].to(device)
    n1 = len(pair[0])
    was_training = model.training
    model.eval()
    with torch.no_grad(), _autocast(device, dtype):
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits[0, n1:].float()
        leaky = model(input_ids=ids, use_cache=False).logits[0, n1:].float()
        alone = model(input_ids=ids[:, n1:], use_cache=False).logits[0].float()
    model.train(was_training)
    diff, leak = float((packed - alone).abs().max()), float((leaky - alone).abs().max())
    return {"ok": diff <= max(1e-3, 0.25 * leak), "checked": True, "max_abs_diff": round(diff, 6),
            "leak_diff": round(leak, 6)}


def resolve_checkpoint(resume: str | bool | None, out: Path) -> str | None:
    """--resume: the latest checkpoint under OUT/checkpoints; --resume PATH: that one."""
    if not resume:
        return None
    if resume is True or resume == "latest":
        from transformers.trainer_utils import get_last_checkpoint

        folder = out / "checkpoints"
        last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
        if last is None:
            raise SetupError(f"--resume: no checkpoint-N folder in {folder}; train with --save-every N to "
                                    "write them, or give the checkpoint's path")
        return last
    if not (Path(str(resume)) / "trainer_state.json").is_file():
        raise SetupError(f"--resume {resume}: not a checkpoint folder (no trainer_state.json)")
    return str(resume)


def _callbacks(settings: TrainSettings, out: Path, is_main: bool) -> list[Any]:
    """TensorBoard into OUT/logs (Trainer's default is a dated folder under the checkpoints); early stopping."""
    callbacks: list[Any] = []
    if "tensorboard" in settings.report_to and is_main:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback

        callbacks.append(TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(out / "logs"))))
    if settings.early_stopping_patience is not None and settings.eval_every:
        from transformers import EarlyStoppingCallback

        callbacks.append(EarlyStoppingCallback(settings.early_stopping_patience, settings.early_stopping_threshold))
    return callbacks


def history(log_history: list[dict[str, Any]]) -> dict[str, Any]:
    """Per logged step: loss, lr, grad norm, tokens/s; and the evals, from Trainer's log history."""
    train = [h for h in log_history if "loss" in h]
    evals = [(h["step"], h["eval_loss"]) for h in log_history if "eval_loss" in h]
    return {"loss": [round(h["loss"], 5) for h in train], "loss_steps": [h["step"] for h in train],
            "lr": [h.get("learning_rate") for h in train], "grad_norm": [h.get("grad_norm") for h in train],
            "tokens_per_s_logged": [h.get("tokens_per_s") for h in train], "evals": evals}


def save_outputs(model: Any, fmt: PromptFormat, settings: TrainSettings, out: Path, compute_dtype: Any) -> Path:
    """Adapter, tokenizer, prompt template and config in one folder: all inference needs besides the base."""
    import peft
    import torch
    import transformers

    adapter = out / "adapter"
    model.save_pretrained(adapter)
    fmt.tokenizer.save_pretrained(adapter)
    atomic_write_json(adapter / "prompt_template.json", fmt.to_json())
    atomic_write_json(adapter / "train_config.json", {
        "settings": settings.model_dump(), "template": fmt.mode,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "peft": peft.__version__, "bitsandbytes": _bnb_version()},
        "quantization": quantization_config(compute_dtype).to_dict()})
    return adapter


def _bnb_version() -> str:
    import bitsandbytes

    return bitsandbytes.__version__


def merge_adapter(model_id: str, adapter: Path, out: Path, dtype: Any) -> Path:
    """Merge into a non-quantised reload of the base: merging into 4-bit weights would round the update away."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype)
    merged = PeftModel.from_pretrained(base, adapter).merge_and_unload()
    merged.save_pretrained(out)
    load_tokenizer(str(adapter)).save_pretrained(out)
    return out


def run_training(data_dir: str | Path, settings: TrainSettings, output_dir: str | Path, log: Any = print,
                 resume: str | bool | None = None, callbacks: list[Any] | None = None) -> dict[str, Any]:
    """Gate, train (transformers.Trainer), evaluate, sample, save; returns the metrics (also in metrics.json).

    Raises GateError (with the fix in the message) when the data fails a gate, SetupError for a missing folder,
    model or checkpoint. `resume`: True / "latest" for the last checkpoint in output_dir, or a checkpoint path.
    `callbacks`: extra transformers TrainerCallbacks.
    """
    import torch
    from transformers.trainer_callback import PrinterCallback

    from train.adapters import describe
    from train.trainer import Collator, CuratedTrainer, LogTo, items, training_arguments

    wall = time.perf_counter()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    fmt, encoded, stats = prepare(data_dir, settings)
    resume_from = resolve_checkpoint(resume, out)
    is_main = int(os.environ.get("RANK", 0)) == 0
    log = log if is_main else _silent
    if is_main:
        atomic_write_json(out / "stats.json", stats)
    log(_stats_line(stats))
    check_gates(stats, settings.gates)

    val_rows = read_split(Path(data_dir), "val") if settings.eval else []
    val_encoded, _ = encode_rows(val_rows, fmt, settings.max_seq_len)
    pad_id = fmt.tokenizer.pad_token_id if fmt.tokenizer.pad_token_id is not None else fmt.eos_id

    device, dtype = device_and_dtype(settings)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = add_lora(load_4bit(settings.model, dtype, device), settings)
    log(f"base {settings.model} loaded in 4-bit NF4 with double quantisation (compute {_name(dtype)}) on {device}; "
        f"{describe(settings.lora)}")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    packing = settings.packing
    packing_check: dict[str, Any] = {"ok": True, "checked": False}
    if packing:
        packing_check = check_packed_attention(model, encoded, device, dtype)
        if not packing_check["ok"]:
            log(f"WARNING: packed examples attend to each other with this model ({packing_check}); "
                "falling back to length-grouped padded batches")
            packing = False
    vocab = model.get_base_model().config.vocab_size
    loss_chunk = resolved_loss_chunk(settings, vocab)
    train_items = items(encoded, settings.max_seq_len, packing)
    val_items = items(val_encoded, settings.max_seq_len, packing)
    args = training_arguments(settings, out, device, dtype, bool(val_items))
    trainer = CuratedTrainer(model=model, args=args, data_collator=Collator(pad_id, packing),
                             train_dataset=train_items, eval_dataset=val_items or None,
                             callbacks=_callbacks(settings, out, is_main) + [LogTo(log)] + list(callbacks or []),
                             loss_chunk=loss_chunk, loraplus_lr_ratio=settings.lora.loraplus_lr_ratio,
                             padded_lengths=None if packing else [len(e) for e in train_items])
    trainer.remove_callback(PrinterCallback)
    eval_before = trainer.evaluate().get("eval_loss") if val_items else None
    if resume_from:
        log(f"resuming from {resume_from}")
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.perf_counter() - start
    last = trainer.state.log_history[-2:]  # Trainer may just have evaluated the final step: no second pass
    done = [h["eval_loss"] for h in last if "eval_loss" in h and h.get("step") == trainer.state.global_step]
    eval_after = (done[-1] if done and not args.load_best_model_at_end else trainer.evaluate().get("eval_loss")
                  ) if val_items else None
    counts = trainer.accelerator.reduce(torch.tensor(
        [trainer.counts["real"], trainer.counts["trained"], trainer.counts["positions"]], device=args.device),
        reduction="sum").tolist()
    logged = history(trainer.state.log_history)
    model = trainer.model
    if not trainer.is_world_process_zero():
        return {"steps": trainer.state.global_step, "rank": int(os.environ.get("RANK", 0))}

    adapter = save_outputs(model, fmt, settings, out, dtype)
    samples = []
    if settings.samples and val_rows:
        from train.samples import generate_samples

        samples = generate_samples(model, fmt, val_rows[:settings.samples], settings.sample_max_new_tokens, device)
        atomic_write_jsonl(out / "samples.jsonl", samples)
    real, trained, positions = counts
    metrics: dict[str, Any] = {
        "model": settings.model, "device": device, "compute_dtype": _name(dtype),
        "processes": trainer.args.world_size, "template": fmt.mode, "adapter": describe(settings.lora),
        "packing": packing, "packing_check": packing_check, "loss_chunk": loss_chunk,
        "trainable_params": trainable,
        "train_examples": len(encoded), "batches_per_epoch": len(trainer.get_train_dataloader()),
        "truncated_prompt": stats["training"]["truncated_prompt"],
        "skipped_answer_too_long": stats["training"]["skipped_answer_too_long"],
        "val_examples": len(val_encoded), "eval_loss_before": eval_before, "eval_loss": eval_after,
        "best_eval_loss": trainer.state.best_metric, "steps": trainer.state.global_step,
        "epoch": round(trainer.state.epoch or 0, 4), "resumed_from": resume_from,
        **logged, "train_s": round(seconds, 3), "real_tokens": int(real), "trained_tokens": int(trained),
        "tokens_per_s": round(real / seconds, 1), "trained_tokens_per_s": round(trained / seconds, 1),
        "padding_share": round(1 - real / max(1, positions), 4),
        **peak_memory(device), "adapter_dir": str(adapter),
        "tensorboard_dir": str(out / "logs") if "tensorboard" in settings.report_to else None,
        "samples": len(samples),
    }
    if settings.merge:
        metrics["merged_dir"] = str(merge_adapter(settings.model, adapter, out / "merged",
                                                  torch.bfloat16 if device == "cuda" else torch.float32))
    metrics["wall_s"] = round(time.perf_counter() - wall, 3)
    from train.card import model_card, write_model_card
    from train.plot import loss_curve

    evals = ([(0, eval_before)] if eval_before is not None else []) + logged["evals"]
    metrics["loss_curve"] = str(loss_curve(logged["loss"], out / "loss_curve.png", evals or None,
                                           title=f"QLoRA {Path(settings.model).name}", steps=logged["loss_steps"]))
    card = model_card(settings, stats, metrics, Path(data_dir), describe(settings.lora), samples)
    write_model_card(adapter, card)
    (out / "report.md").write_text(card, encoding="utf-8")
    atomic_write_json(out / "metrics.json", metrics)
    loss = logged["loss"] or [float("nan")]
    log(f"trained {metrics['steps']} steps: loss {loss[0]:.3f} → {loss[-1]:.3f}, eval "
        f"{eval_before} → {eval_after}, {metrics['tokens_per_s']:.0f} tokens/s; outputs in {out}")
    return metrics


def _silent(_: str) -> None:
    """Log sink of the non-main processes of a data-parallel run."""


def _name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _stats_line(stats: dict[str, Any]) -> str:
    t = stats["training"]
    return (f"{stats['rows']} rows, {stats['tokens']} tokens ({stats['tokens_method']}); example tokens "
            f"{t['example_tokens']}; over max_seq_len={t['max_seq_len']}: {t['over_max_seq_len_share']:.1%} "
            f"({t['truncated_prompt']} prompt-truncated, {t['skipped_answer_too_long']} skipped); distinct "
            f"{stats['distinct']}; sources {stats['sources']}; languages {stats['languages']}")


# -- CLI ---------------------------------------------------------------------------------------------------
# flag -> (settings key, type); a flag left out keeps the config's value, else the TrainSettings default
FLAGS: dict[str, tuple[str, Any, str]] = {
    "model": ("model", str, "base model: local folder or hub id"),
    "max_steps": ("max_steps", int, "stop after N optimizer steps (default: epochs decide)"),
    "epochs": ("epochs", float, "passes over train.jsonl"),
    "max_seq_len": ("max_seq_len", int, "tokens per packed row / longest example"),
    "template": ("template", str, "prompt format: the tokenizer's chat template when it has one (auto), or Alpaca"),
    "train_on": ("train_on", str, "conversations: train every assistant turn (all) or only the last"),
    "lr": ("learning_rate", float, "peak learning rate"),
    "lr_scheduler": ("lr_scheduler", str, "learning-rate schedule (transformers' names)"),
    "warmup_steps": ("warmup_steps", int, "linear warm-up steps"),
    "batch_size": ("batch_size", int, "sequences per micro-batch per device (packed rows when packing)"),
    "grad_accum": ("grad_accum", int, "micro-batches per optimizer step"),
    "loss_chunk": ("loss_chunk", int, "chunked cross-entropy tokens per chunk; 0 off; default: on (1024) from 32k "
                                      "vocabularies"),
    "eval_every": ("eval_every", int, "eval loss on val.jsonl every N steps (default: before and after only)"),
    "early_stopping_patience": ("early_stopping_patience", int,
                                "stop after N evals without improvement (needs --eval-every); keeps the best adapter"),
    "save_every": ("save_every", int, "write a resumable checkpoint every N steps under OUTPUT/checkpoints"),
    "save_total_limit": ("save_total_limit", int, "checkpoints kept"),
    "samples": ("samples", int, "val prompts generated greedily after training (samples.jsonl, report.md)"),
    "seed": ("seed", int, "seed for LoRA init, data order and dropout"),
    "threads": ("threads", int, "torch CPU threads (default: torch's choice)"),
    "preview_rows": ("preview_rows", int, "rows shown token by token in the dry run"),
    "log_every": ("log_every", int, "log (and write to TensorBoard) every N steps"),
}
LORA_FLAGS: dict[str, tuple[str, Any, str]] = {
    "adapter": ("method", str, "adapter type: lora, dora (weight-decomposed) or vera (shared random projections)"),
    "lora_r": ("r", int, "adapter rank"),
    "lora_alpha": ("alpha", int, "LoRA scaling numerator"),
    "lora_dropout": ("dropout", float, "dropout on the adapter input"),
    "loraplus_lr_ratio": ("loraplus_lr_ratio", float, "LoRA+: B matrices learn this many times faster (e.g. 16)"),
}
CHOICES = {"template": ["auto", "alpaca", "chat"], "train_on": ["all", "last"], "adapter": ["lora", "dora", "vera"],
           "lr_scheduler": ["cosine_with_min_lr", "cosine", "linear", "constant", "constant_with_warmup"]}


def _default(model: Any, key: str) -> Any:
    return model.model_fields[key].default


def settings_from_args(args: argparse.Namespace) -> TrainSettings:
    """The config file's train: section, then every flag that was given on top."""
    base: dict[str, Any] = {}
    if args.config:
        import yaml

        config = Path(args.config)
        if not config.is_file():
            raise SetupError(f"--config {config}: file not found")
        loaded = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        base = loaded.get("train", loaded)
    flags = {key: getattr(args, flag) for flag, (key, _, _) in FLAGS.items()}
    flags |= {"merge": args.merge or None, "packing": False if args.no_packing else None,
              "report_to": args.report_to}
    base |= {k: v for k, v in flags.items() if v is not None}
    lora = {key: getattr(args, flag) for flag, (key, _, _) in LORA_FLAGS.items() if getattr(args, flag) is not None}
    if args.rslora:
        lora["rslora"] = True
    if lora:
        base["lora"] = {**(base.get("lora") or {}), **lora}
    if args.min_rows is not None:
        base.setdefault("gates", {})["min_rows"] = args.min_rows
    return TrainSettings(enabled=True, **{k: v for k, v in base.items() if k != "enabled"})


def build_parser() -> argparse.ArgumentParser:
    """Every flag with its help and default (defaults are TrainSettings' unless --config sets them)."""
    from train.settings import GateSettings, LoraSettings

    parser = argparse.ArgumentParser(
        prog="python -m train.qlora",
        description="QLoRA-train an adapter on a curated train.jsonl/val.jsonl (4-bit NF4 base, transformers "
                    "Trainer). Flags override the --config file's train: section.",
        epilog="Several GPUs: accelerate launch --num_processes N -m train.qlora --data OUT --model M "
               "(data-parallel, a 4-bit copy of the base on each GPU).")
    parser.add_argument("--data", required=True, help="the curation's output folder, with train.jsonl (and "
                                                      "val.jsonl for eval loss and samples)")
    parser.add_argument("--output", help="output folder (default: DATA/qlora)")
    parser.add_argument("--config", help="YAML with a train: section (or the TrainSettings keys at top level)")
    parser.add_argument("--dry-run", action="store_true", help="stats, gates, label preview, memory estimate and "
                                                               "data advice only; loads no weights")
    parser.add_argument("--resume", nargs="?", const="latest", metavar="CHECKPOINT",
                        help="continue a run: the latest OUTPUT/checkpoints/checkpoint-N, or the one given")
    for table, model in ((FLAGS, TrainSettings), (LORA_FLAGS, LoraSettings)):
        for flag, (key, kind, text) in table.items():
            default = _default(model, key)
            parser.add_argument(f"--{flag.replace('_', '-')}", type=kind, choices=CHOICES.get(flag),
                                help=f"{text} (default: {default})")
    parser.add_argument("--rslora", action="store_true", help="rank-stabilised LoRA scaling alpha/sqrt(r) "
                                                              "(default: alpha/r)")
    parser.add_argument("--report-to", nargs="+", metavar="TRACKER",
                        help=f"trackers for the logs: tensorboard, wandb, mlflow, ... or none "
                             f"(default: {' '.join(_default(TrainSettings, 'report_to'))}, into OUTPUT/logs)")
    parser.add_argument("--no-packing", action="store_true",
                        help="length-grouped padded batches instead of packed rows (default: packing)")
    parser.add_argument("--min-rows", type=int, help="gate: fewer training rows refuse to train "
                                                     f"(default: {_default(GateSettings, 'min_rows')})")
    parser.add_argument("--merge", action="store_true", help="also write base+adapter merged (default: off)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    try:
        settings = settings_from_args(args)
    except ValidationError as err:
        problems = "; ".join(f"train.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        print(f"bad training settings: {problems}", file=sys.stderr)
        return 2
    except SetupError as err:
        print(str(err), file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else Path(args.data) / "qlora"
    try:
        if args.dry_run:
            return _print_dry_run(dry_run(args.data, settings, output), output)
        metrics = run_training(args.data, settings, output, resume=args.resume)
    except (GateError, SetupError) as err:
        print(str(err), file=sys.stderr)
        return 2
    if "eval_loss" in metrics:
        print(json.dumps({k: metrics[k] for k in ("steps", "eval_loss_before", "eval_loss", "tokens_per_s",
                                                  "wall_s", "adapter_dir")}))
    return 0


def _print_dry_run(report: dict[str, Any], output: Path) -> int:
    from train.memory import render

    print(_stats_line(report["stats"]))
    for p in report["preview"]:
        print(render_preview(p))
    print(render(report["memory_estimate"]))
    for line in report["advice"]:
        print(f"advice: {line}")
    if report["gate_problems"]:
        print("GATE FAILED: " + "; ".join(report["gate_problems"]), file=sys.stderr)
        return 2
    print(f"gates passed; dry run written to {output / 'dry_run.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
