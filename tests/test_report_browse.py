"""The report as a person uses it, in headless Chromium over the DevTools protocol: type a word from a dropped row
into the search box, find the row with its locator and rule, tick it, take the overrides file the page makes, and
re-run: the row is kept, the invariant holds, and the cleaned shards are reused."""

import json
import shutil
import time
from pathlib import Path

import pytest

from formats.writers import read_jsonl
from tests.cdp import CHROMIUM, Page
from tests.conftest import SAMPLE

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (.ci/run installs Debian's chromium)")


def test_find_a_dropped_row_by_a_word_tick_it_and_keep_it_on_rerun(prefect_harness, tmp_path):
    from flows.pipeline import build

    data = tmp_path / "sample"
    shutil.copytree(SAMPLE, data)
    out = tmp_path / "out"
    build(config=str(data / "pipeline.yaml"), out=str(out))
    rejects = read_jsonl(out / "rejects.jsonl")
    # a row a filter dropped (with an answer a trainer can use), found by a word in it
    target = next(r for r in rejects if r["stage"] in ("noise", "slop") and r["row"].get("output", "").strip())
    word = max(target["row"]["instruction"].split(), key=len)
    page = Page((out / "report.html").as_uri(), tmp_path / "profile")
    try:
        page.eval("document.getElementById('b-q').focus()")
        page.call("Input.insertText", text=word)  # typed, as a person would
        count = page.eval("document.getElementById('b-count').textContent")
        total = json.loads(page.eval("document.getElementById('browse-data').textContent"))["total"]
        assert int(count.split()[0].replace(",", "")) < total  # the search narrowed the rows
        found = page.eval(f"[...document.querySelectorAll('#b-rows tr.row')].filter(tr => tr.dataset.id === "
                          f"{json.dumps(target['id'])}).map(tr => tr.textContent)")
        assert len(found) == 1 and target["rule"] in found[0] and target["row"]["meta"]["locator"] in found[0]
        page.eval(f"document.querySelector('#b-rows tr[data-id={json.dumps(target['id'])}] input').click()")
        overrides = page.eval("window.overridesYaml()")
        browse = json.loads(page.eval("document.getElementById('browse-data').textContent"))
    finally:
        page.close()
    assert json.dumps(target["id"]) in overrides and "keep:" in overrides
    _find_in_rejects_file_when_not_embedded(out, browse, target, word, tmp_path / "profile2")

    cleaned_before = sorted(p.name for p in (out / ".cache").glob("clean-*"))
    (data / "overrides.yaml").write_text(overrides, encoding="utf-8")
    config = (data / "pipeline.yaml").read_text(encoding="utf-8") + "\noverrides: overrides.yaml\n"
    (data / "pipeline.yaml").write_text(config, encoding="utf-8")
    report = build(config=str(data / "pipeline.yaml"), out=str(out))
    kept = {r["id"] for r in read_jsonl(out / "train.jsonl") + read_jsonl(out / "val.jsonl")}
    assert target["id"] in kept and target["id"] not in {r["id"] for r in read_jsonl(out / "rejects.jsonl")}
    assert report["rules"]["override.keep"]["flagged"] == 1
    assert all(c["read"] == c["kept"] + c["rejected"] for c in report["sources"].values())
    provenance = {p["id"]: p for p in read_jsonl(out / "provenance.jsonl")}
    assert provenance[target["id"]]["meta"]["override"] == "keep"
    assert sorted(p.name for p in (out / ".cache").glob("clean-*")) == cleaned_before  # shards reused


def _find_in_rejects_file_when_not_embedded(out: Path, browse: dict, target: dict, word: str, profile: Path) -> None:
    """Past the embedding limit the page holds a sample; a dropped row left out of it is still found, by opening
    rejects.jsonl in the page (a file input: the page fetches nothing)."""
    from report.html import render_report_html

    sampled = {**browse, "rows": [r for r in browse["rows"] if r["id"] != target["id"]]}
    sampled["embedded"] = len(sampled["rows"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    page_file = out / "sampled-report.html"
    page_file.write_text(render_report_html(report, browse=sampled), encoding="utf-8")
    page = Page(page_file.as_uri(), profile)
    row_ids = "[...document.querySelectorAll('#b-rows tr.row')].map(tr => tr.dataset.id)"
    try:
        page.eval("document.getElementById('b-q').focus()")
        page.call("Input.insertText", text=word)
        assert target["id"] not in page.eval(row_ids)  # not embedded, so not found yet
        box = page.call("Runtime.evaluate", expression="document.getElementById('b-file')")["result"]["objectId"]
        page.call("DOM.setFileInputFiles", files=[str(out / "rejects.jsonl")], objectId=box)
        for _ in range(100):
            if page.eval("document.getElementById('b-loaded').textContent").startswith("all"):
                break
            time.sleep(0.1)
        loaded = page.eval("document.getElementById('b-loaded').textContent")
        assert loaded.startswith(f"all {len(read_jsonl(out / 'rejects.jsonl'))} rejected rows"), loaded
        found = page.eval(f"[...document.querySelectorAll('#b-rows tr.row')].filter(tr => tr.dataset.id === "
                          f"{json.dumps(target['id'])}).map(tr => tr.textContent)")
        assert len(found) == 1 and target["rule"] in found[0] and target["row"]["meta"]["locator"] in found[0]
    finally:
        page.close()
