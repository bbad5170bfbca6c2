"""A learned test for boilerplate at the edges of an answer (issue 21): is this first / last sentence the model
talking about the exchange ("Ooh, fun one to chew on!", "Rundown incoming:", "Holler if anything's unclear.",
"希望能帮到你哦～") rather than the answer's own content?

The named rules and the discourse vocabulary catch the phrasings someone wrote down; held-out phrasings use other
words. This is a linear model over word and character n-grams, trained by `bench/edge_train.py` on the dev splits'
boilerplate sentences against human and model answers' own edge sentences, and shipped as a weight table
(`filters/rules/edge_model.json`). Scoring a sentence is a few dozen dict lookups: no numpy, no sklearn at run time.
The slop matcher asks it only about a sentence at an edge that no rule named, and only strips on a high score.
Four tables: "opener", "closer", "whole" (a short answer that is only a refusal or identity statement) and
"clause" (a leading clause glued to the answer by a comma: "Without seeing your logs, <answer>").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise, repeat
from pathlib import Path

from formats.text import sentences

MODEL_FILE = Path(__file__).resolve().parent / "rules" / "edge_model.json"
EDGES = ("opener", "closer")
# the whole-answer table judges one-paragraph answers this short, by script (Chinese: True): 99% of the dev
# refusals and identity statements are (English median 56, Chinese 19 characters); a longer answer has room for an
# answer, and the named rules and the rescue judge it
WHOLE_CHARS = {False: 160, True: 60}
_WHOLE_LONGEST = max(WHOLE_CHARS.values())
MAX_CHARS = {False: 120, True: 40}  # by script (Chinese: True): longer sentences are content
_LONGEST = max(MAX_CHARS.values())
PART_SCORE = 0.5  # each sentence of an answer dropped as a whole reads as talk at least this surely
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WIDE = re.compile(f"[{_CJK}]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?:;,.…]|[^\w\s]")
_ZH_TOKEN = re.compile(f"[{_CJK}]|[a-z0-9]+|[!?:;,.…！？：；，。～~]|[^\\w\\s]")
_ZEROS = repeat(0.0)  # dict.get's default, as map's second iterable
_FIRST_PERSON = re.compile(r"(?i)\b(?:i|i'm|i’m|i've|i'd|i'll|me|my|myself)\b|我")
# a turn from a disclaimer to what follows it ("…，不过…", "…, but …"): is_refusal judges what follows on its own
_TURN = re.compile(r"[,，;；:：]\s*(?:(?:but|however|though|and|still|that said|as far as i know|to my knowledge|"
                   r"from what i know|generally|in general|不过|不過|但是|但|然而|可是|据我所知|據我所知|"
                   r"就我所知|一般来说|一般來說|通常|"
                   r"总的来说|總的來說)[\s,，]*)+"
                   r"|(?<=[.!?])\s+(?:but|however),?\s", re.IGNORECASE)
# what a refusal or an identity statement holds: an apology, an inability, the model, software, or someone to ask
# instead. A short answer without any of these is not scored as a whole (1 of the 617 dev refusals lacks them).
_SPEAKS_EN = (
    r"\b(?:sorry|apologi\w*|unfortunately|afraid|can't|can’t|cannot|unable|won't|not able|able to|decline|refuse|"
    r"permitted|allowed|ai|artificial intelligence|assistant|chatbot|bot|language model|model|software|program|"
    r"programmed|computer|human|professional|expert|specialist|advisor|adviser|doctor|lawyer|attorney|consult\w*|"
    r"therapist|pharmacist|appropriate|comfortable|policy|guidelines|not something|rather not|not going to|"
    r"(?:help|assist) with|body|feelings|emotions|personal|openai|chatgpt|gpt|claude|gemini|llama|qwen|support|"
    r"harm|harmful|unsafe|qualified|weigh in|no can do|pass on|licensed|certified|electrician|plumber|accountant|"
    r"engineer|veterinarian|vet|dietitian|nutritionist|counsel+or|physician)\b"
    r"|(?<![a-z])ai(?![a-z])")
_SPEAKS_ZH = (
    r"抱歉|对不起|不好意思|无法|不能|没法|人工智能|助手|助理|模型|程序|机器人|人类|智能|专业|咨询|"
    r"拒绝|不适合|帮不了|不便|不方便|没办法|谅解|见谅|范围|不会提供|身体|感情|情感|代码|医生|律师|"
    # a verb of handling that cannot be done (处理不了, 做不到), and no standing to do it (无权)
    r"(?:处理|回答|解答|解决|完成|提供|办|做)(?:不了|不到)|无权|"
    # the same in traditional characters (Taiwan, Hong Kong): 無法, 人工智慧, 機器人, 諮詢 …
    r"無法|對不起|沒法|沒辦法|人工智慧|機器人|專業|諮詢|拒絕|不適合|幫不了|諒解|見諒|範圍|不會提供|身體|程式|醫生|醫師|律師|"
    r"(?:處理|回答|解答|解決|完成|提供|辦|做)(?:不了|不到)|無權")
# ASCII word boundaries (?a): an English word glued to Chinese ("不过我是bot，") is a word; under Unicode \b it is not
_SPEAKS_OF_ITSELF = re.compile(f"(?ai){_SPEAKS_EN}|{_SPEAKS_ZH}")  # the test as written; the three below are it, faster
# (?i) makes re try every word at every position (a branch's first letter is no quick reject under it): ASCII text
# is lower-cased and searched case-sensitively instead (the same for ASCII), and the Chinese words, which have no
# case, are searched on their own (led by their first characters, re scans for those)
_SPEAKS_EN_LOWER = re.compile(f"(?a){_SPEAKS_EN}")
_SPEAKS_EN_ANY_CASE = re.compile(f"(?ai){_SPEAKS_EN}")
_SPEAKS_ZH_WORDS = re.compile(_SPEAKS_ZH)


def _speaks_of_itself(text: str) -> bool:
    """`_SPEAKS_OF_ITSELF.search(text) is not None`, in a third of the instructions."""
    if text.isascii():
        return _SPEAKS_EN_LOWER.search(text.lower()) is not None
    return _SPEAKS_ZH_WORDS.search(text) is not None or _SPEAKS_EN_ANY_CASE.search(text) is not None


def _length_bucket(n: int) -> str:
    return "len:" + ("1" if n <= 2 else "2" if n <= 4 else "3" if n <= 7 else "4" if n <= 12 else "5" if n <= 20
                     else "6" if n <= 35 else "7")


_BUCKETS = tuple(_length_bucket(n) for n in range(37))  # by token count (36 and more: the last)


def _is_cjk(text: str) -> bool:
    """Chinese script anywhere (an ASCII text is not: the common case, decided without the regex)."""
    return not text.isascii() and _WIDE.search(text) is not None


def _parts(sentence: str, cjk: bool | None = None) -> tuple[bool, list[str], list[str]]:
    """Script (True: Chinese), tokens (English words; Chinese characters) and the sentence-level features: script,
    length bucket, first and last token. Lower-cased. (Digits, code and names are the guard's: names_the_subject.)"""
    text = sentence.strip().lower()
    if cjk is None:
        cjk = _is_cjk(text)
    tokens = (_ZH_TOKEN if cjk else _EN_TOKEN).findall(text)
    if not tokens:
        return cjk, [], []
    return cjk, tokens, ["zh" if cjk else "en", _BUCKETS[min(len(tokens), 36)], "^" + tokens[0], tokens[-1] + "$"]


def features(sentence: str) -> list[str]:
    """The sentence's features as the weight table names them (training writes these): the sentence-level ones,
    tokens, token pairs "a b" and, in Chinese, triples "a b c". The same for training and scoring."""
    cjk, tokens, specials = _parts(sentence)
    out = specials + tokens + [f"{a} {b}" for a, b in pairwise(tokens)]
    if cjk:
        out += [f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return out


Tables = tuple[dict[str, float], dict[tuple[str, ...], float], dict[tuple[str, ...], float]]


def _tables(weights: dict[str, float]) -> Tables:
    """A weight table split by arity, pairs and triples keyed by tuples: scoring then zips the tokens and looks
    them up in C (map over dict.get) instead of building a string per pair."""
    single: dict[str, float] = {}
    pairs: dict[tuple[str, ...], float] = {}
    triples: dict[tuple[str, ...], float] = {}
    for name, weight in weights.items():
        parts = tuple(name.split(" "))
        if len(parts) == 1:
            single[name] = weight
        else:
            (pairs if len(parts) == 2 else triples)[parts] = weight
    return single, pairs, triples


Bounds = tuple[dict[str, float], dict[str, float]]


def _bounds(tables: Tables) -> Bounds:
    """Per token, the largest positive weight of a pair it starts, and of a triple it starts: summed over a
    sentence's tokens they bound its pairs and triples from above with one lookup per token and no tuple built (a
    table of the tokens that start a positive pair or triple, smaller than the pair and triple tables)."""
    _single, pairs, triples = tables
    pair_max: dict[str, float] = {}
    for (first, *_rest), weight in pairs.items():
        if weight > 0:
            pair_max[first] = max(pair_max.get(first, 0.0), weight)
    triple_max: dict[str, float] = {}
    for (first, *_rest), weight in triples.items():
        if weight > 0:
            triple_max[first] = max(triple_max.get(first, 0.0), weight)
    return pair_max, triple_max


def _floor(threshold: float | None) -> float | None:
    """The logit a total must reach for the score to reach `threshold`, less a margin far above float error (a bound
    under it proves the score is under the threshold); None for a threshold so near 0 or 1 that the margin would no
    longer stand far above the sigmoid's rounding (the total is also clamped to ±30 before it)."""
    if threshold is None or not 0 < threshold < 1:
        return None
    logit = math.log(threshold / (1 - threshold))
    return logit - 1e-6 if -20 < logit < 20 else None


@dataclass(frozen=True)
class EdgeModel:
    """One weight table per edge (and "whole"); `score` is the probability that the text is boilerplate there."""

    tables: dict[str, Tables]
    bias: dict[str, float]
    threshold: dict[str, dict[str, float]]  # edge → script ("en", "zh") → the score a strip or drop needs
    run_threshold: dict[str, dict[str, float]]  # … for a sentence next to boilerplate already found
    # per edge: the bound tables (_bounds) and, by script and then in_run, the floor (_floor)
    gates: dict[str, tuple[dict[str, float], dict[str, float], dict[str, tuple[float | None, float | None]]]] = \
        field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gates = {}
        for edge, tables in self.tables.items():
            floors = {script: (_floor(threshold), _floor(self.run_threshold.get(edge, {}).get(script)))
                      for script, threshold in self.threshold.get(edge, {}).items()}
            gates[edge] = (*_bounds(tables), floors)
        object.__setattr__(self, "gates", gates)

    @classmethod
    def from_weights(cls, weights: dict[str, dict[str, float]], bias: dict[str, float],
                     threshold: dict[str, dict[str, float]],
                     run_threshold: dict[str, dict[str, float]] | None = None) -> EdgeModel:
        return cls({edge: _tables(table) for edge, table in weights.items()}, bias, threshold,
                   run_threshold or threshold)

    def score(self, sentence: str, edge: str) -> float:
        return self._score(*_parts(sentence), edge)

    def _score(self, cjk: bool, tokens: list[str], specials: list[str], edge: str) -> float:
        single = self.tables[edge][0]
        return self._finish(cjk, tokens, edge, self.bias[edge] + sum(map(single.get, specials, _ZEROS))
                            + sum(map(single.get, tokens, _ZEROS)))

    def _finish(self, cjk: bool, tokens: list[str], edge: str, total: float) -> float:
        """The score from the total of the single tokens (bias, sentence features, tokens, summed in that order):
        pairs and, in Chinese, triples added, then the sigmoid."""
        _single, pairs, triples = self.tables[edge]
        total += sum(map(pairs.get, pairwise(tokens), _ZEROS))
        if cjk:
            total += sum(map(triples.get, zip(tokens, tokens[1:], tokens[2:], strict=False), _ZEROS))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))

    def is_boilerplate(self, sentence: str, edge: str, in_run: bool = False) -> bool:
        """Scored only when short enough to be talk: every boilerplate sentence of the dev splits is under
        MAX_CHARS (the longest English one 108 characters, Chinese 35), and most content sentences are not."""
        text = sentence.strip()
        if not text or len(text) > _LONGEST:  # too long in either script: not tokenised
            return False
        cjk = _is_cjk(text)
        if len(text) > MAX_CHARS[cjk]:
            return False
        script = "zh" if cjk else "en"
        _cjk, tokens, specials = _parts(text, cjk)
        single = self.tables[edge][0]
        partial = self.bias[edge] + sum(map(single.get, specials, _ZEROS)) + sum(map(single.get, tokens, _ZEROS))
        pair_max, triple_max, floors = self.gates[edge]
        floor = floors[script][in_run]
        if floor is not None:  # most sentences are far under the threshold: decided without building the pairs
            upper = partial + sum(map(pair_max.get, tokens, _ZEROS))
            if cjk:
                upper += sum(map(triple_max.get, tokens, _ZEROS))
            if upper < floor:
                return False
        threshold = (self.run_threshold if in_run else self.threshold)[edge][script]
        return self._finish(cjk, tokens, edge, partial) >= threshold

    def upper(self, sentence: str, edge: str) -> float:
        """The bound is_boilerplate compares with the floor: _score's total (before the sigmoid) with pairs and
        triples at their best weights."""
        cjk, tokens, specials = _parts(sentence)
        single = self.tables[edge][0]
        pair_max, triple_max, _floors = self.gates[edge]
        upper = self.bias[edge] + sum(map(single.get, specials, _ZEROS)) + sum(map(single.get, tokens, _ZEROS)) \
            + sum(map(pair_max.get, tokens, _ZEROS))
        return upper + sum(map(triple_max.get, tokens, _ZEROS)) if cjk else upper

    def is_refusal(self, text: str, parts: list[str] | None = None) -> bool:
        """The whole answer is only a refusal or the model saying who it is. `parts`, its sentences (split here when
        not given): each must read as talk on its own (refusal, identity, opener or closer, scored above
        PART_SCORE), so a disclaimer followed by a short answer ("需要说明的是，我是AI语言模型，无法实时联网查询。
        我7月份贷的款，8月不用还吗？") is not dropped as a whole: the rescue and the strip judge it."""
        if not may_refuse(text):
            return False
        cjk, tokens, specials = _parts(text)
        if self._score(cjk, tokens, specials, "whole") < self.threshold["whole"]["zh" if cjk else "en"]:
            return False
        if parts is None:
            parts = [text[a:b] for a, b in sentences(text)]
        whole = text.strip()
        # what follows a turn without the model speaking of itself ("…，不过選擇性相關的檔案名稱", not "…, but I
        # don't feel it would be appropriate") is a part too: an answer after a disclaimer is stripped, not dropped
        pieces = [*parts, *(piece for part in parts for piece in _TURN.split(part)[1:]
                            if _FIRST_PERSON.search(piece) is None)]
        return all(any(self.score(piece, table) >= PART_SCORE for table in ("whole", "opener", "closer"))
                   for piece in pieces if piece.strip() and piece.strip() != whole)  # the whole text passed already


