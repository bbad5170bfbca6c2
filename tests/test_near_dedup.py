import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.dedup import DedupSettings, deduplicate
from filters.near_dedup import (
    MinHashParams,
    ShingleSets,
    band_keys,
    candidate_pairs,
    minhash_signatures,
    near_duplicate_clusters,
    shingle_hashes,
)
from filters.normalise import normalise_for_dedup, normalise_many
from formats.example import Example
from formats.ledger import Ledger

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
    texts = [normalise_for_dedup(t) for t in (ZH, edited)]
    _, offsets = shingle_hashes(texts)
    assert offsets[1] > 50  # character 5-grams, not a handful of space-separated clauses
    assert ShingleSets([0, 1], texts, MinHashParams()).jaccard(0, 1) > 0.8  # two characters of ~120 changed
    other = "完全不同的内容：如何更换绑定的手机号码，请在设置页面中操作。"
    rows = [ex(ZH, "1"), ex(edited, "2"), ex(BASE, "3"), ex(other, "4")]
    kept = deduplicate(rows, DedupSettings(), {}, Ledger())
    assert sorted(k.meta["locator"] for k in kept) == ["1", "3", "4"]


def test_short_rows_never_crash_and_never_have_empty_signatures():
    texts = [normalise_for_dedup(t) for t in ["", "hi", "ok thanks", "是", "好的", "a b c"]]
    _, offsets = shingle_hashes(texts)
    assert np.diff(offsets).tolist() == [1, 1, 1, 1, 1, 1]  # one shingle each: the whole (short) row
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
    assert first
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


def reference_shingles(text: str, word_ngram: int = 3, char_ngram: int = 5) -> set[tuple[str, ...]]:
    """The definition, row by row in plain Python: what the vectorised hashing must agree with."""
    chars = text.replace(" ", "")
    cjk = sum("\u3000" <= c <= "\ud7ff" for c in chars)
    tokens, n = (list(chars), char_ngram) if cjk and cjk * 3 > len(chars) else (text.split(), word_ngram)
    n = min(n, len(tokens))
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)} if tokens else {()}


WORDS = st.sampled_from(["the", "cat", "sat", "on", "mat", "a", "dog", "北京", "是", "首都", "天", "ok", "0"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=12).map(" ".join), min_size=2, max_size=6))
def test_vectorised_shingles_agree_with_the_plain_definition(texts):
    sets = ShingleSets(list(range(len(texts))), texts, MinHashParams())
    flat, offsets = shingle_hashes(texts)
    for i, text in enumerate(texts):
        assert len(np.unique(flat[offsets[i]:offsets[i + 1]])) == len(reference_shingles(text)), text
        for j in range(i + 1, len(texts)):
            a, b = reference_shingles(text), reference_shingles(texts[j])
            assert sets.jaccard(i, j) == len(a & b) / len(a | b), (text, texts[j])


TRICKY = st.sampled_from(list("aZ _-.,!?ßİ09²½①ＡＨ１，。：？（）「」、　〜〈 ＿e\u0301\u0338=<ﬁ™㎏\t\n北京한ｶﾞ\x00"
                              "'٣\u066c\u2009&;#xQ")
                         + ["\ud800", "&QUOT;", "&amp;", "&NBSP;", "&#X27;", "1,000", "１，０００", "&amp;quot;"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(TRICKY, max_size=20).map("".join) | st.text(max_size=30), max_size=8),
       st.sampled_from(["keep", "fold"]))
def test_batch_normalisation_equals_row_by_row(texts, digits):
    assert normalise_many(texts, digits) == [normalise_for_dedup(t, digits) for t in texts]


def test_minhash_bands_follow_the_lsh_s_curve():
    """128 permutations in 16 bands of 8: P(candidate) = 1 - (1 - J^8)^16, i.e. ~95% at J=0.8 and ~24% at 0.6."""
    rng = np.random.default_rng(3)
    for jaccard_target in (0.8, 0.6):
        rows, pairs = [], 1500
        for _ in range(pairs):
            union = rng.integers(0, 2**63, size=60, dtype=np.uint64)
            shared = int(round(jaccard_target * 60))
            only = (60 - shared) // 2
            rows += [union[:shared + only], np.concatenate([union[:shared], union[shared + only:shared + 2 * only]])]
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        signatures = minhash_signatures(np.concatenate(rows), offsets, 128, seed=0)
        exact = shared / (shared + 2 * only)
        estimate = (signatures[:, 0::2] == signatures[:, 1::2]).mean()
        assert abs(estimate - exact) < 0.01
        found = {tuple(p) for p in candidate_pairs(band_keys(signatures, 16)).tolist()}
        caught = sum((2 * k, 2 * k + 1) in found for k in range(pairs)) / pairs
        expected = 1 - (1 - exact ** 8) ** 16
        assert abs(caught - expected) < 0.04, (jaccard_target, caught, expected)


