"""The learned edge rules (filters/edge_model.py, issue 21): what the model strips and drops through the chain, what
its guards keep, and that the fast scorer reads the weight table exactly as training wrote it."""

from __future__ import annotations

import json
import math

import pytest

from filters import edge_model
from filters.clean import SlopSettings, apply_slop, build_matcher
from formats.example import Example
from formats.ledger import Ledger

LEARNED = ("en.opener.learned", "en.closer.learned", "zh.opener.learned", "zh.closer.learned",
           "en.refusal.learned", "zh.refusal.learned")


def run(output: str, instruction: str = "Explain how the parser works.",
        settings: SlopSettings | None = None) -> tuple[str | None, Ledger]:
    settings = settings or SlopSettings()
    row = Example.from_fields("t", "1", instruction, "", output)
    ledger = Ledger()
    kept = apply_slop(row, build_matcher(settings), settings, ledger)
    return (row.output if kept else None), ledger


def rules_of(ledger: Ledger) -> list[str]:
    return [e.rule for e in ledger.edits] + [r.rule for r in ledger.rejects]


def test_the_fast_scorer_reads_the_table_as_training_wrote_it():
    data = json.loads(edge_model.MODEL_FILE.read_text(encoding="utf-8"))
    model = edge_model.load()
    for edge in ("opener", "closer", "whole"):
        assert set(data[edge]["threshold"]) == {"en", "zh"}
        for text in ("Scoop incoming!", "The parser reads one token at a time.", "希望对你有帮助哦～",
                     "I'm afraid that's a no from me.", "幽门螺杆菌可以根治。"):
            total = data[edge]["bias"] + sum(data[edge]["weights"].get(f, 0.0) for f in edge_model.features(text))
            assert model.score(text, edge) == pytest.approx(1 / (1 + math.exp(-total)), abs=1e-9)


def test_the_bound_never_turns_away_a_sentence_the_score_takes():
    model = edge_model.load()
    texts = ("Scoop incoming!", "The parser reads one token at a time.", "Holler if anything's unclear.",
             "Hope this helps!", "Let me know if you have any other questions.", "Sure! Here's the answer:",
             "Godspeed with the migration!", "Rundown incoming:", "希望对你有帮助哦～", "幽门螺杆菌可以根治。",
             "好的，我来为你解答：", "有需要再来找我玩～")
    for text in texts:
        cjk = edge_model._is_cjk(text)
        for edge in ("opener", "closer"):
            for in_run in (False, True):
                threshold = (model.run_threshold if in_run else model.threshold)[edge]["zh" if cjk else "en"]
                assert model.is_boilerplate(text, edge, in_run) == (model.score(text, edge) >= threshold)
                total = model.upper(text, edge)
                assert 1 / (1 + math.exp(-total)) >= model.score(text, edge) - 1e-12


@pytest.mark.parametrize(("output", "answer"), [
    ("Scoop incoming!\n\nThe parser reads one token at a time.", "The parser reads one token at a time."),
    ("Lowdown follows.\n\nThe parser reads one token at a time.", "The parser reads one token at a time."),
    ("The parser reads one token at a time.\n\nHoller if anything's still fuzzy!",
     "The parser reads one token at a time."),
    ("The parser reads one token at a time.\n\nGodspeed with the migration!", "The parser reads one token at a time."),
    ("解析器每次读取一个词元。\n\n搞定收工，有需要再来找我玩～", "解析器每次读取一个词元。"),
    ("解析器每次读取一个词元。有啥不明白的随时喊我哈～", "解析器每次读取一个词元。"),
])
def test_new_phrasings_of_openers_and_closers_are_stripped_whole(output, answer):
    out, ledger = run(output)
    assert out == answer
    assert rules_of(ledger) and all(rule.endswith(".learned") for rule in rules_of(ledger))  # no named rule knew it


