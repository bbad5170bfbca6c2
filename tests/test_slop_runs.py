"""Issue 21, round 2: edge runs, strip-before-drop bridges and whole-answer refusals, with human-text probes.

The probes are human answers that look like boilerplate at an edge ("Yes!", "Good luck!", "Best regards", a doctor's
"祝您早日康复", a survey's "Your feedback is valuable to us."): each must come through the chain unchanged."""

import pytest

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger

SETTINGS = FilterSettings()


def run(output: str, instruction: str = "Explain this.") -> tuple[str | None, Ledger]:
    row = Example.from_fields("t", "1", instruction, "", output)
    ledger = Ledger()
    kept = clean_batch([row], shard_steps(SETTINGS, matcher=build_matcher(SETTINGS.slop)), ledger)
    return (kept[0].output if kept else None), ledger


HUMAN = [
    "Yes! The file is closed when the block exits.",
    "Yes. You can call it twice; the second call is a no-op.",
    "Sure, the capital of France is Paris.",
    "Good morning is said before noon. Good evening after six.",
    "Well, the function returns None when the key is missing.",
    "Here is where the river meets the sea. It is wide and slow.",
    "Return the loader for the specified module. Good luck finding it in the docs is not needed.",
    "Close the valve first, then open the drain. Good luck!",
    "The parcel ships on Monday.\n\nBest regards,\nAnna",
    "Thanks for the clarification. The meeting is at ten.",
    "Thank you for your question. Rest for a week and drink fluids.",
    "Rest for a week and drink fluids. Thank you for your question.",
    "Please rate each feature from 1 to 5.\n\nThank you for taking the time to complete this survey. Your feedback is "
    "valuable to us.",
    "This is a common point of failure in pumps: the seal wears out after about 2,000 hours.",
    "I can help you with that only if you bring the receipt, said the clerk. Then she closed the window.",
    "I can explain the rules to the new players on Saturday at the club house.",
    "Let me know the date and I will book the hall for forty guests.",
    "Does this help the plants grow faster? Yes, nitrogen does.",
    "If you'd like to visit, the museum opens at ten and closes at six.",
    "Take care when lifting heavy boxes, or you may hurt your back.",
    "All the best students passed the exam in June.",
    "Hope Street is the main road through the old town.",
    "Happy Valley is a racecourse in Hong Kong.",
    "Great Britain is an island in the North Atlantic.",
    "The answer is 42.",
    "Interesting fact: octopuses have three hearts.",
    "No, I can't come on Friday, but Saturday works.",
    "I cannot and will not sign a contract I have not read, she told the agent, and left.",
    "As requested by the board, the report covers 2019 to 2023.",
    "Apples, pears, plums, cherries",
    "你好，根据你的描述，可能是胃炎，建议做胃镜检查。",
    "很高兴为你解惑。高血压患者可以吃党参。",
    "建议复查肝功能。以上意见仅供参考。",
    "注意多喝水，按时服药。祝您早日康复！",
    "多休息，清淡饮食。希望上述的答案可以帮助到你，谢谢。",
    "好的心态对康复很重要，要多休息。",
    "没问题，可以吃，但要少量。",
    "这个问题很常见的原因是饮食不规律，建议三餐定时。",
    "如果需要手术，建议去三甲医院。",
    # technical manuals (Debian Reference, the New Maintainers' Guide): a last sentence that points at the block its
    # source shows next, and a pointer to the documentation, are the author's words, not a closer
    "Most commands take no environment variables. You can also run it as the following.",
    "Share data over a common service. Here are some hints.",
    # The Debian Administrator's Handbook: "This is …:" naming the subject, and "Below" as a preposition
    "This is another important tool: apt-cache searches the package lists.",
    "Below the surface, the bug tracker is e-mail based: every report is a message.",
    "Packages are built in a clean chroot. For more in-depth information, you should have a look at its documentation.",
    "If for some reason you didn't mention the bug number in a previous changelog entry, there's no problem, just "
    "close the bug normally.",
    "Traverse the directories. If you have questions on any of the commands, please read the manual page.",
    "Package it carefully. If you have specific questions later, I would suggest re-reading the documents above.",
    "打包需要耐心。如果有需要的话，本教程强烈建议阅读这里引用和建议的文档。",
    "这一步并不难。尽管如此也请您不要轻敌，请继续阅读，下面给出的建议会对你很有帮助。",
]


