"""Ready-to-use dataset entries for the trainers people already use, written beside the data.

Each one points at train.jsonl / val.jsonl relative to the output folder, so the folder can be moved whole.
"""

from __future__ import annotations

from typing import Any

import yaml

LLAMAFACTORY_COLUMNS: dict[str, dict[str, Any]] = {
    "alpaca": {"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input", "response": "output"}},
    "messages": {"formatting": "sharegpt", "columns": {"messages": "messages"},
                 "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                          "assistant_tag": "assistant", "system_tag": "system"}},
    "sharegpt": {"formatting": "sharegpt", "columns": {"messages": "conversations"},
                 "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                          "system_tag": "system"}},
}


def llamafactory_dataset_info(name: str, fmt: str) -> dict[str, Any]:
    """An entry for LLaMA-Factory's dataset_info.json (use this folder as `dataset_dir`)."""
    entry = {"file_name": "train.jsonl", **LLAMAFACTORY_COLUMNS[fmt]}
    return {name: entry, f"{name}_val": {**entry, "file_name": "val.jsonl"}}


def axolotl_datasets(fmt: str, folder: str = ".") -> str:
    """An axolotl `datasets:` block (paths relative to `folder`)."""
    if fmt == "alpaca":
        entry: dict[str, Any] = {"path": f"{folder}/train.jsonl", "ds_type": "json", "type": "alpaca"}
    else:
        field, role, content = ("messages", "role", "content") if fmt == "messages" else \
            ("conversations", "from", "value")
        entry = {"path": f"{folder}/train.jsonl", "ds_type": "json", "type": "chat_template",
                 "field_messages": field, "message_property_mappings": {"role": role, "content": content}}
        if fmt == "sharegpt":
            entry["roles"] = {"user": ["human"], "assistant": ["gpt"], "system": ["system"]}
    return yaml.safe_dump({"datasets": [entry], "test_datasets": [{**entry, "path": f"{folder}/val.jsonl",
                                                                   "split": "train"}]}, sort_keys=False)


def load_dataset_snippet() -> str:
    return ('import datasets\n\n'
            '# run from this folder (or put its path in front of the file names)\n'
            'dataset = datasets.load_dataset("json", data_files={"train": "train.jsonl", '
            '"validation": "val.jsonl"})\n'
            'print(dataset)\n')
