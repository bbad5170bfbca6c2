"""Issue 20: dedup never merges distinct examples (numbers, chains) and catches short near-duplicates."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from filters.dedup import DedupSettings, PairSimilarity, deduplicate, prompt_group
from filters.near_dedup import contains, edit_similarity, levenshtein, number_keys
from filters.normalise import normalise_for_dedup, normalise_many, numbers_of
from formats.example import Example
from formats.ledger import Ledger
from formats.writers import split_train_val

PROBLEM = ("A shop sells pencils at {a} cents each and erasers at {b} cents each. Tom buys {c} pencils and one "
           "eraser. How much does he pay in cents?")


def ex(output: str, locator: str, instruction: str = "Answer the question.", input_: str = "",
       source: str = "s") -> Example:
    return Example.from_fields(source, locator, instruction, input_, output)


def word_problems(n: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    seen, rows = set(), []
    while len(rows) < n:
        a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 30)
        if (a, b, c) in seen:
            continue
        seen.add((a, b, c))
        rows.append(ex(f"He pays {a * c + b} cents.", str(len(rows)), input_=PROBLEM.format(a=a, b=b, c=c)))
    return rows


def test_rows_that_differ_only_in_numbers_are_never_merged():
    rows = word_problems(300)
    ledger = Ledger()
    assert len(deduplicate(rows, DedupSettings(), {}, ledger)) == 300 and not ledger.rejects
    pair = [ex("利息按年利率计算。", "1", instruction=f"{n}的利息是多少") for n in ("10000", "22000")]
    assert len(deduplicate(pair, DedupSettings(), {}, Ledger())) == 2


def test_template_dedup_is_there_when_asked_for():
    kept = deduplicate(word_problems(300), DedupSettings(numbers="ignore"), {}, Ledger())
    assert len(kept) == 1


def test_only_the_formatting_of_numbers_is_normalised():
    assert normalise_for_dedup("Ｈｅｌｌｏ,  World ２０２４!") == "hello world 2024"
    assert normalise_for_dedup("It costs 10,000 or 1,234,567.89 (10_000)") == "it costs 10000 or 1234567 89 10000"
    assert normalise_for_dedup("１０，０００元") == "10000元" and normalise_for_dedup("٣٤") == "34"
    assert normalise_for_dedup("[1,3,5]") == "1 3 5"  # a list, not a thousands group
    assert normalise_for_dedup("2024 or 3.5", digits="fold") == "0 or 0 0"
    assert numbers_of(normalise_for_dedup("3 apples and 3.5 pears, 10,000")) == ("10000", "3", "3", "5")
    rows = [ex("It costs 10,000 yen.", "1"), ex("It costs 10000 yen", "2"), ex("It costs 10 000 yen.", "3")]
    assert [k.meta["locator"] for k in deduplicate(rows, DedupSettings(), {}, Ledger())] == ["1", "3"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["1", "12", "007", "a", " ", "北", "3"]), max_size=8).map("".join),
                min_size=2, max_size=6))
def test_vectorised_number_keys_agree_with_numbers_of(texts):
    keys = number_keys(texts).tolist()
    for i in range(len(texts)):
        for j in range(len(texts)):
            assert (keys[i] == keys[j]) == (numbers_of(texts[i]) == numbers_of(texts[j])), (texts[i], texts[j])


def test_html_entities_in_any_case_are_decoded():
    texts = ['Say &QUOT;hi&QUOT; &AMP; wave', 'Say &quot;hi&quot; &amp; wave', 'Say "hi" & wave',
             "Say &#X22;hi&#x22; &amp;amp; wave", "say &Quot;HI&quot; &NBSP;&amp wave"]
    assert len(set(normalise_many(texts))) == 1 == len({normalise_for_dedup(t) for t in texts})
    assert normalise_for_dedup("AT&T R&D &lt;3") == "at t r d 3"


def test_a_chain_does_not_drop_its_far_end():
    words = [x + y for x in "abcdefgh" for y in "abcde"]  # 40 words, no digits
    x, y = ["xa", "xb", "xc", "xd"], ["ya", "yb", "yc", "yd"]
    a = " ".join(words)
    b = " ".join(words[:36] + x)  # J(A, B) = 0.81
    c = " ".join(y + words[4:36] + x)  # J(B, C) = 0.81, J(A, C) = 0.65
    rows = [Example.from_fields("s", name, "", "", text) for name, text in (("a", a), ("b", b), ("c", c))]
    ledger = Ledger()
    kept = deduplicate(rows, DedupSettings(same_prompt=False), {}, ledger)
    assert [k.meta["locator"] for k in kept] == ["a", "c"]
    assert [r.row["meta"]["locator"] for r in ledger.rejects] == ["b"]
    assert ledger.rejects[0].row["meta"]["duplicate_of"] == rows[0].id


WORDS = [x + y for x in "abcdef" for y in "abcde"]


@st.composite
def drifting_rows(draw: st.DrawFn) -> list[Example]:
    """Rows that drift a word at a time from one text, so chains through the middle are common."""
    base = draw(st.lists(st.sampled_from(WORDS), min_size=12, max_size=30))
    rows, current = [], list(base)
    for k in range(draw(st.integers(3, 12))):
        for _ in range(draw(st.integers(0, 2))):
            current[draw(st.integers(0, len(current) - 1))] = draw(st.sampled_from(WORDS + ["7", "8"]))
        same = draw(st.booleans())
        rows.append(Example.from_fields(draw(st.sampled_from(["a", "b"])), str(k), "q" if same else f"q{k}", "",
                                        " ".join(current)))
    return rows


@settings(max_examples=150, deadline=None)
@given(drifting_rows(), st.sampled_from([0.5, 0.7, 0.8]))
def test_every_dropped_row_is_verified_against_the_row_kept(rows, threshold):
    config = DedupSettings(threshold=threshold, exact=False)
    ledger = Ledger()
    kept = deduplicate(rows, config, {"a": 0, "b": 1}, ledger)
    assert len(kept) + len(ledger.rejects) == len(rows)
    kept_ids = {k.id for k in kept}
    position = {r.id: p for p, r in enumerate(rows)}
    similarity = PairSimilarity(list(range(len(rows))), rows, _prompt_keys(rows), config)
    for reject in ledger.rejects:
        meta = reject.row["meta"]
        assert meta["duplicate_of"] in kept_ids and meta["cluster"] == f"near-{meta['duplicate_of']}"
        recomputed, measure, duplicate = similarity(position[meta["duplicate_of"]], position[reject.id])
        assert duplicate and abs(recomputed - meta["similarity"]) < 1e-3 and measure == meta["measure"]
        floor = {"jaccard": threshold, "edit": config.edit_threshold, "containment": 1.0}[measure]
        assert recomputed >= floor


def _prompt_keys(rows: list[Example]):
    import numpy as np
    return np.array([int(prompt_group(r), 16) for r in rows], dtype=np.uint64)


def test_same_prompt_short_answers_changed_by_a_character_or_extended_are_caught():
    answer = "高血压患者应当低盐饮食，每天食盐不超过六克，并且坚持适量运动，戒烟限酒，保持心情舒畅。"
    english = "Use the reset link on the login page."
    cases = {  # instruction: (rows' outputs, expected measure or None when both must stay)
        "高血压怎么调理？": ([answer, answer.replace("适量", "适当")], "edit"),
        "高血压要注意什么？": ([answer, answer + "如有不适请及时到医院就医，遵医嘱用药，定期复查。"], "containment"),
        "How do I reset it?": ([english, english.replace("login", "log-in")], "edit"),
        "How do I reset the password?": ([english, english + " It expires after an hour."], "containment"),
        "Is it free?": (["No.", "No. It costs money every month."], None),  # "no" is too short to be contained
        "Is the sky blue?": (["The sky is blue today.", "The sky is grey today."], None),
    }
    rows = [ex(output, f"{k}-{n}", instruction=instruction)
            for k, (instruction, (outputs, _)) in enumerate(cases.items()) for n, output in enumerate(outputs)]
    rows.append(ex(answer.replace("适量", "适当"), "other", instruction="糖尿病怎么调理？"))  # another question
    ledger = Ledger()
    kept = deduplicate(rows, DedupSettings(), {}, ledger)
    measures = {r.row["instruction"]: r.row["meta"]["measure"] for r in ledger.rejects}
    assert measures == {instruction: measure for instruction, (_, measure) in cases.items() if measure}
    assert len(kept) == len(rows) - len(measures) and "other" in {k.meta["locator"] for k in kept}
    longer = {r.row["meta"]["duplicate_of"] for r in ledger.rejects if r.row["meta"]["measure"] == "containment"}
    assert all(len(next(k for k in kept if k.id == kid).output) > len(answer) - 5 for kid in longer)


def test_split_never_puts_one_prompt_on_both_sides():
    rows = [ex(f"Answer number {k}.", str(k), instruction=f"Question {k % 37}?  ") for k in range(600)]
    rows += [ex(f"答案{k}", f"zh{k}", instruction=f"问题{k % 11}？") for k in range(200)]
    train, val = split_train_val(rows, 0.2, seed=3, group_of=prompt_group)
    assert val and train
    assert not {prompt_group(r) for r in train} & {prompt_group(r) for r in val}
    five = prompt_group(ex("x", "1", instruction="Question 5?"))
    assert five == prompt_group(ex("y", "2", instruction="question 5"))
    assert five != prompt_group(ex("x", "1", instruction="Question 6?"))


def _reference_levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@settings(max_examples=400, deadline=None)
@given(st.text("abc 北京", max_size=80), st.text("abc 北京", max_size=80))
def test_bit_parallel_edit_distance_equals_the_definition(a, b):
    assert levenshtein(a, b) == _reference_levenshtein(a, b)


def test_edit_similarity_and_containment():
    assert edit_similarity("", "") == 1.0 and edit_similarity("abcd", "abce") == 0.75
    assert contains("the cat sat on the mat", "cat sat") and not contains("the cat sat", "at sa")
    assert contains("今天天气很好我们去公园", "天气很好")
