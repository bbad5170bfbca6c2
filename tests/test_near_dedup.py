import random

import numpy as np

from filters.dedup import DedupSettings, deduplicate, normalise_for_dedup
from filters.ledger import Ledger
from filters.near_dedup import ShingleHasher, jaccard, near_duplicate_clusters
from formats.example import Example

BASE = ("To reset a forgotten password open the login page and click the link that says forgot password then "
        "enter the email address you registered with and follow the instructions in the message we send you "
        "within thirty minutes because the link expires after that time for security reasons")
ZH = ("北京是中华人民共和国的首都，也是全国的政治中心、文化中心和国际交往中心，拥有三千多年的建城史和八百多年的建都史，"
      "是世界上拥有世界文化遗产数最多的城市之一，每年吸引数以千万计的游客前来参观故宫、长城和颐和园等名胜古迹。")


def ex(output: str, locator: str, source: str = "s", instruction: str = "How do I reset my password?") -> Example:
    return Example.from_fields(source, locator, instruction, "", output)


def test_one_or_two_words_changed_are_caught_and_distinct_rows_are_not():
    one = BASE.replace("forgotten", "lost")
    two = one.replace("thirty", "sixty")
    other = ("Open the billing page, pick a month in the invoices list and click download to get a PDF copy that "
             "you can forward to your accounts team or keep for your records for as long as you need it")
    rows = [ex(BASE, "1"), ex(one, "2"), ex(two, "3"), ex(other, "4")]
    ledger = Ledger()
    kept = deduplicate(rows, DedupSettings(), {}, ledger)
    assert [k.meta["locator"] for k in kept] == ["1", "4"]
    near = [r for r in ledger.rejects if r.rule == "near-duplicate"]
    assert len(near) == 2 and all(r.row["meta"]["duplicate_of"] == rows[0].id for r in near)
    assert all(r.row["meta"]["similarity"] > 0.7 for r in near) and kept[0].meta["cluster"].startswith("near-")


def test_punctuation_case_whitespace_changes_are_duplicates():
    variant = BASE.upper().replace(" then ", ",  then\n") + "!!!"
    kept = deduplicate([ex(BASE, "1"), ex(variant, "2")], DedupSettings(), {}, Ledger())
    assert len(kept) == 1


def test_cjk_rows_use_character_shingles_and_mixed_batches_work():
    edited = ZH.replace("故宫", "天坛")
    hasher = ShingleHasher()
    a, b = (hasher.shingles(normalise_for_dedup(t)) for t in (ZH, edited))
    assert len(a) > 50  # character 5-grams, not a handful of space-separated clauses
    assert jaccard(np.unique(a), np.unique(b)) > 0.8  # two characters of ~120 changed
    other = "完全不同的内容：如何更换绑定的手机号码，请在设置页面中操作。"
    rows = [ex(ZH, "1"), ex(edited, "2"), ex(BASE, "3"), ex(other, "4")]
    kept = deduplicate(rows, DedupSettings(), {}, Ledger())
    assert sorted(k.meta["locator"] for k in kept) == ["1", "3", "4"]


def test_short_rows_never_crash_and_never_have_empty_signatures():
    hasher = ShingleHasher()
    for text in ["", "hi", "ok thanks", "是", "好的"]:
        assert len(hasher.shingles(normalise_for_dedup(text))) >= 1
    rows = [ex("Yes.", "1", instruction="Is it free?"), ex("No.", "2", instruction="Is it paid?"),
            ex("Yes.", "3", instruction="Is it free?")]
    kept = deduplicate(rows, DedupSettings(), {}, Ledger())
    assert [k.meta["locator"] for k in kept] == ["1", "2"]


def test_deterministic_and_order_independent_clusters():
    rng = random.Random(7)
    words = BASE.split()
    rows = []
    for i in range(40):
        variant = list(words)
        variant[rng.randrange(len(variant))] = "changed"
        rows.append(variant if i % 2 else [w.upper() for w in words[::-1]])
    texts = [normalise_for_dedup(" ".join(r)) for r in rows]
    first, _ = near_duplicate_clusters(texts)
    again, _ = near_duplicate_clusters(texts)
    assert first == again
    order = list(range(len(texts)))
    rng.shuffle(order)
    shuffled, _ = near_duplicate_clusters([texts[i] for i in order])
    as_sets = {frozenset(c) for c in first}
    assert {frozenset(order[i] for i in c) for c in shuffled} == as_sets


def test_keep_policy_prefers_source_priority():
    rows = [ex(BASE, "1", source="scraped"), ex(BASE.replace("forgotten", "lost"), "2", source="curated")]
    kept = deduplicate(rows, DedupSettings(), {"curated": 0, "scraped": 1}, Ledger())
    assert [k.source for k in kept] == ["curated"]


def test_near_can_be_switched_off():
    rows = [ex(BASE, "1"), ex(BASE.replace("forgotten", "lost"), "2")]
    assert len(deduplicate(rows, DedupSettings(near=False), {}, Ledger())) == 2
