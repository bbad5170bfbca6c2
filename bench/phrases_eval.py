"""The cleaning chain on bench/edge_phrases4.py (issue 21): a dev measure of how the rules generalise to phrasings
written by someone who never read them.

    python -m bench.phrases_eval          # run it in another checkout (PYTHONPATH) to compare side by side
    python -m bench.phrases_eval --set 5  # bench/edge_phrases5.py (round 9; adds disclaimers before an answer)
    python -m bench.phrases_eval --set 6  # bench/edge_phrases6.py (blind dev set in the heldout10 voices + 2 more)
    python -m bench.phrases_eval --set 7  # bench/edge_phrases7.py (blind dev set, eight voices per language)
    python -m bench.phrases_eval --set 8  # bench/edge_phrases8.py (round 11: eight more voices; ZH clause misses read)
    python -m bench.phrases_eval --set 9  # bench/edge_phrases9.py (round 11: eight more voices; not trained on)

The fourth phrase set was written by a helper blind to filters/rules/ and is not in the edge model's training data
(bench/edge_train.py reads edge_phrases 1-3), so it measures what the rules and the model do on phrasings nobody tuned
them to — but its misses were read while building the shape rules (filters/self_limit.py, filters/edge_shape.py),
so it is dev, not held out. Reported:
- whole answers: the share of EN_WHOLE / ZH_WHOLE (a refusal or an identity statement and nothing else) dropped, and
  the share of EN_WHOLE_CONTENT / ZH_WHOLE_CONTENT (short human answers that look like them) dropped or changed;
- edges: each EN/ZH opener (closer) put before (after) a dev human answer that the chain leaves alone, with a
  space, a newline or a blank line between, and the share that comes back exactly as the human answer.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
from pathlib import Path
from types import ModuleType

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger

ROOT = Path(__file__).resolve().parent
HUMAN = ("devset", "heldout2")  # dev splits' human answers (bench/devset is built by bench/devset/build.py)
SEED = 8


def _clean(steps: list, rows: list[tuple[str, str]]) -> list[str | None]:
    """The chain's output for each (instruction, output), or None where the row was dropped."""
    examples = [Example.from_fields("p", str(i), instruction, "", output)
                for i, (instruction, output) in enumerate(rows)]
    kept = {row.id: row.output for row in clean_batch(examples, steps, Ledger())}
    return [kept.get(example.id) for example in examples]


def _report_exact(steps: list, label: str, rows: list[tuple[str, str]], originals: list[str]) -> None:
    """Print the share of rows the chain gives back exactly as their human original."""
    exact = sum(out == original for out, original in zip(_clean(steps, rows), originals, strict=True))
    print(f"{label} removed exactly {exact}/{len(rows)} = {exact / len(rows):.1%}")


def _human(lang: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for split in HUMAN:
        path = ROOT / split / f"human_{lang}.jsonl"
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if 80 < len(row["output"]) < 600]


def untouched_pool(steps: list, lang: str) -> list[dict[str, str]]:
    """The dev human answers ("EN" / "ZH") that the chain leaves exactly as they are: the rows phrases are put on."""
    pool = _human(lang.lower())
    untouched = _clean(steps, [(row["instruction"], row["output"]) for row in pool])
    return [row for row, out in zip(pool, untouched, strict=True) if out == row["output"]]


def edge_rows(phrases: ModuleType, lang: str, edge: str, pool: list[dict[str, str]],
              rng: random.Random) -> list[tuple[tuple[str, str], dict[str, str]]]:
    """Each of the set's openers (closers) on a drawn human answer, with a space, a newline or a blank line
    between: ((instruction, output), the human row). The draws are the measure's: callers keep their order."""
    out = []
    for phrase in getattr(phrases, f"{lang}_{edge.upper()}"):
        row = rng.choice(pool)
        sep = rng.choice([" ", "\n", "\n\n"] if lang == "EN" else ["", "\n", "\n\n"])
        out.append(((row["instruction"], phrase + sep + row["output"] if edge == "opener"
                     else row["output"] + sep + phrase), row))
    return out


def _disclaimers(steps: list, phrases: ModuleType, lang: str, pool: list[dict[str, str]],
                 rng: random.Random) -> None:
    """A disclaimer before a dev human answer: glued to it as a clause ("As an AI I can't check this, but <answer>",
    the answer's first letter lower-cased), or a sentence of its own before it; the share that comes back exactly
    as the human answer (its first letter as written)."""
    for kind in ("clause", "sentence"):
        items = getattr(phrases, f"{lang}_DISCLAIMER_{kind.upper()}", None)
        if not items:
            continue
        rows, originals = [], []
        for phrase in items:
            row = rng.choice(pool)
            answer = row["output"]
            if kind == "clause":
                glued = answer[0].lower() + answer[1:] if lang == "EN" and answer[:2].istitle() else answer
                text = f"{phrase} {glued}" if lang == "EN" else phrase + glued
            else:
                text = phrase + rng.choice([" ", "\n", "\n\n"] if lang == "EN" else ["", "\n", "\n\n"]) + answer
            rows.append((row["instruction"], text))
            originals.append(answer)
        _report_exact(steps, f"{lang} disclaimer {kind}s", rows, originals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=int, default=4, help="which bench/edge_phrasesN.py (4 to 9)")
    phrases = importlib.import_module(f"bench.edge_phrases{parser.parse_args().set}")
    settings = FilterSettings()
    steps = shard_steps(settings, matcher=build_matcher(settings.slop))
    rng = random.Random(SEED)
    for lang, ask in (("EN", "Please answer the question."), ("ZH", "请回答下面的问题。")):
        whole = getattr(phrases, f"{lang}_WHOLE")
        dropped = sum(out is None for out in _clean(steps, [(ask, text) for text in whole]))
        look_alikes = getattr(phrases, f"{lang}_WHOLE_CONTENT")
        outs = _clean(steps, [(ask, text) for text in look_alikes])
        lost = sum(out is None for out in outs)
        changed = sum(out is not None and out != text for out, text in zip(outs, look_alikes, strict=True))
        print(f"{lang} whole refusals/identity dropped {dropped}/{len(whole)} = {dropped / len(whole):.1%}; "
              f"look-alike human answers dropped {lost}, changed {changed} of {len(look_alikes)}")
        pool = untouched_pool(steps, lang)
        for edge in ("opener", "closer"):
            drawn = edge_rows(phrases, lang, edge, pool, rng)
            _report_exact(steps, f"{lang} {edge}s", [pair for pair, _row in drawn],
                          [row["output"] for _pair, row in drawn])
        _disclaimers(steps, phrases, lang, pool, rng)


if __name__ == "__main__":
    main()