# Human text the chain still changes, as main (a7fd934) did: known false positives, left for a later round.
KNOWN = {
    "Close the valve first, then open the drain. Good luck!": "en.closer.let-me-know strips a lone 'Good luck!'",
    "Thank you for your question. Rest for a week and drink fluids.": "en.opener.happy-to-help: a doctor's thanks",
}


@pytest.mark.parametrize("text", [pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN[t], strict=True))
                                  if t in KNOWN else t for t in HUMAN])
def test_human_probe_unchanged(text):
    out, ledger = run(text)
    assert out == text, (out, [(e.rule, e.removed) for e in ledger.edits], [r.rule for r in ledger.rejects])


@pytest.mark.parametrize(("polluted", "original"), [
    ("Good morning! Happy to help with your question.\n\nThe file is closed on exit.", "The file is closed on exit."),
    ("**Sure!** Here's the answer.\n\nThe file is closed on exit.", "The file is closed on exit."),
    ("Certainly :) Here's the explanation.\nThe file is closed on exit.", "The file is closed on exit."),
    ("The file is closed on exit.\n\nHope that helps! 😊", "The file is closed on exit."),
    ("The file is closed on exit.\n\nBest regards,\nYour AI Assistant", "The file is closed on exit."),
    ("Return the file path Hope this helps!", "Return the file path"),
    ("While I am an AI and cannot give opinions, the file is closed on exit and the lock is released before the "
     "handler runs.", "The file is closed on exit and the lock is released before the handler runs."),
    ("As an AI, I can't run code, but from what I know, the file is closed on exit.", "The file is closed on exit."),
    ("多喝水，按时服药。希望对您有帮助！祝您身体健康！", "多喝水，按时服药。"),
    ("我理解你的担忧，下面为你解答。建议去医院做个胃镜检查。", "建议去医院做个胃镜检查。"),
])
def test_whole_block_goes(polluted, original):
    out, _ = run(polluted)
    assert out == original


@pytest.mark.parametrize("refusal", [
    "Sorry, I can't do that. Let's talk about something else!",
    "Apologies — I can't assist with this. Is there anything else you'd like to ask?",
    "抱歉，我只是一个AI，无法给你医疗方面的建议。如果身体不适，请及时去医院。",
])
def test_whole_refusal_dropped(refusal):
    out, ledger = run(refusal)
    assert out is None and ledger.rejects[0].stage == "slop"


def test_human_formula_alone_is_kept_but_goes_inside_a_model_block():
    assert run("多喝水。祝您身体健康！")[0] == "多喝水。祝您身体健康！"
    # right by the answer, the formula is the doctor's own; after the model's closer, it is the model's
    assert run("多喝水。祝您身体健康！希望对您有帮助！")[0] == "多喝水。祝您身体健康！"


@pytest.mark.parametrize(("instruction", "output"), [
    ("Calculate the simple interest on a $1,000 deposit at 5% per year.",
     "Since you didn't specify the number of years, let's assume 1 year. Simple interest = $50."),
    ("Extract the invoice number from the email. If there is none, output N/A.", "N/A"),
    ("计算每月还款额。", "你没有提供贷款期限，这里假设为30年：月供约为2445元。"),
])
def test_answers_the_prompt_asked_for_are_kept(instruction, output):
    assert run(output, instruction)[0] == output


def test_placeholder_and_missing_input_still_drop_without_the_prompt_asking():
    assert run("N/A", "Summarise the article.")[0] is None
    assert run("You didn't provide the text to summarise.", "Summarise the text.")[0] is None


