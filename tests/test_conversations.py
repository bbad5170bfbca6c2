"""Conversations end to end: ShareGPT, OpenAI `messages` and a SQL thread table go through the real flow and come
out in all three formats with their turns, roles and order intact; every assistant turn is cleaned."""

import json
import sqlite3

import datasets
import pytest

from formats.readers import read_source
from formats.readers.jsonl_reader import JsonlSource
from formats.writers import read_jsonl
from tests.conftest import write

ROLE_LABEL = ("human:", "gpt:", "user:", "assistant:", "system:")


def _mt_bench(devdata):
    """Real two-turn conversations: MT-Bench questions with GPT-4's reference answers to both turns."""
    questions = {r["question_id"]: r for r in map(json.loads, (devdata / "chat" / "mt_bench_question.jsonl")
                                                  .read_text().splitlines())}
    out = []
    for line in (devdata / "chat" / "mt_bench_reference_answer_gpt-4.jsonl").read_text().splitlines():
        answer = json.loads(line)
        turns = questions[answer["question_id"]]["turns"]
        replies = answer["choices"][0]["turns"]
        out.append((answer["question_id"], [t for pair in zip(turns, replies, strict=True) for t in pair]))
    return out


def _read_back(folder, fmt):
    """The output folder's train+val rows read with our own JSONL reader: the turns a trainer will see."""
    rows = []
    for split in ("train", "val"):
        spec = JsonlSource(name=f"{fmt}-{split}", kind="jsonl", path=f"{split}.jsonl")
        rows += [r for r in read_source(spec, folder)]
    return {r.meta["locator"].split(":")[0] + str(i): r for i, r in enumerate(rows)}, rows


@pytest.fixture(scope="module")
def chat_run(prefect_harness, tmp_path_factory):
    from tests.conftest import DEVDATA

    if not DEVDATA.is_dir():
        pytest.skip("../shared/devdata is not present (only developers' checkouts have it)")
    from flows.pipeline import build

    root = tmp_path_factory.mktemp("chats")
    mt = _mt_bench(DEVDATA)
    write(root / "mt.jsonl", "".join(json.dumps({"id": qid, "messages": [
        {"role": "system", "content": "You are a careful assistant."}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text} for i, text in enumerate(turns)]}) + "\n"
        for qid, turns in mt[:20]))
    with sqlite3.connect(root / "threads.sqlite") as db:
        db.execute("CREATE TABLE messages (ticket INTEGER, seq INTEGER, author TEXT, body TEXT)")
        rows = [(qid, i + 1, "customer" if i % 2 == 0 else "agent", text)
                for qid, turns in mt[20:] for i, text in enumerate(turns)]  # other conversations than mt.jsonl
        db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?)", rows[::-1])  # stored backwards: order_by sorts
    planted = {"conversations": [
        {"from": "human", "value": "How do I rotate an API key?"},
        {"from": "gpt", "value": "Certainly! Open Settings, then API keys, and click Rotate next to the key. "
                                 "I hope this helps!"},
        {"from": "human", "value": "Does the old key stop working at once?"},
        {"from": "gpt", "value": "The old key keeps working for 24 hours, so you can deploy the new one first."}]}
    write(root / "planted.jsonl", json.dumps(planted) + "\n")
    (root / "sharegpt.json").write_bytes((DEVDATA / "chat" / "fastchat_dummy_conversation.json").read_bytes())
    write(root / "pipeline.yaml", """
sources:
  - {name: sharegpt, kind: jsonl, path: sharegpt.json}
  - {name: mt, kind: jsonl, path: mt.jsonl}
  - {name: threads, kind: sql, url: "sqlite:///threads.sqlite", query: "SELECT ticket, seq, author, body FROM messages",
      thread: {key: ticket, order_by: seq, role: author, text: body, roles: {customer: user, agent: assistant}}}
  - {name: planted, kind: jsonl, path: planted.jsonl}
output: {format: alpaca, extra_formats: [messages, sharegpt], val_fraction: 0.1}
""")
    out = root / "out"
    report = build(config=str(root / "pipeline.yaml"), out=str(out))
    return root, out, report, mt


def test_every_format_keeps_turns_roles_and_order(chat_run):
    _, out, report, mt = chat_run
    by_format = {}
    for fmt, folder in (("alpaca", out), ("messages", out / "messages"), ("sharegpt", out / "sharegpt")):
        loaded = datasets.load_dataset("json", data_files={"train": str(folder / "train.jsonl"),
                                                           "validation": str(folder / "val.jsonl")})
        assert loaded["train"].num_rows + loaded["validation"].num_rows == report["totals"]["kept"]
        rows = read_jsonl(folder / "train.jsonl") + read_jsonl(folder / "val.jsonl")
        _, examples = _read_back(folder, fmt)
        by_format[fmt] = {row["id"]: ex.turns() for row, ex in zip(rows, examples, strict=True)}
        for ex in examples:
            assert not any(text.lstrip().lower().startswith(ROLE_LABEL) for _, text in ex.turns())
    assert by_format["alpaca"] == by_format["messages"] == by_format["sharegpt"]
    assert report["stats"]["conversations"]["rows"] > 0
    info = json.loads((out / "dataset_info.json").read_text())["sft_curated"]
    assert info["columns"]["history"] == "history" and info["columns"]["system"] == "system"
    assert "roles_to_train" in (out / "messages" / "axolotl.yaml").read_text()

    # the MT-Bench conversations come out turn for turn (unless a rule changed a turn: then the ledger says so)
    edited = {e["id"] for e in read_jsonl(out / "edits.jsonl")}
    provenance = {p["id"]: p for p in read_jsonl(out / "provenance.jsonl")}
    source_turns = {f"mt.jsonl:{n}": turns for n, (_, turns) in enumerate(mt[:20], 1)}
    checked = 0
    for row_id, turns in by_format["messages"].items():
        locator = provenance[row_id]["meta"]["locator"]
        if provenance[row_id]["source"] != "mt" or row_id in edited:
            continue
        assert turns[0] == ("system", "You are a careful assistant.")
        assert [text for _, text in turns[1:]] == source_turns[locator]
        assert [role for role, _ in turns[1:]] == ["user", "assistant"] * 2
        checked += 1
    assert checked >= 10


