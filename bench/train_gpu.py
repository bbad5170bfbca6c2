"""Training throughput: plain padded QLoRA batches (the baseline) vs this task's packed method, side by side.

    python bench/train_gpu.py --shape 1b            # Llama-3.2-1B shape, random weights (H100)
    python bench/train_gpu.py --shape 8b            # Llama-3.1-8B shape: 1x512 peak and 4x2048 throughput
    python bench/train_gpu.py --smoke               # tiny shape on the CPU: checks the script end to end

Random-weight models are built from a config (no download), saved once under --cache, and reloaded in 4-bit NF4
through the task's own `load_4bit`. Examples are random token ids with Alpaca-like lengths (log-normal, median
175, mean 244 tokens; 40% prompt). Every run uses LoRA r=16 on all linear layers, gradient checkpointing and,
on a GPU, bf16 autocast. Every case runs through the task's training loop (`train.trainer.CuratedTrainer`, i.e.
transformers.Trainer with our collator and loss), fed the same pre-built batches in order, one per step.
Figures: real (non-padding) tokens/s, padding share, peak GPU memory, MFU.

MFU counts model FLOPs, not hardware FLOPs: per real token 4 x (non-embedding params + LM head) for the frozen
4-bit base (forward + input-gradient backward; no weight gradients) + 6 x layers x hidden x context for causal
attention over the token's own example; recomputation by checkpointing is not counted. Peak: 989 TFLOP/s (H100
SXM dense bf16), override with --peak-tflops.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from a checkout

import torch  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

from train.packing import collate_packed, collate_padded, pack  # noqa: E402
from train.prompts import IGNORE, Encoded  # noqa: E402
from train.qlora import add_lora, load_4bit  # noqa: E402
from train.settings import TrainSettings  # noqa: E402
from train.trainer import CuratedTrainer, training_arguments  # noqa: E402

SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "intermediate_size": 128, "vocab_size": 2048, "tie_word_embeddings": False},
    "1b": {"hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
           "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": True},
    "8b": {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
           "intermediate_size": 14336, "vocab_size": 128256, "tie_word_embeddings": False},
}


def build_model(shape: str, cache: Path, device: str) -> Path:
    """Random weights in bf16 (fp32 for the CPU smoke), saved once; initialised on the GPU when there is one."""
    from transformers import LlamaConfig, LlamaForCausalLM

    path = cache / shape
    if (path / "config.json").is_file():
        return path
    config = LlamaConfig(**SHAPES[shape], max_position_embeddings=8192, rope_theta=500000.0,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.save_pretrained(path)
    del model
    gc.collect()
    return path


def alpaca_like(n: int, vocab: int, median: int, mean: int, cap: int, seed: int = 0) -> list[Encoded]:
    """Random-token examples whose lengths follow a log-normal with the given median and mean."""
    rng = random.Random(seed)
    sigma = math.sqrt(2 * math.log(mean / median))
    out = []
    for _ in range(n):
        length = max(16, min(cap, round(rng.lognormvariate(math.log(median), sigma))))
        prompt = max(4, int(length * 0.4))
        ids = [1] + [rng.randrange(3, vocab) for _ in range(length - 2)] + [2]
        out.append(Encoded(ids, [IGNORE] * prompt + ids[prompt:]))
    return out


def plain_stack(base: Any, settings: TrainSettings) -> Any:
    """The usual recipe: prepare_model_for_kbit_training (fp32 upcast of embeddings, norms, head) + LoRA."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=True,
                                           gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(r=settings.lora.r, lora_alpha=settings.lora.alpha, lora_dropout=settings.lora.dropout,
                      target_modules="all-linear", bias="none", task_type="CAUSAL_LM")
    return get_peft_model(base, lora)


def model_flops_per_token(config: Any, mean_context: float) -> float:
    h, layers = config.hidden_size, config.num_hidden_layers
    kv = h // config.num_attention_heads * config.num_key_value_heads
    per_layer = h * h * 2 + h * kv * 2 + 3 * h * config.intermediate_size
    linear = layers * per_layer + h * config.vocab_size
    return 4 * linear + 6 * layers * h * mean_context


