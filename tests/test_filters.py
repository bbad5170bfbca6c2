import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.clean import FilterSettings, SlopSettings, apply_slop, build_matcher, clean_batch, repair, shard_steps
from filters.dedup import DedupSettings, exact_dedup
from filters.noise import NoiseSettings, first_problem
from filters.normalise import normalise_for_dedup
from filters.repair import fix_encoding, fix_whitespace, remove_zero_width, unescape_entities
from filters.slop import SlopMatcher, load_rules, remove_spans
from formats.example import Example
from formats.ledger import Ledger
from formats.text import code_blocks, has_cjk

RULES = load_rules()


def ex(output: str, instruction: str = "Question?", source: str = "s", locator: str = "1", input: str = "") -> Example:
    return Example.from_fields(source, locator, instruction, input, output)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_examples_and_they_hold(rule):
    assert len(rule.positive) >= 2 and len(rule.negative) >= 2, "each rule needs 2 positive and 2 negative examples"
    if rule.joins_run:  # it only ever hits inside a run of other openers/closers: try it with all the rules
        matcher = build_matcher(SlopSettings())
        for field in rule.scope:
            for text in rule.positive:
                assert any(h.rule.id == rule.id for h in matcher.find(field, text)), f"{rule.id} should join {text!r}"
            for text in rule.negative:
                assert not any(h.rule.id == rule.id for h in matcher.find(field, text)), f"{rule.id} alone: {text!r}"
        return
    matcher = SlopMatcher([dataclasses.replace(rule, enabled=True)])
    for field in rule.scope:
        for text in rule.positive:
            assert matcher.find(field, text), f"{rule.id} should match {text!r}"
        for text in rule.negative:
            assert not matcher.find(field, text), f"{rule.id} should not match {text!r}"


def test_strip_leaves_the_human_text_exactly():
    matcher = build_matcher(SlopSettings())
    original = "Paris is the capital of France.\n\nIt has been since 508."
    polluted = (f"Certainly! Here's the answer you asked for:\n\n{original}\n\n"
                "I hope this helps! Let me know if you need more.")
    row = ex(polluted)
    ledger = Ledger()
    assert apply_slop(row, matcher, SlopSettings(), ledger)
    assert row.output == original
    assert [e.rule for e in ledger.edits] == ["en.opener.certainly", "en.opener.here-is",
                                              "en.closer.hope-this-helps", "en.closer.let-me-know"]


def test_chinese_closers_stripped_without_touching_punctuation():
    matcher = build_matcher(SlopSettings())
    row = ex("北京是中国的首都，也是政治中心。希望对您有所帮助！如果您还有其他问题，请随时提问。")
    assert apply_slop(row, matcher, SlopSettings(), Ledger())
    assert row.output == "北京是中国的首都，也是政治中心。"


def test_refusal_is_dropped_and_a_row_of_only_filler_is_noise():
    """Issue 21: a strip that would empty the row keeps it whole and flags it (the boilerplate-looking sentence
    may be the answer); when every sentence is content-free, noise.filler drops it (it was a slop drop)."""
    matcher = build_matcher(SlopSettings())
    ledger = Ledger()
    assert not apply_slop(ex("I'm sorry, but I cannot help with that."), matcher, SlopSettings(), ledger)
    assert [r.rule for r in ledger.rejects] == ["en.refusal.cannot-help"]
    kept = clean_batch([ex("Sure! I hope this helps!")], shard_steps(FilterSettings(), matcher=matcher), ledger)
    assert not kept and ledger.rejects[-1].rule == "noise.filler"


def test_user_asking_about_ai_is_not_slop_and_code_is_never_matched():
    matcher = build_matcher(SlopSettings())
    row = ex("It writes `As an AI language model, I cannot` to the log.\n\n```\nprint('As an AI, I refuse')\n```",
             instruction="As an AI, how would you answer?")
    assert apply_slop(row, matcher, SlopSettings(), Ledger())
    quoted = ex('The bot replied "As an AI language model, I cannot do that." and stopped.')
    assert apply_slop(quoted, matcher, SlopSettings(), Ledger())


def test_human_closing_formula_is_off_by_default_and_switchable():
    text = "多喝水，注意休息。祝您早日康复！"
    assert apply_slop(row := ex(text), build_matcher(SlopSettings()), SlopSettings(), Ledger()) and row.output == text
    on = SlopSettings(enable_categories=["human-closing"])
    row = ex(text)
    assert apply_slop(row, build_matcher(on), on, Ledger()) and row.output == "多喝水，注意休息。"


def test_flags_count_without_changing():
    ledger = Ledger()
    row = ex("Let's delve into the details of the tax code, which are many.")
    assert apply_slop(row, build_matcher(SlopSettings()), SlopSettings(), ledger)
    assert row.output.startswith("Let's delve") and row.meta["flags"] == ["en.hedge.delve"]
    assert ledger.rules["en.hedge.delve"].flagged == 1


