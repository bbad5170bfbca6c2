"""Ready-to-use dataset entries for the trainers people already use, written beside the data.

Each one points at train.jsonl / val.jsonl relative to the output folder, so the folder can be moved whole.
"""

from __future__ import annotations

from typing import Any

import yaml

from formats.outputs import OUTPUT_FORMATS


def llamafactory_dataset_info(name: str, fmt: str, conversations: bool = False) -> dict[str, Any]:
    """An entry for LLaMA-Factory's dataset_info.json (use this folder as `dataset_dir`); a dataset holding
    conversations declares the columns that carry them."""
    output = OUTPUT_FORMATS[fmt]
    entry = {"file_name": "train.jsonl", **output.llamafactory}
    if conversations:
        for key, value in output.conversation_llamafactory.items():
            entry[key] = {**entry.get(key, {}), **value} if isinstance(value, dict) else value
    return {name: entry, f"{name}_val": {**entry, "file_name": "val.jsonl"}}


def axolotl_datasets(fmt: str, folder: str = ".", conversations: bool = False) -> str:
    """An axolotl `datasets:` block. axolotl resolves `path` against the folder it is started in, not this file's:
    give `folder` as an absolute path, or start axolotl in this folder."""
    output = OUTPUT_FORMATS[fmt]
    entry = {"path": f"{folder}/train.jsonl", "ds_type": "json", **output.axolotl}
    if conversations:
        entry |= output.conversation_axolotl
    text = yaml.safe_dump({"datasets": [entry], "test_datasets": [{**entry, "path": f"{folder}/val.jsonl",
                                                                   "split": "train"}]}, sort_keys=False)
    if conversations and output.chat is None:
        text = (f"# These rows carry multi-turn history, which axolotl's {output.axolotl['type']!r} type does not "
                "read:\n# train axolotl on the messages/ folder (chat_template) instead.\n") + text
    return ("# axolotl resolves these paths against the folder it is started in: start it here, or make them "
            "absolute.\n") + text


def load_dataset_snippet() -> str:
    return ('import datasets\n\n'
            '# run from this folder (or put its path in front of the file names)\n'
            'dataset = datasets.load_dataset("json", data_files={"train": "train.jsonl", '
            '"validation": "val.jsonl"})\n'
            'print(dataset)\n')
