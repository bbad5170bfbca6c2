from train.stats import compression_ratio, dataset_stats, distinct_n, language, mtld, words


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