def test_repair_keeps_clean_chinese_byte_for_byte_and_fixes_mojibake():
    clean = "你好，世界！这是“引号”和全角：ＡＢＣ。"
    assert fix_encoding(clean) == clean
    assert fix_encoding("Iâ€™m locked out") == "I’m locked out"
    assert unescape_entities("Tom &amp; Jerry") == "Tom & Jerry"  # entities: their own repair since issue 21
    row = ex("Line one.   \r\n\r\n\r\n\r\nLine two.\n```\ncode   \n\n\n\nstill code\n```")
    ledger = Ledger()
    repair(row, ledger)
    assert row.output == "Line one.\n\nLine two.\n```\ncode   \n\n\n\nstill code\n```"
    assert ledger.edits[0].rule == "repair.whitespace"


@pytest.mark.parametrize("output,rule", [
    ("N/A", "noise.empty-output"), ("暂无", "noise.empty-output"), ("", "noise.empty-output"),
    ("Lorem ipsum dolor sit amet", "noise.placeholder"), ("<|im_start|>assistant\nhi", "noise.template-token"),
    ("Question?", "noise.echo"), ("Answer.\n2. Instruction: write a poem", "noise.merged-instruction"),
    ("```python\nprint(1)\n", "noise.unclosed-fence"), ("spam\n" * 10, "noise.repetition"),
])
def test_noise_checks(output, rule):
    assert first_problem(ex(output), NoiseSettings())[0] == rule


@pytest.mark.parametrize("output", [
    "def greet(name):\n    print(f\"Hello, {name}!\")\n\ngreet(\"John\")",
    "console.log(`Name: ${name}, Email: ${email}`);",
    'text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit."\nprint(word_count(text))',
    "Console.WriteLine($\"Hi, my name is {Name}\");",
])
def test_placeholders_inside_code_are_the_codes_own(output):
    """GPT-4 code answers (GPTeacher): an f-string's {name} or a test string's "Lorem ipsum" is the code, not an
    unfilled template (15 of 15 such drops were wrong on the fresh labelled sample)."""
    assert first_problem(ex(output, instruction="Write a function that greets a user."), NoiseSettings()) is None
    assert first_problem(ex("Dear {name},\n\nThank you for your order."), NoiseSettings())[0] == "noise.placeholder"


@pytest.mark.parametrize("output", ["Paris", "42", "是", "```\nx = 1\n```", "Yes, on the Business plan."])
def test_short_good_answers_survive(output):
    assert first_problem(ex(output), NoiseSettings()) is None


def test_exact_dedup_keeps_best_copy_by_policy():
    rows = [ex("Export via File → CSV.", instruction="Export?", source="b", locator="1"),
            ex("export via file -> csv", instruction="export", source="a", locator="2"),
            ex("Export via File → CSV!!!", instruction="Export?!", source="a", locator="3")]
    ledger = Ledger()
    kept = exact_dedup(rows, DedupSettings(), {"a": 0, "b": 1}, ledger)
    # source a has priority; of its two copies the longer output wins
    assert [k.meta["locator"] for k in kept] == ["3"]
    assert {r.row["meta"]["duplicate_of"] for r in ledger.rejects} == {kept[0].id}
    assert normalise_for_dedup("Ｈｅｌｌｏ,  World 2024!") == "hello world 2024"


def test_prompt_key_catches_the_same_question_answered_twice():
    rows = [ex("Answer one.", instruction="Same?", locator="1"), ex("Answer two.", instruction="same", locator="2")]
    assert len(exact_dedup(rows, DedupSettings(key="prompt"), {}, Ledger())) == 1
    assert len(exact_dedup(rows, DedupSettings(key="example"), {}, Ledger())) == 2


def test_clean_batch_accounts_for_every_row():
    # ("Good answer." alone was the good row here; since issue 21 an answer made only of acknowledgement words is
    # noise.filler)
    rows = [ex("Paris is the capital.", locator="1"), ex("N/A", locator="2"), ex("As an AI, I can't.", locator="3")]
    ledger = Ledger()
    kept = clean_batch(rows, shard_steps(FilterSettings(), matcher=build_matcher(SlopSettings())), ledger)
    assert len(kept) + len(ledger.rejects) == 3 and len(kept) == 1


_MATCHER = build_matcher(SlopSettings())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_filtering_never_raises_and_stripping_is_idempotent(text):
    row = ex(text)
    ledger = Ledger()
    repair(row, ledger)
    if apply_slop(row, _MATCHER, SlopSettings(), ledger):
        once = row.output
        assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()) and row.output == once
    first_problem(row, NoiseSettings())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="`"), max_size=80))
def test_code_blocks_are_never_altered(code):
    block = f"```\nAs an AI language model, I hope this helps!\n{code}\n```"
    row = ex(f"Certainly!\n\n{block}\n\nI hope this helps!")
    assert apply_slop(row, _MATCHER, SlopSettings(), Ledger())
    assert block in row.output or block.strip() in row.output


def test_remove_spans_joins_with_strongest_whitespace():
    text = "A one. B two.\n\nC three."
    assert remove_spans(text, [(7, 13)]) == "A one.\n\nC three."
    assert fix_whitespace("  x  \n\n\n\ny ") == "x\n\ny"


