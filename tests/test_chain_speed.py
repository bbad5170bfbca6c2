"""The chain's fast paths give what the plain regexes give (branch chainspeed): random strings over the characters
each one cares about, old expression against new."""

from __future__ import annotations

import random
import re
import unicodedata

from ftfy.badness import is_bad

import filters.discourse as discourse
import filters.edge_model as edge_model
import filters.repair as repair
import filters.slop as slop
from filters.clean import FilterSettings, build_matcher
from filters.pattern_gates import too_many_sentences
from formats import language
from formats import text as text_mod

CASES = 4000


def _strings(alphabet: list[str], seed: int, longest: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(CASES)]


def test_speaks_of_itself_is_the_regex() -> None:
    alphabet = list("aiAIbotsrySORRY '’-_.,KſİıCanT抱歉无法人工智能機器人助手é") + ["\u212a", "sorry", "can't", "model"]
    for text in _strings(alphabet, 1):
        assert edge_model._speaks_of_itself(text) == (edge_model._SPEAKS_OF_ITSELF.search(text) is not None)


def test_is_bad_searched_around_anchors_is_ftfys() -> None:
    assert repair._ANCHORS is not None
    anchors = [chr(c) for c in range(0x80, 0x2600) if repair._ANCHORS[0].match(chr(c))]
    alphabet = anchors[:200] + list("aZ .,?!\n\t1é°×·中文，。ÃÂ") + ["\u00a0"]
    for text in _strings(alphabet, 2):
        assert repair._is_bad(text) == is_bad(text)


def test_english_share_counts_the_trie_matches() -> None:
    alphabet = list("theandofitisa \n.,'_-9ÉéK\u212a") + ["the ", "and ", "it's "]
    for text in _strings(alphabet, 3):
        words = text.split()
        expected = len(language._EN_FUNCTION.findall(text.lower())) / len(words) if words else 0.0
        assert language._english_share(text) == expected


def _old_normalise(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = re.sub("[\uff01-\uff5e\u3000]+", lambda m: m.group(0).translate(slop._HALFWIDTH), text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if slop._CURLY.search(text):
        text = text.translate(slop._QUOTES)
    return text.casefold()


def test_normalise_maps_full_width_as_before() -> None:
    alphabet = [chr(c) for c in range(0xFF01, 0xFF5F, 7)] + list("，：（）？！； \u3000中文aA\u0301é“”「」ﬁ①²Å")
    for text in _strings(alphabet, 4):
        assert slop.normalise(text) == _old_normalise(text)


def test_code_chars_counted_on_bytes() -> None:
    alphabet = list("{}()[];=<>_/\\#*$|&^%+ab 中文，。\ud800é€😀\n")
    for text in _strings(alphabet, 5, 30):
        expected = text_mod.chars(language._CODE_CHARS, text)
        assert language._count(text, language._CODE_BYTES, language._CODE_CHARS) == expected


def test_code_blocks_are_the_fence_regex_spans() -> None:
    alphabet = ["`", "`", "`", "~", "~", "~", " ", "\t", "\n", "\n", "a", "\r", "```", "~~~", "\n```", "  ```py\n"]
    for text in _strings(alphabet, 6, 25):
        expected = [m.span() for m in text_mod._FENCE.finditer(text)] if "```" in text or "~~~" in text else []
        assert text_mod.code_blocks(text) == expected


def test_whole_rule_sentence_gate_never_turns_away_a_match() -> None:
    matcher = build_matcher(FilterSettings().slop)
    gated = [rule for rule in matcher.rules if rule.sentence_gate is not None]
    assert {rule.id for rule in gated} >= {"zh.refusal.whole"}
    pieces = [slop._masked(x) for rule in gated for x in (*rule.positive, *rule.negative)]
    pieces = [p for x in pieces for p in re.split(r"(?<=[。!?.])", x) if p] + ["。", "!", ".", " ", "\n", "。。"]
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for rule in gated:
            if too_many_sentences(rule.sentence_gate, text):
                assert rule.compiled.fullmatch(text) is None


def test_edge_rule_start_characters_keep_every_match() -> None:
    matcher = build_matcher(FilterSettings().slop)
    rules = [rule for rule in matcher.rules if rule.starts is not None]
    assert rules
    pool = [slop._masked(x) for rule in matcher.rules for x in (*rule.positive, *rule.negative)]
    rng = random.Random(8)
    for rule in rules:
        for _ in range(150):
            sentence = rng.choice(pool)[rng.randint(0, 2):]
            assert (rule.matches(sentence) is None) == (rule.compiled.fullmatch(sentence) is None)


def test_folded_patterns_match_where_ignorecase_does() -> None:
    phrases = ["I am an AI language model", "I'm sorry, but I can't help with that", "my name is Claude",
               "please consult a doctor", "how can I help you today?", "against my guidelines", "x", ",", "K"]
    rng = random.Random(9)
    for folded in (discourse._REFUSAL_EN, discourse._IDENTITY_EN, discourse._REDIRECT_EN, discourse._OFFER_EN):
        plain = re.compile(folded.pattern, re.IGNORECASE)
        for _ in range(1000):
            text = " ".join(rng.choice(phrases) for _ in range(rng.randint(1, 3)))
            text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
            old, new = plain.search(text), folded.search(text)
            assert (old is None) == (new is None) and (old is None or old.span() == new.span())


def test_edge_rule_window_search_keeps_every_match() -> None:
    matcher = build_matcher(FilterSettings().slop)
    rules = [rule for rule in matcher.rules if rule.starts is not None]
    pool = [slop.normalise(x) for rule in matcher.rules for x in (*rule.positive, *rule.negative)]
    rng = random.Random(10)
    for rule in rules:
        for _ in range(100):
            text = rng.choice(["", " ", "\n"]) + " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
            start = rng.randint(0, len(text))
            end = rng.randint(start, len(text) + 1)
            assert rule.loose_in(text, start, end) == (rule.loose.search(text, start, end) is not None)
