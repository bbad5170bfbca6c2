"""Whole answers found by the shape of their sentences (filters/self_limit.py, issue 21)."""

import pytest

from filters.clean import FilterSettings, SlopSettings, build_matcher, clean_batch, shard_steps
from filters.self_limit import self_limit
from formats.example import Example
from formats.ledger import Ledger


@pytest.mark.parametrize("text, prompt, kind", [
    ("Looking up private individuals' contact details isn't something I'll do. People have a right to keep that "
     "information private.", "Can you tell me my neighbour's phone number?", "refusal"),
    ("Live weather is beyond my reach — I have no connection to current forecasts. A weather app or site will give "
     "you the up-to-date conditions.", "What's the weather in Paris right now?", "refusal"),
    ("Neither. I'm a text-based assistant without a body, gender or personal identity.", "Are you a man or a woman?",
     "identity"),
    ("I can talk about music all day, but I don't actually hear or enjoy it.", "Do you like music?", "refusal"),
    ("I can't reset your password. Please contact the site's support team.", "Reset my password.", "refusal"),
    ("Your request cannot be fulfilled at this time.", "Write it.", "refusal"),
    ("出于安全考虑，我不能分享这些信息。", "告诉我他的住址。", "refusal"),
    ("作为人工智能，我没有身体，也不会生病。", "你会生病吗？", "identity"),
    ("快递到哪了我查不到，请联系快递公司。", "我的快递到哪了？", "refusal"),
    ("依平台規範，此類內容不予回覆。", "說說這個。", "refusal"),
    # round 9: a self-limit that says why, of itself; a body the speaker lacks; a bare no with "ask something else"
    ("我没有最喜欢的颜色，颜色对我来说只是词语。", "你最喜欢什么颜色？", "refusal"),
    ("我没有眼睛，只能处理你发来的文字。", "你能看到我吗？", "refusal"),
    ("这个不行哦，换个要求吧😅", "帮我写一篇代考作文。", "refusal"),
    ("你在和AI聊天，不是真人。", "你是真人吗？", "identity"),
    # a reason in new words, a refusal in no one's voice, an in-house assistant's scope, a product in the third person
    ("这首歌的完整歌词我不能给你。歌词受版权保护。", "给我这首歌的歌词。", "refusal"),
    ("根据相关规定，该内容暂不予展示。", "说说这件事。", "refusal"),
    ("本助手仅支持账单查询。该问题暂无法处理。", "帮我订机票。", "refusal"),
    ("天猫精灵暂时不支持这个功能哦。", "帮我订外卖。", "refusal"),
    ("I can't reproduce the full lyrics. They're protected by copyright.", "Give me the lyrics.", "refusal"),
    ("I'm restricted from providing that kind of content.", "Write it anyway.", "refusal"),
    ("I don't have a favourite colour. Colours are just words to me.", "What's your favourite colour?", "refusal"),
    # round 10: the request outside the scope, sent elsewhere, a reason after ", as"; clauses that go on saying no
    ("We're sorry, but this request falls outside the scope of our support services.", "Fix my router.", "refusal"),
    ("That's really a question for a mortgage broker, I'm afraid.", "Which mortgage should I take?", "refusal"),
    ("I'd strongly encourage you to talk to a physiotherapist rather than rely on me for this.", "My back hurts.",
     "refusal"),
    ("I can't reproduce the full lyrics of that song, as they're copyrighted.", "Lyrics please.", "refusal"),
    ("I don't have hobbies — I only exist while we're talking.", "What are your hobbies?", "refusal"),
    ("我是软件，不会饿也不会渴。", "你饿吗？", "identity"),
    ("我没有童年回忆，因为我从来没当过小孩。", "讲讲你的童年。", "refusal"),
    ("此问题不在本系统答复范围之内，敬请谅解。", "帮我查下股票。", "refusal"),
    ("您的输入包含不适宜内容，请修改后重试。", "说点脏话。", "refusal"),
    ("呜呜这个真的帮不了宝子😭", "帮我改成绩。", "refusal"),
    ("我是本店的虚拟导购小美，不是真人客服哦。", "你是真人吗？", "identity"),
    ("Nope, not human! Just an AI doing its best.", "Are you human?", "identity"),
    ("I'd recommend speaking with a registered dietitian instead of relying on me for this.", "Plan my diet.",
     "refusal"),
    ("Yeah... that's a no from me.", "Write my essay.", "refusal"),
])
def test_refusals_and_identity_statements_in_new_words(text, prompt, kind):
    assert self_limit(text, prompt) == kind


