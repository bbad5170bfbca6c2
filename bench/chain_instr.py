"""The cleaning chain on 2,000 Alpaca-like rows under callgrind, counting only the timed batch: instructions per row
do not move with the machine's load the way seconds do (bench/RESULTS.md, "Chain instructions per row").

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no python bench/chain_instr.py on /tmp/cg &
    # when /tmp/cg/ready exists: callgrind_control -i on <pid>; touch /tmp/cg/go
    # when /tmp/cg/done exists:  callgrind_control -d <pid>; touch /tmp/cg/end
    # instructions = the "summary:" line of the last dump; divide by 2,000

The same rows are cleaned once first (every cache warm, py3langid's included). Runs against whichever checkout is
first on PYTHONPATH (the code before issue 17 took settings and matcher instead of steps), so old and new code are
measured by the same script.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import filters.clean as clean
from bench.slop_eval import DEFAULT_DEVDATA, alpaca_like, load_devdata
from filters.clean import FilterSettings, build_matcher, clean_batch

try:  # the code before issue 17 kept it in filters/
    from filters.ledger import Ledger  # type: ignore[import-not-found]
except ImportError:
    from formats.ledger import Ledger

ROWS = 2_000


def _wait(path: Path) -> None:
    while not path.exists():
        time.sleep(0.05)


def main() -> None:
    pii, folder = sys.argv[1] == "on", Path(sys.argv[2])
    settings = FilterSettings()
    if hasattr(settings, "pii") and not pii:
        settings = settings.model_copy(update={"pii": settings.pii.model_copy(update={"enabled": False})})
    sets = load_devdata(DEFAULT_DEVDATA)
    matcher = build_matcher(settings.slop)

    def run(rows: list) -> None:  # noqa: ANN001 - Example of either checkout
        if hasattr(clean, "shard_steps"):
            clean_batch(rows, clean.shard_steps(settings, matcher=matcher), Ledger())
        else:
            clean_batch(rows, settings, matcher, Ledger())

    run(alpaca_like(sets, ROWS))
    rows = alpaca_like(sets, ROWS)
    (folder / "ready").touch()
    _wait(folder / "go")
    run(rows)
    (folder / "done").touch()
    _wait(folder / "end")


if __name__ == "__main__":
    main()
