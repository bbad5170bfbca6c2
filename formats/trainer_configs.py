"""Ready-to-use dataset entries for the trainers people already use, written beside the data.

Each one points at train.jsonl / val.jsonl relative to the output folder, so the folder can be moved whole.
"""

from __future__ import annotations

from typing import Any

import yaml

from formats.outputs import OUTPUT_FORMATS


def llamafactory_dataset_info(name: str, fmt: str) -> dict[str, Any]:
    """An entry for LLaMA-Factory's dataset_info.json (use this folder as `dataset_dir`)."""
    entry = {"file_name": "train.jsonl", **OUTPUT_FORMATS[fmt].llamafactory}
    return {name: entry, f"{name}_val": {**entry, "file_name": "val.jsonl"}}


def axolotl_datasets(fmt: str, folder: str = ".") -> str:
    """An axolotl `datasets:` block (paths relative to `folder`)."""
    entry = {"path": f"{folder}/train.jsonl", "ds_type": "json", **OUTPUT_FORMATS[fmt].axolotl}
    return yaml.safe_dump({"datasets": [entry], "test_datasets": [{**entry, "path": f"{folder}/val.jsonl",
                                                                   "split": "train"}]}, sort_keys=False)


def load_dataset_snippet() -> str:
    return ('import datasets\n\n'
            '# run from this folder (or put its path in front of the file names)\n'
            'dataset = datasets.load_dataset("json", data_files={"train": "train.jsonl", '
            '"validation": "val.jsonl"})\n'
            'print(dataset)\n')
