"""Decontamination against evaluation sets: planted overlaps are dropped, near-misses and short answers are not."""

import json
from pathlib import Path

import pytest

from filters.decontaminate import DecontaminationSettings, EvalIndex, decontaminate, load_eval_items
from flows.config import ConfigError, load_config
from formats.example import Example
from formats.ledger import Ledger

QUESTION = ("A farmer has seventeen sheep and all but nine of them run away during the storm so how many "
            "sheep does the farmer have left at the end of the day")
ZH_QUESTION = "小明有十七只羊，暴风雨中除了九只以外都跑掉了，请问到了晚上小明还剩下多少只羊呢？请写出推理过程。"


def eval_files(tmp_path: Path) -> DecontaminationSettings:
    items = [{"id": "q1", "question": QUESTION, "answer": "9"}, {"id": "q2", "question": ZH_QUESTION, "answer": "B"}]
    (tmp_path / "bench.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items),
                                          encoding="utf-8")
    (tmp_path / "more.csv").write_text("prompt,target\nName the capital of France in one word please,Paris\n",
                                       encoding="utf-8")
    return DecontaminationSettings.model_validate({"eval_sets": [
        {"name": "gsm", "path": "bench.jsonl", "id_field": "id"}, {"name": "geo", "path": "more.csv"}]})


def row(locator: str, instruction: str, output: str = "Some answer.", input_: str = "") -> Example:
    return Example.from_fields("train", locator, instruction, input_, output)


def test_planted_overlaps_are_dropped_with_the_item_and_near_misses_kept(tmp_path):
    settings = eval_files(tmp_path)
    items = load_eval_items(settings, tmp_path)
    assert ("gsm:q1", QUESTION) in items and ("geo:2", "Paris") in items
    words = QUESTION.split()
    rows = [
        row("copied", "Please solve: " + QUESTION.upper().replace(" so ", ", so ") + "?"),  # case/punctuation
        row("in-output", "Solve this.", output="Sure. " + " ".join(words[3:17]) + " — think first."),  # 14 words
        row("zh", "请回答：" + ZH_QUESTION[2:30], output="九只。"),  # 28 shared CJK characters
        row("twelve-words", "Tell me: " + " ".join(words[:12]) + " cows instead?"),  # 12 shared words: kept
        row("short-answer", "Pick one option.", output="B"),  # same as an eval answer, but short: kept
        row("zh-short", ZH_QUESTION[:20] + "是多少？"),  # 20 shared CJK characters: kept
    ]
    ledger = Ledger()
    kept = decontaminate(rows, EvalIndex(items, settings), ledger)
    assert [k.meta["locator"] for k in kept] == ["twelve-words", "short-answer", "zh-short"]
    dropped = {r.row["meta"]["locator"]: r for r in ledger.rejects}
    assert set(dropped) == {"copied", "in-output", "zh"}
    assert {r.rule for r in ledger.rejects} == {"contamination"}
    assert dropped["copied"].row["meta"]["eval_item"] == "gsm:q1" and "instruction" in dropped["copied"].detail
    assert dropped["in-output"].detail.startswith("output shares")
    assert dropped["zh"].row["meta"]["eval_item"] == "gsm:q2"


def test_no_eval_sets_keeps_everything(tmp_path):
    rows = [row("a", QUESTION)]
    assert decontaminate(rows, EvalIndex([], DecontaminationSettings()), Ledger()) == rows


def test_a_missing_eval_file_fails_fast_naming_the_key(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"instruction": "q", "output": "a"}\n')
    (tmp_path / "pipeline.yaml").write_text(
        "sources: [{name: a, kind: jsonl, path: a.jsonl}]\n"
        "decontamination: {eval_sets: [{name: mmlu, path: eval/mmlu.jsonl}]}\n")
    with pytest.raises(ConfigError, match=r"decontamination\.eval_sets\[0\] \(mmlu\)\.path: file not found"):
        load_config(tmp_path / "pipeline.yaml")