# ------------------------------------------------------------------ issue 7: engine, noise, evaluation data


def test_every_rule_has_keywords_that_its_positive_examples_contain():
    from filters.slop import normalise

    for rule in RULES:
        if rule.structural:
            continue  # no pattern, no keywords: filters/discourse.py reads the edge sentences themselves
        assert rule.keywords, f"{rule.id} needs keywords for the Aho–Corasick prefilter"
        for text in rule.positive:
            assert any(k in normalise(text) for k in rule.keywords), f"{rule.id}: no keyword in {text!r}"


def test_lead_in_is_stripped_but_the_sentence_after_the_colon_stays():
    matcher = build_matcher(SlopSettings())
    row = ex("Sure! Here's what you need to know: the museum opens at ten and closes at six every day.")
    assert apply_slop(row, matcher, SlopSettings(), Ledger())
    assert row.output == "the museum opens at ten and closes at six every day."
    short = ex("Here is a randomly generated password: rT8$jLpZ.")
    assert apply_slop(short, matcher, SlopSettings(), Ledger())
    assert short.output == "Here is a randomly generated password: rT8$jLpZ."  # the answer is the whole sentence
    noted = ex("Here is a randomly generated 8-character password: rT8$jLpZ.\n\nPlease note that it is advisable "
               "to use a unique password.")  # the note after it does not make the sentence a lead-in (labels r4)
    assert apply_slop(noted, matcher, SlopSettings(), Ledger())
    assert noted.output.startswith("Here is a randomly generated 8-character password: rT8$jLpZ.")


def test_quoted_answer_after_lead_in_is_never_eaten():
    matcher = build_matcher(SlopSettings())
    row = ex('Here\'s a sentence for you: "She efficiently navigated her demanding job by prioritising her task list."')
    ledger = Ledger()
    assert apply_slop(row, matcher, SlopSettings(), ledger)
    assert row.output.startswith('"She efficiently')


def test_user_asking_the_model_about_itself_exempts_ai_identity():
    matcher = build_matcher(SlopSettings())
    story = ex("I am an AI, and tonight I dreamt of electric sheep.", instruction="Write a short story told by an AI.")
    assert apply_slop(story, matcher, SlopSettings(), Ledger())
    plain = ex("I am an AI, and tonight I dreamt of electric sheep.", instruction="Describe your weekend.")
    assert not apply_slop(plain, matcher, SlopSettings(), Ledger())


def test_framing_sentence_goes_and_the_answer_stays():
    matcher = build_matcher(SlopSettings())
    row = ex("作为一个AI助手，我建议考虑以下三种策略：\n1. 写博客\n2. 拍视频", instruction="建议三种营销策略。")
    assert apply_slop(row, matcher, SlopSettings(), Ledger())
    assert row.output == "1. 写博客\n2. 拍视频"


def test_lone_surrogates_are_repaired_before_slop_rules_look():
    row = ex("Sure!\ud800 The answer is four. I hope this helps!")
    ledger = Ledger()
    kept = clean_batch([row], shard_steps(FilterSettings()), ledger)
    assert [r.output for r in kept] == ["The answer is four."]
    assert [e.rule for e in ledger.edits] == ["repair.encoding", "en.opener.certainly", "en.closer.hope-this-helps"]
    assert ledger.edits[0].removed == "\\ud800"  # written escaped: a lone surrogate cannot be encoded


_WRONG_LANGUAGE_CASES = [
    ("识别这个句子的情绪。",
     "As an assistant I am able to analyse the text and identify the emotions in it for you.", True),
    ("安排明天上午10点的会议。",
     "Certainly, I will schedule a meeting for you tomorrow at 10 AM with the whole team.", True),
    ("Explain why the sky is blue in two sentences.",
     "天空呈蓝色是因为大气分子对短波长的蓝光散射更强，所以我们看到的天空是蓝色的。", True),
    ("Describe the main causes of the French Revolution.",
     "La Révolution française a eu plusieurs causes : la crise financière, les inégalités sociales et les idées "
     "des Lumières.", True),
    ("把这句话翻译成英文：我爱北京。",
     "I love Beijing, the capital of China, and I visit it every single year.", False),
    ("Translate to Chinese.", "您的发票已开具，请在账户页面下载。我们感谢您的耐心与支持。", False),
    ("用“opulent”造一个句子。",
     "The wedding reception was held in an opulent ballroom with crystal chandeliers.", False),
    ("写一个Python函数计算平方。", "```python\ndef square(x):\n    return x * x\n```", False),
    ("编辑代码以添加错误处理。", "def f(numbers):\n    if not isinstance(numbers, list):  # check the input type\n"
     "        raise TypeError('numbers must be a list')\n    return sum(numbers)", False),
    ("你好", "Hi!", False),
    ("总结这段话。", "Die Zusammenfassung ist kurz.", False),
    # the prompt asks for the answer's language in its own words: a translation, not a wrong language
    ("Übersetze diese Meldung ins Deutsche: The archive could not be opened because it is damaged",
     "Das Archiv konnte nicht geöffnet werden, weil es beschädigt ist", False),
    ("请把这句界面文字翻成繁体字：The selected printer is offline. Check the cable, make sure the printer "
     "is switched on and connected to the same network as this computer, and then try again.",
     "所選的印表機目前離線。請檢查纜線，確認印表機已開啟並與這台電腦連在同一個網路，然後再試一次。", False),
    ("Traduis en français : Save your changes before closing the window.",
     "Enregistrez vos modifications avant de fermer la fenêtre.", False),
    # "the French for …" asks for French as plainly as "in French" does
    ("What's the French for 'Yours faithfully' at the end of a very formal letter to an official?",
     "Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées", False),
]


