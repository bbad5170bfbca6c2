"""Our full flow against an equivalent datatrove pipeline on the same 100k Alpaca-like rows, in one invocation.

datatrove: JSONL reader → ftfy → one case-insensitive regex of ~200 boilerplate phrases → MinHash dedup
in its four stages → JSONL writer, LocalPipelineExecutor with 2 tasks / 2 workers.
Ours: `python -m flows.build` on the same file (repair, slop rules, noise checks, dedup, ledger, report),
with the process runner on 2 workers. Each side runs as its own child process: wall time, peak RSS of
the largest process, rows kept.

    python bench/compare_datatrove.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_rows, write_jsonl  # noqa: E402
from measure import run_child  # noqa: E402

# ~200 phrases in the style of the 2023 "unfiltered" lists (written for this benchmark).
_STEMS = ["as an ai", "as a language model", "as an artificial intelligence", "i'm sorry, but", "i am sorry, but",
          "i apologize, but", "i cannot", "i can't", "i'm unable to", "i am unable to", "i'm not able to",
          "i hope this helps", "hope this helps", "let me know if", "feel free to", "certainly!", "of course!",
          "sure!", "absolutely!", "great question", "here's a", "here is a", "as of my last", "knowledge cutoff",
          "my training data", "it is important to note", "it's important to note", "it's important to remember",
          "please note that", "openai", "ethical guidelines", "my programming", "i don't have personal",
          "i do not have personal", "not appropriate", "responsible ai", "harmful content", "i must emphasize",
          "it is not ethical", "against my principles"]
_TAILS = ["", " to", " that", " you", " the"]
PHRASES = [stem + tail for stem in _STEMS for tail in _TAILS]
CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{task_runner: {runner}, workers: 2, chunk_rows: 12500, cache: false}}
output: {{dir: {out}, val_fraction: 0.02}}
"""


def run_datatrove(data: Path, work: Path) -> int:
    """The peer pipeline; returns the rows it kept."""
    import re

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.filters import RegexFilter
    from datatrove.pipeline.formatters import FTFYFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    def adapter(self, row: dict, path: str, id_in_file: int | str) -> dict:
        text = "\n\n".join(t for t in (row.get("instruction", ""), row.get("input", ""), row.get("output", "")) if t)
        return {"text": text, "id": f"{path}/{id_in_file}", "metadata": {}}

    config = MinhashConfig()
    regex = "(?i)(" + "|".join(re.escape(p) for p in PHRASES) + ")"
    folder = str(data.parent)
    stages = [
        [JsonlReader(folder, glob_pattern=data.name, adapter=adapter), FTFYFormatter(), RegexFilter(regex),
         JsonlWriter(f"{work}/filtered")],
        [JsonlReader(f"{work}/filtered"), MinhashDedupSignature(output_folder=f"{work}/sigs", config=config)],
        [MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=config)],
        [MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=config)],
        [JsonlReader(f"{work}/filtered"), MinhashDedupFilter(input_folder=f"{work}/remove"),
         JsonlWriter(f"{work}/out")],
    ]
    tasks = [2, 2, config.num_buckets, 1, 2]
    for i, (pipeline, n_tasks) in enumerate(zip(stages, tasks, strict=True)):
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=2, logging_dir=f"{work}/logs/{i}",
                              skip_completed=False).run()
    kept = 0
    for part in Path(work, "out").glob("*.jsonl*"):

        opener = gzip.open if part.suffix == ".gz" else open
        with opener(part, "rb") as handle:
            kept += sum(1 for _ in handle)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runner", default="processes", choices=["threads", "processes", "dask"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cmp-dt-"))
    data = write_jsonl(build_rows(args.rows), tmp / "data" / "rows.jsonl")
    config = tmp / "pipeline.yaml"
    config.write_text(CONFIG.format(data=data, runner=args.runner, out=tmp / "ours"))
    ours, peer = [], []
    for run in range(args.runs):
        shutil.rmtree(tmp / "ours", ignore_errors=True)
        wall, peak, _ = run_child([sys.executable, "-m", "flows.build", "--config", str(config)])
        kept_ours = sum(1 for f in ("train.jsonl", "val.jsonl") for _ in open(tmp / "ours" / f, "rb"))
        ours.append((wall, peak))
        shutil.rmtree(tmp / "dt", ignore_errors=True)
        code = f"import sys; sys.path.insert(0, 'bench'); from compare_datatrove import run_datatrove; " \
               f"from pathlib import Path; print('KEPT', run_datatrove(Path('{data}'), Path('{tmp / 'dt'}')))"
        wall_dt, peak_dt, out = run_child([sys.executable, "-c", code])
        kept_dt = int(out.rsplit("KEPT", 1)[1].split()[0])
        peer.append((wall_dt, peak_dt))
        print(f"run {run + 1}: ours {wall:.1f} s ({peak:.0f} MB, kept {kept_ours}) | "
              f"datatrove {wall_dt:.1f} s ({peak_dt:.0f} MB, kept {kept_dt}) | ratio {wall_dt / wall:.2f}×",
              flush=True)
    med_ours = statistics.median(w for w, _ in ours)
    med_dt = statistics.median(w for w, _ in peer)
    print(f"\n{args.rows} rows, median of {args.runs}: ours {med_ours:.1f} s ({args.rows / med_ours:,.0f} rows/s), "
          f"datatrove {med_dt:.1f} s ({args.rows / med_dt:,.0f} rows/s): ours is {med_dt / med_ours:.2f}× faster")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