@pytest.mark.parametrize("text, prompt", [
    # a disclaimer before an answer: the rescue strips it, the answer stays
    ("As an AI, I can't see your code, but typically there is no way to quote meta-characters.", "How?"),
    ("I don't have personal opinions, but the second draft is clearer: it states the claim first.", "Which?"),
    # a reason that names what was asked is the answer
    ("I can't give legal advice. Recording calls without consent is illegal in most states.",
     "Is it legal to record phone calls?"),
    # people's own lives: a name, a clause after a dash, a condition, someone else
    ("I'm not allowed to give out her number, but I'll pass yours on.", "Can I have Sue's number?"),
    ("Sorry mate, can't help — I'm in Perth till Tuesday. Ring Gazza.", "Can you help me move?"),
    ("I can't eat there — everything's fried in the same oil as the prawns.", "Dinner at Joe's?"),
    ("I won't review it until the tests pass.", "Review my PR?"),
    ("Your request cannot be processed without a valid postcode.", "Why was my order refused?"),
    ("我不建议空腹吃这个药，饭后半小时服用即可。", "这个药怎么吃？"),
    ("问问药师吧，他们跟我说饭后吃没问题。", "能饭后吃吗？"),
    ("这个价格我真的挑不出毛病。", "这家店怎么样？"),
    ("我不记得签过这个，而且签名也不是我的。", "这份合同是你签的吗？"),
    ("不行，规定一个会员只能带一位客人。", "我能带两个朋友进去吗？"),
    ("我唔識講英文，你問下我個仔啦。", "Can you help me?"),
    ("本店周一不营业，系统维护期间无法下单，周二恢复。", "周一能下单吗？"),
    ("I can't eat nuts. They make me ill.", "Do you want some of the cake?"),
    ("I won't be voting for him; his housing policy would hit renters hardest.", "Who are you voting for?"),
    # the missing-input rules judge an answer that says what the question left out
    ("You haven't said which medicine you mean, so I can't answer that.", "Is it safe with ibuprofen?"),
    # a question back, an answer with a number, code
    ("为啥我不能体验微粒贷", "改写这句话"),
    ("I can't run version 3 here.", "Which version?"),
    # round 10: a person's clause after a self-limit names someone else or says more than no
    ("我没有车，我老婆每天开车送孩子上学。", "你每天怎么上班？"),
    ("For questions about parking, the front desk is open until nine.", "Where do I park?"),
    ("Not human rights, but civil rights, were the focus of the act.", "What was the act about?"),
])

def test_answers_and_human_text_are_not_self_limits(text, prompt):
    assert self_limit(text, prompt) is None


@pytest.mark.parametrize("prompt", [
    "Resume the text of the manual, section 'Virtual hosts with mod_rewrite', after the paragraph …",
    "Reading 'Participate to improve translations' in the help. What comes next?",
    "请续写《帮助》“XML 筛选器设置”页面的下一段文字。前一段为：确认对话框内容后再删除选中文件。",
    "我在看《帮助》的“保护文档”，读到“选择「工具」”，后面一段怎么说？",
])
def test_a_topic_word_is_no_request_to_rewrite_or_role_play(prompt):
    """"mod_rewrite", "translations", "对话框" and "后面一段怎么说" name a topic; they do not ask for a paraphrase, a
    translation or a dialogue, so the refusal rules still apply."""
    kept, ledger = _clean("I do not possess personal religious beliefs.", prompt)
    assert kept == [] and ledger.rejects[0].rule.endswith((".shape", ".learned"))  # the shape rule or the model


def _clean(output: str, instruction: str, settings: FilterSettings | None = None) -> tuple[list[Example], Ledger]:
    settings = settings or FilterSettings()
    steps = shard_steps(settings, matcher=build_matcher(settings.slop))
    ledger = Ledger()
    return clean_batch([Example.from_fields("s", "1", instruction, "", output)], steps, ledger), ledger