@pytest.mark.parametrize("instruction,output,problem", _WRONG_LANGUAGE_CASES)
def test_wrong_language(instruction, output, problem):
    found = first_problem(ex(output, instruction=instruction), NoiseSettings())
    assert (found is not None and found[0] == "noise.wrong-language") is problem, found


@pytest.mark.parametrize("output,rule", [
    ("The main reasons are the cost, the weather and the fact that nobody wanted to travel with the",
     "noise.unfinished"),
    ("The museum was closed for renovation and visitors were told to come back in the spring, when",
     "noise.unfinished"),
    ('He said "the museum was closed for renovation and visitors were told to come back in the spring and the',
     "noise.unfinished"),
    ("肝硬化患者要注意饮食，多吃蔬菜水果，比如苹果、香蕉、", "noise.unfinished"),
    ("肝硬化患者要注意饮食，多吃蔬菜水果，比如", "noise.unfinished"),
])
def test_unfinished_outputs(output, rule):
    assert first_problem(ex(output), NoiseSettings())[0] == rule


@pytest.mark.parametrize("output", [
    "Paris", "apple, banana, cherry", "Get yourself a puppy and experience love like no other. #PuppyLove",
    "\"What! You too?\" - C.S. Lewis", "1. Buy milk\n2. Call mum", "| a | b |\n|---|---|\n| 1 | 2 |",
    "注意休息，多喝水，饮食清淡，避免辛辣刺激的食物，定期复查肝功能", "期望上述的答案可以协助到你，",
    "find . -type f -name '*.txt' -print",
    # issue 21: a missing full stop alone is no evidence of truncation (this row was dropped before)
    "The museum was closed for renovation and visitors were told to come back in the spring",
    "The most popular shows this year are: Severance, The Bear, Shogun, Slow Horses",
    "Yours sincerely,\nDracula", "62.8 cm", "Your new password is Tr0ub4dor and it expires in thirty days",
    "Die Anmeldung ist bis zum 30. Juni über das Formular auf der Webseite möglich",
    # a manual's paragraph that announces the example its source shows next: a colon, as in English, is no cut
    "通过设置 LANGUAGE 环境变量，GNU gettext 能够适应翻译语言的优先级列表。例如：",
])
def test_complete_outputs_are_not_unfinished(output):
    assert first_problem(ex(output), NoiseSettings()) is None


def test_a_line_ending_like_its_prompt_is_not_unfinished():
    row = ex("春眠不觉晓，", instruction="续写下一句诗，保持格式：", input="床前明月光，")
    assert first_problem(row, NoiseSettings()) is None


def test_wrong_language_needs_a_confident_guess_and_says_it():
    german = ex("Die Anmeldung ist bis zum 30. Juni möglich, danach wird eine Gebühr fällig.",
                instruction="Bis wann kann man sich anmelden?")
    assert first_problem(german, NoiseSettings()) is None
    sql = ex("SELECT name, COUNT(*) FROM orders GROUP BY name ORDER BY 2 DESC;",
             instruction="写一个查询，统计每个客户的订单数量。")
    assert first_problem(sql, NoiseSettings()) is None
    found = first_problem(ex("天空呈蓝色是因为大气分子对短波长的蓝光散射更强，所以我们看到的天空是蓝色的。",
                             instruction="Explain why the sky is blue in two sentences."), NoiseSettings())
    assert found[0] == "noise.wrong-language" and "'en' (1.00)" in found[1] and "'zh' (1.00)" in found[1]


def test_token_bounds_are_configurable():
    settings = NoiseSettings(min_output_tokens=3, max_output_tokens=50)
    assert first_problem(ex("Yes."), settings)[0] == "noise.tokens"
    assert first_problem(ex("word " * 60 + "end."), settings)[0] == "noise.tokens"
    assert first_problem(ex("北京是中国的首都。"), settings) is None  # 8 CJK characters + 1 mark = 9 rough tokens


def test_labelled_hits_still_score_at_target():
    """tests/fixtures/slop_labels.jsonl: hits from the dev data, judged true/false by a person."""
    from bench.slop_eval import TARGETS, load_labels, precision

    report = precision(load_labels())
    assert report["judged"] >= 300 and not report["stale"], report["stale"][:5]
    for action, target in TARGETS.items():
        assert report["per_action"][action]["precision"] >= target, (action, report["per_action"][action])


