import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from formats.report_html import render_report_html


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def report(sample_run):
    out, _ = sample_run
    return out, json.loads((out / "report.json").read_text())


def test_report_html_is_self_contained_and_shows_what_happened(report):
    out, data = report
    page = (out / "report.html").read_text()
    parser = _Collector()
    parser.feed(page)
    text = " ".join(parser.text)
    assert "script" not in parser.tags and "http://" not in page and "https://" not in page
    for name, counts in data["sources"].items():
        assert name in text and f"{counts['read']:,}" in text
    assert "en.opener.certainly" in text and "Certainly!" in text  # a strip rule with its real removed span
    assert "noise.empty-output" in text
    assert (out / "report.html").stat().st_mode & 0o044, "outputs must be readable like any file the user writes"


def test_report_escapes_row_text():
    data = {"totals": {"read": 1, "kept": 0, "train": 0, "val": 0, "rejected": 1, "edited_rows": 0},
            "funnel": [{"stage": "read", "rows": 1, "share_of_read": 1.0}],
            "sources": {"s": {"read": 1, "kept": 0, "rejected": 1, "status": "ok"}},
            "rules": {"r": {"stage": "noise", "category": "noise", "action": "drop", "hits": 1, "dropped": 1,
                            "stripped": 0, "chars_removed": 0}},
            "examples": {"r": [{"id": "x", "source": "s", "detail": "<script>alert(1)</script>",
                                "instruction": "<b>hi</b>", "output": ""}]}}
    page = render_report_html(data)
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium_without_console_errors(report, tmp_path):
    out, _ = report
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", f"--screenshot={tmp_path / 'shot.png'}",
         "--window-size=1200,1600", f"file://{out / 'report.html'}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_terminal_summary(report, capsys, tmp_path):
    from flows.report import main

    out, data = report
    assert main([str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"read {data['totals']['read']:,}" in printed and "en.opener.certainly" in printed
    assert main([str(tmp_path)]) == 2