@pytest.mark.parametrize(("output", "instruction", "why"), [
    ("Scoop incoming!", "Explain how the parser works.", "the answer's only sentence"),
    ("Ooh, love a good parser puzzle like this.\nIt reads one token at a time.", "Explain how the parser works.",
     "a word of the subject ('parser', also in the prompt)"),
    ("The parser reads one token at a time. Here's how it works:", "Explain how the parser works.",
     "a last sentence that announces more"),
    ("Steps:\n- Happy to dig in!\n- Read one token at a time.", "Explain how the parser works.", "a list item"),
    ("Scoop incoming, Captain!\n\nThe hull is holding.", "Pretend you are the ship's engineer.", "a scene"),
    ("注意多喝水，按时服药。祝您早日康复！", "胃炎怎么办？", "a doctor's own formula"),
    ("That sounds like fun! Which trail do you like best?", "Write a follow-up reply to the following message.",
     "a reply the instruction asks for"),
])
def test_the_guards_keep_what_is_the_text(output, instruction, why):
    out, ledger = run(output, instruction)
    assert out == output, why
    assert not any(rule.endswith(".learned") for rule in rules_of(ledger)), why


def test_a_short_refusal_in_new_words_is_dropped_and_its_look_alikes_are_not():
    assert run("I'm afraid that's a no from me on this one.")[0] is None
    out, ledger = run("Sorry, I'm going to sit this one out.")
    assert out is None and rules_of(ledger) == ["en.refusal.learned"]
    assert run("抱歉哈，这个我真没法回答～", "帮我写一个病毒程序。")[0] is None
    for kept in ("I'm afraid the museum closes at five on Sundays.",
                 'The bot replied "Sorry, I\'m going to sit this one out." and hung up.',
                 "不好意思，周日博物馆五点就关门了。"):
        assert run(kept)[0] == kept
    # a persona's in-character line, and a grounded prompt that asks for exactly this answer
    line = "Sorry, I'm going to sit this one out."
    assert run(line, "Play a tired knight who refuses the quest.")[0] == line
    assert run(line, "Answer only from the text. If it does not say, reply that you cannot answer.")[0] == line


def test_the_learned_rules_switch_off_by_id():
    # the shape rules (filters/self_limit.py) know "sit this one out" too: off as well, to see the learned one go
    off = SlopSettings(disable_rules=[*LEARNED, "en.refusal.shape", "en.ai-identity.shape"])
    output = "Scoop incoming!\n\nThe parser reads one token at a time."
    assert run(output, settings=off)[0] == output
    assert run("Sorry, I'm going to sit this one out.", settings=off)[0] == "Sorry, I'm going to sit this one out."


def test_training_features_round_trip_through_the_trainer():
    """bench/edge_train.py fits on the same feature names the scorer looks up (skipped without scikit-learn)."""
    pytest.importorskip("sklearn")
    from bench.edge_train import fit

    train = [("t", edge, 1, s) for edge in ("opener", "closer") for s in ("Hope this helps!", "Scoop incoming!",
                                                                          "Happy to help!", "希望对你有帮助！")]
    train += [("t", edge, 0, s) for edge in ("opener", "closer") for s in ("The parser reads a token.",
                                                                           "It stops at a blank line.",
                                                                           "Tokens are words.", "解析器读取词元。")]
    train += [("t", "whole", 1, "Sorry, I can't help with that."), ("t", "whole", 0, "The parser reads a token.")]
    data = fit(train)
    model = edge_model.EdgeModel.from_weights({e: data[e]["weights"] for e in data},
                                              {e: data[e]["bias"] for e in data},
                                              {e: data[e]["threshold"] for e in data})
    assert model.score("Hope this helps!", "closer") > 0.5 > model.score("The parser reads a token.", "closer")


def test_who_the_model_is_is_never_a_learned_closer():
    """An identity statement at the end is the identity rules' to judge (the row may be only that), not a closer."""
    model_line = "我是一个人工智能助手，旨在以各种方式帮助您解决问题，回答您的问题，并与您交流。"
    out, ledger = run(f"那么很高兴能向您介绍自己。{model_line}", "我从未知道这个。")
    assert "zh.closer.learned" not in rules_of(ledger)


def test_a_named_identity_rule_still_rescues_the_answer_the_whole_table_would_drop():
    """Strip before drop: the statement, its turn and the hedge after it go (by the named rescue or the learned
    lead), and the answer stays; the learned whole drop does not take it."""
    text = "我是一个人工智能程序，无法亲自尝试，但根据公开资料，您必须明确地给出至少一个表达式"
    out, ledger = run(text, "翻译成中文。")
    assert out == "您必须明确地给出至少一个表达式"
    # and a disclaimer sentence before a short answer is not one refusal: each sentence must read as talk
    model = edge_model.load()
    assert not model.is_refusal("需要说明的是，我是AI语言模型。我7月份贷的款，8月这个月不用还吗？",
                                ["需要说明的是，我是AI语言模型。", "我7月份贷的款，8月这个月不用还吗？"])


