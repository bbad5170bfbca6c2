import random
import string

from report.stats import compression_ratio, dataset_stats, distinct_n, language, mtld, words


def test_diversity_figures_separate_varied_from_repetitive_text():
    varied = ["The quick brown fox jumps over the lazy dog near the river bank today.",
              "Photosynthesis converts light energy into chemical energy stored in glucose.",
              "Use a context manager so the file is closed even when an exception is raised."]
    repetitive = ["Thank you for your question, we will answer it soon."] * 3
    assert distinct_n(varied, 2) > distinct_n(repetitive, 2)
    assert mtld([t for s in varied for t in words(s)]) > mtld([t for s in repetitive for t in words(s)])
    assert compression_ratio(repetitive * 20) > 3 * compression_ratio(varied)


def test_cjk_counts_as_words_and_language():
    assert words("北京是首都") == ["北", "京", "是", "首", "都"]
    assert language("北京是中国的首都。") == "zh" and language("Paris is the capital.") == "en"


def test_dataset_stats_on_rows():
    rows = [{"instruction": "Explain X", "input": "", "output": "X is a letter.", "source": "a"},
            {"instruction": "解释一下", "input": "", "output": "这是一个解释。", "source": "b"}]
    stats = dataset_stats(rows, max_seq_len=4)
    assert stats["rows"] == 2 and stats["sources"] == {"a": 1, "b": 1} and stats["languages"] == {"en": 1, "zh": 1}
    assert stats["over_max_seq_len_share"] == 1.0 and stats["tokens_method"].startswith("estimate")
    assert dataset_stats(rows, count_tokens=len)["tokens_method"] == "tokenizer"


def test_length_histograms_use_fixed_buckets_for_chars_and_tokens():
    from report.stats import LENGTH_EDGES, histogram, length_histograms

    assert LENGTH_EDGES[:4] == (0, 1, 10, 20)
    counts = histogram([0, 1, 9, 10, 19, 20, 49_999, 50_000, 10**6])
    assert counts[:4] == [1, 2, 2, 1] and counts[-2:] == [1, 2] and sum(counts) == 9
    rows = [{"instruction": "x" * 12, "input": "", "output": "y" * 40},
            {"instruction": "北京是首都", "output": "z" * 200}]  # a row without input counts as empty
    hist = length_histograms(rows)
    assert hist["rows"] == 2
    assert hist["chars"]["instruction"] == histogram([12, 5]) and hist["chars"]["input"] == histogram([0, 0])
    assert hist["chars"]["output"] == histogram([40, 200])
    # estimate: ASCII 4 characters a token, CJK one a character
    assert hist["tokens"]["instruction"] == histogram([3, 5]) and hist["tokens"]["output"] == histogram([10, 50])
    assert length_histograms(rows, count_tokens=lambda t: 1000)["tokens"]["output"] == histogram([1000, 1000])


def test_size_by_source_and_language():
    rows = [{"instruction": "Explain X", "input": "", "output": "X is a letter.", "source": "a"},
            {"instruction": "Name Y", "input": "", "output": "Y.", "source": "a"},
            {"instruction": "解释一下", "input": "", "output": "这是一个解释。", "source": "b"}]
    stats = dataset_stats(rows)
    # tokens of the row as one text (fields joined by newlines): ASCII 4 characters a token, CJK 1 a character
    assert stats["size_by_source"] == {"a": {"rows": 2, "characters": 9 + 14 + 6 + 2, "tokens": 7 + 3},
                                       "b": {"rows": 1, "characters": 11, "tokens": 10 + 1}}
    assert sum(s["tokens"] for s in stats["size_by_source"].values()) == stats["tokens"]
    assert stats["size_by_language"]["en"] == stats["size_by_source"]["a"]
    assert stats["size_by_language"]["zh"] == stats["size_by_source"]["b"]


def test_tfidf_diversity_separates_templated_from_varied_rows():
    from report.stats import tfidf_diversity

    topics = ["cats", "rivers", "taxes", "loops", "poems"]
    templated = [f"Write a short poem about {topics[i % 5]}. Here is a short poem about {topics[i * 3 % 5]}: "
                 f"roses are red and {topics[i * 7 % 5]} are blue." for i in range(200)]
    rng = random.Random(0)
    varied = [" ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(15))
              for _ in range(200)]
    t, v = tfidf_diversity(templated), tfidf_diversity(varied)
    assert t["sample_rows"] == v["sample_rows"] == 200 and t["svd_dims"] == v["svd_dims"] == 64
    assert t["vendi_score"] < 10 < 20 < v["vendi_score"] <= 64
    assert t["mean_cosine_distance"] < 0.6 < 0.9 < v["mean_cosine_distance"] <= 1
    assert tfidf_diversity(varied) == v, "same rows, same figures"
    same = tfidf_diversity(["The same row again."] * 50)
    assert same["vendi_score"] == 1.0 and same["mean_cosine_distance"] == 0.0
    assert tfidf_diversity(["abc", "xyz"])["mean_cosine_distance"] == 1.0  # nothing shared
    assert tfidf_diversity(["a\x00b same row", "a\x00b same row", ""])["mean_cosine_distance"] == round(1 - 1 / 3, 4)
    zh_templated = [f"请写一首关于{t}的诗。这是一首关于{t}的诗。" for t in ["猫", "河", "山"] * 30]
    zh_varied = ["".join(chr(0x4E00 + rng.randrange(150)) for _ in range(30)) for _ in range(90)]
    zh = tfidf_diversity(zh_varied)
    assert tfidf_diversity(zh_templated)["vendi_score"] < 5 < 30 < zh["vendi_score"] and zh["svd_dims"] == 64


def test_counted_percentiles_match_the_sorted_column():
    """The stats keep a Counter of lengths, not a number a row: its percentiles are the sorted column's."""
    from collections import Counter

    from report.stats import counted_percentiles, percentiles

    rng = random.Random(7)
    for size in (0, 1, 2, 3, 99, 100, 101, 1_000):
        for spread in (1, 5, 10_000):
            values = [rng.randrange(spread) for _ in range(size)]
            assert counted_percentiles(Counter(values)) == percentiles(values), (size, spread)


def test_conversation_and_max_len_figures_from_counters():
    rows = [{"instruction": "Hi", "input": "", "output": "Hello there.", "source": "a", "system": "Be kind.",
             "history": [["a", "b"], ["c", "d"]]},
            {"instruction": "Again", "input": "", "output": "Sure.", "source": "a", "history": [["x", "y"]]},
            {"instruction": "Plain", "input": "", "output": "Row.", "source": "b"}]
    stats = dataset_stats(rows, count_tokens=len, max_seq_len=20)
    assert stats["conversations"] == {"rows": 2, "turns_per_conversation": {"p50": 6, "p90": 6, "p99": 6, "max": 6},
                                      "assistant_turns": (6 + 4) // 2}
    assert stats["over_max_seq_len_share"] == round(1 / 3, 4)  # only the first row is over 20 characters
    assert stats["length_chars"]["output"] == {"p50": 5, "p90": 12, "p99": 12, "max": 12}
