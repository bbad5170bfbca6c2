"""The dataset card (README.md in the output folder): what is in the data, where it came from, how it was made."""

from __future__ import annotations

from typing import Any


def render_card(report: dict[str, Any], *, name: str, fmt: str, license: str | None, config_hash: str,
                source_licenses: dict[str, str | None]) -> str:
    totals, stats = report["totals"], report.get("stats", {})
    lines = [
        f"# {name}", "",
        f"Supervised fine-tuning data in **{fmt}** JSONL: `train.jsonl` ({totals['train']:,} rows) and `val.jsonl` "
        f"({totals['val']:,} rows), curated by sftcurate from {len(report['sources'])} source(s).", "",
        f"- licence: {license or 'not stated — set output.license in the pipeline config'}",
        f"- config hash: `{config_hash}` · code version: `{report['config'].get('code_version', '?')}`",
        f"- rows read {totals['read']:,}, kept {totals['kept']:,}, rejected {totals['rejected']:,} "
        f"(every reject is in `rejects.jsonl` with its reason; every edit in `edits.jsonl`)", "",
        "## Sources", "", "| source | licence | read | kept | rejected |", "|---|---|---:|---:|---:|"]
    for source, c in report["sources"].items():
        lines.append(f"| {source} | {source_licenses.get(source) or '—'} | {c['read']:,} | {c['kept']:,} | "
                     f"{c['rejected']:,} |")
    lines += ["", "## Size and diversity", "",
              f"- tokens: {stats.get('tokens', 0):,} ({stats.get('tokens_method', '')})",
              f"- languages: {stats.get('languages', {})}",
              f"- distinct n-grams of outputs: {stats.get('distinct', {})}", "",
              "## Load it", "", "```python", "import datasets",
              'datasets.load_dataset("json", data_files={"train": "train.jsonl", "validation": "val.jsonl"})', "```",
              "", "LLaMA-Factory: `dataset_info.json` (use this folder as `dataset_dir`); axolotl: `axolotl.yaml`.", ""]
    return "\n".join(lines)