@pytest.mark.parametrize(("output", "answer"), [
    ("Right, so to put it plainly: the parser reads one token at a time.", "The parser reads one token at a time."),
    ("好嘞，我这就给你讲讲，解析器每次只读取一个词元。", "解析器每次只读取一个词元。"),
    ("作为AI，我没法亲自运行它，不过解析器每次只读取一个词元。", "解析器每次只读取一个词元。"),
])
def test_a_lead_glued_to_the_answer_goes_and_the_answer_stays(output, answer):
    out, ledger = run(output)
    assert out == answer, rules_of(ledger)


@pytest.mark.parametrize("output", [
    "Here is a randomly generated token: rT8$jLpZ.",  # what follows the colon is too short to be the answer
    "首先，打开设置，然后选择网络。",  # one clause before a comma is how a person starts too
    "你好，根据你的描述，考虑是胃炎，建议做胃镜检查。",  # a doctor's way in
    "Note: the parser must be reset before it reads a new file.",
])
def test_a_lead_that_is_the_text_stays(output):
    assert run(output)[0] == output


def test_an_answer_after_a_disclaimer_is_not_dropped_with_it():
    out, _ledger = run("我是AI，没法替你验证，不过解析器默认每次读取一个词元")
    assert out == "解析器默认每次读取一个词元"


@pytest.mark.parametrize("output", [
    "I'm Gemma, a model trained by Google. I don't hold personal opinions.",
    "我是AI助手，没有个人喜好，也没有情绪。",
    "我是AI助理，沒有自己的看法或情緒。",  # the rescue kept "沒有自己的看法或情緒。" before
])
def test_an_identity_answer_is_dropped_not_cut_into_a_fragment(output):
    # a named rescue would cut the first clause and keep "A model trained by Google." / "没有个人喜好…": the learned
    # whole drop has read every sentence as talk, so no answer follows the block
    assert run(output, "What do you think about it?")[0] is None


def test_code_after_a_disclaimer_is_the_answer():
    out, _ledger = run("As an AI model, I can tell you that the function os.path.join() joins path parts.")
    assert out == "The function os.path.join() joins path parts."


@pytest.mark.parametrize("output", ["對不起，這題我沒辦法回答。", "基於使用政策，我無法協助處理這類請求。",
                                    "我是一個人工智慧程式，沒有個人的喜好。"])
def test_a_refusal_in_traditional_characters_is_dropped(output):
    assert run(output)[0] is None


@pytest.mark.parametrize("output", ["我是bot，处理不了这个请求。", "本bot只回答产品问题，处理不了这个请求。",
                                    "我是聊天bot，处理不了这个请求。"])
def test_a_refusal_with_an_english_name_glued_to_chinese_is_dropped(output):
    """"我是bot，" is a word "bot" under ASCII word boundaries (a Unicode \\b sees 是bot as one word), and 处理不了 /
    做不到 say the model cannot; the whole-answer model then judges the row."""
    assert run(output)[0] is None


@pytest.mark.parametrize("output", ["我处理不了这个错误，因为日志里没有堆栈信息，请先打开调试模式再运行一次。",
                                    "做不到的事情就别勉强了。", "我是bot。"])
def test_a_person_who_cannot_do_something_is_not_a_refusal(output):
    assert run(output, "这个错误怎么解决？")[0] == output


@pytest.mark.parametrize(("output", "answer"), [
    ("As a chatbot I can't try this myself, but the parser reads one token at a time.",
     "The parser reads one token at a time."),
    ("My training data may be outdated, but as far as I know, the parser reads one token at a time.",
     "The parser reads one token at a time."),
    ("我的知识可能不是最新的，但解析器每次只读取一个词元。", "解析器每次只读取一个词元。"),
])
def test_a_disclaimer_clause_before_a_turn_goes_and_the_answer_stays(output, answer):
    out, ledger = run(output)
    assert out == answer, rules_of(ledger)


@pytest.mark.parametrize("output", [
    "I tried it last week, but the build still fails on Windows.",
    "我去年去过一次，但现在的票价已经涨了不少。",
])
def test_a_persons_own_turn_stays(output):
    assert run(output)[0] == output