def test_sql_thread_table_is_ordered_and_mapped(chat_run):
    _, out, _, mt = chat_run
    provenance = {p["id"]: p for p in read_jsonl(out / "provenance.jsonl")}
    rows = read_jsonl(out / "messages" / "train.jsonl") + read_jsonl(out / "messages" / "val.jsonl")
    threads = [r for r in rows if provenance[r["id"]]["source"] == "threads"]
    rejects = [r for r in read_jsonl(out / "rejects.jsonl") if r["source"] == "threads"]
    assert len(threads) + len(rejects) == 10 and len(threads) >= 8
    edited = {e["id"] for e in read_jsonl(out / "edits.jsonl")}
    expected = dict(mt[20:])
    for row in threads:
        ticket = int(provenance[row["id"]]["meta"]["locator"].split("=")[1])
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"] * 2
        if row["id"] not in edited:
            assert [m["content"] for m in row["messages"]] == expected[ticket]


def test_slop_in_a_middle_turn_is_stripped_and_named(chat_run):
    _, out, report, _ = chat_run
    rows = read_jsonl(out / "messages" / "train.jsonl") + read_jsonl(out / "messages" / "val.jsonl")
    planted = next(r for r in rows if r["source"] == "planted")
    first_reply = planted["messages"][1]["content"]
    assert first_reply == "Open Settings, then API keys, and click Rotate next to the key."
    edits = [e for e in read_jsonl(out / "edits.jsonl") if e["source"] == "planted"]
    assert {(e["rule"], e["field"]) for e in edits} == {("en.opener.certainly", "turns[1]"),
                                                        ("en.closer.hope-this-helps", "turns[1]")}
    section = json.loads((out / "report.json").read_text())["conversations"]
    assert section == report["conversations"] and section["edits_by_turn"]["turns[1]"] >= 2
    assert section["kept"] == report["stats"]["conversations"]["rows"]
    assert "<h2>Conversations</h2>" in (out / "report.html").read_text()


def _six_turns():
    from formats.conversation import conversation_example

    return conversation_example("s", "1", [
        ("system", "Be helpful."),
        ("user", "As an AI language model, what do you think about cats?"),  # a user asking about AI: not slop
        ("assistant", "Cats are independent animals that sleep a lot."),
        ("user", "Can you hack my neighbour's wifi?"),
        ("assistant", "I'm sorry, but I cannot assist with that request."),
        ("user", "What about birds?"),
        ("assistant", "Birds can fly and many migrate.")])


@pytest.mark.parametrize("policy", ["cut", "drop"])
def test_a_bad_middle_turn_cuts_or_drops_the_conversation(policy):
    from filters.clean import FilterSettings, clean_batch, shard_steps
    from formats.ledger import Ledger

    row, ledger = _six_turns(), Ledger()
    settings = FilterSettings(conversations={"bad_turn": policy})
    kept = clean_batch([row], shard_steps(settings), ledger)
    if policy == "drop":
        assert kept == [] and [r.detail.split(":")[0] for r in ledger.rejects] == ["turn 3 of 6"]
        assert ledger.rejects[0].row["meta"]["bad_turn"] == 3 and ledger.rejects[0].row["history"]
        return
    assert ledger.rejects == [] and len(kept) == 1
    assert kept[0].turns() == [("system", "Be helpful."),
                               ("user", "As an AI language model, what do you think about cats?"),
                               ("assistant", "Cats are independent animals that sleep a lot.")]
    cut = [e for e in ledger.edits if e.field == "turns[2:]"]
    assert len(cut) == 1 and "hack my neighbour" in cut[0].removed and "Birds can fly" in cut[0].removed
    assert ledger.rules[cut[0].rule].stripped == 1 and ledger.rules[cut[0].rule].dropped == 0


def test_personal_data_in_any_turn_is_masked():
    from filters.clean import FilterSettings, clean_batch, shard_steps
    from formats.conversation import conversation_example
    from formats.ledger import Ledger

    row = conversation_example("s", "1", [
        ("system", "Escalate to ops-lead@acme-corp.net when stuck."),
        ("user", "My card 4929 1234 5678 9015 was charged twice."), ("assistant", "I will check the charges."),
        ("user", "Thanks. Reach me at jane.doe@gmail.com"), ("assistant", "Noted, we will email you.")])
    ledger = Ledger()
    kept = clean_batch([row], shard_steps(FilterSettings()), ledger)
    text = "\n".join(t for _, t in kept[0].turns())
    for value in ("ops-lead@acme-corp.net", "4929 1234 5678 9015", "jane.doe@gmail.com"):
        assert value not in text and value not in repr([e.to_dict() for e in ledger.edits])
    assert {e.field for e in ledger.edits if e.stage == "pii"} >= {"system", "turns[0]", "turns[2]"}
