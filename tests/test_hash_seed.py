"""The chain's decisions must not depend on the hash seed.

Each worker process of a run gets its own random hash seed, so a rule that iterates a set where order matters
would treat the same row differently from one shard, or one run, to the next. The Chinese discourse test once
took its words out of a sentence in set order ("好的，为了让你更好地理解，我分几点来说明。" was stripped under one
seed and kept under another); this runs the chain under three seeds and compares every byte it produces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    ("解释一下", "好的，为了让你更好地理解，我分几点来说明。当多个安全提供者已经加载时，必须指定提供者"),
    ("解释一下", "好的，为了让你更好地理解，我分几点来说明。\n向安装顺序规划器发送情景"),
    ("怎么还款", "亲，您好！关于您的问题，回复如下：可以提前还款，祝您生活愉快！"),
    ("What is a tuple?", "Great question! Let me shed some light on this. A tuple is an immutable sequence. "
                         "Hope this clears things up!"),
    ("What is a set?", "As an AI, I don't have opinions, but a set is an unordered collection of unique items."),
]

SCRIPT = """
import json, sys
from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger
rows = json.loads(sys.stdin.read())
settings = FilterSettings()
examples = [Example.from_fields("seed", str(i), q, "", a) for i, (q, a) in enumerate(rows)]
ledger = Ledger()
kept = clean_batch(examples, shard_steps(settings, matcher=build_matcher(settings.slop)), ledger)
print(json.dumps({"kept": [[ex.id, ex.output] for ex in kept],
                  "edits": [e.to_dict() for e in ledger.edits],
                  "rejects": [r.to_dict() for r in ledger.rejects]}, ensure_ascii=False, sort_keys=True))
"""


def _run(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps(ROWS), capture_output=True, text=True,
                          cwd=ROOT, env=env, check=True)
    return done.stdout


def test_the_chain_gives_the_same_bytes_under_every_hash_seed() -> None:
    outputs = {seed: _run(seed) for seed in ("1", "2", "3")}
    first = outputs["1"]
    assert json.loads(first)["edits"], "the rows were chosen to be edited: an empty run proves nothing"
    assert all(out == first for out in outputs.values()), outputs
