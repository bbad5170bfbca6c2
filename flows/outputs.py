"""The one list of files a run writes (the writer, the cache check and the terminal all read it from here)."""

from __future__ import annotations

from pathlib import Path

from formats.writers import OutputSettings, format_folders

STATE_DIR = ".state"  # run state beside the outputs: ids seen per source, the outputs' cache key
# What a run writes: these in every format's folder, the rest once in the output folder.
PER_FORMAT = ("train.jsonl", "val.jsonl", "dataset_info.json", "axolotl.yaml", "load_dataset.py")
SHARED = ("provenance.jsonl", "rejects.jsonl", "edits.jsonl", "report.json", "report.html", "README.md")


def output_files(output: OutputSettings, out_dir: Path) -> list[Path]:
    """Every file a run writes, in a fixed order (the cache hashes them to know the outputs are still current)."""
    return [folder / name for _, folder in format_folders(output, out_dir) for name in PER_FORMAT] + \
        [out_dir / name for name in SHARED]
