"""CPU time per row of the cleaning chain (repair → PII → slop → noise), PII on and off, in one process.

CPU time (time.process_time) rather than wall time: on a shared machine the neighbours change wall figures by 2x
between runs, much less so the CPU a process spends itself. Runs against whichever checkout is first on PYTHONPATH,
so old and new code can be compared side by side, interleaved:

    PYTHONPATH=/path/to/other/checkout python bench/chain_cpu.py --rows 20000 --repeat 3

Code without a PII step (before issue 17) reports "off" only.
"""

from __future__ import annotations

import argparse
import json
import time

import filters.clean as clean
from bench.slop_eval import DEFAULT_DEVDATA, alpaca_like, load_devdata
from filters.clean import FilterSettings, build_matcher, clean_batch

try:  # the code before issue 17 kept it in filters/ (tried first: an installed checkout may shadow formats/)
    from filters.ledger import Ledger  # type: ignore[import-not-found]
except ImportError:
    from formats.ledger import Ledger


def _runner(settings: FilterSettings, matcher):  # noqa: ANN001, ANN202 - the two APIs differ
    """clean_batch over the settings' steps (the code before issue 17 took settings and matcher instead)."""
    if hasattr(clean, "shard_steps"):
        steps = clean.shard_steps(settings, matcher=matcher)
        return lambda rows: clean_batch(rows, steps, Ledger())
    return lambda rows: clean_batch(rows, settings, matcher, Ledger())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per setting; the minimum is reported")
    args = parser.parse_args()
    settings = FilterSettings()
    sets = load_devdata(DEFAULT_DEVDATA)
    matcher = build_matcher(settings.slop)
    variants = {"off": settings}
    if hasattr(settings, "pii"):
        variants = {"off": settings.model_copy(update={"pii": settings.pii.model_copy(update={"enabled": False})}),
                    "on": settings}
    _runner(settings, matcher)(alpaca_like(sets, 500))  # load langid, warm caches
    runs = {name: _runner(chosen, matcher) for name, chosen in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # interleaved: a neighbour's burst hits both settings alike
        for name, run in runs.items():
            rows = alpaca_like(sets, args.rows)
            start = time.process_time()
            run(rows)
            times[name].append(time.process_time() - start)
    result = {name: round(min(t) / args.rows * 1e6, 2) for name, t in times.items()}
    print(json.dumps({"rows": args.rows, "us_per_row": result}))


if __name__ == "__main__":
    main()