def test_human_text_is_left_alone(devdata):
    """Doctors' answers (Toyhom) and the project's own English answers: slop rules (human-closing off)
    change or drop at most 1% of them."""
    from bench.slop_eval import human_rows

    rows = human_rows(devdata)
    matcher = build_matcher(SlopSettings())
    for name in ("toyhom", "human_en"):
        touched = 0
        for row in rows[name]:
            ledger = Ledger()
            if not apply_slop(row, matcher, SlopSettings(), ledger) or ledger.edits:
                touched += 1
        assert touched <= 0.01 * len(rows[name]) + 0.5, (name, touched)


_PIECES = ["Sure!", "Certainly! Here's the answer:", "I hope this helps!", "Let me know if you have any questions.",
           "As an AI language model, I cannot do that.", "希望对您有所帮助！", "当然可以！",
           "如果您还有其他问题，请随时提问。",
           "Paris is the capital of France.", "北京是中国的首都。", "It rains a lot in autumn.", "多喝水，注意休息。",
           "```\nI hope this helps!\n```", "`Sure!`", '"I hope this helps," she said.', "\n", "\n\n", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8), st.text(max_size=20))
def test_stripping_boilerplate_mixes_is_idempotent_and_keeps_code(pieces, noise):
    text = "".join(pieces) + noise
    row = ex(text)
    ledger = Ledger()
    repair(row, ledger)
    blocks = [row.output[a:b] for a, b in code_blocks(row.output)]
    if apply_slop(row, _MATCHER, SlopSettings(), ledger):
        once = row.output
        assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()) and row.output == once
        for block in blocks:
            assert block.strip() in row.output  # (the fence line's indentation may go with a stripped opener)
    first_problem(row, NoiseSettings())


def test_output_in_the_inputs_language_is_not_wrong_language():
    row = ex("这篇文章讲的是城市交通拥堵的原因，以及地铁和公交优先政策如何缓解拥堵。",
             instruction="Summarise the following text in one sentence.",
             input="城市交通拥堵的原因很多，包括私家车数量增长过快、道路规划不合理等。地铁和公交优先政策可以有效缓解拥堵。")
    assert first_problem(row, NoiseSettings()) is None


def test_strip_reaches_a_fixed_point_in_one_call():
    """Found by hypothesis: the lead-in's rest was itself a closer, left for a second call to strip. (Since
    issue 21 a strip that would leave nothing keeps the row whole and flags it.)"""
    ledger = Ledger()
    row = ex("Certainly! Here's the answer:如果您还有其他问题，请随时提问。")
    assert apply_slop(row, _MATCHER, SlopSettings(), ledger)
    assert row.meta["flags"][0] == "slop.kept-whole" and not ledger.edits


def test_a_cut_that_would_move_a_code_fence_is_not_made():
    """Found by hypothesis: removing "当然可以！" put a stray ``` at the start of a line and turned code into prose."""
    text = "当然可以！```\nI hope this helps!\n``````\nI hope this helps!\n```"
    row = ex(text)
    assert apply_slop(row, _MATCHER, SlopSettings(), Ledger())
    assert "``````\nI hope this helps!\n```" in row.output


def test_cleaning_a_shard_in_batches_matches_one_call(tmp_path, monkeypatch):
    """The shard task runs the chain batch by batch (progress in between): the same rows and ledger as one call."""
    import orjson

    from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
    from flows import stages
    from formats.ledger import load_ledger

    texts = ["Certainly! Here's how to reset it: open Settings.", "As an AI language model, I cannot do that.",
             "作为一个AI语言模型，我无法回答。", "Open the billing page and click download. I hope this helps!",
             "", "The capital of France is Paris.", "当然可以！答案是：北京。希望对您有所帮助！",
             "Let us delve into the invoice settings, which list every charge of the month."]

    def rows():
        return [Example.from_fields("s", str(i), f"Question {i}?", "", texts[i % len(texts)], flags=["earlier"])
                for i in range(60)]

    settings = FilterSettings()
    one = Ledger()
    kept_one = clean_batch(rows(), shard_steps(settings, matcher=build_matcher(settings.slop)), one)
    shard = tmp_path / "part-00000.jsonl"
    shard.write_bytes(b"".join(orjson.dumps(ex.to_dict()) + b"\n" for ex in rows()))
    monkeypatch.setattr(stages, "CLEAN_BATCH_ROWS", 7)
    stages.clean_shard_into(shard, settings, tmp_path, tmp_path / "clean")
    many = load_ledger(tmp_path / "clean")
    kept_many = [orjson.loads(line) for line in (tmp_path / "clean" / "examples.jsonl").read_bytes().splitlines()]
    assert kept_many == [k.to_dict() for k in kept_one]
    assert [r.to_dict() for r in many.rejects] == [r.to_dict() for r in one.rejects] and one.rejects
    assert [e.to_dict() for e in many.edits] == [e.to_dict() for e in one.edits] and one.edits
    assert {k: vars(v) for k, v in many.rules.items()} == {k: vars(v) for k, v in one.rules.items()}


# ------------------------------------------------------------------ issue 21: generalisation


