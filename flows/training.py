"""The training hand-off as a Prefect flow: stats gate and label preview first, then QLoRA; both as artifacts.

`build` calls it when the config's `train.enabled` is true; `train/manual` in prefect.yaml runs it on its own.
(Not named train.py: Prefect loads an entrypoint with its folder on sys.path, where that name would shadow
the top-level `train` package.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.config import load_config
from train.gate import render_preview
from train.memory import render
from train.qlora import dry_run, run_training
from train.samples import samples_markdown
from train.settings import TrainSettings


def _settings(config: str, model: str | None, max_steps: int | None) -> TrainSettings:
    cfg, base_dir = load_config(config)
    settings = cfg.train
    chosen = model or settings.model
    local = base_dir / chosen if chosen else None
    updates: dict[str, Any] = {"model": str(local) if local and local.exists() else chosen}
    if max_steps:
        updates["max_steps"] = max_steps
    return settings.model_copy(update=updates)


@task(name="training stats and label preview")
def preview(data: str, settings: TrainSettings, output: str) -> dict[str, Any]:
    """What the model will be trained on, before any weights are loaded."""
    report = dry_run(data, settings, output)
    stats = report["stats"]
    size = f"rows **{stats['rows']}**, tokens **{stats['tokens']}** ({stats['tokens_method']})"
    shown = {k: stats[k] for k in ("training", "sources", "languages") if k in stats}
    lines = ["# Training data", "", size, "", "```json", json.dumps(shown, ensure_ascii=False, indent=1), "```"]
    if report["gate_problems"]:
        lines += ["", "**Gates failed:**", *[f"- {p}" for p in report["gate_problems"]]]
    lines += ["", "## Before GPU hours", "", "```", render(report["memory_estimate"]), "```", "",
              *[f"- {line}" for line in report["advice"]]]
    lines += ["", "## Label preview (· masked, T trained)", "", "```",
              *[render_preview(p, max_tokens=120) for p in report["preview"]], "```"]
    create_markdown_artifact(key="training-stats", markdown="\n".join(lines), description="before training")
    return report


@task(name="qlora")
def train_adapter(data: str, settings: TrainSettings, output: str, resume: bool = False) -> dict[str, Any]:
    metrics = run_training(data, settings, output, log=get_run_logger().info, resume=resume)
    summary = {k: metrics.get(k) for k in ("steps", "tokens_per_s", "eval_loss_before", "eval_loss", "wall_s",
                                           "device", "compute_dtype", "adapter", "packing", "adapter_dir",
                                           "tensorboard_dir")}
    loss = metrics.get("loss") or []
    samples_file = Path(output) / "samples.jsonl"
    samples = [json.loads(line) for line in samples_file.read_text(encoding="utf-8").splitlines()] \
        if samples_file.is_file() else []
    create_markdown_artifact(key="training-metrics", description="QLoRA run", markdown="\n".join(
        ["# QLoRA run", "", f"loss {loss[0]:.4f} → {loss[-1]:.4f}" if loss else "", "", "| metric | value |",
         "|---|---|", *[f"| {k} | {v} |" for k, v in summary.items()],
         *(["", "## Samples (greedy, val prompts)", "", samples_markdown(samples)] if samples else [])]))
    return metrics


@flow(name="train")
def train(data: str = "out", config: str = "sample_data/pipeline.yaml", model: str | None = None,
          output: str | None = None, max_steps: int | None = None, resume: bool = False) -> dict[str, Any]:
    """Train a QLoRA adapter on `data`/train.jsonl with the config's `train:` section (model overridable);
    `resume`: continue from the latest checkpoint in the output folder (written with train.save_every)."""
    settings = _settings(config, model, max_steps)
    target = output or str(Path(data) / "qlora")
    report = preview(data, settings, target)
    if report["gate_problems"]:
        raise RuntimeError("training refused by the stats gate: " + "; ".join(report["gate_problems"]))
    return train_adapter(data, settings, target, resume)
