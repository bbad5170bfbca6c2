"""Outputs every trainer accepts: each format loads with `datasets`, and the trainer entries point at real files."""

import json
import subprocess
import sys

import datasets
import pytest
import yaml

from formats.example import Example
from formats.outputs import OUTPUT_FORMATS
from formats.trainer_configs import axolotl_datasets, llamafactory_dataset_info
from formats.writers import atomic_write_jsonl, converted, read_jsonl


def rows():
    return [Example.from_fields("s", str(i), f"Question {i}?", "ctx" if i % 2 else "", f"Answer {i}.")
            for i in range(6)]


@pytest.mark.parametrize("fmt", sorted(OUTPUT_FORMATS))
def test_each_format_loads_and_its_trainer_entries_match(tmp_path, fmt):
    atomic_write_jsonl(tmp_path / "train.jsonl", converted(rows(), fmt, "Be brief." if fmt != "alpaca" else None))
    atomic_write_jsonl(tmp_path / "val.jsonl", converted(rows()[:2], fmt, None))
    loaded = datasets.load_dataset("json", data_files={"train": str(tmp_path / "train.jsonl"),
                                                       "validation": str(tmp_path / "val.jsonl")})
    assert loaded["train"].num_rows == 6 and loaded["validation"].num_rows == 2
    info = llamafactory_dataset_info("demo", fmt)
    entry = info["demo"]
    assert (tmp_path / entry["file_name"]).is_file() and (tmp_path / info["demo_val"]["file_name"]).is_file()
    for column in entry["columns"].values():  # every column LLaMA-Factory will read exists
        assert column in loaded["train"].column_names
    if fmt != "alpaca":
        turns = loaded["train"][0][entry["columns"]["messages"]]
        tags = entry["tags"]
        assert turns[-1][tags["role_tag"]] == tags["assistant_tag"]
        assert {t[tags["role_tag"]] for t in turns} <= {tags["user_tag"], tags["assistant_tag"], tags["system_tag"]}
    block = yaml.safe_load(axolotl_datasets(fmt, str(tmp_path)))
    first = block["datasets"][0]
    assert datasets.load_dataset("json", data_files=first["path"])["train"].num_rows == 6
    if fmt != "alpaca":
        assert first["field_messages"] in loaded["train"].column_names
    # what a trainer reads through the entry maps back to the examples that were written
    for example, row in zip(rows(), loaded["train"], strict=True):
        if fmt == "alpaca":
            assert (row["instruction"], row["input"], row["output"]) == \
                (example.instruction, example.input, example.output)
            continue
        tags = entry["tags"]
        said = {turn[tags["role_tag"]]: turn[tags["content_tag"]] for turn in row[entry["columns"]["messages"]]}
        assert said[tags["system_tag"]] == "Be brief."
        assert said[tags["user_tag"]].startswith(example.instruction) and example.input in said[tags["user_tag"]]
        assert said[tags["assistant_tag"]] == example.output


@pytest.mark.parametrize("row,fmt", [
    ({"instruction": "q", "input": "", "output": " "}, "alpaca"),
    ({"instruction": "q", "input": "", "output": {"text": "a"}}, "alpaca"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "q2"}]}, "messages"),
    ({"conversations": [{"from": "human", "value": "q"}]}, "sharegpt"),
])
def test_rows_a_trainer_would_choke_on_are_refused(row, fmt):
    with pytest.raises(ValueError):
        OUTPUT_FORMATS[fmt].check(row)


def test_sample_run_writes_card_and_trainer_files(sample_run):
    out, report = sample_run
    card = (out / "README.md").read_text()
    assert f"`train.jsonl` ({report['totals']['train']:,} rows)" in card and "config hash" in card
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["sft_curated"]["file_name"] == "train.jsonl"
    assert yaml.safe_load((out / "axolotl.yaml").read_text())["datasets"][0]["type"] == "alpaca"
    ran = subprocess.run([sys.executable, "load_dataset.py"], cwd=out, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert f"num_rows: {report['totals']['train']}" in ran.stdout


def test_sample_run_writes_all_three_formats_with_the_same_rows(sample_run):
    out, _ = sample_run
    for split in ("train", "val"):
        ids = [r["id"] for r in read_jsonl(out / f"{split}.jsonl")]
        assert ids
        for fmt in ("messages", "sharegpt"):
            folder = out / fmt
            loaded = datasets.load_dataset("json", data_files=str(folder / f"{split}.jsonl"))["train"]
            assert loaded["id"] == ids, (fmt, split)
            entry = json.loads((folder / "dataset_info.json").read_text())["sft_curated"]
            assert entry["columns"]["messages"] in loaded.column_names and (folder / entry["file_name"]).is_file()
            assert yaml.safe_load((folder / "axolotl.yaml").read_text())["datasets"][0]["field_messages"] in \
                loaded.column_names
    first = read_jsonl(out / "messages" / "train.jsonl")[0]["messages"]
    plain = read_jsonl(out / "train.jsonl")[0]
    assert first[-1] == {"role": "assistant", "content": plain["output"]}


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "train.jsonl"
    atomic_write_jsonl(target, [{"instruction": "old", "input": "", "output": "kept"}])
    before = target.read_bytes()

    def rows():
        yield {"instruction": "new", "input": "", "output": "a"}
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError):
        atomic_write_jsonl(target, rows())
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]
    assert oct(target.stat().st_mode & 0o777) != "0o600"  # readable like any file the user writes
