import subprocess
import sys
import textwrap

import pytest

from flows.config import ConfigError, load_config
from tests.conftest import ROOT, SAMPLE, write


def config_file(tmp_path, body: str):
    write(tmp_path / "data.jsonl", '{"instruction": "a", "input": "", "output": "b"}\n')
    return write(tmp_path / "pipeline.yaml", textwrap.dedent(body))


def test_sample_config_loads():
    config, base = load_config(SAMPLE / "pipeline.yaml")
    assert [s.name for s in config.sources] == ["faq", "tickets", "kb", "legacy"]
    assert base == SAMPLE


def test_unknown_key_is_named_with_the_allowed_ones(tmp_path):
    path = config_file(tmp_path, """
        sources:
          - {name: d, kind: jsonl, path: data.jsonl, colums: {output: response}}
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "sources[0].colums: unknown key" in message
    assert "columns" in message and "path" in message


def test_unknown_nested_key(tmp_path):
    path = config_file(tmp_path, """
        sources: [{name: d, kind: jsonl, path: data.jsonl}]
        dedup: {exact: true, treshold: 0.8}
    """)
    with pytest.raises(ConfigError, match=r"dedup\.treshold: unknown key; allowed keys here: .*\bthreshold\b"):
        load_config(path)


def test_missing_file_names_key_and_path(tmp_path):
    path = config_file(tmp_path, """
        sources: [{name: d, kind: jsonl, path: nowhere.jsonl}]
    """)
    with pytest.raises(ConfigError, match=r"sources\[0\] \(d\)\.path: file not found: .*nowhere\.jsonl"):
        load_config(path)


def test_sqlite_database_that_does_not_exist(tmp_path):
    path = config_file(tmp_path, """
        sources:
          - {name: db, kind: sql, url: "sqlite:///missing.sqlite", query: "SELECT 1 AS instruction, 2 AS output"}
    """)
    with pytest.raises(ConfigError, match=r"sources\[0\] \(db\)\.url: sqlite database does not exist"):
        load_config(path)


def test_writing_query_is_refused_before_it_runs(tmp_path):
    path = config_file(tmp_path, """
        sources:
          - {name: db, kind: sql, url: "sqlite:///x.sqlite", query: "DELETE FROM articles"}
    """)
    with pytest.raises(ConfigError, match=r"sources\[0\]\.query: .*only SELECT"):
        load_config(path)


def test_bad_kind_and_bad_value(tmp_path):
    path = config_file(tmp_path, """
        sources: [{name: d, kind: parquet, path: data.jsonl}]
        output: {val_fraction: 2}
    """)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "kind 'parquet' is not one of html, csv, sql, jsonl" in str(err.value)
    assert "output.val_fraction" in str(err.value)


def test_cli_fails_fast_without_starting_prefect(tmp_path):
    """The config is checked before Prefect is imported (importing it alone takes seconds)."""
    path = config_file(tmp_path, "sources: [{name: d, kind: jsonl, path: data.jsonl, oops: 1}]\n")
    probe = ("import sys; from flows.build import main; code = main(['--config', sys.argv[1]]); "
             "assert 'prefect' not in sys.modules, 'prefect was imported'; sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "config error" in proc.stderr and "sources[0].oops: unknown key" in proc.stderr