def test_worker_processes_give_the_same_keys_as_one_process():
    rows = [ex(BASE.replace("thirty", str(i)), str(i)) for i in range(30)] + [ex(ZH, "zh"), ex(ZH + "。", "zh2")]
    one = DedupSettings(workers=1)
    two = DedupSettings(workers=2, parallel_from_rows=0)
    from filters.dedup import dedup_keys
    keys_one, keys_two = dedup_keys(rows, one), dedup_keys(rows, two)
    assert np.array_equal(keys_one.exact, keys_two.exact) and np.array_equal(keys_one.bands, keys_two.bands)
    assert np.array_equal(keys_one.prompts, keys_two.prompts)
    assert np.array_equal(keys_one.output_chars, keys_two.output_chars)
    assert [k.id for k in deduplicate(rows, two, {}, Ledger())] == [k.id for k in deduplicate(rows, one, {}, Ledger())]


def drifting_clusters(n_clusters: int, seed: int = 0) -> list[Example]:
    """Chains of rows, each a few words from the one before (A–B, B–C close, A–C sometimes not), shuffled: small
    components of 3-8 rows in which `keeper_clusters` verifies pairs LSH did not propose."""
    rng = random.Random(seed)
    words = BASE.split()
    vocabulary = sorted(set(words)) + ["alpha", "beta", "gamma", "delta", "omega", "sigma"]
    rows = []
    for c in range(n_clusters):
        current = [rng.choice(vocabulary) for _ in range(40)]
        for k in range(rng.randint(3, 8)):
            for _ in range(rng.randint(1, 3)):
                current[rng.randrange(len(current))] = rng.choice(vocabulary)
            rows.append(ex(" ".join(current), f"{c}-{k}", source=rng.choice("ab"), instruction=f"q{c % 7}"))
        rows.append(ex(ZH[c % 50:] + str(c), f"{c}-zh"))
    rng.shuffle(rows)
    return rows


def test_verification_in_blocks_decides_exactly_as_all_at_once(monkeypatch):
    """Near dedup holds shingle sets for a block of candidate rows at a time (`PairSimilarity(lazy=True)`, loaded
    by `verify_pairs` and through `keeper_clusters`' `prepare`): any block size gives the same kept rows, drops,
    similarities, measures and ledger order as one block of every row, and no block holds more rows than asked."""
    import filters.dedup as dedup

    rows = drifting_clusters(60)
    loads: list[int] = []
    load = dedup.PairSimilarity.load

    def counted(self, rows_):
        loads.append(len(rows_))
        load(self, rows_)

    monkeypatch.setattr(dedup.PairSimilarity, "load", counted)
    outcomes = []
    for block in (10**9, 7, 1):
        monkeypatch.setattr(dedup, "_BLOCK_PAIRS", block)
        loads.clear()
        ledger = Ledger()
        kept = deduplicate(rows, DedupSettings(threshold=0.7), {"a": 0, "b": 1}, ledger)
        outcomes.append(([(k.id, k.meta) for k in kept], [r.to_dict() for r in ledger.rejects]))
        if block < 10**9:
            assert len(loads) > 2 and max(loads) <= 2 * block or block == 1 and max(loads) <= 8, loads
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert len(outcomes[0][1]) > 60  # clusters were collapsed
    assert any("cluster" in meta for _, meta in outcomes[0][0])


def test_keeper_clusters_prepares_the_rows_it_verifies():
    from filters.near_dedup import keeper_clusters

    # components: {0,1,2} (0–2 not an edge: verified), {3,4}, {5..9} a chain, {10,11,12}
    edges = {(0, 1): 0.9, (1, 2): 0.9, (3, 4): 0.9, (5, 6): 0.9, (6, 7): 0.9, (7, 8): 0.9, (8, 9): 0.9,
             (10, 11): 0.9, (11, 12): 0.9}
    prepared: list[set[int]] = []
    calls = []

    def verify(i: int, j: int) -> float | None:
        assert {i, j} <= prepared[-1]
        calls.append((i, j))
        return 0.85 if (i + j) % 2 == 0 else None

    expected = keeper_clusters(list(range(13)), edges, lambda i, j: 0.85 if (i + j) % 2 == 0 else None)
    got = keeper_clusters(list(range(13)), edges, verify, prepare=lambda rows: prepared.append(set(rows)),
                          block_rows=6)
    assert got == expected and calls
    assert prepared == [{0, 1, 2}, {5, 6, 7, 8, 9}, {10, 11, 12}]


