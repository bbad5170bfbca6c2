"""Hostile and broken inputs: every case ends as kept rows, rejects with a rule, or a failed source with a one-line
reason, and read = kept + rejected holds for every source every time.

The matrix runs the Prefect-free pieces (config loading, the stage functions, flows/finalize); the cases that need
the flow (the lock between two processes, every source failing, SIGTERM) run `python -m flows.build`. Large inputs
(a gzip bomb) are built on the fly: nothing big is committed.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from flows.config import ConfigError, load_config
from flows.outdir import MARKER, OutputDirError, check_out_dir, claim, input_paths, output_lock, resolve_out_dir
from formats.readers.sql_reader import check_read_only
from formats.writers import read_jsonl
from tests.conftest import ROOT, write
from tests.offline import curate_offline

GOOD_ROW = '{"instruction": "What does DNS do?", "output": "It turns host names into IP addresses."}\n'
QA_PAGE = ('<html><body><div class="faq-item"><p class="question">How do I reset my password?</p>'
           '<p class="answer">Click "Forgot password" on the sign-in page and follow the link we email you.</p>'
           '</div></body></html>')


def wait_until_ingesting(proc: subprocess.Popen[str], out: Path, seconds: float = 240) -> None:
    """Until the run has an ingest shard half-written under `out` (the moment to interrupt it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not list(out.glob(".cache/ingest-*.tmp")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    assert list(out.glob(".cache/ingest-*.tmp")), "the ingest never started"


def gzip_bomb(expanded: int) -> bytes:
    """`expanded` zero bytes as concatenated gzip members of 16 MiB each (gzip reads them as one stream):
    built in milliseconds, a few KB per member."""
    member = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
    return member * (expanded // (16 << 20))


@dataclass
class Case:
    name: str
    files: dict[str, bytes | str]
    source: str  # the YAML of one `sources:` entry named `s`
    expect: str  # "reject:RULE[|RULE]", "fail:TEXT", "kept:N", "any"
    extra: str = ""  # more config (limits: …)
    check: Callable[[dict, Path], None] | None = field(default=None, repr=False)


def _unique_ids(report: dict, out: Path) -> None:
    rows = [r for r in read_jsonl(out / "provenance.jsonl") if r["source"] == "s"]
    assert sorted(r["meta"]["locator"] for r in rows) == ["a/faq.html#0", "b/faq.html#0"]
    assert len({r["id"] for r in rows}) == 2


CSV = "{name: s, kind: csv, path: t.csv, columns: {instruction: q, input: null, output: a}}"
CSV_UTF8 = "{name: s, kind: csv, path: t.csv, encoding: utf-8, columns: {instruction: q, input: null, output: a}}"
JSONL = "{name: s, kind: jsonl, path: t.jsonl}"
JSON = "{name: s, kind: jsonl, path: t.json}"
HTML = "{name: s, kind: html, paths: '**/*.html*', selectors: faq}"
SQLITE = ("{name: s, kind: sql, url: 'sqlite:///t.sqlite', query: 'SELECT q, a FROM t', "
          "columns: {instruction: q, input: null, output: a}}")
LONG = "What is the capital of France? " * 20

CASES = [
    # CSV
    Case("csv-0-byte", {"t.csv": b""}, CSV, "reject:empty-file"),
    Case("csv-header-only", {"t.csv": "q,a\n"}, CSV, "reject:empty-file"),
    Case("csv-duplicate-mapped-header", {"t.csv": "q,q,a\nx,y,z\n"}, CSV, "fail:more than once"),
    Case("csv-duplicate-unused-header", {"t.csv": "q,a,n,n\nWhat does DNS do?,It maps names to addresses.,1,2\n"},
         CSV, "kept:1"),
    Case("csv-ragged-row", {"t.csv": "q,a\nx,y,z\n"}, CSV, "reject:bad-csv-row"),
    Case("csv-undecodable-bytes", {"t.csv": b"q,a\nWhat is \xff?,An invalid byte.\n"}, CSV_UTF8,
         "reject:undecodable-bytes"),
    Case("csv-field-over-limit", {"t.csv": f"q,a\nWhy?,{'x' * 500}\n"}, CSV, "reject:limit.max_field_chars",
         "limits: {max_field_chars: 100}"),
    Case("csv-binary-file", {"t.csv": os.urandom(4096)}, CSV, "fail:"),
    Case("csv-nul-bytes", {"t.csv": "q,a\nx\x00y,z\n"}, CSV, "any"),
    Case("csv-unterminated-quote", {"t.csv": 'q,a\n"never closed,y\n'}, CSV, "reject:bad-csv-row"),
    Case("csv-missing-column", {"t.csv": "question,a\nx,y\n"}, CSV, "fail:not found"),
    Case("csv-rows-over-limit", {"t.csv": "q,a\n" + "".join(f"q{i},a{i}\n" for i in range(5))}, CSV,
         "fail:max_rows_per_source", "limits: {max_rows_per_source: 2}"),
    # JSONL / JSON
    Case("jsonl-0-byte", {"t.jsonl": b""}, JSONL, "reject:empty-file"),
    Case("jsonl-blank-lines", {"t.jsonl": "\n \n\n"}, JSONL, "reject:empty-file"),
    Case("jsonl-invalid-line", {"t.jsonl": GOOD_ROW + "{broken\n"}, JSONL, "reject:bad-json"),
    Case("jsonl-not-an-object", {"t.jsonl": "[1, 2]\n42\n"}, JSONL, "reject:bad-json"),
    Case("jsonl-lone-surrogate", {"t.jsonl": GOOD_ROW + '{"instruction": "\\ud800 x", "output": "y"}\n'}, JSONL,
         "reject:bad-json"),
    Case("jsonl-deep-nesting", {"t.jsonl": "[" * 5000 + "]" * 5000 + "\n"}, JSONL, "reject:bad-json"),
    Case("jsonl-field-over-limit", {"t.jsonl": '{"instruction": "Why?", "output": "' + "y" * 500 + '"}\n'}, JSONL,
         "reject:limit.max_field_chars", "limits: {max_field_chars: 100}"),
    Case("jsonl-line-over-limit", {"t.jsonl": '{"instruction": "Why?", "output": "' + "y" * 5000 + '"}\n' + GOOD_ROW},
         JSONL, "reject:limit.max_page_bytes", "limits: {max_page_bytes: 1000}"),
    Case("jsonl-missing-field", {"t.jsonl": '{"question": "x", "output": "y"}\n'}, JSONL, "reject:bad-row"),
    Case("jsonl-binary-file", {"t.jsonl": os.urandom(4096).replace(b"\n", b" ")}, JSONL, "reject:bad-json"),
    Case("json-array-items-not-objects", {"t.json": "[1, \"two\", null]"}, JSON, "reject:bad-json"),
    Case("json-array-over-limit", {"t.json": "[" + ",".join([GOOD_ROW.strip()] * 50) + "]"}, JSON,
         "fail:max_page_bytes", "limits: {max_page_bytes: 1000}"),
    Case("jsonl-odd-types", {"t.jsonl": '{"instruction": ["a"], "output": 3}\n{"instruction": null, "output": {}}\n'},
         JSONL, "any"),
    # HTML
    Case("html-gzip-bomb", {"bomb.html.gz": gzip_bomb(256 << 20)}, HTML, "reject:limit.max_page_bytes"),
    Case("html-truncated-gzip", {"t.html.gz": gzip.compress(QA_PAGE.encode())[:-12]}, HTML, "reject:bad-page"),
    Case("html-binary", {"t.html": os.urandom(4096), "ok.html": QA_PAGE}, HTML, "reject:binary-page"),
    Case("html-0-byte", {"t.html": b""}, HTML, "reject:no-items|bad-page"),
    Case("html-no-matching-items", {"t.html": "<html><body><p>Nothing here</p></body></html>"}, HTML,
         "reject:no-items"),
    Case("html-same-name-two-folders", {"a/faq.html": QA_PAGE, "b/faq.html": QA_PAGE.replace("password", "PIN")},
         HTML, "kept:2", check=_unique_ids),
    Case("html-over-parse-limit", {"t.html": QA_PAGE + " " * 5000}, HTML, "reject:limit.max_parse_bytes",
         "limits: {max_parse_bytes: 2000}"),
    Case("html-over-source-limit", {f"p{i}.html": QA_PAGE + " " * 3000 for i in range(4)}, HTML,
         "fail:max_source_bytes", "limits: {max_source_bytes: 8000}"),
    Case("html-utf16-with-bom", {"t.html": QA_PAGE.encode("utf-16")}, HTML, "kept:1"),
    Case("html-unknown-charset", {"t.html": QA_PAGE.replace("<html>", '<html><meta charset="x-nonsense">')},
         HTML, "kept:1"),
    Case("html-deep-nesting", {"t.html": "<div>" * 5000 + QA_PAGE + "</div>" * 5000}, HTML, "any"),
    # SQLite (the database is built by the test from the `sql:` file)
    Case("sqlite-missing-column", {"t.sql": "CREATE TABLE t (q TEXT, b TEXT); INSERT INTO t VALUES ('x', 'y');"},
         SQLITE, "fail:no such column"),
    Case("sqlite-nulls", {"t.sql": "CREATE TABLE t (q TEXT, a TEXT); INSERT INTO t VALUES (NULL, NULL), "
                                   "('What does DNS do?', 'It maps names to addresses.');"}, SQLITE, "any"),
    Case("sqlite-invalid-utf8", {"t.sql": "CREATE TABLE t (q TEXT, a TEXT); "
                                          "INSERT INTO t VALUES (CAST(x'ff41' AS TEXT), 'y');"}, SQLITE, "any"),
    Case("sqlite-rows-over-limit", {"t.sql": "CREATE TABLE t (q TEXT, a TEXT); " + " ".join(
        f"INSERT INTO t VALUES ('q{i}', 'a{i}');" for i in range(5))}, SQLITE, "fail:max_rows_per_source",
         "limits: {max_rows_per_source: 2}"),
    Case("sqlite-statement-timeout", {"t.sql": "CREATE TABLE t (q TEXT, a TEXT);"},
         SQLITE.replace("SELECT q, a FROM t", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                                              "SELECT i AS q, i AS a FROM n"),
         "fail:interrupted", "limits: {statement_timeout_s: 1}"),
    # PostgreSQL without a server: a refused connection is one failed source with what to do
    Case("postgres-connection-refused", {}, "{name: s, kind: sql, url: 'postgresql+psycopg://u@127.0.0.1:1/db', "
         "query: 'SELECT q, a FROM t', columns: {instruction: q, input: null, output: a}}",
         "fail:Connection refused"),
]


def _materialise(tmp_path: Path, case: Case) -> Path:
    """The case's files and config in tmp_path/in; the output beside it (tmp_path/out), outside every glob."""
    tmp_path = tmp_path / "in"
    tmp_path.mkdir()
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        if name.endswith(".sql"):  # the SQLite cases' database
            with sqlite3.connect(tmp_path / "t.sqlite") as conn:
                conn.executescript(content if isinstance(content, str) else content.decode())
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD_ROW.replace("DNS", "a CNAME"))
    return write(tmp_path / "p.yaml", f"sources:\n  - {case.source}\n  - {{name: good, kind: jsonl, path: "
                                      f"good.jsonl}}\n{case.extra}\noutput: {{dir: ../out, val_fraction: 0}}\n")


def assert_balanced(report: dict) -> None:
    for name, counts in report["sources"].items():
        assert counts["read"] == counts["kept"] + counts["rejected"], name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_is_accounted_for(tmp_path, case):
    started = time.perf_counter()
    report, out = curate_offline(_materialise(tmp_path, case))
    assert time.perf_counter() - started < 30
    assert_balanced(report)
    assert report["sources"]["good"]["kept"] == 1  # one bad source never takes another down
    counts = report["sources"]["s"]
    kind, _, what = case.expect.partition(":")
    if kind == "reject":
        rules = {r["rule"] for r in read_jsonl(out / "rejects.jsonl") if r["source"] == "s"}
        assert rules & set(what.split("|")), rules
    elif kind == "fail":
        assert counts["status"] == "failed" and what in report["failed_sources"]["s"]
        assert "\n" not in report["failed_sources"]["s"]
    elif kind == "kept":
        assert counts["kept"] == int(what), counts
    if case.check:
        case.check(report, out)
    assert not list(out.rglob("*.tmp")) and not (out / ".work").exists()


# SQL that must never reach a database: refused while the config is loaded
REFUSED_SQL = [
    "SELECT id, '--' AS c FROM t; DROP TABLE t; --'",
    "SELECT id, '/*' AS c FROM t; DROP TABLE t; /* '*/",
    "SELECT pg_terminate_backend(1)",
    "SELECT set_config('search_path', 'evil', false)",
    "SELECT lo_unlink(1)",
    "SELECT * FROM dblink('dbname=x', 'DELETE FROM t') AS t(a int)",
    "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone",
    "SELECT * INTO copy_of_t FROM t",
    "SELECT id FROM t FOR UPDATE",
    "SELECT pg_sleep(3600)",
    "SELECT query_to_xml('DELETE FROM t', true, true, '')",
    "PRAGMA writable_schema = 1",
    "COPY t TO '/tmp/t.csv'",
    "SELECT public.pg_advisory_lock(1)",
]


@pytest.mark.parametrize("query", REFUSED_SQL)
def test_side_effecting_sql_is_refused_at_config_time(tmp_path, query):
    entry = {"name": "s", "kind": "sql", "url": "postgresql://u@h/db", "query": query,
             "columns": {"instruction": "a", "output": "b"}}
    config = write(tmp_path / "p.yaml", yaml.safe_dump({"sources": [entry]}))
    with pytest.raises(ConfigError, match=r"sources\[0\]\.query: "):
        load_config(config)
    with pytest.raises(ValueError):
        check_read_only(query, "sqlite")


@pytest.mark.parametrize("query", ["SELECT id, '--' AS c, '/* x */' AS d FROM t",
                                   "SELECT lower(title) AS t, coalesce(body, '') FROM t ORDER BY 1",
                                   "WITH a AS (SELECT 1 AS x) SELECT x FROM a UNION ALL SELECT 2",
                                   "SELECT 'DROP TABLE t; pg_terminate_backend(1)' AS harmless_text"])
def test_read_only_sql_still_passes(query):
    check_read_only(query, "postgresql")
    check_read_only(query, "sqlite")


# The config file itself
def test_binary_config_is_one_clear_error(tmp_path):
    (tmp_path / "p.yaml").write_bytes(os.urandom(2048) + b"\xff\xfe")
    with pytest.raises(ConfigError, match="not a text file"):
        load_config(tmp_path / "p.yaml")
    cli = _cli("--config", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o"))
    assert cli.returncode == 2 and "Traceback" not in cli.stderr and cli.stderr.count("\n") == 1


@pytest.mark.parametrize("text,match", [("", "expected a mapping"), ("- a\n- b\n", "expected a mapping"),
                                        ("sources: [", "not valid YAML"), ("sources: []\nbogus: 1\n", "bogus")])
def test_malformed_config_is_refused_with_the_key(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path / "p.yaml", text))


def test_ten_thousand_sources_validate_in_five_seconds(tmp_path):
    write(tmp_path / "d.jsonl", GOOD_ROW)
    lines = ["sources:"] + [f"  - {{name: s{i}, kind: jsonl, path: d.jsonl, columns: {{output: output}}}}"
                            for i in range(10_000)]
    config = write(tmp_path / "p.yaml", "\n".join(lines) + "\n")
    started = time.process_time()  # CPU seconds: what loading costs, whatever else the shared machine runs
    cfg, _ = load_config(config)
    assert len(cfg.sources) == 10_000 and time.process_time() - started <= 5


# The output folder: every refusal happens before anything is written
def _inputs_config(tmp_path: Path, out: str) -> Path:
    write(tmp_path / "data" / "train.jsonl", GOOD_ROW)
    write(tmp_path / "data" / "README.md", "not ours\n")
    return write(tmp_path / "data" / "p.yaml", f"sources:\n  - {{name: s, kind: jsonl, path: train.jsonl}}\n"
                                               f"output: {{dir: {out!r}}}\n")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.build", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("out,why", [(".", "holds an input"), ("..", "holds an input"), ("/", "root of the file"),
                                     ("~", "home folder")])