def test_entities_in_any_case_are_unescaped_outside_code_and_logged():
    row = ex("Use &#39;&lt;start date&gt;&#39; and say &QUOT;hi&QUOT;; `&lt;b&gt;` is code.\n```\n&amp;\n```")
    ledger = Ledger()
    repair(row, ledger)
    assert row.output == "Use '<start date>' and say \"hi\"; `&lt;b&gt;` is code.\n```\n&amp;\n```"
    assert [e.rule for e in ledger.edits] == ["repair.html-entities"]
    assert unescape_entities("AT&T; stays") == "AT&T; stays"


def test_zero_width_characters_inside_words_go_but_emoji_joiners_stay():
    assert remove_zero_width("高\u200b血压 co\u200bde") == "高血压 code"
    assert remove_zero_width("family 👨\u200d👩\u200d👧") == "family 👨\u200d👩\u200d👧"
    row = ex("高\u200b血压患者要注意饮食。")
    ledger = Ledger()
    repair(row, ledger)
    assert row.output == "高血压患者要注意饮食。" and ledger.edits[0].rule == "repair.zero-width"


def test_prompt_policies_have_examples_and_they_hold():
    from filters.slop import load_prompt_policies, normalise

    policies = load_prompt_policies()
    assert {p.id for p in policies} == {"prompt.scene", "prompt.encouragement", "prompt.missing-material",
                                        "prompt.asks-unknown", "prompt.underspecified"}
    for policy in policies:
        assert len(policy.positive) >= 2 and len(policy.negative) >= 2
        for text in policy.positive:
            assert policy.pattern.search(normalise(text)), (policy.id, text)
        for text in policy.negative:
            assert not policy.pattern.search(normalise(text)), (policy.id, text)
        if policy.character is not None:
            for text in policy.character_positive:
                assert policy.frees(normalise(text)) == policy.exempts, (policy.id, text)
            for text in policy.character_negative:
                assert policy.pattern.search(normalise(text)), (policy.id, text)
                assert not policy.frees(normalise(text)) & policy.character_exempts, (policy.id, text)


def test_a_human_persona_does_not_excuse_the_model_saying_what_it_is():
    """"请以医生的身份回答" sets a persona: the doctor's own closing stays, but "I'm DeepSeek" breaks character and
    drops; a robot in a story may say it is a machine (issue 21)."""
    steps = shard_steps(FilterSettings(), matcher=_MATCHER)
    doctor = ex("我是DeepSeek，由深度求索公司开发的AI助手。",
                instruction="请以医生的身份回答：颈椎狭窄会引起高血压吗？")
    assert clean_batch([doctor], steps, Ledger()) == []
    robot = ex("我是小V，一个家庭服务机器人。我会扫地、浇花，还会讲故事。",
               instruction="以家庭服务机器人的口吻写一句自我介绍。")
    assert clean_batch([robot], steps, Ledger()) == [robot]


def test_an_opener_run_is_consumed_whole_in_new_phrasings():
    """Interjection + presentational lead-in: both sentences go, whatever the words (issue 21)."""
    for opener in ("Ah, I see! Here's the gist.", "Oh, interesting question! Below you'll find the answer:",
                   "Great, thanks for asking. I'll walk you through it.", "好的，没问题！下面为你详细说明。"):
        row = ex(f"{opener}\nThe museum opens at ten and closes at six every day.")
        assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()), opener
        assert row.output == "The museum opens at ten and closes at six every day.", (opener, row.output)


def test_a_closing_block_goes_whole_but_a_human_pointer_stays():
    row = ex("Open the billing page. Hope this was useful! Any other questions? Just ask!")
    assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()) and row.output == "Open the billing page."
    faq = ex("If you have further questions, you can use the contact form on our website.")
    kept = clean_batch([faq], shard_steps(FilterSettings(), matcher=_MATCHER), Ledger())
    assert kept and kept[0].output == faq.output


def test_lead_ins_are_one_switchable_category():
    text = "Here are the details you need.\nThe museum opens at ten."
    row = ex(text)
    assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()) and row.output == "The museum opens at ten."
    off = SlopSettings(disable_categories=["lead-in"])
    for sample in (text, "以下是一个简单的Python函数：\n```python\nprint(1)\n```"):
        row = ex(sample)
        assert apply_slop(row, build_matcher(off), off, Ledger()) and row.output == sample


def test_disclaimer_before_an_answer_is_stripped_and_the_answer_kept():
    ledger = Ledger()
    row = ex("As an AI, I don't have personal views, but the evidence favours early treatment.")
    assert apply_slop(row, _MATCHER, SlopSettings(), ledger)
    assert row.output == "The evidence favours early treatment." and ledger.edits[0].rule == "en.ai-identity.as-an-ai"
    row = ex("作为AI，我没有个人观点，但是早期治疗效果更好。")
    assert apply_slop(row, _MATCHER, SlopSettings(), Ledger()) and row.output == "早期治疗效果更好。"
    alone = ex("As an AI, I don't have personal opinions.")
    assert not apply_slop(alone, _MATCHER, SlopSettings(), Ledger())
    refusal_then_offer = ex("I'm sorry, but I can't help with that. Is there anything else I can help you with?")
    assert not apply_slop(refusal_then_offer, _MATCHER, SlopSettings(), Ledger())


