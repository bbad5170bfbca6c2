"""How fast report.html opens in a real browser (headless Chromium over the DevTools protocol), at a given scale.

    python -m bench.report_open --rows 1000000          # curate that many Alpaca-like rows, then open the report
    python -m bench.report_open --html out/report.html  # open an existing report

Per open, a fresh browser profile: milliseconds from navigation start to the DOM being parsed, to the load event, and
to the browse table being drawn and searchable (`performance.mark('browse-ready')`); then one search typed into the
page, and reading the whole rejects.jsonl into it (the way to search every dropped row past the embedded sample).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import build_rows, write_jsonl
from bench.measure import run_child
from tests.cdp import CHROMIUM, Page

CONFIG = """sources:
  - {{name: bench, kind: jsonl, path: {data}}}
run: {{task_runner: threads, workers: 2, chunk_rows: 25000, cache: false}}
output: {{dir: {out}, val_fraction: 0.02}}
"""

READY = "performance.getEntriesByName('browse-ready').length"
TIMES = ("JSON.stringify((() => { const n = performance.getEntriesByType('navigation')[0]; return "
         "{dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, "
         "ready: performance.getEntriesByName('browse-ready')[0].startTime}; })())")
SEARCH = ("new Promise((done) => { const q = document.getElementById('b-q');"
          " const count = document.getElementById('b-count'), t = performance.now();"
          " const seen = () => done([performance.now() - t, count.textContent]);"
          " new MutationObserver(seen).observe(count, {childList: true, characterData: true, subtree: true});"
          " q.value = {word}; q.dispatchEvent(new Event('input'));"
          " setTimeout(() => done([performance.now() - t, count.textContent]), 5000); })")


def curate(rows: int, tmp: Path) -> Path:
    data = write_jsonl(build_rows(rows), tmp / "rows.jsonl")
    out = tmp / "out"
    config = tmp / "pipeline.yaml"
    config.write_text(CONFIG.format(data=data, out=out), encoding="utf-8")
    wall, peak, _ = run_child([sys.executable, "-m", "flows.build", "--config", str(config)])
    print(f"curated {rows:,} rows in {wall:.0f} s (peak RSS {peak:,.0f} MB)")
    return out / "report.html"


def wait_for(page: Page, expression: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not page.eval(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        time.sleep(0.05)


def search(page: Page, word: str) -> tuple[float, str]:
    """Milliseconds from typing the word to the row count changing (past 20,000 rows the page waits for typing
    to pause, 150 ms, which is counted)."""
    result = page.call("Runtime.evaluate", expression=SEARCH.replace("{word}", json.dumps(word)),
                       awaitPromise=True, returnByValue=True)["result"]["value"]
    return result[0], result[1]


def open_once(html: Path, profile: Path, word: str) -> dict[str, float | str]:
    page = Page(html.as_uri(), profile)
    try:
        wait_for(page, READY)
        timings = json.loads(page.eval(TIMES))
        search_ms, count = search(page, word)
        rejects = html.parent / "rejects.jsonl"
        start = time.perf_counter()
        box = page.call("Runtime.evaluate", expression="document.getElementById('b-file')")["result"]["objectId"]
        page.call("DOM.setFileInputFiles", files=[str(rejects)], objectId=box)
        wait_for(page, "document.getElementById('b-loaded').textContent.startsWith('all')", 600)
        load_s = time.perf_counter() - start
        loaded = page.eval("document.getElementById('b-loaded').textContent")
        page.eval("document.getElementById('b-q').value = ''")
        after_ms, after_count = search(page, word)
    finally:
        page.close()
    return {**timings, "search_ms": search_ms, "count": count, "rejects_s": load_s, "loaded": loaded,
            "search_all_ms": after_ms, "count_all": after_count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--html", type=Path, help="an existing report.html (rejects.jsonl beside it)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--word", default="water", help="the word searched for")
    parser.add_argument("--keep", type=Path, help="curate into this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if not CHROMIUM:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        html = args.html or curate(args.rows, args.keep or tmp)
        data = html.read_text(encoding="utf-8")
        start = data.index('id="browse-data">') + len('id="browse-data">')
        browse = json.loads(data[start:data.index("</script>", start)].replace("<\\/", "</"))
        print(f"report.html {html.stat().st_size / 1e6:.1f} MB, {browse['embedded']:,} of {browse['total']:,} rows "
              f"embedded; rejects.jsonl {(html.parent / 'rejects.jsonl').stat().st_size / 1e6:.1f} MB")
        runs = [open_once(html, tmp / f"profile{i}", args.word) for i in range(args.runs)]
    print("| open | DOM parsed ms | load ms | browse ready ms | search ms | rejects.jsonl read s | search after ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['dom']:,.0f} | {r['load']:,.0f} | {r['ready']:,.0f} | {r['search_ms']:,.0f} | "
              f"{r['rejects_s']:.1f} | {r['search_all_ms']:,.0f} |")
    print(f"median browse ready: {statistics.median(r['ready'] for r in runs):,.0f} ms; search: {runs[-1]['count']}; "
          f"{runs[-1]['loaded']}; search after: {runs[-1]['count_all']}")


if __name__ == "__main__":
    main()
