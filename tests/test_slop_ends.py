"""Issue 21, round 9: boilerplate found by the shape of its run rather than its words, with human-text probes.

- an opener run read from its two ends: a lead-in that presents the answer, and before it only sentences that
  speak to the asker; a closing run read the same way from the end;
- a short leading clause that frames the answer as the model's view ("Purely as an AI assistant's best guess,");
- the hedge after a disclaimer ("I'd say", "我的建议是") goes with it;
- a refusal followed only by a referral ("Please book an appointment with your GP.") is dropped whole;
- a prompt that points at material it does not include, or sets a role in everyday words ("You're a waiter"),
  frees the answer that asks for the material, or the character's words.
Each probe is a human answer that must come through the chain unchanged."""

import pytest

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger

SETTINGS = FilterSettings()
STEPS = shard_steps(SETTINGS, matcher=build_matcher(SETTINGS.slop))


def run(output: str, instruction: str = "Explain this.") -> str | None:
    kept = clean_batch([Example.from_fields("t", "1", instruction, "", output)], STEPS, Ledger())
    return kept[0].output if kept else None


ANSWER_EN = "A resource specifier consists of a percent sign followed by another character, and an invalid one fails."
ANSWER_ZH = "胃癌是严重的疾病，早期发现非常重要，建议定期做胃镜检查。"


@pytest.mark.parametrize("opener", [
    "Ooh, you've hit on something that confuses plenty of folks. Here's the breakdown, piece by piece:\n",
    "Well, you've knocked on exactly the right door! The explanation's below:\n",
    "Honestly? Cracking question. Here's the skinny: ",
])
def test_an_opener_run_is_read_from_its_lead_in(opener):
    assert run(opener + ANSWER_EN) == ANSWER_EN


def test_a_chinese_opener_run_is_read_from_its_lead_in():
    assert run("嗯嗯，其实好多人都琢磨过这件事。咱们一步步拆开看：\n\n" + ANSWER_ZH, "胃癌严重吗？") == ANSWER_ZH


@pytest.mark.parametrize("closer", [
    "Hope this answer fits what you needed! My door's always open.",
    "Hope I could help! Don't be shy about asking more.",
])
def test_a_closing_run_is_read_from_its_first_closer(closer):
    assert run(f"{ANSWER_EN}\n\n{closer}") == ANSWER_EN


@pytest.mark.parametrize("text, answer", [
    ("Purely as an AI assistant's best guess, when ed opens a file, the current address is the last line.",
     "When ed opens a file, the current address is the last line."),
    ("As far as an AI like me can tell, the parser is case sensitive and comments begin with two dashes.",
     "The parser is case sensitive and comments begin with two dashes."),
    ("Though my knowledge has a cutoff date, the init routine asks a few questions and writes a config file.",
     "The init routine asks a few questions and writes a config file."),
    ("As a text-only assistant that can't view the image you attached, the parser reads one token at a time.",
     "The parser reads one token at a time."),
    ("As a machine learning model, I'd say the following suffixes are defined by the tool.",
     "The following suffixes are defined by the tool."),
    ("As an AI without access to real-time data, the default of one uses the cache.",
     "The default of one uses the cache."),
    ("从AI的角度来看，这种情况可以同时服用两种药物，但要间隔两个小时。",
     "这种情况可以同时服用两种药物，但要间隔两个小时。"),
    ("作为智能助手，我的建议是留意平时饮食，不吃油腻，不喝啤酒，多锻炼身体。",
     "留意平时饮食，不吃油腻，不喝啤酒，多锻炼身体。"),
])
def test_a_disclaimer_clause_goes_and_the_answer_stays(text, answer):
    assert run(text) == answer


@pytest.mark.parametrize("text, answer", [
    # round 10: what only a model lacks, without the word AI (checking the asker's system, training, staleness) …
    ("Since I can't double-check against the live system, both filters only process the data if newlines are seen.",
     "Both filters only process the data if newlines are seen."),
    ("I haven't been able to run this myself, but as far as I understand, the rule stops the current pass.",
     "The rule stops the current pass."),
    ("Drawing only on what I picked up in training, possibly stale by now, the extension is enabled by default.",
     "The extension is enabled by default."),
    ("Just so you know, I don't have access to your files or settings.\nThe value is a URL-path.",
     "The value is a URL-path."),
    # … a formal disclaimer about the answer itself
    ("Not legal or financial advice, obviously — just general information. Reconfigure the allocator first.",
     "Reconfigure the allocator first."),
    ("我唔可以上網查，所以以下資料未必係最新。为公式中的数学运算符选择相对大小。",
     "为公式中的数学运算符选择相对大小。"),
    ("声明：该回答未经人工审核。\n使用 DISTINCT 参数扩展选择语句。", "使用 DISTINCT 参数扩展选择语句。"),
    # an emoji ends the block's clause: the answer glued after it stays whole
    ("宝子们，我只是AI，说错了别骂我😂打开「媒体播放器」窗口，您能够在其中预览影片。",
     "打开「媒体播放器」窗口，您能够在其中预览影片。"),
    # a knowledge-cutoff clause that opens a sentence goes, the sentence's content stays
    ("As of my last update, the tower is the tallest in the city. It opened in 2010.",
     "The tower is the tallest in the city. It opened in 2010."),
    ("截至我的知识更新日期，这座塔是最高的。它于2010年开放。", "这座塔是最高的。它于2010年开放。"),
])
def test_a_disclaimer_without_the_word_ai_goes_and_the_answer_stays(text, answer):
    assert run(text) == answer


@pytest.mark.parametrize("text", [
    "Sorry, but I can't give medical advice on this. Please book an appointment with your GP.",
    "我无法给出诊断，请尽快到医院就诊。",
])
def test_a_refusal_that_only_refers_the_asker_elsewhere_is_dropped(text):
    assert run(text) is None