def test_rank_order_from_one_lexsort_is_the_sorted_tuples():
    """The cluster step ranks candidate rows with one lexsort over int64 rank keys: the order `sorted` by the rank
    tuples gives, whatever the policy (negative lengths, ties broken by position)."""
    from filters.dedup import _ranked, keep_rank

    rng = random.Random(11)
    rows = [Example.from_fields(rng.choice("abc"), str(n), "Q?", "", "x" * rng.randrange(5)) for n in range(500)]
    edits = {ex.id: rng.randrange(3) for ex in rows}
    positions = rng.sample(range(500), 300)  # any order: the position in the key breaks every tie
    for policy in (["source_priority", "fewer_edits", "longer_output"], ["longer_output"], ["earliest"], []):
        rank = keep_rank(policy, {"b": 0, "a": 1}, edits)
        want = sorted(positions, key=lambda pos: rank((pos, rows[pos])))
        assert _ranked(rows, positions, rank) == want
    assert _ranked(rows, [], keep_rank([], {}, {})) == []


def _dict_keeper_clusters(ranked, edges, verify, direct_up_to=32, prepare=None, block_rows=100_000):
    """`keeper_clusters` as it was before it kept arrays (dicts of dicts, an index dict): the oracle."""
    from filters.near_dedup import UnionFind

    neighbours: dict[int, dict[int, float]] = {}
    finder = UnionFind(len(ranked))
    index = {row: k for k, row in enumerate(ranked)}
    for (i, j), sim in edges.items():
        neighbours.setdefault(i, {})[j] = sim
        neighbours.setdefault(j, {})[i] = sim
        finder.union(index[i], index[j])
    components: dict[int, list[int]] = {}
    for row in ranked:  # members stay in rank order
        if row in neighbours:
            components.setdefault(finder.find(index[row]), []).append(row)
    clusters: list[tuple[int, list[tuple[int, float]]]] = []
    groups = list(components.values())
    prepared = 0  # groups[:prepared] were handed to `prepare` already
    for number, members in enumerate(groups):
        free = dict.fromkeys(members)  # ordered: rank order
        small = len(members) <= direct_up_to
        if prepare is not None and small and len(members) > 2 and number >= prepared:
            block: list[int] = []
            while prepared < len(groups) and (not block or len(block) + len(groups[prepared]) <= block_rows):
                if 2 < len(groups[prepared]) <= direct_up_to:
                    block += groups[prepared]
                prepared += 1
            prepare(block)
        for keeper in members:
            if keeper not in free:
                continue
            del free[keeper]
            known = neighbours[keeper]
            dropped = []
            for row in list(free) if small else [r for r in known if r in free]:
                sim = known[row] if row in known else verify(keeper, row)
                if sim is not None:
                    dropped.append((row, sim))
                    del free[row]
            if dropped:
                clusters.append((keeper, dropped))
    return clusters


def test_keeper_clusters_on_arrays_decide_as_the_dicts_did():
    """Random graphs (chains, stars, cliques, isolated ranked rows), any rank order, small and large components:
    the same keepers, the same dropped rows in the same order with the same similarities, the same `prepare` blocks
    and `verify` calls."""
    from filters.near_dedup import keeper_clusters

    rng = random.Random(17)
    for trial in range(60):
        n = rng.randrange(2, 120)
        edges: dict[tuple[int, int], float] = {}
        for _ in range(rng.randrange(0, 3 * n)):
            i, j = sorted(rng.sample(range(n), 2))
            edges[(i, j)] = rng.choice([0.8, 0.85, 0.9, 0.95, 1.0])
        edges = dict(sorted(edges.items()))  # callers give the pairs sorted
        ranked = list(range(n))
        rng.shuffle(ranked)
        answers = {(i, j): rng.choice([None, 0.81, 0.9]) for i in range(n) for j in range(n)}
        for direct_up_to in (2, 4, 32):
            block_rows = rng.choice([1, 7, 1000])
            runs = []
            for function in (_dict_keeper_clusters, keeper_clusters):
                calls: list[tuple[int, int]] = []
                blocks: list[list[int]] = []

                def verify(i: int, j: int, calls=calls, answers=answers) -> float | None:
                    calls.append((i, j))
                    return answers[(i, j)]

                out = function(ranked, edges, verify, direct_up_to=direct_up_to, prepare=blocks.append,
                               block_rows=block_rows)
                runs.append((out, calls, blocks))
            assert runs[0] == runs[1], (trial, direct_up_to)