def test_output_folder_is_refused_before_any_write(tmp_path, out, why):
    config = _inputs_config(tmp_path, out)
    before = _snapshot(tmp_path)
    cfg, base_dir = load_config(config)
    target = resolve_out_dir(cfg.output.dir, base_dir)
    with pytest.raises(OutputDirError, match=why):
        check_out_dir(target, input_paths(cfg, base_dir, config))
    cli = _cli("--config", str(config))
    assert cli.returncode == 2 and why in cli.stderr and "Traceback" not in cli.stderr
    assert _snapshot(tmp_path) == before


def test_out_flag_follows_the_same_rules(tmp_path):
    config = _inputs_config(tmp_path, "out")
    before = _snapshot(tmp_path)
    cli = _cli("--config", str(config), "--out", str(tmp_path / "data"))
    assert cli.returncode == 2 and "holds an input" in cli.stderr
    assert _snapshot(tmp_path) == before


def test_an_output_folder_inside_an_input_glob_is_refused(tmp_path):
    write(tmp_path / "pages" / "faq.html", QA_PAGE)
    config = write(tmp_path / "p.yaml", "sources:\n  - {name: s, kind: html, paths: 'pages/**/*.html', "
                                        "selectors: faq}\noutput: {dir: pages/curated}\n")
    with pytest.raises(OutputDirError, match="would read this run's own outputs"):
        curate_offline(config)
    assert not (tmp_path / "pages" / "curated").exists()
    report, _ = curate_offline(config, str(tmp_path / "curated"))  # beside the pages it is fine
    assert report["totals"]["kept"] == 1


