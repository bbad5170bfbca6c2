"""The build flow hands the curated data to the QLoRA task when `train.enabled` is set."""

import json
import shutil

from tests.conftest import SAMPLE


def test_build_hands_off_to_training(prefect_harness, tmp_path):
    from flows.pipeline import build
    from train.tiny_model import write_tiny_model

    shutil.copytree(SAMPLE, tmp_path / "sample")
    write_tiny_model(tmp_path / "sample" / "tiny")
    config = tmp_path / "sample" / "pipeline.yaml"
    config.write_text(config.read_text() + """
train:
  enabled: true
  model: tiny               # relative to this file
  max_steps: 3
  batch_size: 4
  threads: 1
  gates: {min_rows: 10}
""")
    out = tmp_path / "out"
    report = build(config=str(config), out=str(out))
    assert report["stats"]["tokens_method"].startswith("tokenizer of ") and \
        report["lengths"]["tokens_method"] == report["stats"]["tokens_method"]  # the target model's own counts
    tok = __import__("transformers").AutoTokenizer.from_pretrained(tmp_path / "sample" / "tiny")
    kept = [json.loads(line) for name in ("train.jsonl", "val.jsonl") for line in (out / name).read_text().splitlines()]
    assert report["stats"]["tokens"] == sum(len(tok(f"{r['instruction']}\n{r['input']}\n{r['output']}",
                                                    add_special_tokens=False)["input_ids"]) for r in kept)
    metrics = report["training"]
    assert metrics["steps"] == 3 and len(metrics["loss"]) == 3
    assert (out / "qlora" / "adapter" / "adapter_config.json").is_file()
    assert (out / "qlora" / "loss_curve.png").stat().st_size > 0
    dry = json.loads((out / "qlora" / "dry_run.json").read_text())
    assert dry["stats"]["rows"] == report["totals"]["train"] and not dry["gate_problems"]
