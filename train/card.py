"""The adapter's model card (adapter/README.md), filled in: base, data, settings, metrics, how to load it.

peft writes an empty template on save; a person picking the adapter up later needs to know what it was trained on
and how well it did without finding the run's folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from train.settings import TrainSettings


def model_card(settings: TrainSettings, stats: dict[str, Any], metrics: dict[str, Any], data_dir: Path,
               adapter_line: str, samples: list[dict[str, Any]] | None = None) -> str:
    """Markdown with a YAML header the Hub understands (base_model, library_name, tags)."""
    from train.samples import samples_markdown

    t = stats["training"]
    data_card = data_dir / "README.md"
    loss = metrics.get("loss") or []
    keep = ("steps", "epoch", "eval_loss_before", "eval_loss", "best_eval_loss", "tokens_per_s", "train_s",
            "peak_memory_gib", "peak_memory_kind", "trainable_params", "device", "compute_dtype", "packing",
            "resumed_from")
    lines = [
        "---", f"base_model: {settings.model}", "library_name: peft",
        "tags: [qlora, sft, sftcurate]", "---", "",
        f"# QLoRA adapter for `{settings.model}`", "",
        f"Trained by sftcurate's `train.qlora` on the curated dataset in `{data_dir}`"
        + (f" (dataset card: `{data_card}`)" if data_card.is_file() else "") + ".", "",
        "## Data", "",
        f"- {stats['rows']} training rows, {stats['tokens']} tokens ({stats['tokens_method']}); sources "
        f"{json.dumps(stats.get('sources', {}), ensure_ascii=False)}; languages "
        f"{json.dumps(stats.get('languages', {}), ensure_ascii=False)}",
        f"- template `{t['template']}`, max_seq_len {t['max_seq_len']}: {t['truncated_prompt']} prompts truncated, "
        f"{t['skipped_answer_too_long']} rows skipped (answer too long), {t['trained_tokens']} trained tokens "
        f"(answers + EOS; prompts masked)",
        f"- val.jsonl: {metrics.get('val_examples', 0)} examples", "",
        "## Settings", "",
        f"- 4-bit NF4 base with double quantisation, compute dtype {metrics.get('compute_dtype')}",
        f"- {adapter_line}",
        f"- learning rate {settings.learning_rate} ({settings.lr_scheduler}, warm-up {settings.warmup_steps} steps), "
        f"batch {settings.batch_size} x grad_accum {settings.grad_accum}, packing {metrics.get('packing')}, "
        f"seed {settings.seed}",
        "- every setting: `train_config.json`; the prompt format: `prompt_template.json`", "",
        "## Metrics", "",
        "| metric | value |", "|---|---|",
        *[f"| {k} | {metrics[k]} |" for k in keep if metrics.get(k) is not None],
    ]
    if loss:
        lines.append(f"| train loss (first → last log) | {loss[0]} → {loss[-1]} |")
    if samples:
        lines += ["", "## Samples (greedy, val prompts)", "", samples_markdown(samples)]
    lines += ["", "## Use", "", "```python",
              "from peft import PeftModel",
              "from transformers import AutoModelForCausalLM",
              "from train.prompts import PromptFormat",
              f"base = AutoModelForCausalLM.from_pretrained({settings.model!r})",
              "model = PeftModel.from_pretrained(base, ADAPTER_DIR)",
              "ids = PromptFormat.from_adapter(ADAPTER_DIR).prompt_ids({'instruction': '...'})  # the trained prompt",
              "```", ""]
    return "\n".join(lines)


def write_model_card(adapter_dir: Path, text: str) -> Path:
    path = adapter_dir / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
