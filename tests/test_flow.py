"""End to end: the sample run through the real Prefect flow."""

import json
import shutil

import pytest

from formats.writers import read_jsonl
from tests.conftest import SAMPLE, write


@pytest.fixture(scope="module")
def sample_run(prefect_harness, tmp_path_factory):
    from flows.pipeline import build

    out = tmp_path_factory.mktemp("out")
    report = build(config=str(SAMPLE / "pipeline.yaml"), out=str(out))
    return out, report


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
    assert stages == {"ingest", "slop", "noise", "dedup"}
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
