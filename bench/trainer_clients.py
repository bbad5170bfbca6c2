"""Train each installed trainer for a few steps on each output folder with the tiny model (issue 22).

    python bench/trainer_clients.py --data OUT_DIR [--steps 2] [--json results.json]

OUT_DIR is a curated output folder (alpaca at the top, messages/ and sharegpt/ beside it). Not in CI: the trainers
are GB-sized installs. What is not installed is reported as such, never as a pass. TRL is run in-process on
`messages/` (assistant-only loss, which needs the `{% generation %}` markers train/tiny_model.py's template has);
LLaMA-Factory and axolotl through their CLIs when they are on PATH.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from train.tiny_model import write_tiny_model  # noqa: E402


def run_trl(data: Path, model: Path, steps: int, work: Path) -> dict[str, Any]:
    try:
        import trl
        from trl import SFTConfig, SFTTrainer
    except ImportError:
        return {"status": "not installed"}
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rows = datasets.load_dataset("json", data_files=str(data / "messages" / "train.jsonl"))["train"]
    rows = rows.select_columns(["messages"])
    config = SFTConfig(output_dir=str(work / "trl"), max_steps=steps, per_device_train_batch_size=2,
                       assistant_only_loss=True, report_to=[], logging_steps=1, save_strategy="no",
                       use_cpu=True, max_length=512)
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(model), args=config, train_dataset=rows,
                         processing_class=AutoTokenizer.from_pretrained(model))
    result = trainer.train()
    return {"status": "trained", "version": trl.__version__, "folder": "messages/", "steps": result.global_step,
            "loss": round(result.training_loss, 4)}


def run_cli(name: str, command: list[str]) -> dict[str, Any]:
    if shutil.which(command[0]) is None:
        return {"status": "not installed"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    return {"status": "trained" if done.returncode == 0 else "failed", "tail": done.stdout[-500:] + done.stderr[-500:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = write_tiny_model(work / "tiny", data_dir=args.data)
        results = {"trl": run_trl(args.data, model, args.steps, work)}
        for folder in ("", "messages", "sharegpt"):
            target = args.data / folder
            config = work / f"llamafactory-{folder or 'alpaca'}.yaml"
            config.write_text(json.dumps({
                "model_name_or_path": str(model), "stage": "sft", "do_train": True, "finetuning_type": "lora",
                "dataset_dir": str(target), "dataset": "sft_curated", "template": "default", "max_steps": args.steps,
                "output_dir": str(work / f"lf-{folder}"), "per_device_train_batch_size": 2, "report_to": "none"}))
            results[f"llamafactory:{folder or 'alpaca'}"] = run_cli("llamafactory", ["llamafactory-cli", "train",
                                                                                     str(config)])
            results[f"axolotl:{folder or 'alpaca'}"] = run_cli("axolotl", ["axolotl", "train",
                                                                           str(target / "axolotl.yaml")])
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
