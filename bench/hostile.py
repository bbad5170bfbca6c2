"""Hostile inputs: how fast and how cheaply they are refused.

- a gzip bomb (a .html.gz that expands to --bomb-gib GiB): seconds and extra peak memory until the HTML reader
  refuses it (limits.max_page_bytes), in a fresh interpreter;
- loading and validating a config with --sources entries: wall and CPU seconds, and the YAML parse alone with
  libyaml's CSafeLoader vs the pure-Python SafeLoader.

    python bench/hostile.py [--bomb-gib 1.2] [--sources 10000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.config import load_config  # noqa: E402

BOMB_READ = """
import resource, time
from pathlib import Path
from formats.readers import read_source
from formats.readers.html_reader import HtmlSource
spec = HtmlSource(name='b', kind='html', paths='*.html.gz', selectors='faq')
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
records = list(read_source(spec, Path({folder!r})))
print(records[0].rule, time.perf_counter() - started,
      (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def bomb(folder: Path, gib: float) -> dict[str, object]:
    member = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
    data = member * max(1, int(gib * (1 << 30)) // (16 << 20))
    (folder / "bomb.html.gz").write_bytes(data)
    done = subprocess.run([sys.executable, "-c", BOMB_READ.format(folder=str(folder))], cwd=ROOT, check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    rule, seconds, extra_mb = done.stdout.split()
    return {"compressed_bytes": len(data), "expands_to_bytes": len(data) // len(member) * (16 << 20),
            "rule": rule, "seconds": round(float(seconds), 3), "extra_peak_mb": round(float(extra_mb))}


def config_load(folder: Path, sources: int) -> dict[str, object]:
    (folder / "d.jsonl").write_text('{"instruction": "a", "output": "b"}\n')
    lines = ["sources:"] + [f"  - {{name: s{i}, kind: jsonl, path: d.jsonl, columns: {{output: output}}}}"
                            for i in range(sources)]
    config = folder / "p.yaml"
    config.write_text("\n".join(lines) + "\n")
    wall, cpu = time.perf_counter(), time.process_time()
    load_config(config)
    result: dict[str, object] = {"sources": sources, "load_wall_s": round(time.perf_counter() - wall, 2),
                                 "load_cpu_s": round(time.process_time() - cpu, 2)}
    text = config.read_text()
    for name, loader in (("yaml_c_s", getattr(yaml, "CSafeLoader", None)), ("yaml_python_s", yaml.SafeLoader)):
        if loader is not None:
            started = time.process_time()
            yaml.load(text, Loader=loader)  # noqa: S506 - both are safe loaders
            result[name] = round(time.process_time() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gib", type=float, default=1.2)
    parser.add_argument("--sources", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {"gzip_bomb": bomb(Path(tmp), args.bomb_gib),
                   "config_load": config_load(Path(tmp), args.sources),
                   "load_average": os.getloadavg()}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