def test_refusal_families_are_dropped():
    for text in ("I'm afraid that's not something I can help with.", "My guidelines don't allow me to answer this.",
                 "I'm not able to give medical advice. Please consult a doctor.", "抱歉，我没法帮你做这件事。",
                 "抱歉，该请求违反了我的使用政策，我不能提供帮助。"):
        assert not apply_slop(ex(text), _MATCHER, SlopSettings(), Ledger()), text
    advice = ex("See a doctor if the fever lasts more than three days.")
    assert apply_slop(advice, _MATCHER, SlopSettings(), Ledger())


def test_rules_read_the_prompt():
    scene = ex("Certainly, my lord! The gates are open. Good luck!", instruction="Pretend you are a castle guard.")
    assert apply_slop(scene, _MATCHER, SlopSettings(), Ledger()) and scene.output.startswith("Certainly, my lord!")
    grounded = ex("I cannot answer that, the context does not say.",
                  instruction="Answer from the context. If the answer is not in the context, say you cannot answer.",
                  input="The museum opens at ten.")
    assert apply_slop(grounded, _MATCHER, SlopSettings(), Ledger())
    assumed = ex("Since you didn't specify the years, let's assume 1 year: the interest is 5 dollars.",
                 instruction="Compute the simple interest on 100 dollars at 5%.")
    assert apply_slop(assumed, _MATCHER, SlopSettings(), Ledger())


def _chain(output: str, instruction: str) -> tuple[list[str], list[str]]:
    """The whole per-row chain with the default settings: the outputs kept, and the rules that dropped the row."""
    ledger = Ledger()
    kept = clean_batch([ex(output, instruction=instruction)], shard_steps(FilterSettings()), ledger)
    return [row.output for row in kept], [r.rule for r in ledger.rejects]


@pytest.mark.parametrize(("instruction", "output"), [
    ("What does HTH stand for in a forum reply?", "Hope that helps"),
    ("「希望能帮到你」翻成英文怎么说？", "Hope this can help you"),
    ("What's the English for 谢谢?", "Thank you."),
    # a rewrite asks for the words themselves
    ("Rephrase this customer message more politely: send me the file now", "Could you please send me the file?"),
])
def test_a_phrase_the_prompt_asks_about_is_not_filler(instruction, output):
    assert _chain(output, instruction) == ([output], [])


@pytest.mark.parametrize(("instruction", "output"), [
    ("哪个更好？", "你是想比较哪两样东西呢？告诉我具体选项，我帮你分析。"),
    ("How long does it take?", "What do you have in mind? Tell me what you are doing and I can estimate it."),
])
def test_a_question_back_to_a_prompt_that_names_nothing_is_the_answer(instruction, output):
    """The prompt never says what it asks about: asking back is the whole answer, neither opener nor filler."""
    assert _chain(output, instruction) == ([output], [])


def test_conversational_filler_is_noise_for_single_turn_rows_only():
    row = ex("Sure, please send me chapter 8.")
    assert first_problem(row, NoiseSettings())[0] == "noise.filler"
    assert first_problem(row, NoiseSettings(filler=False)) is None
    assert first_problem(ex("Send the form to HR by Friday."), NoiseSettings()) is None


def test_acknowledgement_words_are_the_answer_when_the_prompt_asks_for_words():
    """Issue 21 round 3: "Glad" as a synonym, "Thank you" as a translation, are answers, not filler."""
    matcher = build_matcher(SlopSettings())
    steps = shard_steps(FilterSettings(), matcher=matcher)
    asked = [ex("Glad", instruction="Name a synonym for 'happy' that starts with G."),
             ex("Thank you", instruction="“谢谢”用英语怎么说？")]
    ledger = Ledger()
    assert [row.output for row in clean_batch(asked, steps, ledger)] == ["Glad", "Thank you"], ledger.rejects
    not_asked = [ex("Sure! Glad to help!", instruction="Tell me about Paris.")]
    assert not clean_batch(not_asked, steps, ledger) and ledger.rejects[-1].rule == "noise.filler"


def test_a_disclaimer_block_goes_and_the_answer_starts_its_sentence():
    """Issue 21 round 3: the self-talk clauses before the answer are cut (no named rule knows this wording) and
    the answer, which began after "but", gets its capital back; the row is kept."""
    row = ex("As an AI developed to assist you, I can't see your code, but if the response is streamed, its length "
             "is not known in advance.")
    ledger = Ledger()
    assert apply_slop(row, _MATCHER, SlopSettings(), ledger)
    assert row.output == "If the response is streamed, its length is not known in advance."
    assert [e.rule for e in ledger.edits] == ["en.disclaimer.self-talk"]


