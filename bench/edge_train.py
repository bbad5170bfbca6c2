"""Train the edge-sentence model (filters/edge_model.py, issue 21) on the dev splits, and check how it generalises.

    python -m bench.edge_train                      # train on every dev group, write filters/rules/edge_model.json
    python -m bench.edge_train --hold-out heldout10 --without phrases6 phrases7  # train without one dev split (and
                                                    # the phrase sets in its voices), score its sentences (no write)
    python -m bench.edge_train --without heldout3 --out /tmp/m.json  # a model that never saw one dev split
    python -m bench.edge_train --only heldout heldout2 heldout3 devset model phrases1 phrases2 phrases3 --out m.json

Labelled sentences, by edge (opener: the first sentences of an answer; closer: the last ones):
- boilerplate: the sentences of an injected opener / closer block in a dev split's strip rows (the phrases each
  split's writer made up), the opener / closer / disclaimer-sentence lists and whole refusals of bench/edge_phrases*.py,
  and the sentences the named rules strip from the real GPT-4 rows of alpaca_*_demo;
- content: the first two and last two sentences of every human row of the dev splits (the slop rows' originals, the
  untouched human rows, FAQ / list answers, role-play and grounded rows), the phrase sets' look-alike human sentences
  and answers, and the alpaca_*_demo outputs once cleaned.
Sentences that straddle an injected block and the human text (a clause glued to the answer) are left out.
Never reads the blind splits (bench/heldout_eval.py BLIND): a training sentence equal to one of their phrase
sentences is left out. Until round 10 the model was trained on heldout, heldout2, heldout3, devset, the GPT-4 rows
and phrase sets 1-3 only; round 11 added every demoted split and phrase sets 4-7 (many more voices). Phrase sets 8
and 9 are not trained on (bench/RESULTS.md, round 11). The "model" group is labelled by the chain, so a retrain after
the rules change gives a slightly different model. The shipped one: at 26959fe its opener, closer and whole tables
retrain byte for byte; its clause table, fitted while that commit was written, had 753 positive clauses where this
trainer gives 734.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from filters.edge_model import EDGES, MODEL_FILE, features, short_answer
from formats.text import CJK_CHAR, sentences

ROOT = Path(__file__).resolve().parent.parent
DEV_SPLITS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout9", "heldout10", "devset")
PHRASE_SETS = ("phrases1", "phrases2", "phrases3", "phrases4", "phrases5", "phrases6", "phrases7")
GROUPS = (*DEV_SPLITS, "model", *PHRASE_SETS)
DEVDATA = ROOT.parent / "shared" / "devdata"
MODEL_DATA = ("alpaca/alpaca_en_demo.json", "alpaca/alpaca_zh_demo.json")  # not the r4 precision sample's sources
EDGE_SENTENCES = 2
PRUNE = 0.05  # smaller weights are left out: half the table (it stays in the CPU cache), the same held-apart recall
# high: a strip or a drop must be right (bench/RESULTS.md: precision on real model rows, human text changed); Chinese
# higher, where doctors' own openers and closers ("是的！", "期望能帮到你，祝您健康！") sit close to a model's
THRESHOLDS = {"en": 0.9, "zh": 0.95}
# a leading clause glued to the answer (filters/slop.py _glued_disclaimer) is scored only where it speaks of the
# model, the machine or the asker's material: held apart (heldout10's voices unseen) 0.7 kept 2 of 1,645 English and
# 1 of 1,189 Chinese human clauses, before that gate, and found 70% / 43% of the disclaimer clauses
CLAUSE_THRESHOLDS = {"en": 0.7, "zh": 0.7}
# a sentence next to boilerplate already found ("Such a playful question! Explanation time.") needs less: human
# text rarely has a run to go on, and the second sentence of a model's opener is where the first threshold misses
RUN_THRESHOLDS = {"en": 0.5, "zh": 0.7}

Example = tuple[str, str, int, str]  # (group, edge, label, sentence)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _edge_sentences(text: str, group: str, label: int) -> list[Example]:
    spans = sentences(text)
    out = [(group, "opener", label, text[a:b]) for a, b in spans[:EDGE_SENTENCES]]
    out += [(group, "closer", label, text[a:b]) for a, b in spans[-EDGE_SENTENCES:]]
    return out


def _whole(text: str, group: str, label: int) -> list[Example]:
    """A short answer as a whole: is it only a refusal or the model saying who it is?"""
    return [(group, "whole", label, text)] if short_answer(text) else []


_CLAUSE_END = re.compile(r"[\s,，:：;；—–-]*(?:\b(?:but|however|though)\b|不过|但是|可是|但)?[\s,，:：;；—–-]*$",
                         re.IGNORECASE)
_COMMA = re.compile(r"[,，]")
# a disclaimer phrase written to be glued to the answer: it ends on a comma or a turn word ("…, but", "…，不过")
_GLUED = re.compile(r"(?:[,，]|\b(?:but|however|though)|不过|但是|可是|但)\s*$", re.IGNORECASE)
CLAUSE_COMMAS = 2  # a sentence's leading clauses up to its first and second comma are scored (filters/slop.py)


def clause(text: str) -> str:
    """A disclaimer clause as the model scores it: without the comma, turn word or colon that ends it ("As an AI I
    can't verify this myself, but" → "As an AI I can't verify this myself")."""
    return _CLAUSE_END.sub("", text.strip())


def _clauses(text: str, group: str, label: int) -> list[Example]:
    """The leading clauses of a human answer's first two sentences, up to each of their first commas: what a
    disclaimer clause glued to an answer must not look like."""
    out: list[Example] = []
    for a, b in sentences(text)[:EDGE_SENTENCES]:
        sentence = text[a:b]
        for mark in list(_COMMA.finditer(sentence))[:CLAUSE_COMMAS]:
            if sentence[:mark.start()].strip():
                out.append((group, "clause", label, sentence[:mark.start()].strip()))
    return out


def split_examples(name: str) -> list[Example]:
    folder = ROOT / "bench" / name
    out: list[Example] = []
    for lang in ("en", "zh"):
        for row in _read(folder / f"slop_{lang}.jsonl"):
            original = row.get("original") or ""
            if row["expected"] == "drop":
                out += _whole(row["output"], name, 1)
            if row["expected"] != "strip" or not original:
                continue
            out += _whole(original, name, 0) + _clauses(original, name, 0)
            text, at = row["output"], row["output"].find(original)
            if at < 0:
                continue
            end = at + len(original)
            out += _edge_sentences(original, name, 0)
            for a, b in sentences(text):
                if b <= at and text[a:b].strip():
                    out.append((name, "opener", 1, text[a:b]))
                elif a >= end and text[a:b].strip():
                    out.append((name, "closer", 1, text[a:b]))
        for row in _read(folder / f"human_{lang}.jsonl"):
            out += _edge_sentences(row["output"], name, 0) + _whole(row["output"], name, 0) \
                + _clauses(row["output"], name, 0)
        phrases = folder / f"phrases_{lang}.json"
        items = json.loads(phrases.read_text(encoding="utf-8")) if phrases.exists() else []
        out += [(name, "clause", 1, clause(item["text"])) for item in items
                if item.get("family") == "disclaimer" and _GLUED.search(item["text"])
                and len(sentences(item["text"])) == 1]
    for extra in ("faq_lists", "roleplay", "grounded"):
        for row in _read(folder / f"{extra}.jsonl"):
            out += _edge_sentences(row["output"], name, 0) + _whole(row["output"], name, 0) \
                + _clauses(row["output"], name, 0)
    return out


def phrase_examples(group: str) -> list[Example]:
    """One of bench/edge_phrases*.py ("phrases1" is edge_phrases.py): its openers and closers (and sentences that
    disclaim before an answer, as openers), whole refusals and identity answers, and the content sentences and short
    human answers that look like them (negatives at every edge). Disclaimer clauses glued to an answer are left out:
    they are not sentences of their own."""
    import importlib

    number = group.removeprefix("phrases")
    module = importlib.import_module(f"bench.edge_phrases{'' if number == '1' else number}")

    def lists(*suffixes: str) -> list[str]:
        return [s for lang in ("EN", "ZH") for suffix in suffixes for s in getattr(module, f"{lang}_{suffix}", ())]

    content = lists("CONTENT_EDGE", "CONTENT", "WHOLE_CONTENT")
    out: list[Example] = []
    for edge, positives in (("opener", lists("OPENER", "DISCLAIMER_SENTENCE")), ("closer", lists("CLOSER"))):
        out += [("phrases", edge, 1, s) for s in positives]
        out += [("phrases", edge, 0, s) for s in content]
    out += [("phrases", "whole", 1, s) for s in lists("WHOLE")]
    out += [("phrases", "whole", 0, s) for s in content]
    out += [("phrases", "clause", 1, clause(s)) for s in lists("DISCLAIMER_CLAUSE")]
    out += [example for s in content for example in _clauses(s, "phrases", 0)]
    return out


def blind_sentences() -> set[str]:
    """Every phrase of the blind held-out splits, and each of its sentences, normalised: a training sentence that
    happens to equal one is left out (counted, never printed), so the held-out figures stay held out. As the splits'
    own freshness checks do, only sentences of 12+ characters (Chinese: 6+) count: "Sure!" is everybody's."""
    from bench.heldout_eval import BLIND

    keys: set[str] = set()
    for folder in BLIND:
        for path in folder.glob("phrases_*.json"):
            for item in json.loads(path.read_text(encoding="utf-8")):
                text = item["text"]
                keys.add(normalised(text))
                keys.update(normalised(text[a:b]) for a, b in sentences(text))
    return {key for key in keys if len(key) >= (6 if CJK_CHAR.search(key) else 12)}


def model_data_examples(devdata: Path) -> list[Example]:
    """Real GPT-4 rows: what the named rules strip is boilerplate, the cleaned answer's edges are content.
    The chain runs with the learned rules off and a model that scores nothing as talk (the rules that consult the
    model find nothing through it), so the labels never depend on a model, the shipped one included: training
    twice gives the same weights."""
    import tempfile

    from filters import edge_model

    with tempfile.TemporaryDirectory() as tmp:
        silent = Path(tmp) / "silent_model.json"
        silent.write_text(json.dumps({edge: {"bias": -30.0, "threshold": THRESHOLDS, "weights": {}}
                                      for edge in (*EDGES, "whole", "clause")}), encoding="utf-8")
        shipped, edge_model.MODEL_FILE = edge_model.MODEL_FILE, silent
        try:
            return _model_data_examples(devdata)
        finally:
            edge_model.MODEL_FILE = shipped


def _model_data_examples(devdata: Path) -> list[Example]:
    from filters.clean import FilterSettings, SlopSettings, build_matcher, shard_steps
    from filters.slop import load_rules
    from formats.example import Example as Row
    from formats.ledger import Ledger

    out: list[Example] = []
    # the named rules only: the labels must not depend on the model being trained
    learned = [r.id for r in load_rules() if r.learned]
    settings = FilterSettings(slop=SlopSettings(disable_rules=learned))
    build_matcher(settings.slop)
    for rel in MODEL_DATA:
        path = devdata / rel
        if not path.exists():
            continue
        rows = json.loads(path.read_text(encoding="utf-8"))
        for i, raw in enumerate(rows):
            row = Row.from_fields(rel, str(i), raw.get("instruction", ""), raw.get("input", ""),
                                  raw.get("output", ""))
            ledger = Ledger()
            kept = row
            for step in shard_steps(settings):
                got = step.apply([kept], ledger)
                if not got:
                    break
                kept = got[0]
            else:
                out += _edge_sentences(kept.output, "model", 0) + _whole(kept.output, "model", 0) \
                    + _clauses(kept.output, "model", 0)
            if any(r.stage == "slop" for r in ledger.rejects) and short_answer(row.output):
                out.append(("model", "whole", 1, row.output))  # a named rule dropped it: a refusal or identity
            for edit in ledger.edits:
                if edit.field == "output" and edit.stage == "slop":
                    edge = "opener" if row.output.startswith(edit.removed.strip()[:20]) else "closer"
                    out += [("model", edge, 1, edit.removed[a:b]) for a, b in sentences(edit.removed)]
    return out


def examples(groups: tuple[str, ...], devdata: Path = DEVDATA) -> list[Example]:
    out: list[Example] = []
    for name in groups:
        out += model_data_examples(devdata) if name == "model" else phrase_examples(name) \
            if name in PHRASE_SETS else split_examples(name)
    seen: set[tuple[str, int, str]] = set()
    blind = blind_sentences()
    unique, left_out = [], 0
    for group, edge, label, sentence in out:
        key = (edge, label, sentence.strip())
        if normalised(sentence) in blind:
            left_out += 1
        elif sentence.strip() and key not in seen:
            seen.add(key)
            unique.append((group, edge, label, sentence.strip()))
    if left_out:
        print(f"{left_out} training sentences equal to a blind split's phrase sentence left out")
    return unique


_NOT_WORD = re.compile(r"[\W_]+")


def normalised(text: str) -> str:
    """Lower case without punctuation, symbols or spaces: how two sentences are compared for sameness."""
    return _NOT_WORD.sub("", text.lower())


def seen_material(devdata: Path = DEVDATA) -> tuple[set[str], set[str]]:
    """What training reads: every human text of the dev splits (answers and originals, stripped) and every
    training sentence, normalised. bench/heldout_eval.py --unseen leaves out held-out rows that share either."""
    texts: set[str] = set()
    for name in DEV_SPLITS:
        for path in (ROOT / "bench" / name).glob("*.jsonl"):
            for row in _read(path):
                texts.update(t.strip() for t in (row.get("output") or "", row.get("original") or "") if t.strip())
    sentence_keys = {normalised(s) for _g, _e, _label, s in examples(GROUPS, devdata)}
    return texts, sentence_keys - {""}


def fit(train: list[Example], c: float = 4.0, prune: float = PRUNE) -> dict[str, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    model: dict[str, Any] = {}
    for edge in (*EDGES, "whole", "clause"):
        rows = [(label, sentence) for _g, e, label, sentence in train if e == edge]
        if len({label for label, _s in rows}) < 2:
            continue  # nothing to learn at this edge (a small test set)
        vec = DictVectorizer()
        x = vec.fit_transform([dict.fromkeys(features(s), 1.0) for _label, s in rows])
        y = [label for label, _s in rows]
        clf = LogisticRegression(C=c, max_iter=2000, solver="lbfgs", class_weight="balanced")
        clf.fit(x, y)
        names = vec.get_feature_names_out()
        weights = {str(n): round(float(w), 4) for n, w in zip(names, clf.coef_[0], strict=True) if abs(w) >= prune}
        model[edge] = {"bias": round(float(clf.intercept_[0]), 4),
                       "threshold": CLAUSE_THRESHOLDS if edge == "clause" else THRESHOLDS,
                       "run_threshold": RUN_THRESHOLDS,
                       "weights": dict(sorted(weights.items())), "trained_on": dict(Counter(y))}
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold-out", choices=DEV_SPLITS)
    parser.add_argument("--c", type=float, default=4.0)
    parser.add_argument("--prune", type=float, default=PRUNE)
    parser.add_argument("--devdata", type=Path, default=DEVDATA)
    parser.add_argument("--without", nargs="+", choices=GROUPS, default=[], help="train without these groups")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="train on these groups only")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    groups = tuple(g for g in (args.only or GROUPS) if g not in args.without)
    if args.hold_out:
        from filters.edge_model import EdgeModel

        train = examples(tuple(g for g in groups if g != args.hold_out), args.devdata)
        test = examples((args.hold_out,), args.devdata)
        data = fit(train, args.c, args.prune)
        model = EdgeModel.from_weights({e: data[e]["weights"] for e in data}, {e: data[e]["bias"] for e in data},
                                       {e: data[e]["threshold"] for e in data})
        for edge in (*EDGES, "whole", "clause"):
            for lang in ("en", "zh"):
                rows = [(label, s) for _g, e, label, s in test if e == edge and (features(s)[:1] == [lang])]
                for threshold in (0.5, 0.7, 0.8, 0.9, 0.95, 0.98):
                    pos = [model.score(s, edge) >= threshold for label, s in rows if label]
                    neg = [model.score(s, edge) >= threshold for label, s in rows if not label]
                    print(f"{edge:6} {lang} t={threshold}: recall {sum(pos)}/{len(pos)} "
                          f"({sum(pos) / max(1, len(pos)):.1%}), false pos {sum(neg)}/{len(neg)} "
                          f"({sum(neg) / max(1, len(neg)):.2%})")
        return
    data = fit(examples(groups, args.devdata), args.c, args.prune)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print({e: len(data[e]["weights"]) for e in data}, args.out)


if __name__ == "__main__":
    main()
