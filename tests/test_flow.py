"""End to end: the sample run through the real Prefect flow."""

import json
import shutil

import pytest

from flows.config import load_config
from flows.incremental import up_to_date
from formats.writers import read_jsonl
from tests.conftest import SAMPLE, write


def test_sample_run_writes_every_output(sample_run):
    out, report = sample_run
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl", "edits.jsonl", "provenance.jsonl", "report.json"):
        assert (out / name).is_file(), name
    assert not (out / ".work").exists() and not list(out.glob(".*.tmp"))
    train = read_jsonl(out / "train.jsonl")
    assert all(set(r) == {"instruction", "input", "output", "id", "source"} and r["output"] for r in train)
    assert json.loads((out / "report.json").read_text())["totals"] == report["totals"]


def test_invariant_and_every_stage_did_something(sample_run):
    out, report = sample_run
    for name, counts in report["sources"].items():
        assert counts["read"] == counts["kept"] + counts["rejected"], name
    rejects = read_jsonl(out / "rejects.jsonl")
    stages = {r["stage"] for r in rejects}
    assert stages == {"ingest", "slop", "noise", "decontaminate", "dedup"}
    assert {"exact-duplicate", "near-duplicate"} <= {r["rule"] for r in rejects}
    contaminated = [r for r in rejects if r["rule"] == "contamination"]
    assert [(r["row"]["meta"]["eval_item"], r["row"]["instruction"]) for r in contaminated] == [
        ("support-bench:dns-1", "Explain what a CNAME record does.")]
    assert all(r["rule"] and r["detail"] and r["row"] for r in rejects)
    edits = read_jsonl(out / "edits.jsonl")
    assert {e["stage"] for e in edits} == {"repair", "slop"}
    train_text = " ".join(r["output"] for r in read_jsonl(out / "train.jsonl") + read_jsonl(out / "val.jsonl"))
    for slop in ("I hope this helps", "Certainly!", "希望对您有所帮助", "As an AI"):
        assert slop not in train_text


def test_provenance_reaches_outputs_and_ledger(sample_run):
    out, _ = sample_run
    provenance = {p["id"]: p for p in read_jsonl(out / "provenance.jsonl")}
    for row in read_jsonl(out / "train.jsonl"):
        assert provenance[row["id"]]["meta"]["locator"]
    assert all(r["row"].get("locator") or r["row"].get("meta", {}).get("locator")
               for r in read_jsonl(out / "rejects.jsonl"))


