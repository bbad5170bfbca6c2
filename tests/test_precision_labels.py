"""The labelled precision samples of issue 21 stay well-formed: one verdict per hit, keys unique, a reason for
every wrong hit (a label file edited by hand must not silently double-count or lose a verdict)."""

import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("name", ["labels_issue21.jsonl", "labels_issue21_r4.jsonl"])
def test_labels_are_unique_and_judged(name: str) -> None:
    rows = [json.loads(line) for line in (BENCH / name).read_text(encoding="utf-8").splitlines()]
    assert rows
    keys = [(r["source"], r["locator"], r.get("key", ""), r["kind"], r["rule"], r.get("field", "")) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(isinstance(r["label"], bool) for r in rows)
    assert all(r["note"] for r in rows if not r["label"])


def test_r4_labels_carry_a_row_key() -> None:
    """r4 verdicts belong to the text that was read: a hash of the row travels with each one."""
    rows = [json.loads(line) for line in (BENCH / "labels_issue21_r4.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(r["sample"] == "r4" and len(r["key"]) == 16 and r["note"] for r in rows)
    assert {r["kind"] for r in rows} <= {"drop", "strip", "cut"}
