"""The report as a person uses it, in headless Chromium over the DevTools protocol: type a word from a dropped row
into the search box, find the row with its locator and rule, tick it, take the overrides file the page makes, and
re-run: the row is kept, the invariant holds, and the cleaned shards are reused."""

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from formats.writers import read_jsonl
from tests.conftest import SAMPLE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (.ci/run installs Debian's chromium)")


class Page:
    """One tab of a headless Chromium driven over the DevTools protocol (websockets, already a Prefect dependency)."""

    def __init__(self, url: str, profile: Path) -> None:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--remote-debugging-port=0", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        for _ in range(100):
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json").read())
            pages = [t for t in targets if t["type"] == "page" and t["url"].startswith("file:")]
            if pages:
                break
            time.sleep(0.1)
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        self.next_id = 0
        for _ in range(100):  # wait until the page's script has drawn the first rows
            if self.eval("document.querySelectorAll('#b-rows tr').length") > 0:
                break
            time.sleep(0.1)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def eval(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)


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
    finally:
        page.close()
    assert json.dumps(target["id"]) in overrides and "keep:" in overrides

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
