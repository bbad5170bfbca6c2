"""Seconds for dataset_stats plus the report's length histograms on N Alpaca-like rows (target: 100k rows in under
30 s on 2 cores; the report computes histograms twice, before and after filtering).

    python bench/stats.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import build_rows  # noqa: E402

from report.stats import dataset_stats, length_histograms  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = [{**r, "source": f"s{i % 3}"} for i, r in enumerate(build_rows(args.rows))]
    times, hist_times = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        stats = dataset_stats(rows, max_seq_len=1024)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        length_histograms(rows)
        hist_times.append(time.perf_counter() - start)
    tfidf = stats["tfidf_diversity"]
    print(f"{args.rows:,} rows: dataset_stats median {statistics.median(times):.1f} s over {args.runs} runs "
          f"(min {min(times):.1f}, max {max(times):.1f}); length_histograms median "
          f"{statistics.median(hist_times):.1f} s; tokens {stats['tokens']:,}, mtld {stats['mtld']}, "
          f"distinct-2 {stats['distinct']['distinct_2']}, vendi {tfidf['vendi_score']}, "
          f"mean cosine distance {tfidf['mean_cosine_distance']}")


if __name__ == "__main__":
    main()