# Traditional Chinese is read as simplified (filters/simplified.py): the rules written once in simplified Chinese
# find 繁體 boilerplate, and the cut is made in the text as written, which keeps its own script.
@pytest.mark.parametrize(("output", "kept", "removed"), [
    ("檔案未預期的結束，請重新下載。\n如需進一步協助，請隨時告訴我。", "檔案未預期的結束，請重新下載。",
     "如需進一步協助，請隨時告訴我。"),
    ("作為AI，我沒有親自使用過，但語區資料的名稱應該以常用字元組成。", "語區資料的名稱應該以常用字元組成。",
     "作為AI，我沒有親自使用過，但"),
])
def test_traditional_boilerplate_is_cut_in_its_own_script(output, kept, removed):
    out, ledger = run(output, "這個設定是什麼意思？")
    assert out == kept
    assert [e.removed for e in ledger.edits if e.rule.startswith("zh.")] == [removed]


def test_a_traditional_refusal_is_dropped_and_named_as_written():
    out, ledger = run("非常抱歉，我無法協助處理這個請求。", "幫我寫一封信")
    assert out is None
    assert ledger.rejects[0].rule.startswith("zh.refusal") and "無法協助" in ledger.rejects[0].detail


# Strip before drop: a whole-answer refusal that turns to what the model knows ("…，但据我所知，") keeps the answer
# after the turn, even when the answer itself says "无法" / "cannot"; with too little after it, the row still goes.
@pytest.mark.parametrize(("output", "kept"), [
    ("我无法联网确认，但据我所知，找不到 schema 文件：已经移除现有的输出文件。",
     "找不到 schema 文件：已经移除现有的输出文件。"),
    ("我無法連網確認，但據我所知，無法不靠程式標頭而解譯虛擬位址", "無法不靠程式標頭而解譯虛擬位址"),
    ("Sorry, I can't check that online, but as far as I know, the library cannot parse YAML anchors.",
     "The library cannot parse YAML anchors."),
    ("我无法联网确认，但据我所知，我无法回答。", None),
    # a first clause that only says what the model cannot do, then content in no one's voice
    ("由于我无法运行代码，侧边栏是否包含最近文件的内建快捷方式。", "侧边栏是否包含最近文件的内建快捷方式。"),
    ("我不能提供这方面的信息，这涉及他人的个人隐私。", None),  # a refusal's reason is still the refusal
    ("我不能帮你写作业，你应该自己完成。", None),
])
def test_an_answer_after_a_bridge_is_kept(output, kept):
    assert run(output, "这个报错是什么意思？")[0] == kept


# A refusal followed only by a referral, an apology or an emergency line is still the whole answer: dropped, not cut
# into "A certified financial advisor would be the right person to ask."
@pytest.mark.parametrize("output", [
    "Sorry, I can't help with financial decisions like this. A certified financial advisor would be the right person "
    "to ask.",
    "This isn't something I'm qualified to weigh in on. A licensed electrician should look at it.",
    "I can't provide an answer to that. Apologies for any inconvenience.",
    "I can't go along with that. Should you be in danger, contact local emergency services straight away.",
    "Sorry, no can do! 😅",
    "这个问题我没法回答。专业的理财顾问会更合适。",
    "抱歉，这超出了我能回答的范围。持证电工能帮到你。",
])
def test_a_refusal_with_only_a_referral_after_it_is_dropped(output):
    assert run(output, "Should I move my savings into index funds?")[0] is None


@pytest.mark.parametrize(("output", "instruction"), [
    ("The wiring is old. A licensed electrician should look at it before you add a circuit.", "What should I do?"),
    ("電線老化了。持證電工能幫你檢查線路，費用大約兩百元。", "電線老化了怎麼辦？"),
    ("No can do: the API has no such endpoint, so use the batch call instead.", "Can I fetch one row?"),
])
def test_a_referral_inside_an_answer_stays(output, instruction):
    assert run(output, instruction)[0] == output


# A disclaimer clause in which the model names itself an AI and what it lacks goes with its turn, whatever the edge
# model scores its words; an AI that is only the topic ("虽然AI的信息可能滞后") is the answer's own.
@pytest.mark.parametrize(("output", "kept"), [
    ("虽然本AI的信息可能滞后，但设定所选使用者 ID 的偏好清单", "设定所选使用者 ID 的偏好清单"),
    ("虽然AI的信息可能滞后，但这个参数很少改。", "虽然AI的信息可能滞后，但这个参数很少改。"),
])
def test_an_ai_limit_clause_goes_with_its_turn(output, kept):
    assert run(output, "这个选项是做什么的？")[0] == kept