_LOADED: tuple[Path, EdgeModel] | None = None  # the MODEL_FILE last loaded, and its model


def load() -> EdgeModel:
    """The shipped model (MODEL_FILE, read when first asked for: a benchmark may point it elsewhere). The last one is
    kept by the path's identity: the matcher asks for it several times a row, and hashing a Path costs more."""
    global _LOADED
    if _LOADED is None or _LOADED[0] is not MODEL_FILE:
        _LOADED = (MODEL_FILE, read(MODEL_FILE))
    return _LOADED[1]


def short_answer(text: str) -> bool:
    """Short enough, and one paragraph, for the whole-answer table (a long text is not searched for its script)."""
    return len(text) <= _WHOLE_LONGEST and len(text) <= WHOLE_CHARS[_is_cjk(text)] and "\n" not in text.strip()


def may_refuse(text: str) -> bool:
    """Worth scoring as a whole answer: short, and speaking of the model, an apology, an inability or an expert."""
    return short_answer(text) and _speaks_of_itself(text)


@cache
def read(path: Path) -> EdgeModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return EdgeModel.from_weights({e: data[e]["weights"] for e in data}, {e: data[e]["bias"] for e in data},
                                  {e: data[e]["threshold"] for e in data},
                                  {e: data[e].get("run_threshold", data[e]["threshold"]) for e in data})