def test_same_input_same_bytes(sample_run, tmp_path):
    from flows.pipeline import build

    out, _ = sample_run
    build(config=str(SAMPLE / "pipeline.yaml"), out=str(tmp_path))
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl", "edits.jsonl", "report.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_failing_source_does_not_take_the_others_down(prefect_harness, tmp_path):
    from flows.pipeline import build

    shutil.copy(SAMPLE / "legacy.jsonl", tmp_path / "legacy.jsonl")
    shutil.copy(SAMPLE / "kb.sql", tmp_path / "kb.sql")
    config = write(tmp_path / "p.yaml", """
sources:
  - {name: legacy, kind: jsonl, path: legacy.jsonl, columns: {output: response}}
  - {name: kb, kind: sql, url: "sqlite://", script: kb.sql, query: "SELECT title, nope FROM articles",
     columns: {instruction: title, input: null, output: nope}}
""")
    with pytest.raises(RuntimeError, match=r"source\(s\) failed: kb .*OperationalError.*nope"):
        build(config=str(config), out=str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["sources"]["kb"]["status"] == "failed" and "nope" in report["failed_sources"]["kb"]
    assert report["sources"]["legacy"]["kept"] > 0
    assert read_jsonl(tmp_path / "out" / "train.jsonl")


def _sample_copy(tmp_path, run: str):
    """sample_data/ copied, with a `run:` section: the same rows and paths relative to the config."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    config = data / "pipeline.yaml"
    config.write_text(config.read_text() + f"\nrun: {run}\n")
    return config


@pytest.mark.parametrize("runner", ["dask", "processes", "threads"])
def test_other_task_runners_write_identical_bytes(sample_run, tmp_path, runner):
    """The sample run (default runner: processes, its small shards cleaned in the flow's process) against every
    runner with the shards sent to its workers (local_below_kb: 0), shards of 4 rows so that several run at once."""
    from flows.pipeline import build

    out, _ = sample_run
    config = _sample_copy(tmp_path, "{local_below_kb: 0, workers: 2, chunk_rows: 4}")
    build(config=str(config), out=str(tmp_path / "out"), task_runner=runner)
    for name in ("train.jsonl", "val.jsonl", "rejects.jsonl", "edits.jsonl", "provenance.jsonl", "report.json"):
        ours, theirs = (tmp_path / "out" / name).read_bytes(), (out / name).read_bytes()
        assert ours.replace(str(tmp_path / "data").encode(), str(SAMPLE).encode()) == theirs, f"{runner}: {name}"


def test_unchanged_sample_rerun_returns_before_prefect_starts(sample_run, capsys):
    """Every sample source is a file (the SQL one a SQLite script), so the CLI knows the outputs are current."""
    from flows.build import main

    out, report = sample_run
    before = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    assert main(["--config", str(SAMPLE / "pipeline.yaml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("nothing changed since the last run") and f"kept {report['totals']['kept']}" in printed
    assert {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == before


def test_rerun_reuses_cached_work_and_reports_new_rows(prefect_harness, tmp_path):
    from flows.pipeline import build

    for name in ("legacy.jsonl", "tickets.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    config = write(tmp_path / "p.yaml", """
sources:
  - {name: legacy, kind: jsonl, path: legacy.jsonl, columns: {output: response}}
  - {name: tickets, kind: csv, path: tickets.csv,
     columns: {instruction: subject, input: customer_message, output: agent_reply}}
run: {chunk_rows: 4}
""")
    first = build(config=str(config), out=str(tmp_path / "out"))
    assert first["sources"]["legacy"]["new_rows"] == 6
    cache = tmp_path / "out" / ".cache"
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*.jsonl")}
    second = build(config=str(config), out=str(tmp_path / "out"))
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.jsonl")} == stamps  # nothing was recomputed
    assert second["sources"]["legacy"]["new_rows"] == 0 and second["totals"] == first["totals"]
    cfg, base_dir = load_config(config)
    assert up_to_date(cfg, base_dir, tmp_path / "out")["totals"] == first["totals"]  # known without Prefect

    with (tmp_path / "legacy.jsonl").open("a") as handle:  # a new row, and a copy of an old one
        handle.write('{"instruction": "What is a 502 error?", "input": "", "response": "A bad gateway reply."}\n')
        handle.write('{"instruction": "Explain what a CNAME record does.", "input": "", "response": '
                     '"A CNAME record makes one domain name an alias of another, so lookups for the alias return '
                     'the target\'s addresses. We use it to point your custom domain at our edge network."}\n')
    assert up_to_date(cfg, base_dir, tmp_path / "out") is None  # the changed file is seen before any flow starts
    third = build(config=str(config), out=str(tmp_path / "out"))
    legacy = third["sources"]["legacy"]
    assert legacy["new_rows"] == 2 and legacy["read"] == first["sources"]["legacy"]["read"] + 2
    assert legacy["kept"] == first["sources"]["legacy"]["kept"] + 1  # the copy was deduplicated against the old
    assert third["sources"]["tickets"]["new_rows"] == 0


def test_no_question_straddles_train_and_val(sample_run):
    """The same normalised question with different answers stays on one side: val never grades a trained prompt."""
    from filters.dedup import prompt_group
    from formats.example import Example

    out, report = sample_run
    def groups(name):
        return {prompt_group(Example.from_dict({**row, "meta": {}})) for row in read_jsonl(out / name)}

    assert report["totals"]["val"] > 0 and not groups("train.jsonl") & groups("val.jsonl")