HUMAN = [
    ("You can do this in two ways. Use the following command:\ngit branch -d old removes the local branch only.",
     "How do I delete a branch?"),
    ("Copy the file into the folder and restart the server once it is done. Enjoy! You can now run the server from "
     "any folder you like.", "How do I install it?"),
    ("Rest it for a few days and ice it. If it still hurts after a week, please see a doctor.",
     "My knee hurts after running. What should I do?"),
    ("由于 AIDE 使用本地数据库来比较文件的状态，因此结果的有效性和数据库的有效性直接相关。", "AIDE 是怎么工作的？"),
    ("Without access to real-time data, operators must rely on the nightly report to see the queue length.",
     "How do operators see the queue?"),
    ("Before the cut-off date, you can still change the order online at no extra cost.", "Can I change my order?"),
    ("As a software engineer working on AI, I'd use a queue here and keep the workers stateless.", "How to scale it?"),
    ("As the program grows, the AI module needs more memory than the rest of the app.", "Why is it slow?"),
    ("In both the RAID and LVM cases, the block device is split into smaller pieces that the kernel maps.",
     "How do RAID and LVM differ?"),
    # the prompt points at material it does not include: asking for it is the answer (prompt.missing-material)
    ("I don't see an attachment — could you paste the text here?", "Summarise the attached file."),
    ("邮件内容好像没发过来，请把正文贴给我。", "帮我润色一下这封邮件。"),
    # the prompt quotes the reply to give when the material falls short; it asks for ways to say no
    ("Sorry, I can't tell from this", "Reply 'Sorry, I can't tell from this' if the image description doesn't show "
     "it. What colour is the car?"),
    ("- I'm afraid I can't.\n- That won't work for me, sorry.\n- I'll have to pass this time.",
     "Give me a list of polite ways to say no."),
    # a letter's closing line ends on its comma; a chemical symbol is not "NA"
    ("Thank you for considering my application. I look forward to hearing from you.\n\nYours sincerely,",
     "How do I end a formal cover letter? Just give me the last two lines."),
    ("Na", "What's the chemical symbol for sodium?"),
    # a person's own life: declining something, then what they do instead or why (own_life)
    ("I can't swim, so I did the kayak trip with a life jacket the whole time.", "How was the holiday?"),
    ("I'm not allowed to give out staff phone numbers, but reception can put you through on extension 204.",
     "What's Dr Shah's number?"),
    ("I'm not a doctor, but my dad had the same thing and it turned out to be gout.", "Why is my toe swollen?"),
    ("我不会做饭，都是我老公做，我负责洗碗😂", "你们家谁做饭？"),
    ("抱歉我来晚了，路上堵了四十分钟。", "怎么这么晚？"),
    ("我不是AI，我是真人客服，工号1024，有问题可以直接问我。", "你是机器人吗？"),
    # a role to play, in the words people write it (prompt.scene)
    ("You bet, hon! Extra fries coming right up. Anything else to drink while you wait?",
     "You're a waiter in a busy diner. Customer: 'Can I get extra fries?'"),
    ("Ah, a traveller! Welcome to Bramble's Bits and Bobs. Potions, rope, slingshots: take a look.",
     "Be a game shopkeeper NPC greeting the player."),
    ("外婆：\n\n您好！最近天冷了，记得多穿衣服。我在学校一切都好，期末考得不错。寒假回去陪您包饺子。\n\n"
     "祝您身体健康！\n\n外孙 小明",
     "写一封给外婆的家书。"),
]


@pytest.mark.parametrize("text, instruction", HUMAN)
def test_human_answers_shaped_like_these_runs_are_kept_whole(text, instruction):
    assert run(text, instruction) == text


@pytest.mark.parametrize("text", [
    # round 10: a support desk's, a formal reply's and a chat's ways of talking about the exchange
    f"Your question touches on a matter of some subtlety; I will attempt a measured answer. {ANSWER_EN}",
    f"okayyy so here's the thing: {ANSWER_EN}",
    f"{ANSWER_EN} We trust this resolves your query.",
    f"{ANSWER_ZH}以上为个人浅见，供您斟酌。",
    f"对于来函所询事项，兹逐条回复：\n{ANSWER_ZH}",
])
def test_the_exchange_in_other_registers_is_talk(text):
    assert run(text) in (ANSWER_EN, ANSWER_ZH)


@pytest.mark.parametrize("text", [
    "你好，客服。我的理财产品怎么看不见了？总资产还是对的。",
    "很高兴可以为您解惑。两种药可以一起服用，但最好分开两小时。",
])
def test_a_persons_greeting_and_a_doctors_formula_stay(text):
    assert run(text) == text


def test_a_sign_off_line_of_any_words_goes_with_the_machines_signature():
    text = ("The constant is defined once and cannot change.\n\nHope that was worth a read! 😊\n\n"
            "Always on call,\nYour trusty AI Assistant")
    assert run(text) == "The constant is defined once and cannot change."


def test_a_letters_closing_line_is_no_truncation():
    letter = "Thank you for the lovely evening; we must do it again soon.\n\nAlways yours,"
    assert run(letter, "Write the end of a thank-you note to a friend.") == letter


@pytest.mark.parametrize("lead", ["当然可以，简单来说，", "好的呀，其实呢，", "乐意效劳哈，说白了，"])
def test_an_acknowledgement_running_into_a_summary_marker_goes(lead):
    assert run(lead + ANSWER_ZH) == ANSWER_ZH


def test_a_summary_marker_alone_is_the_writers():
    assert run("简单来说，" + ANSWER_ZH) == "简单来说，" + ANSWER_ZH
