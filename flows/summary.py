"""`python -m flows.report OUT_DIR [--open]`: the run's report in the terminal, for people who live in a shell."""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from pathlib import Path


def summary(report: dict) -> str:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.report", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--open", action="store_true", help="open report.html in a browser")
    args = parser.parse_args(argv)
    path = args.out_dir / "report.json"
    if not path.is_file():
        print(f"no report.json in {args.out_dir} (run python -m flows.build first)", file=sys.stderr)
        return 2
    print(summary(json.loads(path.read_text(encoding="utf-8"))))
    if args.open:
        webbrowser.open((args.out_dir / "report.html").resolve().as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())
