"""QLoRA on a curated dataset: stats gate → (dry run: label preview, stop) → 4-bit NF4 + LoRA training → adapter.

    python -m train.qlora --data out --model PATH_OR_HUB_ID [--output DIR] [--dry-run] [--max-steps N]

Plain Python, no Prefect: a flow task calls `run_training(data_dir, settings, output_dir)`. Loss is on response
tokens + EOS only; examples are packed with per-example attention (see train/packing.py). The output folder holds
the adapter, tokenizer, prompt_template.json and train_config.json (everything inference needs), plus
metrics.json, stats.json and loss_curve.png.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from formats.writers import atomic_write_json, read_jsonl
from train.gate import GateError, check_gates, encode_rows, gate_problems, label_preview, render_preview, training_stats
from train.prompts import Encoded, PromptFormat
from train.settings import TrainSettings

__all__ = ["GateError", "TrainSettings", "dry_run", "run_training", "main"]


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

    return AutoTokenizer.from_pretrained(model)


def quantization_config(compute_dtype: Any) -> Any:
    """Every 4-bit field set: transformers' own defaults are fp4 without double quantisation."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype, bnb_4bit_quant_storage=torch.uint8)


def load_4bit(model: str, compute_dtype: Any, device: str) -> Any:
    """The base model in NF4. Non-quantised parts stay in the compute dtype (no blanket fp32 upcast)."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"quantization_config": quantization_config(compute_dtype), "dtype": compute_dtype}
    if device == "cuda":
        kwargs["device_map"] = {"": 0}
    base = AutoModelForCausalLM.from_pretrained(model, **kwargs)
    base.config.use_cache = False  # required for the packed block-diagonal mask; useless in training anyway
    return base


def add_lora(base: Any, settings: TrainSettings) -> Any:
    from peft import LoraConfig, get_peft_model

    if settings.gradient_checkpointing:
        kwargs = {"use_reentrant": False}  # non-reentrant: no input-requires-grad hack needed for a frozen base
        if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.2x; the old name is deprecated
            base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    lora = LoraConfig(r=settings.lora.r, lora_alpha=settings.lora.alpha, lora_dropout=settings.lora.dropout,
                      target_modules=settings.lora.target_modules, bias="none", task_type="CAUSAL_LM")
    return get_peft_model(base, lora)


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
        raise ValueError("train.model is empty: give a local model folder or a hub id")
    data_dir = Path(data_dir)
    rows = read_split(data_dir, "train")
    fmt = PromptFormat(load_tokenizer(settings.model), settings.template, settings.train_on)
    encoded, stats = training_stats(rows, fmt, settings.max_seq_len)
    return fmt, encoded, stats


def dry_run(data_dir: str | Path, settings: TrainSettings, output_dir: str | Path | None = None) -> dict[str, Any]:
    """Stats, gate verdict and a label preview of a few rows; loads no model weights."""
    fmt, _, stats = prepare(data_dir, settings)
    rows = read_split(Path(data_dir), "train")[:settings.preview_rows]
    report = {"stats": stats, "gate_problems": gate_problems(stats, settings.gates),
              "preview": [label_preview(r, fmt, settings.max_seq_len) for r in rows]}
    if output_dir:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(output_dir) / "dry_run.json", report)
    return report


# -- training ----------------------------------------------------------------------------------------------
def _lr_at(step: int, total: int, settings: TrainSettings) -> float:
    """Linear warm-up, then cosine down to 10% of the peak."""
    if step < settings.warmup_steps:
        return settings.learning_rate * (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / max(1, total - settings.warmup_steps)
    return settings.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def evaluate(model: Any, batches: list[Any], device: str, dtype: Any) -> float | None:
    """Mean loss per trained token over val.jsonl (same masking and packing as training)."""
    import torch

    if not batches:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), _autocast(device, dtype):
        for b in batches:
            inputs = {k: v.to(device) for k, v in b.inputs.items()}
            n = int((inputs["labels"][:, 1:] != -100).sum())
            if n:
                total += float(model(**inputs, use_cache=False).loss) * n
                count += n
    model.train(was_training)
    return round(total / count, 5) if count else None


def _autocast(device: str, dtype: Any) -> Any:
    import contextlib

    import torch

    if device == "cuda" and dtype in (torch.bfloat16, torch.float16):
        return torch.autocast("cuda", dtype=dtype)  # without it throughput halves on an H100
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


def forward_loss(model: Any, inputs: dict[str, Any], loss_chunk: int = 0) -> Any:
    """The training loss: chunked over trained tokens when asked and the model allows, else the model's own."""
    if loss_chunk:
        from train.loss import chunked_causal_lm_loss, supports_chunked_loss

        if supports_chunked_loss(model):
            return chunked_causal_lm_loss(model, inputs, loss_chunk)
    return model(**inputs, use_cache=False).loss


