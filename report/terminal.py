"""The run's report as plain text for the terminal (`python -m flows.summary OUT_DIR`)."""

from __future__ import annotations

from typing import Any


def summary(report: dict[str, Any]) -> str:
    t = report["totals"]
    lines = [f"read {t['read']:,} → kept {t['kept']:,} (train {t['train']:,}, val {t['val']:,}), "
             f"rejected {t['rejected']:,}, edited rows {t['edited_rows']:,}", "",
             f"{'source':<16}{'read':>9}{'kept':>9}{'rejected':>10}{'new':>8}  status"]
    for name, c in report["sources"].items():
        lines.append(f"{name:<16}{c['read']:>9,}{c['kept']:>9,}{c['rejected']:>10,}{c.get('new_rows', 0):>8,}  "
                     f"{c['status']}{': ' + c['error'] if c.get('error') else ''}")
    lines += ["", f"{'rule':<40}{'hits':>8}{'dropped':>9}{'stripped':>10}"]
    for rule, c in report["rules"].items():
        lines.append(f"{rule:<40}{c['hits']:>8,}{c['dropped']:>9,}{c['stripped']:>10,}")
    if report.get("rules_with_no_hits"):
        lines += ["", f"{len(report['rules_with_no_hits'])} enabled rules fired on nothing: "
                      + ", ".join(report["rules_with_no_hits"])]
    if report.get("duplicates"):
        d = report["duplicates"]["overall"]
        lines += ["", f"duplicates: {d['exact']:,} exact + {d['near']:,} near of {d['reached_dedup']:,} rows "
                      f"that reached dedup ({d['rate']:.1%})"]
    return "\n".join(lines)
