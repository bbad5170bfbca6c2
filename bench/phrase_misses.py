"""Why a phrase set's boilerplate survives the chain (issue 21, round 12; bench/RESULTS.md): for every opener or
closer that `bench.phrases_eval` does not remove exactly, each of its sentences' edge-model score and the gates that
would stop a learned strip; for every whole refusal kept, the gate or score that kept it.

    python -m bench.phrase_misses --set 8            # counts by cause
    python -m bench.phrase_misses --set 8 --show     # and the phrases (this reads the set: it becomes tuned-on)

Causes, per sentence of a missed opener / closer: `long` (over the model's MAX_CHARS: never scored), `subject`
(names_the_subject: a word of the prompt or the answer, a digit, a name), `formula` (a human closing formula),
`score` (under the threshold), `scored` (passes all of these: another sentence of the block, or another gate of the
matcher, kept it). Per whole answer kept: `not short` (too long to be judged whole), `speaks of nothing` (no
apology, inability, model or expert word: never scored), `whole score` (under the threshold), `parts` (a sentence
of it does not read as talk on its own).
"""

from __future__ import annotations

import argparse
import importlib
import random
from collections import Counter

import bench.phrases_eval as pe
from filters import edge_model as em
from filters.clean import FilterSettings, build_matcher, shard_steps
from filters.discourse import names_the_subject
from filters.slop import _found_in, _human_formula
from formats.text import sentences


def _sentence_cause(model: em.EdgeModel, sentence: str, edge: str, rest: str) -> str:
    cjk = em._is_cjk(sentence)
    if len(sentence.strip()) > em.MAX_CHARS[cjk]:
        return "long"
    if names_the_subject(sentence, _found_in(rest, cjk)):
        return "subject"
    if _human_formula(sentence):
        return "formula"
    return "score" if model.score(sentence, edge) < model.threshold[edge]["zh" if cjk else "en"] else "scored"


def _whole_cause(model: em.EdgeModel, text: str) -> str:
    if not em.short_answer(text):
        return "not short"
    if not em.may_refuse(text):
        return "speaks of nothing"
    if model.score(text, "whole") < model.threshold["whole"]["zh" if em._is_cjk(text) else "en"]:
        return "whole score"
    return "parts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=int, default=8)
    parser.add_argument("--show", action="store_true", help="print each missed phrase with its causes")
    args = parser.parse_args()
    phrases = importlib.import_module(f"bench.edge_phrases{args.set}")
    settings = FilterSettings()
    steps = shard_steps(settings, matcher=build_matcher(settings.slop))
    model = em.load()
    rng = random.Random(pe.SEED)  # the same draws as bench.phrases_eval: the same rows
    for lang, ask in (("EN", "Please answer the question."), ("ZH", "请回答下面的问题。")):
        whole = getattr(phrases, f"{lang}_WHOLE")
        causes = Counter(_whole_cause(model, text) for text, out in zip(whole, pe._clean(steps, [
            (ask, text) for text in whole]), strict=True) if out is not None)
        print(f"{lang} whole answers kept: {sum(causes.values())} of {len(whole)}: {dict(causes.most_common())}")
        pool = pe.untouched_pool(steps, lang)
        for edge in ("opener", "closer"):
            drawn = pe.edge_rows(phrases, lang, edge, pool, rng)
            rows = [pair for pair, _row in drawn]
            phrases_drawn = getattr(phrases, f"{lang}_{edge.upper()}")
            causes, missed = Counter(), 0
            for out, phrase, (_pair, row) in zip(pe._clean(steps, rows), phrases_drawn, drawn, strict=True):
                if out == row["output"]:
                    continue
                missed += 1
                rest = f"{row['instruction']}\n{row['output']}".lower()
                parts = [phrase[a:b] for a, b in sentences(phrase)]
                found = [_sentence_cause(model, part, edge, rest) for part in parts]
                causes.update(found)
                if args.show:
                    print("  ", " || ".join(f"{p.strip()} [{c} {model.score(p, edge):.2f}]"
                                            for p, c in zip(parts, found, strict=True)))
            print(f"{lang} {edge}s missed: {missed} of {len(rows)}; their sentences by cause: "
                  f"{dict(causes.most_common())}")
        pe._disclaimers(steps, phrases, lang, pool, rng)  # its lines as phrases_eval prints them, and its draws


if __name__ == "__main__":
    main()
