"""`python -m flows.summary OUT_DIR [--open]`: the run's report in the terminal, for people who live in a shell.

(Not `flows/report.py`: Prefect loads `flows/pipeline.py` as a script with `flows/` on sys.path, where a module
of that name would hide the `report` package.)"""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from pathlib import Path

from report.terminal import summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.summary", description=__doc__.splitlines()[0])
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