def test_glob_matching_follows_glob():
    from flows.outdir import glob_matches

    assert glob_matches("/d/pages/**/*.html", Path("/d/pages/out/report.html"))
    assert glob_matches("/d/pages/**/*.html", Path("/d/pages/report.html"))
    assert not glob_matches("/d/pages/*.html", Path("/d/pages/out/report.html"))
    assert not glob_matches("/d/pages/*.jsonl", Path("/d/pages/report.html"))
    assert glob_matches("/d/x/../pages/*.html", Path("/d/pages/report.html"))


def test_output_dir_is_relative_to_the_config_file(tmp_path):
    config = _inputs_config(tmp_path, "curated")
    cfg, base_dir = load_config(config)
    assert resolve_out_dir(cfg.output.dir, base_dir) == (tmp_path / "data" / "curated").resolve()
    assert resolve_out_dir(cfg.output.dir, base_dir, "elsewhere") == Path("elsewhere").resolve()  # --out: cwd


def test_non_empty_folder_is_refused_unless_it_is_an_earlier_output(tmp_path):
    config = _inputs_config(tmp_path, "../someone_elses")
    write(tmp_path / "someone_elses" / "notes.txt", "keep me\n")
    before = _snapshot(tmp_path)
    with pytest.raises(OutputDirError, match="not empty"):
        curate_offline(config)
    assert _snapshot(tmp_path) == before
    (tmp_path / "someone_elses" / MARKER).write_text("")  # an earlier output of this tool
    report, _ = curate_offline(config)
    assert report["totals"]["kept"] == 1


