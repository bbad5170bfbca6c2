"""PII: the detectors' own examples, the checksums, the step's mask / drop / flag, the allow-lists, the config, and a
whole run with planted personal data in every source kind whose outputs must hold none of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from filters.pii import (
    DEFAULT_SALT,
    SALT_FILE,
    PiiSettings,
    PiiStep,
    cn_id,
    iban,
    load_detectors,
    luhn,
    marked_spans,
    project_salt,
    scanner_for,
    scrub_reject,
)
from flows.cache import code_files
from flows.config import ConfigError, load_config
from formats.example import Example, Reject
from formats.ledger import Ledger
from report.prefect import markdown, rules_table
from tests.conftest import SAMPLE

DETECTORS = load_detectors()
SCANNER = scanner_for(PiiSettings())


def _find(text: str) -> list[tuple[int, int, str]]:
    return [(h.start, h.end, h.detector.id) for h in SCANNER.find(text, SCANNER.open_detectors(text))]


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.id)
def test_detector_examples(detector):
    assert len(detector.positive) >= 2 and len(detector.negative) >= 2, "every detector needs 2+ of each"
    for example in detector.positive:
        text, spans = marked_spans(example)
        assert spans, f"positive without [[ ]]: {example!r}"
        assert [(s, e) for s, e, _ in _find(text)] == spans, example
        assert all(rule == detector.id for *_, rule in _find(text)), example
    for example in detector.negative:
        assert _find(example) == [], example


def test_checksums():
    assert luhn("4539148803436467") and not luhn("4539148803436468")
    assert iban("GB82WEST12345698765432") == "GB82WEST12345698765432"
    assert iban("GB82WEST12345698765433") is None
    assert iban("DE89 3704 0044 0532 0130 00 AB") == "DE89 3704 0044 0532 0130 00"  # the next code word is not in it
    assert cn_id("11010519491231002X") == "11010519491231002X"
    assert cn_id("110105194912310021") is None  # wrong check digit
    assert cn_id("110105194902300020") is None  # 30 February


def test_pii_rules_are_not_slop_rules_and_are_in_the_code_version():
    assert not [r.id for r in build_matcher(FilterSettings().slop).rules if r.id.startswith("pii")]
    rule_file = Path(__file__).resolve().parent.parent / "filters" / "rules" / "pii" / "detectors.yaml"
    assert rule_file in code_files()


def _row(instruction: str, output: str, input: str = "") -> Example:
    return Example.from_fields("src", instruction, instruction, input, output)


def test_mask_is_consistent_in_a_row_and_the_edit_keeps_no_value():
    row = _row("Email ann@corp.io or bob@corp.io", "I wrote to ann@corp.io; call +44 20 7946 0958.")
    ledger = Ledger()
    kept = PiiStep(PiiSettings()).apply([row], ledger)
    assert kept == [row]
    assert row.instruction == "Email <EMAIL> or <EMAIL_2>"
    assert row.output == "I wrote to <EMAIL>; call <PHONE>."
    assert row.meta["pii"] == {"EMAIL": 3, "PHONE": 1}
    dumped = b"".join(orjson.dumps(e.to_dict()) for e in ledger.edits)
    assert b"ann@corp.io" not in dumped and b"7946" not in dumped
    first = ledger.edits[0].to_dict()
    assert first["at"] == 6 and first["added"] == "<EMAIL>" and first["removed"].startswith("<EMAIL#")
    tokens = [e.removed for e in ledger.edits if e.rule == "pii.email"]
    assert tokens[0] == tokens[2] != tokens[1]  # same value, same salted hash
    other_salt = Ledger()
    PiiStep(PiiSettings(salt="s3cret")).apply([_row("ann@corp.io", "x")], other_salt)
    assert other_salt.edits[0].removed != tokens[0]
    again = Ledger()
    assert PiiStep(PiiSettings()).apply([row], again) == [row] and not again.edits  # masked text stays as it is


def test_full_width_values_are_found_and_their_original_span_masked():
    row = _row("核对", "手机１３８１２３４５６７８，邮箱ｌｉ＿ｎａ＠ｑｑ．ｃｏｍ；另一个号码13812345678。")
    ledger = Ledger()
    PiiStep(PiiSettings()).apply([row], ledger)
    assert row.output == "手机<PHONE>，邮箱<EMAIL>；另一个号码<PHONE>。"  # the same number, full-width or not
    phones = [e.to_dict() for e in ledger.edits if e.rule == "pii.cn_mobile"]
    assert phones[0]["removed"] == phones[1]["removed"]  # one salted hash for both forms
    assert "１３８" not in orjson.dumps([e.to_dict() for e in ledger.edits]).decode()


def test_each_project_makes_its_own_salt_once(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    assert project_salt(one, create=False) == "" and not (one / SALT_FILE).parent.exists()  # reading writes nothing
    salt = project_salt(one)
    assert project_salt(one) == salt == project_salt(one, create=False) != project_salt(two)  # stable; per project
    assert len(salt) == 32 and salt != DEFAULT_SALT
    assert (one / SALT_FILE).stat().st_mode & 0o077 == 0  # readable by its owner only
    assert (one / SALT_FILE).parent.joinpath(".gitignore").read_text(encoding="utf-8").endswith("*\n")
    email = next(d for d in DETECTORS if d.id == "pii.email")
    tokens = {scanner_for(PiiSettings(salt=s)).token(email, "ann@corp.io") for s in (salt, project_salt(two), "")}
    assert len(tokens) == 3


def test_code_blocks_are_skipped_except_for_secrets():
    text = "Run this:\n```\ncurl -u ann@corp.io https://x\nTOKEN=ghp_7Hq2LmN9xR4tZ1vB8kW3yC6dF0gJ5aSe2PqX\n```\n"
    row = _row("q", text + "Mail `bob@corp.io` too.")
    PiiStep(PiiSettings()).apply([row], Ledger())
    assert "ann@corp.io" in row.output and "`bob@corp.io`" in row.output and "<SECRET>" in row.output


def test_drop_masks_the_row_the_ledger_keeps_and_flag_keeps_the_row():
    settings = PiiSettings(detectors={"card": {"action": "drop"}, "email": {"action": "flag"}})
    step = PiiStep(settings)
    assert step.label == "pii"  # it can drop: it gets a funnel line
    dropped, flagged = _row("pay", "card 4539 1488 0343 6467, mail ann@corp.io"), _row("hi", "mail ann@corp.io")
    ledger = Ledger()
    assert step.apply([dropped, flagged], ledger) == [flagged]
    reject = ledger.rejects[0].to_dict()
    assert reject["rule"] == "pii.card" and reject["stage"] == "pii"
    assert "4539" not in orjson.dumps(reject).decode() and "ann@corp.io" not in orjson.dumps(reject).decode()
    assert reject["row"]["output"] == "card <CARD>, mail <EMAIL>"
    assert flagged.output == "mail ann@corp.io" and flagged.meta["flags"] == ["pii.email"]
    assert ledger.rules["pii.email"].flagged == 1 and ledger.rules["pii.card"].dropped == 1
    assert PiiStep(PiiSettings()).label == ""  # masking only: no funnel line


def test_a_flagged_value_stays_in_the_row_but_reaches_no_edit_and_no_report_example():
    from report.pii import pii_summary

    settings = FilterSettings(pii=PiiSettings(detectors={"phone": {"action": "flag"}}))
    stripped = _row("How do I reset my router?", "Hold the reset button for ten seconds, then wait two minutes. "
                    "I hope this helps! If you have any other questions, call me at +44 20 7946 0958.")
    beside = _row("Where do I send it?", "Mail ann@corp.io or call +44 20 7946 0958 today, we are open until six.")
    ledger = Ledger()
    kept = clean_batch([stripped, beside], shard_steps(settings), ledger)
    assert "+44 20 7946 0958" in beside.output and beside.meta["flags"] == ["pii.phone_intl"]  # the user's choice
    assert any(e.stage == "slop" and "<PHONE>" in e.removed for e in ledger.edits)  # the strip took the sentence
    summary = pii_summary(["src"], {r.id: r for r in kept}, ledger)
    assert summary["values_found"]["PHONE"] == {"src": 2}
    dumped = orjson.dumps([e.to_dict() for e in ledger.edits]).decode() + orjson.dumps(summary).decode()
    assert "7946" not in dumped


def test_allow_lists_and_switches():
    text = "Write to help@acme.io, ann@corp.io, x@docs.acme.dev or ops@example.com; server 8.8.8.8 or 81.34.112.9"
    settings = PiiSettings(allow_values=["HELP@acme.io"], allow_domains=["acme.dev"], allow_networks=["8.8.8.0/24"])
    scanner = scanner_for(settings)
    assert [h.value for h in scanner.find(text, scanner.open_detectors(text))] == ["ann@corp.io", "81.34.112.9"]
    off = scanner_for(PiiSettings(detectors={"ip": {"enabled": False}}))
    assert [h.detector.type for h in off.find(text, off.open_detectors(text))] == ["EMAIL"] * 3
    assert scanner_for(PiiSettings(enabled=False)).detectors == []


@pytest.mark.parametrize(("pii", "needle"), [
    ({"detectors": {"emial": {"action": "mask"}}}, "unknown PII detector(s) ['emial']"),
    ({"detectors": {"email": {"action": "erase"}}}, "filters.pii.detectors.email.action"),
    ({"allow_networks": ["10.0.0.300/8"]}, "not an IP network"),
    ({"allow": ["x"]}, "filters.pii.allow: unknown key"),
])
def test_bad_pii_config_fails_naming_the_key(tmp_path, pii, needle):
    config = tmp_path / "pipeline.yaml"
    config.write_text(orjson.dumps({"sources": [{"name": "l", "kind": "jsonl", "path": "x.jsonl"}],
                                    "filters": {"pii": pii}}).decode())
    (tmp_path / "x.jsonl").write_text("")
    with pytest.raises(ConfigError, match=None) as err:
        load_config(config)
    assert needle in str(err.value)


def test_earlier_edits_and_quarantined_rows_are_scrubbed():
    row = _row("q", "Caf\u00c3\u00a9 owner: ann@corp.io")  # mojibake: repair edits the row first
    ledger = Ledger()
    ledger.edit(row, "repair", "repair.test", "output", "ann@corp.io x", "y")
    clean_batch([row], [PiiStep(PiiSettings())], ledger)
    assert ledger.edits[0].removed == "<EMAIL> x"
    reject = Reject.raw("t", "t.csv:3", "bad-csv-row", "3 cells for ann@corp.io", {"cells": ["13812345678"]})
    scrubbed = scrub_reject(reject, PiiSettings())
    assert scrubbed.detail == "3 cells for <EMAIL>" and scrubbed.row["raw"] == {"cells": ["<PHONE>"]}


def test_chain_runs_pii_after_repair_and_before_slop():
    names = [step.name for step in shard_steps(FilterSettings())]
    assert names.index("repair") < names.index("pii") < names.index("slop")


# ------------------------------------------------------------------------------------------------ a whole run
PLANTED = {
    "email": "zhang.wei88@163.com", "mobile": "13912345678", "card": "4539 1488 0343 6467",
    "iban": "GB82WEST12345698765432", "cn_id": "11010519491231002X", "ssn": "512-48-7731",
    "ip": "81.34.112.9", "secret": "ghp_7Hq2LmN9xR4tZ1vB8kW3yC6dF0gJ5aSe2PqX", "address": "742 Evergreen Terrace",
    "email2": "m.rossi@unibo.it", "phone": "+44 20 7946 0958", "quarantined": "olga.k@mail.ru",
}


def _plant(folder: Path) -> None:
    p = PLANTED
    with (folder / "tickets.csv").open("a", encoding="utf-8") as handle:
        handle.write(f'T-9001,Refund to my card,"Card {p["card"]}, email {p["email"]}","We refunded card '
                     f'{p["card"]}; a receipt went to {p["email"]}.",email\n')
        handle.write(f'T-9002,Call me back,"My number is {p["mobile"]}",,phone\n')  # empty answer: noise drops it
        handle.write(f'T-9003,broken row,{p["quarantined"]}\n')  # wrong width: quarantined at ingest
    with (folder / "legacy.jsonl").open("a", encoding="utf-8") as handle:
        for row in ({"instruction": f"Update my SSN {p['ssn']} and IBAN {p['iban']}.", "input": "",
                     "response": "Both are updated in your tax profile; the next payment uses the new account."},
                    {"instruction": "核对身份证", "input": f"身份证号：{p['cn_id']}",
                     "response": "已核对，信息一致，实名认证已经通过了，感谢您的耐心等待。"},
                    {"instruction": f"Missing response from {p['email2']}"}):  # no response: quarantined
            handle.write(orjson.dumps(row).decode() + "\n")
    sql = (folder / "kb.sql").read_text(encoding="utf-8").rstrip().rstrip(";")
    sql += (f",\n (901, 'Why is my login blocked?', 'Blocked from {p['ip']}; my token is {p['secret']}', "
            f"'Your IP was rate-limited after ten failed logins; it is unblocked after an hour. Rotate that token "
            f"now, it is public.', 'en', '2026-11-01');\n")
    (folder / "kb.sql").write_text(sql, encoding="utf-8")
    page = folder / "html" / "account-faq.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</main>", f"<details><summary>Where do I send the paper form?</summary><div class=\"answer\"><p>Post it to "
                   f"{p['address']}, Springfield, OR 97403, or call {p['phone']} and ask for Anna.</p></div>"
                   f"</details></main>"), encoding="utf-8")


def test_planted_pii_reaches_no_output(prefect_harness, tmp_path):
    from flows.pipeline import build

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    _plant(data)
    out = tmp_path / "out"
    report = build(config=str(data / "pipeline.yaml"), out=str(out))
    files = [p for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts and ".state" not in p.parts]
    names = {p.relative_to(out).as_posix() for p in files}
    assert {"edits.jsonl", "rejects.jsonl", "report.json", "report.html", "README.md", "provenance.jsonl",
            "train.jsonl", "val.jsonl", "messages/train.jsonl", "sharegpt/train.jsonl"} <= names
    artifacts = markdown(report, str(out)) + orjson.dumps(rules_table(report)).decode()
    blobs = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in files} | {"artifacts": artifacts}
    for name, value in PLANTED.items():
        for variant in {value, value.replace(" ", ""), orjson.dumps(value).decode()[1:-1]}:
            leaks = [f for f, text in blobs.items() if variant in text]
            assert not leaks, f"{name} {variant!r} found in {leaks}"
    salt = (data / SALT_FILE).read_text(encoding="utf-8").strip()  # made by this run, beside the config
    assert not [f for f, text in blobs.items() if salt in text]
    email = next(d for d in DETECTORS if d.id == "pii.email")
    assert scanner_for(PiiSettings(salt=salt)).token(email, PLANTED["email"]) in blobs["edits.jsonl"]
    assert scanner_for(PiiSettings()).token(email, PLANTED["email"]) not in blobs["edits.jsonl"]  # not the public one
    pii = report["pii"]
    assert pii["values_found"]["EMAIL"] == {"tickets": 2} and pii["values_found"]["CARD"] == {"tickets": 2}
    assert set(pii["values_found"]) >= {"EMAIL", "PHONE", "CARD", "IBAN", "CN_ID", "SSN", "IP", "SECRET", "ADDRESS"}
    assert all("<" in e["masked"] for items in pii["examples"].values() for e in items)
    assert any(e["status"].startswith("rejected (noise") for e in pii["examples"]["PHONE"])
    rejects = [orjson.loads(line) for line in (out / "rejects.jsonl").read_bytes().splitlines()]
    assert any(r["stage"] == "ingest" and "<EMAIL>" in orjson.dumps(r).decode() for r in rejects)
    edits = [orjson.loads(line) for line in (out / "edits.jsonl").read_bytes().splitlines()]
    assert {e["rule"] for e in edits if e["stage"] == "pii"} >= {"pii.card", "pii.email", "pii.iban", "pii.ssn"}
    assert "Personal data" in blobs["report.html"]


@pytest.mark.parametrize("split", ["heldout", "dev"])
def test_labelled_set_meets_the_targets(split):
    """The frozen labelled set (bench/pii/labels.jsonl): precision >= 98% and recall >= 95% for every type."""
    from bench.pii_eval import evaluate

    result = evaluate(split)
    assert len(result["types"]) == 9 and result["lookalike_rows"] >= 200
    assert result["all_met"], result["types"]
