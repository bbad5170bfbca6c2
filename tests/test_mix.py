"""Mixing: caps and weights reproduce the requested mix, deterministically, with every left-out row accounted."""

import random

import pytest

from filters.mix import MixStep
from formats.example import Example
from formats.ledger import Ledger
from formats.readers.jsonl_reader import JsonlSource
from report.build import mix_summary


def _sources(**samples):
    return [JsonlSource(name=name, kind="jsonl", path=f"{name}.jsonl", sample=sample)
            for name, sample in samples.items()]


def _rows(counts):
    return [Example.from_fields(name, str(i), f"q{i}", "", f"a{i}") for name, n in counts.items() for i in range(n)]


def test_weights_reproduce_the_mix_within_one_percent_on_100k_rows():
    counts = {"web": 80_000, "tickets": 15_000, "docs": 5_000}
    weights = {"web": 0.5, "tickets": 0.3, "docs": 0.2}
    step = MixStep(_sources(**{k: {"weight": w} for k, w in weights.items()}), seed=7)
    rows = _rows(counts)
    ledger = Ledger()
    kept = step.apply(rows, ledger)
    shares = {name: sum(r.source == name for r in kept) / len(kept) for name in counts}
    assert all(abs(shares[name] - weights[name]) <= 0.01 for name in counts), shares
    assert sum(r.source == "docs" for r in kept) == 5_000  # the scarcest source is kept whole, none duplicated
    assert len(kept) + len(ledger.rejects) == len(rows)
    assert {r.rule for r in ledger.rejects} == {"mix.weight"} and {r.stage for r in ledger.rejects} == {"mix"}
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    again = MixStep(_sources(**{k: {"weight": w} for k, w in weights.items()}), seed=7).apply(shuffled, Ledger())
    assert {r.id for r in again} == {r.id for r in kept}  # the same rows whatever the order
    other_seed = MixStep(_sources(**{k: {"weight": w} for k, w in weights.items()}), seed=8).apply(rows, Ledger())
    assert {r.id for r in other_seed} != {r.id for r in kept}
    summary = mix_summary(list(counts), {r.id: r for r in kept}, ledger, step.rule_ids())
    assert summary["web"]["before"] == 80_000 and summary["web"]["share_before"] == 0.8
    assert abs(summary["web"]["share_after"] - 0.5) <= 0.01


def test_caps_come_first_and_are_exact():
    step = MixStep(_sources(web={"max_rows": 100}, docs=None), seed=0)
    ledger = Ledger()
    kept = step.apply(_rows({"web": 1_000, "docs": 50}), ledger)
    assert sum(r.source == "web" for r in kept) == 100 and sum(r.source == "docs" for r in kept) == 50
    assert len(ledger.rejects) == 900 and ledger.rules["mix.max-rows"].dropped == 900
    assert "100 of 1,000 rows kept" in ledger.rejects[0].detail


def test_a_weight_on_some_sources_only_fails_at_config_load(tmp_path):
    from flows.config import ConfigError, load_config

    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text('{"instruction": "q", "output": "a"}\n')
    (tmp_path / "p.yaml").write_text("sources:\n"
                                     "  - {name: a, kind: jsonl, path: a.jsonl, sample: {weight: 0.7}}\n"
                                     "  - {name: b, kind: jsonl, path: b.jsonl}\n")
    with pytest.raises(ConfigError, match=r"sample.weight is set on \['a'\] but not on \['b'\]"):
        load_config(tmp_path / "p.yaml")