# Faults
def test_a_held_lock_keeps_a_second_run_out(tmp_path):
    config = _inputs_config(tmp_path, "../out")
    out = tmp_path / "out"
    claim(out)
    with output_lock(out):
        started = time.perf_counter()
        cli = _cli("--config", str(config))
        assert cli.returncode == 3 and "another run is writing" in cli.stderr
        assert time.perf_counter() - started < 30  # refused at once, not after the flow
        assert not (out / "train.jsonl").exists()
    report, _ = curate_offline(config)
    assert report["totals"]["kept"] == 1


def test_a_failing_source_leaves_no_temp_folder(tmp_path):
    from flows.stages import ingest_source

    config = write(tmp_path / "p.yaml", "sources:\n  - {name: s, kind: csv, path: t.csv, columns: {instruction: x}}\n")
    write(tmp_path / "t.csv", "q,a\n1,2\n")
    cfg, base_dir = load_config(config)
    with pytest.raises(ValueError, match="not found"):
        ingest_source(cfg.sources[0], base_dir, tmp_path / "cache" / "ingest-s", 100, cfg.limits)
    assert list((tmp_path / "cache").iterdir()) == []


def test_cache_key_covers_every_package_that_writes_outputs():
    from flows.cache import PACKAGES

    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").is_file() and d.name != "tests"]
    writers = {package.name for package in packages for path in package.rglob("*.py")
               if "atomic_write" in path.read_text(encoding="utf-8")}
    assert writers and writers <= set(PACKAGES)
    assert {"flows", "report"} <= set(PACKAGES)