class Prebuilt:
    """Collator for a dataset of ready batches (one per step): the cases compare batch shapes, not samplers."""

    def __call__(self, items: list[Any]) -> dict[str, Any]:
        (b,) = items
        return {**b.inputs, "real_tokens": torch.tensor(b.real_tokens)}


class Timer(TrainerCallback):
    """Starts the clock and the token count after the warm-up steps."""

    def __init__(self, warmup: int, device: str) -> None:
        self.warmup, self.device, self.start, self.real_at_start, self.trainer = warmup, device, 0.0, 0, None

    def _mark(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()
        self.start = time.perf_counter()
        self.real_at_start = self.trainer.counts["real"]

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.warmup == 0:
            self._mark()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.warmup and self.warmup:
            self._mark()


def run_case(name: str, model_path: Path, batches: list[Any], plain: bool, steps: int, warmup: int,
             device: str, peak_tflops: float, loss_chunk: int = 0) -> dict[str, Any]:
    """Load fresh, warm up, time `steps` optimizer steps of the task's Trainer loop; one batch per step."""
    settings = TrainSettings(model=str(model_path), lora={"r": 16, "alpha": 32, "dropout": 0.05},
                             max_steps=warmup + steps, batch_size=1, learning_rate=1e-4, lr_scheduler="constant",
                             report_to=["none"], samples=0)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    base = load_4bit(str(model_path), dtype, device)
    loaded_gib = torch.cuda.memory_allocated() / 2**30 if device == "cuda" else 0.0
    model = plain_stack(base, settings) if plain else add_lora(base, settings)
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    args = training_arguments(settings, work, device, dtype, has_eval=False)
    args.train_sampling_strategy = "sequential"
    timer = Timer(warmup, device)
    ordered = [batches[i % len(batches)] for i in range(warmup + steps)]
    trainer = CuratedTrainer(model=model, args=args, data_collator=Prebuilt(), train_dataset=ordered,
                             callbacks=[timer], loss_chunk=loss_chunk)
    timer.trainer = trainer
    trainer.train()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - timer.start
    real = trainer.counts["real"] - timer.real_at_start
    timed = ordered[warmup:]
    positions = sum(b.positions for b in timed)
    ctx_weighted = sum(getattr(b, "context_sum", 0.0) for b in timed)
    tps = real / seconds
    flops = model_flops_per_token(model.config, (ctx_weighted / real) if real else 0.0)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    result = {
        "case": name,
        "stack": "plain (prepare_model_for_kbit_training)" if plain else "this task" + (
            f" + chunked CE {loss_chunk}" if loss_chunk else ""),
        "steps": steps, "real_tokens_per_s": round(tps, 1), "padding_share": round(1 - real / positions, 4),
        "batch_shape": list(batches[0].inputs["input_ids"].shape),
        "loaded_gib": round(loaded_gib, 2),
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if device == "cuda" else None,
        "mfu": round(tps * flops / (peak_tflops * 1e12), 4) if device == "cuda" else None,
        "final_loss": round(losses[-1], 4) if losses else None,
    }
    del trainer, model, base
    shutil.rmtree(work, ignore_errors=True)
    gc.collect()
    return result


def with_context(batches: list[Any], examples_per_batch: list[list[Encoded]]) -> list[Any]:
    """Attach the sum over real tokens of their causal context (for attention FLOPs)."""
    for b, exs in zip(batches, examples_per_batch, strict=True):
        b.context_sum = sum(len(e) * (len(e) + 1) / 2 for e in exs)
    return batches


def padded_batches(examples: list[Encoded], batch: int, seed: int = 0) -> list[Any]:
    rng = random.Random(seed)
    order = list(examples)
    rng.shuffle(order)
    chunks = [order[i:i + batch] for i in range(0, len(order) - batch + 1, batch)]
    return with_context([collate_padded(c, 0) for c in chunks], chunks)


def grouped_batches(examples: list[Encoded], batch: int) -> list[Any]:
    order = sorted(examples, key=len)
    chunks = [order[i:i + batch] for i in range(0, len(order) - batch + 1, batch)]
    random.Random(0).shuffle(chunks)
    return with_context([collate_padded(c, 0) for c in chunks], chunks)


def packed_batches(examples: list[Encoded], rows: int, seq_len: int) -> list[Any]:
    bins = pack(examples, seq_len)
    random.Random(0).shuffle(bins)
    groups = [bins[i:i + rows] for i in range(0, len(bins) - rows + 1, rows)]
    return with_context([collate_packed(g, 0) for g in groups], [[e for row in g for e in row] for g in groups])


def cases(shape: str, vocab: int, smoke: bool) -> list[tuple[str, list[Any], bool, int]]:
    """(name, batches, plain stack?, loss chunk) for each run."""
    if smoke:
        ex = alpaca_like(96, vocab, median=40, mean=56, cap=256)
        packed = packed_batches(ex, 2, 256)
        return [("padded 8 (baseline)", padded_batches(ex, 8), True, 0),
                ("padded 8", padded_batches(ex, 8), False, 0),
                ("length-grouped 8", grouped_batches(ex, 8), False, 0),
                ("packed 2x256", packed, False, 0),
                ("packed 2x256", packed, False, 64)]
    ex = alpaca_like(4000, vocab, median=175, mean=244, cap=2048)
    if shape == "1b":
        packed = packed_batches(ex, 4, 2048)
        return [("padded 16 (baseline)", padded_batches(ex, 16), True, 0),
                ("padded 16", padded_batches(ex, 16), False, 0),
                ("length-grouped 16", grouped_batches(ex, 16), False, 0),
                ("packed 4x2048", packed, False, 0),
                ("packed 4x2048", packed, False, 4096)]
    short = [e for e in ex if len(e) >= 512][:64]
    one = packed_batches([Encoded(e.input_ids[:511] + [2], e.labels[:511] + [2]) for e in short], 1, 512)
    packed = packed_batches(ex, 4, 2048)
    return [("1x512", one, True, 0), ("1x512", one, False, 0), ("1x512", one, False, 4096),
            ("packed 4x2048", packed, True, 0), ("packed 4x2048", packed, False, 0),
            ("packed 4x2048", packed, False, 4096)]


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| case | stack | first batch | real tokens/s | padding | peak GiB | MFU |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['case']} | {r['stack']} | {r['batch_shape']} | {r['real_tokens_per_s']:.0f} | "
                     f"{r['padding_share']:.0%} | {r['peak_gib'] if r['peak_gib'] is not None else 'n/a'} | "
                     f"{r['mfu'] if r['mfu'] is not None else 'n/a'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=["1b", "8b"], default="1b")
    parser.add_argument("--smoke", action="store_true", help="tiny model on the CPU, a few steps")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cache", default="/tmp/sftcurate-bench-models")
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", help="run only the cases whose name contains this (e.g. 4x2048)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per case; the median tokens/s is reported")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() and not args.smoke else "cpu"
    if device == "cpu":
        torch.set_num_threads(args.threads)
        if not args.smoke:
            print("no GPU: use --smoke for the CPU check; the 1b/8b shapes need an H100", file=sys.stderr)
            return 2
    shape = "tiny" if args.smoke else args.shape
    path = build_model(shape, Path(args.cache), device)
    steps = args.steps or (6 if args.smoke else 20)
    results = []
    for name, batches, plain, chunk in cases(shape, SHAPES[shape]["vocab_size"], args.smoke):
        if args.only and args.only not in name:
            continue
        runs = sorted((run_case(name, path, batches, plain, steps, args.warmup, device, args.peak_tflops, chunk)
                       for _ in range(args.repeats)), key=lambda r: r["real_tokens_per_s"])
        results.append(runs[len(runs) // 2] | {"runs_tokens_per_s": [r["real_tokens_per_s"] for r in runs]})
        print(json.dumps(results[-1]), flush=True)
    info = {"shape": shape, "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
            "threads": torch.get_num_threads() if device == "cpu" else None, "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"), "results": results}
    print(markdown(results))
    if args.out:
        Path(args.out).write_text(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
