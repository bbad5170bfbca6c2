"""The report as a Prefect markdown artifact and a table artifact (plain data: flows/ publishes them)."""

from __future__ import annotations

from typing import Any


def markdown(report: dict[str, Any], out_dir: str) -> str:
    lines = [f"# Curation run → `{out_dir}`", "", "| source | read | new | kept | rejected | status |",
             "|---|---:|---:|---:|---:|---|"]
    for name, c in report["sources"].items():
        lines.append(f"| {name} | {c['read']} | {c.get('new_rows', 0)} | {c['kept']} | {c['rejected']} "
                     f"| {c['status']} |")
    lines += ["", "| rule | hits | dropped | stripped |", "|---|---:|---:|---:|"]
    for rule, c in report["rules"].items():
        lines.append(f"| {rule} | {c['hits']} | {c['dropped']} | {c['stripped']} |")
    return "\n".join(lines)


def rules_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per rule that fired, then the enabled rules that fired on nothing, for the table artifact."""
    zero = {"stage": "", "category": "", "action": "", "hits": 0, "dropped": 0, "stripped": 0, "flagged": 0,
            "chars_removed": 0}
    return [{"rule": rule, **zero, **counts} for rule, counts in report["rules"].items()] + \
        [{"rule": rule, **zero} for rule in report.get("rules_with_no_hits", [])]