def test_gzip_bomb_stops_in_seconds_with_little_memory(tmp_path):
    """A 1 GiB page inflated in a fresh interpreter: refused in <= 5 s with <= 300 MB more peak memory."""
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(1 << 30))
    code = f"""
import resource, time
from pathlib import Path
from formats.readers import read_source
from formats.readers.html_reader import HtmlSource
spec = HtmlSource(name='b', kind='html', paths='*.html.gz', selectors='faq')
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
records = list(read_source(spec, Path({str(tmp_path)!r})))
seconds = time.perf_counter() - started
extra_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(records[0].rule, round(seconds, 2), round(extra_mb))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    rule, seconds, extra_mb = done.stdout.split()
    assert rule == "limit.max_page_bytes"
    assert float(seconds) <= 5 and float(extra_mb) <= 300, done.stdout


def test_sigterm_stops_the_build_within_seconds_and_cleans_up(tmp_path):
    """A bomb the limits allow (so the read takes long): SIGTERM ends the run in seconds, no temp folder left."""
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(4 << 30))
    config = write(tmp_path / "p.yaml", "sources:\n  - {name: b, kind: html, paths: '*.html.gz', selectors: faq}\n"
                                        "limits: {max_page_bytes: 8000000000, max_source_bytes: 8000000000, "
                                        "max_parse_bytes: 8000000000}\noutput: {dir: out}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "flows.build", "--config", str(config)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = tmp_path / "out"
    wait_until_ingesting(proc, out)
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - started <= 10, stderr
    assert proc.returncode != 0
    assert not list(out.rglob("*.tmp")) and not (out / ".work").exists()
    assert not (out / "train.jsonl").exists()


def test_every_source_failing_prints_one_line_each_and_writes_no_trainer_entries(tmp_path):
    write(tmp_path / "t.csv", "question,a\nx,y\n")
    write(tmp_path / "t.json", "[" + ",".join([GOOD_ROW.strip()] * 50) + "]")
    config = write(tmp_path / "p.yaml", """