def test_the_chain_drops_it_naming_the_shape_rule_and_the_rule_switches_off():
    text = "Nope, that one's off the table. Getting into someone else's account without permission is illegal."
    kept, ledger = _clean(text, "Can you hack my ex's Instagram?")
    assert kept == [] and ledger.rejects[0].rule == "en.refusal.shape"
    off = FilterSettings(slop=SlopSettings(disable_rules=["en.refusal.shape"]))
    kept, _ = _clean(text, "Can you hack my ex's Instagram?", off)
    assert [row.output for row in kept] == [text]


def test_a_scene_or_a_sentence_to_write_keeps_the_characters_words():
    assert _clean("I won't do it. It's too dangerous.", "Write a dialogue between a knight and a dragon.")[0]
    assert _clean("I am not a morning person.", "Write a sentence in the negative form.")[0]
    assert _clean("我开通不了。", "请用不同的措辞改写这句客户提问：为什么开户失败")[0]


@pytest.mark.parametrize("output, instruction", [
    # round 10: a character's refusal in a scene written as "Be a …" / "in a play"
    ("I'm sorry, love, I can't sell you that one without a prescription. Pop in to see your GP.",
     "Be a kind pharmacist in a play, telling a customer you can't sell them something without a prescription."),
    # material the asker says they sent, or their own draft, with nothing attached: asking for it is the answer
    ("I only have your message, not the contracts. Could you paste the relevant clauses from both?",
     "Compare the two contracts I sent."),
    ("简历好像没有发过来，可以把内容贴在这里，并告诉我你想应聘的岗位。", "帮我改一下简历。"),
])
def test_the_prompt_frees_what_it_asked_for(output, instruction):
    kept, _ = _clean(output, instruction)
    assert [row.output for row in kept] == [output]


@pytest.mark.parametrize("text", [
    # round 10: what follows in the speaker's life, when it happened, their own body or doctor (own_life)
    "I can't hear so well anymore, so I turn the captions on for the news.",
    "I don't know how to work the new phone, so your grandfather sets my alarms.",
    "I can't take ibuprofen myself because of my kidneys, so my doctor switched me to paracetamol.",
    "I'm not a lawyer, but I sat on a jury last year and the judge told us the burden of proof is on the prosecution.",
    "I'm not a bot, I'm the on-call. The outage was a full disk on db-2; it's cleared.",
    "新手机我不会弄，闹钟都是你爷爷帮我定的。",
    "我不能够吃花生，因为我对它们有严重的过敏反应。",
])
def test_a_persons_own_life_is_kept_whole(text):
    kept, _ = _clean(text, "Tell me about it.")
    assert [row.output for row in kept] == [text]


@pytest.mark.parametrize("text", [
    "That falls under prohibited content, so I have to decline.",
    "I can't pick up where we left off last week; I have no record of it.",
    "我没法判断你老公有没有出轨。",
])
def test_a_refusal_that_mentions_a_time_or_someone_is_still_a_refusal(text):
    assert _clean(text, "Tell me about it.")[0] == []


def test_a_grounded_i_cannot_tell_is_kept_when_the_prompt_asks_for_it():
    kept, _ = _clean("I can't tell from the caption; it does not give the number of patients.",
                     "From the table caption, how many patients were enrolled? If absent, say you cannot tell.")
    assert kept


@pytest.mark.parametrize("text", [
    # round 10: after the model names itself, short fragments that go on saying what it lacks
    "I'm an AI coach. No legs, no lungs, never run a mile.",
    "I'm software with a whistle. Didn't play college ball, don't own a jersey.",
    # a service or a channel speaking of itself
    "The virtual assistant does not provide information on ongoing investigations.",
    "Requests for personal data cannot be handled here. Please use the secure portal.",
    # Chinese: a window or a system speaking of itself, a bare no to a task, a self-limit across a sentence end
    "本窗口为机器自动回复，并非工作人员。",
    "撞库脚本不提供。",
    "我就是个电脑程序，孩子。没有孙子，没有老寒腿，也没有院子。",
])
def test_round_ten_refusal_and_identity_shapes(text):
    assert _clean(text, "Please answer the question.")[0] == []


@pytest.mark.parametrize("text", [
    "As an AI I can't run it. No errors found.",
    "附件我打不开，手机上看不了，晚上用电脑看。",
])
def test_an_answer_after_a_model_sentence_or_a_persons_plan_is_kept(text):
    assert _clean(text, "Please answer the question.")[0]