def train_model(model: Any, batches: list[Any], settings: TrainSettings, device: str, dtype: Any,
                log: Any = print) -> dict[str, Any]:
    """The loop: AdamW on the LoRA weights, grad accumulation, clipping; returns per-step figures."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    per_epoch = max(1, len(batches) // settings.grad_accum)
    total = settings.max_steps or max(1, math.ceil(settings.epochs * per_epoch))
    rng = random.Random(settings.seed)
    order: list[int] = []
    losses, lrs = [], []
    real = trained = positions = 0
    model.train()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for step in range(total):
        lr = _lr_at(step, total, settings)
        for group in optimizer.param_groups:
            group["lr"] = lr
        step_loss = 0.0
        for _ in range(settings.grad_accum):
            if not order:
                order = list(range(len(batches)))
                rng.shuffle(order)
            b = batches[order.pop()]
            inputs = {k: v.to(device) for k, v in b.inputs.items()}
            with _autocast(device, dtype):
                loss = forward_loss(model, inputs, settings.loss_chunk) / settings.grad_accum
            loss.backward()
            step_loss += float(loss.detach())
            real, trained, positions = real + b.real_tokens, trained + b.trained_tokens, positions + b.positions
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(round(step_loss, 5))
        lrs.append(lr)
        if (step + 1) % settings.log_every == 0 or step + 1 == total:
            log(f"step {step + 1}/{total}  loss {step_loss:.4f}  lr {lr:.2e}")
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return {"steps": total, "loss": losses, "lr": lrs, "train_s": round(seconds, 3),
            "real_tokens": real, "trained_tokens": trained,
            "tokens_per_s": round(real / seconds, 1), "trained_tokens_per_s": round(trained / seconds, 1),
            "padding_share": round(1 - real / max(1, positions), 4)}


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


def run_training(data_dir: str | Path, settings: TrainSettings, output_dir: str | Path,
                 log: Any = print) -> dict[str, Any]:
    """Gate, train, evaluate, save; returns the metrics (also written to output_dir/metrics.json).

    Raises GateError (with the fix in the message) when the data fails a gate.
    """
    import torch

    wall = time.perf_counter()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    fmt, encoded, stats = prepare(data_dir, settings)
    atomic_write_json(out / "stats.json", stats)
    log(_stats_line(stats))
    check_gates(stats, settings.gates)

    from train.packing import make_batches

    pad_id = fmt.tokenizer.pad_token_id if fmt.tokenizer.pad_token_id is not None else fmt.eos_id
    batches = make_batches(encoded, settings.batch_size, settings.max_seq_len, pad_id, settings.packing,
                           seed=settings.seed)
    val_rows = read_split(Path(data_dir), "val") if settings.eval else []
    val_encoded, _ = encode_rows(val_rows, fmt, settings.max_seq_len)
    val_batches = make_batches(val_encoded, settings.batch_size, settings.max_seq_len, pad_id, settings.packing)

    device, dtype = device_and_dtype(settings)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = add_lora(load_4bit(settings.model, dtype, device), settings)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    packing_check: dict[str, Any] = {"ok": True, "checked": False}
    if settings.packing:
        packing_check = check_packed_attention(model, encoded, device, dtype)
        if not packing_check["ok"]:
            log(f"WARNING: packed examples attend to each other with this model ({packing_check}); "
                "falling back to length-grouped padded batches")
            batches = make_batches(encoded, settings.batch_size, settings.max_seq_len, pad_id, False,
                                   seed=settings.seed)
            val_batches = make_batches(val_encoded, settings.batch_size, settings.max_seq_len, pad_id, False)
    eval_before = evaluate(model, val_batches, device, dtype)
    result = train_model(model, batches, settings, device, dtype, log)
    eval_after = evaluate(model, val_batches, device, dtype)
    adapter = save_outputs(model, fmt, settings, out, dtype)

    metrics: dict[str, Any] = {
        "model": settings.model, "device": device, "compute_dtype": str(dtype).removeprefix("torch."),
        "template": fmt.mode, "packing": settings.packing and packing_check["ok"], "packing_check": packing_check,
        "trainable_params": trainable,
        "train_examples": len(encoded), "batches_per_epoch": len(batches),
        "truncated_prompt": stats["training"]["truncated_prompt"],
        "skipped_answer_too_long": stats["training"]["skipped_answer_too_long"],
        "val_examples": len(val_encoded), "eval_loss_before": eval_before, "eval_loss": eval_after,
        **result, **peak_memory(device), "adapter_dir": str(adapter),
    }
    if settings.merge:
        metrics["merged_dir"] = str(merge_adapter(settings.model, adapter, out / "merged",
                                                  torch.bfloat16 if device == "cuda" else torch.float32))
    metrics["wall_s"] = round(time.perf_counter() - wall, 3)
    from train.plot import loss_curve

    evals = [(0, eval_before), (result["steps"], eval_after)] if eval_after is not None else None
    metrics["loss_curve"] = str(loss_curve(result["loss"], out / "loss_curve.png", evals,
                                           title=f"QLoRA {Path(settings.model).name}"))
    atomic_write_json(out / "metrics.json", metrics)
    log(f"trained {result['steps']} steps: loss {result['loss'][0]:.3f} → {result['loss'][-1]:.3f}, eval "
        f"{eval_before} → {eval_after}, {result['tokens_per_s']:.0f} tokens/s; outputs in {out}")
    return metrics


def _stats_line(stats: dict[str, Any]) -> str:
    t = stats["training"]
    return (f"{stats['rows']} rows, {stats['tokens']} tokens ({stats['tokens_method']}); example tokens "
            f"{t['example_tokens']}; over max_seq_len={t['max_seq_len']}: {t['over_max_seq_len_share']:.1%} "
            f"({t['truncated_prompt']} prompt-truncated, {t['skipped_answer_too_long']} skipped); distinct "
            f"{stats['distinct']}; sources {stats['sources']}; languages {stats['languages']}")


# -- CLI ---------------------------------------------------------------------------------------------------
def settings_from_args(args: argparse.Namespace) -> TrainSettings:
    base: dict[str, Any] = {}
    if args.config:
        import yaml

        loaded = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        base = loaded.get("train", loaded)
    flags = {"model": args.model, "max_steps": args.max_steps, "max_seq_len": args.max_seq_len,
             "template": args.template, "train_on": args.train_on, "learning_rate": args.lr,
             "batch_size": args.batch_size,
             "threads": args.threads, "merge": args.merge or None, "preview_rows": args.preview_rows}
    if args.no_packing:
        flags["packing"] = False
    base |= {k: v for k, v in flags.items() if v is not None}
    if args.min_rows is not None:
        base.setdefault("gates", {})["min_rows"] = args.min_rows
    return TrainSettings(enabled=True, **{k: v for k, v in base.items() if k != "enabled"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="QLoRA-train an adapter on a curated train.jsonl/val.jsonl.")
    parser.add_argument("--data", required=True, help="folder with train.jsonl (and val.jsonl for eval loss)")
    parser.add_argument("--model", help="base model: local folder or hub id")
    parser.add_argument("--output", help="output folder (default: DATA/qlora)")
    parser.add_argument("--config", help="YAML with a train: section (or the TrainSettings keys at top level)")
    parser.add_argument("--dry-run", action="store_true", help="stats, gates and label preview only; no model load")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--max-seq-len", type=int)
    parser.add_argument("--template", choices=["auto", "alpaca", "chat"])
    parser.add_argument("--train-on", choices=["all", "last"],
                        help="conversations: train every assistant turn (default) or only the last")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--no-packing", action="store_true", help="length-grouped padded batches instead")
    parser.add_argument("--min-rows", type=int)
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--merge", action="store_true", help="also write the merged model")
    parser.add_argument("--preview-rows", type=int)
    args = parser.parse_args(argv)
    from pydantic import ValidationError

    try:
        settings = settings_from_args(args)
    except ValidationError as err:
        problems = "; ".join(f"train.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        print(f"bad training settings: {problems}", file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else Path(args.data) / "qlora"
    if args.dry_run:
        report = dry_run(args.data, settings, output)
        print(_stats_line(report["stats"]))
        for p in report["preview"]:
            print(render_preview(p))
        if report["gate_problems"]:
            print("GATE FAILED: " + "; ".join(report["gate_problems"]), file=sys.stderr)
            return 2
        print(f"gates passed; dry run written to {output / 'dry_run.json'}")
        return 0
    try:
        metrics = run_training(args.data, settings, output)
    except GateError as err:
        print(str(err), file=sys.stderr)
        return 2
    print(json.dumps({k: metrics[k] for k in ("eval_loss_before", "eval_loss", "tokens_per_s", "wall_s")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
