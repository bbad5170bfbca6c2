"""Ingest throughput and peak memory: CSV, JSONL and SQLite readers on N generated rows, HTML Q/A pages/s.

    python bench/ingest.py [--rows 1000000] [--pages 200]

Each reader runs in its own child process (so peak RSS is that reader's alone) and consumes the stream the way the
flow does, without keeping rows. Targets on 2 cores: ≥ 100k rows/s CSV and JSONL, ≥ 50k rows/s SQLite, ≥ 50
pages/s, < 500 MB peak for 1M rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from formats.readers import SOURCE_KINDS, read_source
spec = SOURCE_KINDS[{kind!r}].model.model_validate({spec!r})
start = time.perf_counter()
n = sum(1 for _ in read_source(spec, Path({base!r})))
seconds = time.perf_counter() - start
print(n, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _rows(n: int, rng: random.Random):
    words = "the model answer question data train file python error value list explain write code".split()
    for i in range(n):
        yield (i, " ".join(rng.choices(words, k=8)) + "?", "",
               " ".join(rng.choices(words, k=rng.randint(20, 80))) + ".")


def _measure(cls: str, spec: dict, base: Path) -> tuple[int, float, float]:
    code = CHILD.format(root=str(ROOT), kind=spec["kind"], spec=spec, base=str(base))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    rng = random.Random(0)
    with (tmp / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "instruction", "input", "output"])
        writer.writerows(_rows(args.rows, rng))
    with (tmp / "rows.jsonl").open("w", encoding="utf-8") as handle:
        for _, q, c, a in _rows(args.rows, rng):
            handle.write(json.dumps({"instruction": q, "input": c, "output": a}) + "\n")
    with sqlite3.connect(tmp / "rows.sqlite") as conn:
        conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, instruction TEXT, input TEXT, output TEXT)")
        conn.executemany("INSERT INTO rows VALUES (?, ?, ?, ?)", _rows(args.rows, rng))
    item = "<div class=faq-item><h3 class=question>Question {i}?</h3><div class=answer><p>Answer {i} with " \
           "<b>bold</b> text and <code>code</code>.</p><pre><code>x = {i}\nprint(x)</code></pre></div></div>"
    pages = tmp / "pages"
    pages.mkdir()
    for p in range(args.pages):
        body = "".join(item.format(i=f"{p}-{i}") for i in range(10))
        (pages / f"p{p}.html").write_text(f"<html><head><title>FAQ {p}</title></head><body><nav>menu</nav>"
                                          f"{body}</body></html>", encoding="utf-8")
    cases = [("CSV", "CsvSource", {"name": "c", "kind": "csv", "path": "rows.csv"}, "rows"),
             ("JSONL", "JsonlSource", {"name": "j", "kind": "jsonl", "path": "rows.jsonl"}, "rows"),
             ("SQLite", "SqlSource", {"name": "s", "kind": "sql", "url": "sqlite:///rows.sqlite", "key": "id",
                                      "query": "SELECT id, instruction, input, output FROM rows"}, "rows"),
             ("HTML Q/A pages", "HtmlSource", {"name": "h", "kind": "html", "paths": "pages/*.html",
                                               "selectors": "faq"}, "pages")]
    print(f"| source | {args.rows:,} rows / {args.pages} pages | seconds | per second | peak RSS MB |\n"
          "|---|---:|---:|---:|---:|")
    for label, cls, spec, unit in cases:
        n, seconds, peak = _measure(cls, spec, tmp)
        count = args.pages if unit == "pages" else n
        print(f"| {label} | {n:,} records | {seconds:.1f} | {count / seconds:,.0f} {unit}/s | {peak:.0f} |",
              flush=True)
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