sources:
  - {name: tickets, kind: csv, path: t.csv, columns: {instruction: q, input: null, output: a}}
  - {name: legacy, kind: jsonl, path: t.json}
limits: {max_page_bytes: 1000}
output: {dir: out}
""")
    cli = _cli("--config", str(config))
    out = tmp_path / "out"
    assert cli.returncode == 1
    failures = [line for line in cli.stderr.splitlines() if line.startswith("source ")]
    assert len(failures) == 2 and all(" — " in line for line in failures), cli.stderr
    assert "columns: mapping" in failures[0] or "columns: mapping" in failures[1]
    assert "Traceback" not in cli.stderr + cli.stdout
    assert "Traceback" in (out / "build.log").read_text()
    report = json.loads((out / "report.json").read_text())
    assert set(report["failed_sources"]) == {"tickets", "legacy"}
    for name in ("train.jsonl", "val.jsonl", "dataset_info.json", "axolotl.yaml", "load_dataset.py"):
        assert not (out / name).exists(), name


def test_two_runs_at_once_never_both_write(tmp_path):
    write(tmp_path / "d.jsonl", "".join(
        json.dumps({"instruction": f"Question number {i}: what is {i} squared?", "output": f"It is {i * i}."}) + "\n"
        for i in range(300)))
    config = write(tmp_path / "p.yaml", "sources:\n  - {name: d, kind: jsonl, path: d.jsonl}\noutput: {dir: out}\n")
    args = [sys.executable, "-m", "flows.build", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sorted(code for code, _ in results) == [0, 3], results
    assert any("another run is writing" in err for code, err in results if code == 3)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["sources"]["d"]["new_rows"] == 300 and report["sources"]["d"]["read"] == 300


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "prefect").exists(), reason="make serve needs .venv (make install)")
def test_make_serve_stops_worker_then_server_on_one_ctrl_c(tmp_path):
    """What the terminal does on Ctrl-C: SIGINT to the foreground process group. The script stops the worker,
    then the server, and exits 0 within seconds, without a second Ctrl-C and without a wall of errors."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "serve.out"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_PORT": str(port)}
    env.pop("PREFECT_API_URL", None)
    with log.open("w") as handle:
        proc = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            deadline = time.monotonic() + 300
            while "started!" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(1)
            before = len(log.read_text().splitlines())
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    after = log.read_text().splitlines()[before:]
    assert after[0] == "stopping the worker" and after[-1] == "stopping the server", after
    assert len(after) <= 10 and not any("Traceback" in line or "ConnectError" in line for line in after), after
