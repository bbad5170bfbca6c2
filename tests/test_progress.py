"""Progress lines: rows/s and ETA, throttled, for every long stage of a run."""

import logging
import re

from formats.progress import Progress, heartbeat
from tests.conftest import SAMPLE


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


def test_progress_is_throttled_and_says_rate_and_eta():
    log = Lines()
    quiet = Progress(log, "clean a/0", total=1000, every=3600)
    quiet.add(500)
    quiet.finish()
    assert log.lines == []  # a stage shorter than the interval says nothing
    loud = Progress(log, "clean a/0", total=1000, every=0)
    loud.add(250)
    assert re.fullmatch(r"clean a/0: 250/1,000 rows \(25%\), [0-9,]+ rows/s, ETA \d+ s", log.lines[-1])
    unknown = Progress(log, "ingest big", every=0)
    assert list(unknown.iterate(range(3))) == [0, 1, 2]
    assert re.fullmatch(r"ingest big: 3 rows, [0-9,]+ rows/s, \d+ s so far", log.lines[-1])
    with heartbeat(log, "dedup", 42, every=0):
        pass
    assert re.fullmatch(r"dedup: 42 rows in \d+ s \([0-9,]+ rows/s\)", log.lines[-1])


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())


def test_a_run_logs_progress_for_every_stage(prefect_harness, tmp_path, monkeypatch):
    from flows.pipeline import build

    monkeypatch.setenv("SFTCURATE_PROGRESS_SECONDS", "0")  # a line for every update: the sample run is short
    collect = Collect()  # on Prefect's logger: its logging set-up replaces the root's handlers (and caplog's)
    logging.getLogger("prefect").addHandler(collect)
    try:
        build(config=str(SAMPLE / "pipeline.yaml"), out=str(tmp_path / "out"))
    finally:
        logging.getLogger("prefect").removeHandler(collect)
    said = collect.said
    for stage in ("ingest faq", "ingest kb", "clean faq/0", "decontaminate", "dedup", "write"):
        assert any(re.match(rf"{re.escape(stage)}: .*rows.*rows/s", line) for line in said), (stage, said)
    assert any(re.match(r"write: \d+/\d+ rows \(\d+%\), [0-9,]+ rows/s, ETA", line) for line in said)
    assert any(re.match(r"clean \[#+-*\] \d+/4 shards; \d+/\d+ rows \(\d+%\), [0-9,]+ rows/s, ETA", line)
               for line in said)  # across shards


def test_dedup_reports_each_phase_with_rate_and_eta(monkeypatch, caplog):
    """Dedup is the longest silent step of a large run: its keys, exact groups, candidate bands, verified pairs and
    clusters each get a progress line (what is counted, the rate and an ETA), on the logger the flow passes."""
    from filters.dedup import DedupSettings, deduplicate
    from formats.example import Example
    from formats.ledger import Ledger

    monkeypatch.setenv("SFTCURATE_PROGRESS_SECONDS", "0")
    answer = "Paris is the capital of France and its largest city, on the Seine in the north of the country."
    rows = [Example.from_fields("s", str(i), f"Question {i} about cities?", "", f"{answer} Fact {i % 7}.")
            for i in range(40)]
    rows += [Example.from_fields("s", "exact", "Question 1 about cities?", "", f"{answer} Fact 1."),
             Example.from_fields("s", "near", "Question 2 about cities?", "", f"{answer.replace('largest', 'biggest')}"
                                 " Fact 2.")]
    log, ledger = Lines(), Ledger()
    kept = deduplicate(rows, DedupSettings(), {"s": 0}, ledger, log)
    assert len(kept) == len(rows) - 2
    assert sorted(r.rule for r in ledger.rejects) == ["exact-duplicate", "near-duplicate"]
    for phase, unit in (("keys", "rows"), ("exact duplicates", "groups"), ("candidate pairs", "bands"),
                        ("verify", "pairs"), ("clusters", "rows")):
        assert any(re.fullmatch(rf"dedup: {phase}: [0-9,]+/[0-9,]+ {unit} \(\d+%\), [0-9,]+ {unit}/s, ETA \d+ s",
                                line) for line in log.lines), (phase, log.lines)
    with caplog.at_level(logging.INFO, logger="filters.dedup"):  # no logger given: the module's
        deduplicate(rows, DedupSettings(), {"s": 0}, Ledger())
    assert any(r.name == "filters.dedup" and r.getMessage().startswith("dedup: verify") for r in caplog.records)