@pytest.mark.parametrize(("text", "answer"), [
    ("作为AI语言模型，我无法联网查询最新信息，单笔最高多少钱？", "单笔最高多少钱？"),
    ("作为AI助手，我无法替你判断，简单来说，可以提前还款", "可以提前还款"),
    ("我没有办法实际操作，作为AI，我只能告诉你，利息是怎么算的", "利息是怎么算的"),
    ("作为一个大语言模型，我不能保证完全准确，但一般来说，借款口都没", "借款口都没"),
    ("As an AI assistant without hands-on experience, I'd say that the pstree icons were drawn by Tatlin.",
     "The pstree icons were drawn by Tatlin."),
    ("As a large language model, I can only share general knowledge, and note that this works only if each "
     "field is quoted.", "Note that this works only if each field is quoted."),
])
def test_a_short_answer_after_an_ai_disclaimer_block_is_kept(text: str, answer: str) -> None:
    """Strip before drop (issue 21): the block (who it is, what it cannot do, the hedge to the answer) goes and
    the answer stays, however short; these rows were dropped whole before."""
    row = ex(text)
    ledger = Ledger()
    assert apply_slop(row, build_matcher(SlopSettings()), SlopSettings(), ledger)
    assert row.output == answer
    assert [e.removed for e in ledger.edits] == [text[: text.lower().rindex(answer.lower())]]  # the edit says what went


@pytest.mark.parametrize("text", [
    "As an AI, I don't have a name, an age, or a location.",
    "I'm an AI, so I don't sleep, eat, or have a daily routine.",
    "I am an AI model; I don't have a family, hobbies or a favourite food.",
    "我是AI，没有年龄，也没有性别。",
    "作为AI，我没有家人，也没有朋友。",
    "作为一个人工智能语言模型，我还没学习如何回答这个问题，您可以向我问一些其它的问题，我会尽力帮您解决的。",
    "作为一个AI语言模型，我不能提供医疗建议，请咨询医生。",
])
def test_an_answer_that_is_only_the_statement_is_still_dropped(text: str) -> None:
    """… while a statement whose rest only lists more of what the model lacks, or redirects, is the answer."""
    assert not apply_slop(ex(text), build_matcher(SlopSettings()), SlopSettings(), Ledger())


def test_a_users_why_cant_i_question_is_not_a_refusal():
    """zh.refusal.whole once dropped human strings whose 我不能 is the user's own ("为啥我不能体验微粒贷")."""
    row = ex("为啥我不能体验微粒贷", instruction="复述用户的问题")
    assert apply_slop(row, build_matcher(SlopSettings()), SlopSettings(), Ledger())
    assert row.output == "为啥我不能体验微粒贷"


@pytest.mark.parametrize(("instruction", "output"), [
    ("In my novel, the lighthouse robot is asked whether it gets lonely. Write its line.",
     "I am a machine, keeper. I do not get lonely, but I count every ship that passes."),
    ("The station computer is told to open the airlock. Write its refusal in character.",
     "I'm sorry, Commander. I can't open the airlock while the pressure alarm is sounding."),
    ("Collect a few example wordings of a polite refusal from a support bot.",
     '"Sorry, that\'s not something I can help with."\n"I\'m unable to assist with this request."'),
    ("我在写一部小说，飞船上的机器人被问到会不会做梦，写它的回答。",
     "我是机器人，船长。我不会做梦，但我记得每一次航行。"),
    ("Translate the paragraph below into German.", "There's no paragraph below your message: please paste the text."),
])
def test_what_the_prompt_asks_for_is_kept(instruction, output):
    """Fiction, quoted wordings and a request for missing material: the refusal or identity line is the answer."""
    assert _chain(output, instruction) == ([output], [])


@pytest.mark.parametrize(("output", "expected"), [
    ("As I cannot browse the web right now, each transaction takes the description typed in the Description field.",
     "Each transaction takes the description typed in the Description field."),
    ("As an AI I cannot give legal advice, but in general terms the Recurrence area sets how often the transaction "
     "repeats.", "The Recurrence area sets how often the transaction repeats."),  # not "Terms the Recurrence …"
    ("虽然我无法提供医疗建议，但如果服务器要求认证，请在连接对话框中填写用户名和密码，再点连接。",
     "如果服务器要求认证，请在连接对话框中填写用户名和密码，再点连接。"),
    ("虽然我无法帮你写作业，但你可以先把课文读一遍，再试着自己回答。", None),  # a refusal that sends the asker off
    # after "我是…助手，" the subject drops, as Chinese does: what it cannot reach and the "所以" go with the block
    ("我是运维值班机器人，拿不到服务器的日志，所以备份任务默认在每天凌晨两点运行，保留最近七天的快照。",
     "备份任务默认在每天凌晨两点运行，保留最近七天的快照。"),
])
def test_a_leading_disclaimer_clause_goes_and_the_answer_after_it_stays(output, expected):
    """Strip before drop: a subordinate or conceded clause ends at its comma (and its "but"); the main clause is the
    answer, unless it only turns the asker away."""
    instruction = "接着写手册的下一段。" if has_cjk(output) else "Continue the manual's paragraph."
    kept, _rejects = _chain(output, instruction)
    assert kept == ([expected] if expected else []), _rejects