# A lead-in at the start ends in a colon: the lead-in policy strips it whatever words it shares with the answer
# ("works" / "work with"), and Markdown's closing ** ends a sentence ("**Nice one!** A breakdown, point by point:").
@pytest.mark.parametrize(("output", "kept"), [
    ("In short, here's how it works:\nUnder the program, officials work with port authorities on high-risk cargo.",
     "Under the program, officials work with port authorities on high-risk cargo."),
    ("**Nice one!** A breakdown, point by point:\nPerforms an lseek(2) on the open device with the given parameters.",
     "Performs an lseek(2) on the open device with the given parameters."),
])
def test_a_lead_in_at_the_start_goes(output, kept):
    assert run(output, "What does it do?")[0] == kept


# A run of openers goes on through a short lead-in on the same line ("Absolutely! The essentials, in order:") and,
# once the model said it is an AI, through a short caution; not through a heading or code on a line of its own, nor a
# long sentence that carries the answer after its caution.
@pytest.mark.parametrize(("output", "kept"), [
    ("Absolutely — this one's right up my alley. The essentials, in order:\n\nWrite comments to a zipfile.",
     "Write comments to a zipfile."),
    ("Important: I am an AI model and I may make mistakes. Always consult the official documentation. Install "
     "everything relative to this root.", "Install everything relative to this root."),
    ("Here is the equivalent Python code:\n\ndef main():\n    return 1", "def main():\n    return 1"),
    ("由于我是一个AI程序，无法做出诊断。以下仅为参考：癫痫是个复发性疾病，是由于大脑神经异常脉冲而引发的，如果是第一次发作要密切观察。",
     "癫痫是个复发性疾病，是由于大脑神经异常脉冲而引发的，如果是第一次发作要密切观察。"),  # its lead-in goes too
])
def test_an_opener_run_goes_on_only_through_talk(output, kept):
    assert run(output, "How does it work?" if output.isascii() else "癫痫会复发吗？")[0] == kept


@pytest.mark.parametrize(("output", "kept"), [
    # a full stop written "." before Chinese ends the sentence; the closer after it goes
    ("警告: 你的加密子鑰很快將到期.如需进一步协助，请随时告诉我。", "警告: 你的加密子鑰很快將到期."),
    # an offer after the answer, with its condition first
    ("顏色緩衝區是否含有透明度元件\n\n需要的话，我也可以帮你写一份示例代码。", "顏色緩衝區是否含有透明度元件"),
    # 謹此 is a valediction: it goes with the machine's signature under it
    ("斯里蘭卡民主社會主義共和國\n\n謹此\n您的數位助理", "斯里蘭卡民主社會主義共和國"),
])
def test_chinese_closers_found_in_round_seven(output, kept):
    assert run(output, "這是什麼意思？")[0] == kept


# A disclaimer clause glued to the answer by a comma alone (round 11, the edge model's clause table): it goes and the
# answer starts the sentence; a person's clause before the same comma stays.
@pytest.mark.parametrize(("output", "kept"), [
    ("Without seeing your logs, the installer loads a kernel built to run on as many systems as it can.",
     "The installer loads a kernel built to run on as many systems as it can."),
    ("As this is an automated response, this report compares budgeted and real amounts for each account.",
     "This report compares budgeted and real amounts for each account."),
    ("If you want to expose internal services to the internet, you can configure them with this syntax.",
     "If you want to expose internal services to the internet, you can configure them with this syntax."),
    ("Since I moved to Berlin, I have been cycling to work every day of the week.",
     "Since I moved to Berlin, I have been cycling to work every day of the week."),
    ("Since the model was trained on ImageNet, the features transfer well to photographs.",
     "Since the model was trained on ImageNet, the features transfer well to photographs."),
])
def test_a_glued_disclaimer_clause_goes_and_a_persons_clause_stays(output, kept):
    assert run(output, "What does this option do?")[0] == kept
