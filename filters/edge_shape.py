"""Opener and closer sentences found by their shape (issue 21), for the phrasings no named rule, no discourse
vocabulary and no learned score knows.

A model's closing sentence is a wish ("Hope this gets your Wi-Fi back on track.", "Have a brilliant time in Rome!";
English only: a Chinese doctor's "祝您早日康复" is the author's own), an offer to go on in which the speaker appears
("If you paste the full file, I can spot the issue.", "Drop me a message if the build still fails."), or a question
back about the exchange ("Which approach are you leaning towards?"). Its opening sentence restates what the reader
asked ("You want to know how a heat pump works.", "It sounds like you're dealing with a tricky landlord."). Their
other words vary freely (a wish names the trip, an offer names the file), which is why the vocabulary test, which
counts unknown words, lets them through.

Each test reads one sentence; the matcher decides where it stands (the first or last sentences, never the answer's
only one, never a list item, code or a human formula) and whether the prompt set a scene that asked for it.

Two tests find the ends of a run rather than its members (round 9): `presents_answer`, a lead-in that says how the
answer will be given ("Here's the breakdown, piece by piece:", "咱们一步步拆开看："), and `speaks_to_asker`, a short
sentence of the exchange itself (an interjection, praise of the question, thanks). The matcher strips the sentences
before such a lead-in when each of them speaks to the asker and none names the subject, whatever their words.
"""

from __future__ import annotations

import re

MAX_WORDS = 22  # an edge sentence this long says something
MAX_HAN = 40  # … in Chinese characters
QUESTION_WORDS = 14  # a question back is short

_BLOCKERS = re.compile(r"\d|`|https?:|www\.|[<>=(){}\[\]\\|@#$%&+*_\"“”「」]")
# a name inside the sentence ("Let me know if Thursday still works", "Dad and I will ring you"): a person's letter
_NAME = re.compile(r"(?:(?<=\w )|(?<=\w, )|(?<=\w; ))(?!I\b|I'|I’)[A-Z][a-z]+")
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")

# ---------------------------------------------------------------- English
_LEAD = (r"^\W*(?:(?:and|so|anyway|again|once again|well|ok(?:ay)?|alright|all right|right|until then|"
         r"in the meantime)\W+)*")
_WISH_EN = re.compile(
    _LEAD + r"(?:(?:i (?:really |truly |sincerely |do )?)?hope(?= (?:this|that|it|you|your|everything|things|all|so|"
    r"to|my|these|one|we|the (?:above|steps|tips|answer|explanation|guide|information|info|advice|suggestions)))|"
    r"hopefully(?=,? (?:this|that|it|you|your|these|one|the (?:above|steps|tips|answer|explanation|guide|"
    r"information|info|advice|suggestions))\b)|wishing|(?:i )?wish you|fingers crossed|have (?:an? |"
    r"the )?(?:\w+ ){0,3}(?:day|time|week|weekend|trip|holiday|holidays|evening|night|party|wedding|christmas|"
    r"birthday|journey|flight|stay|visit|one|celebration|move|interview|exam|exams|game|match|race|run|ride|meal|"
    r"dinner|break|summer|winter|season)|enjoy|stay safe|take care|good luck|best of luck|all the best|safe travels|"
    r"happy (?:coding|cooking|baking|travels|hacking|writing|learning|gardening|reading|hunting|planning|holidays|"
    r"building|testing|debugging|studying|painting|knitting|hiking|cycling|gaming|shopping|birthday|anniversary|"
    r"new year|christmas|friday|weekend|\w+ing))\b",
    re.IGNORECASE)
# a pointer to the documentation ("…, I'd suggest re-reading the manual.", "…我会建议你重新阅读上面提到的文档。"):
# the text's own
_POINTS_TO_DOCS = re.compile(r"(?i)\b(?:manual|documentation|docs|man page|faq|readme)\b|阅读|閱讀|"
                             r"文档|文檔|手册|手冊|章节|章節|说明书|說明書")
# "Good luck finding it in the docs is not needed.": a wish is not the subject of a clause
_PREDICATE = re.compile(r"\b(?:is|are|was|were|isn't|aren't|wasn't|not)\b", re.IGNORECASE)
_READER_EN = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)
# what an offer to go on promises: more of the exchange
_GOES_ON_EN = re.compile(
    r"\b(?:help|look|check|recheck|re-check|review|adjust|tweak|try|practi[cs]e|explain|walk|continue|dig|spot|fix|"
    r"sort|refine|expand|elaborate|hear|go through|go over|take it|pick|work (?:on|through)|tailor|rework|revise|"
    r"edit|draft|polish|troubleshoot|debug|figure|answer|clarify|suggest|point|recommend|share|send|put together|"
    r"whip up|write up|"
    r"break|translate|convert|run through|brainstorm|take it from there|go from there)\b", re.IGNORECASE)
# an offer on a condition ("If it still doesn't work, we can try a different approach."): the speaker must promise
# more of the exchange
_OFFERING_EN = re.compile(r"\b(?:i can|i'll|i’ll|i could|i'd|i’d|we can|we'll|we’ll|we could|let's|let’s|happy to|"
                          r"glad to|send me|let me know|drop me|ping me|get back to me)\b", re.IGNORECASE)
_ON_CONDITION_EN = re.compile(r"^\W*(?:if|when|once|whenever|should|in case|as soon as)\b", re.IGNORECASE)
# … or an invitation to come back, which is one whatever else it says ("Drop me a message if the build still fails.")
_COME_BACK_EN = re.compile(
    r"^\W*(?:just |please |do |and )?(?:let me know|drop me|send me (?:the|your|a|it|over)|send (?:it|them|those|"
    r"over)|shout|ping me|feel free|tell me (?:if|when|how|what|whether|more)|give me a shout|reach out|"
    r"get back to me|come back|happy to|glad to|i'm happy to|i'm glad to|i'd be happy|i'd be glad|i can also|"
    r"we can also|want me to|i could also)\b",
    re.IGNORECASE)
_QUESTION_BACK_EN = re.compile(
    r"^\W*(?:would|shall|should i|do you (?:want|need|have (?:any|other|more)|prefer|like)|does (?:this|that)|"
    r"did (?:this|that)|is (?:this|that)|are you|was (?:this|that)|how (?:did|does|do|was|is) (?:that|this|it|you)|"
    r"which (?:\w+ ){0,2}(?:are|would|do|did) you|what do you|want me|can i|could i|any (?:other|more|further)|"
    r"anything else|need (?:me|anything|more|help))\b",
    re.IGNORECASE)
# the task said back to the reader: "You want to know how …", "It sounds like you're …", "If I understand correctly"
_RESTATES_EN = re.compile(
    r"^\W*(?:so,? )?(?:you(?:'re| are) (?:asking|wondering|looking for|trying to (?:figure out|work out|understand|"
    r"find|get|decide|choose|parse|split|merge|plan|make)|curious|hoping|after)|you(?:'d like|'d love| would like|"
    r" want| need) to (?:know|understand|learn|find out|figure out|convert|make|get|plan|split|merge|speed up|write|"
    r"build|create|turn|compare|choose|decide)|it (?:sounds|looks|seems) like you(?:'re| are| want| need| would|'d|"
    r"'ve| have)|if i (?:understand|understood|'ve understood|have understood|'m reading|am reading|read) (?:you|"
    r"this|that|correctly|right|your))\b",
    re.IGNORECASE)

# ---------------------------------------------------------------- Chinese
_OFFER_ZH = re.compile(r"(?:如果|若|要是|假如|如|有)[^，。]{0,12}(?:你|您)[^。！？]{0,20}"
                       r"(?:我|咱们|我們|咱們)[^。！？]{0,6}(?:可以|能|再|帮|幫|来|來|会|會|随时|隨時)|^(?:随时|"
                       r"隨時|欢迎|歡迎)[^。！？]{0,8}(?:找我|问我|問我|告诉我|告訴我|跟我说|跟我說|发给我|發給我)")
_QUESTION_BACK_ZH = re.compile(r"^(?:这样|這樣|这个|這個|以上|上面|这些|這些)[^。！？]{0,12}(?:可以|行|满意|滿意|"
                               r"有帮助|有幫助|清楚|明白|合适|合適|符合)[^。！？]{0,6}[吗嗎呢][？?]?$|^(?:需要|"
                               r"要不要|要我|还需要|還需要)[^。！？]{0,16}[吗嗎][？?]?$")
_RESTATES_ZH = re.compile(r"^(?:(?:好|嗯|明白了?|了解|懂了|我看明白了|我明白了|简单来说|簡單來說|"
                          r"如果我理解得?(?:没错|沒錯|对|對))[，,]?)?(?:您|你)(?:是)?(?:想要|想|希望|需要|"
                          r"打算)(?:知道|了解|问|問|弄清楚|搞清楚|把|在|找)|^(?:(?:好|嗯|明白了?|了解)[，,]?)?(?:您|"
                          r"你)(?:问的是|問的是|的意思是|是想|想问的是|想問的是|遇到的情况是|遇到的情況是)|"
                          r"^(?:听起来|聽起來|看起来|看起來|看样子|看樣子)(?:您|你)")
# an acknowledgement that goes on about the answer it is about to give ("收到，我会按照你的要求来改。",
# "没问题，咱们一条一条来看。"); "没问题，Debian 支持这个。" goes on with the answer and is the answer's
_ACK_ZH = re.compile(r"^(?:好的?|好的好的|当然|當然|当然可以|當然可以|没问题|沒問題|冇問題|收到|收到收到|明白|"
                     r"明白了|了解|懂了|OK|ok|嗯|行|可以|好喔|好哦|来啦|來囉|來啦)[！!，,～~ ]+(?:我|咱们|咱們|我们|"
                     r"我們|这就|這就|下面|以下|先|已|已经|已經|来|來|给你|給你|帮你|幫你|为你|為你|这个问题|"
                     r"這個問題|这种|這種)[^。！？!?，,]{0,20}[。！!～~]*$")
# the answer said to be done ("这样问题就解决了。", "按照这些步骤操作，应该就没问题了。")
_DONE_ZH = re.compile(r"^(?:这样|這樣|现在|現在|按照[^，。]{0,10}|照着做|照著做)[^。！？]{0,12}(?:就|应该|"
                      r"應該)[^。！？]{0,8}(?:解决|解決|没问题|沒問題|可以了|行了|好了|搞定)")
# "把错误信息发给我看看。", "遇到问题随时喊我。": come back to me
_COME_BACK_ZH = re.compile(r"(?:发给我|發給我|告诉我|告訴我|跟我说|跟我說|喊我|找我|问我|問我|留言给我|"
                           r"留言給我)(?:看看|一下|吧|哦|喔)?[。！!～~]*$")


# the words of an exchange about the exchange; an offer or a question back holds few others ("Drop me a message if the
# build still fails.": build, fails), a sentence with more is the text's own ("Let me know the breed when you sign up
# so facilities can plan the space.")
_EXCHANGE = frozenset(
    "know message free send share happy glad help look check questions question anything else more further need want "
    "like work works worked fine problem issue error ready next again time still back touch from there here that this "
    "with what when which would could should have just your you're you've we'll we're it's that's doesn't don't "
    "can't isn't won't i'll i'd i'm let's about into them they then over other want wants able best right sure "
    "drop line shout ping give reach come feel take tell hear keep steps step approach version draft answer details "
    "detail explanation useful helpful clear sense make makes going something else any way ways options option thing "
    "things part parts whole after before also maybe perhaps either whichever paste file full spot code logs output "
    "screenshot results result error errors you'd you'll we've i've we'd there's here's".split())
MAX_OTHER = 3  # words of four letters or more outside it that an offer or a question back may hold
_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)*")


def _others(sentence: str) -> int:
    return sum(1 for w in _WORD.findall(sentence.lower()) if len(w) >= 4 and w.replace("’", "'") not in _EXCHANGE)


def _short(sentence: str) -> bool:
    """Short, in plain words: no number, code or quotation."""
    if _BLOCKERS.search(sentence):
        return False
    han = len(_HAN.findall(sentence))
    return han <= MAX_HAN if han else len(sentence.split()) <= MAX_WORDS


def closer_shape(sentence: str) -> bool:
    """A wish, an offer to go on or a question back about the exchange (see above). The English patterns are
    anchored at the sentence's start (match, not search): most last sentences fail at their first word."""
    text = sentence.strip()
    if not text:
        return False
    if not text.isascii() and _HAN.search(text):
        # (no wishes in Chinese: a doctor's "祝您早日康复" is the author's own, the human-closing rules' to judge)
        if not (_OFFER_ZH.search(text) or _QUESTION_BACK_ZH.search(text) or _COME_BACK_ZH.search(text)
                or _DONE_ZH.search(text)):
            return False
        return _short(text) and not _POINTS_TO_DOCS.search(text)  # "…我会建议你重新阅读…文档。": a manual's own
    wish = _WISH_EN.match(text)
    if wish is not None:
        # (a wish may name the trip: "Have a brilliant time in Rome!"; "Good luck finding it … is not needed" is a
        # clause's subject)
        return _short(text) and (wish.group(0).lower().lstrip(" \t*_-—,.").startswith(("hope", "i ", "wish"))
                                 or not _PREDICATE.search(text, wish.end()))
    question = text.endswith("?")
    if question:
        if _QUESTION_BACK_EN.match(text) is None or len(text.split()) > QUESTION_WORDS:
            return False
    elif _COME_BACK_EN.match(text) is None and (_ON_CONDITION_EN.match(text) is None
                                               or _OFFERING_EN.search(text) is None
                                               or _GOES_ON_EN.search(text) is None):
        return False  # most last sentences end here
    others = _others(text)
    if others > MAX_OTHER or (question and others > MAX_OTHER - 1) or not _short(text) or _NAME.search(text) \
            or _POINTS_TO_DOCS.search(text):
        return False
    return not question or _READER_EN.search(text) is not None


# what bounds an opener run: a presentational lead-in, or the start of the work ("Let's look at the constraints
# first.", "Here goes.")
BRIDGE_LEAD_EN = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|sure|alright|well|now)\W+)*(?:here(?:'s|’s| is| are)|below|the following|here goes|"
    r"(?:let's|let’s|let us|let me|i'll|i’ll|i will) (?:look|take|walk|go|break|dig|start|get|see|work|turn|make|"
    r"point|fill|throw|build|finish|run|put|lay|sort|tackle|unpack|map|explain|show|give))\b", re.IGNORECASE)


# A lead-in that presents the answer to come (how it will be given, not what it is about) may close an opener run
# that starts at the answer's first sentence, whatever the sentences before it say, as long as those only speak to
# the asker ("Ooh, you've hit on something that confuses plenty of folks. Here's the breakdown, piece by piece:",
# "嗯嗯，其实好多人都琢磨过这件事。咱们一步步拆开看："): the run's extent is read from its two ends.
_PRESENTS_EN = re.compile(
    r"\b(?:here(?:'s|’s| is| are)|below|explain(?:ed|ing)?|explanation|answer|breakdown|rundown|lowdown|scoop|"
    r"skinny|gist|overview|walk(?:through)?|unpack|spell(?:ed)? (?:it |this |that )?out|"
    r"lay(?:ing)? (?:it |this |that )?out|break(?:ing)? (?:it |this |that )?down|step by step|piece by piece|"
    r"bit by bit|one by one|in (?:brief|short|a nutshell|plain (?:english|language|words))|to the chase|"
    r"plain[- ]english|what follows|coming up|follows (?:below|here)|"
    r"how (?:it|this|that) works|what you need to know|"
    r"(?:let's|let’s|let me|i'll|i’ll|we'll|we’ll) (?:look|take|walk|go|break|dig|get|see|unpack|explain|tackle|"
    r"start|jump|dive|mosey|stroll|run)|pull (?:it|this|that) apart|take (?:it|this|that) apart)\b", re.IGNORECASE)
_PRESENTS_ZH = re.compile(r"以下|下面|如下|接下来|来看看|看看|拆解|拆开|解释|解釋|解說|解答|回答|说明|說明|讲讲|講講|"
                          r"说说|說說|分析|概括|展开|走起|慢慢说|逐一|一步步|一起来|附在|梳理|捋一捋|理一理|盘一盘|"
                          r"讲一讲|說一說|说一说|聊聊|简单(?:来)?说|簡單(?:來)?說|简而言之|簡而言之|一句话|一句話")
_EXCHANGE_WORDS_EN = frozenset((
    "you", "your", "you've", "you're", "i", "i'm", "i'd", "i'll", "i've", "me", "my", "we", "we'll", "let's", "us",
    "question", "asking", "askin", "askin'", "curious", "curiosity"))
_INTERJECTIONS_EN = frozenset((
    "oh", "ooh", "ah", "aha", "well", "hey", "hi", "hello", "sure", "absolutely", "certainly", "okay", "ok", "alright",
    "right", "yes", "yep", "yeah", "honestly", "great", "good", "nice", "wow", "hmm", "cool", "awesome", "lovely",
    "brilliant", "happy", "glad", "thanks", "thank"))
_WORDS_EN = re.compile(r"[a-z]+(?:'[a-z]*)?")
# an assistant naming itself ("Hi, Gemini here,"): a product, not a person the letter is from
_MODEL_NAMES = re.compile(r"\b(?:ChatGPT|GPT-?\d?|Claude|Gemini|Bard|Copilot|Llama|Mistral|Le Chat|Qwen|DeepSeek|Kimi|"
                          r"Grok|Perplexity)\b")
# (Chinese: the exchange's own words only; "你" / "您" are in most of a doctor's sentences)
_EXCHANGE_ZH = re.compile(r"呀|啦|哈|哦|嗯|哇|嘿|嗨|好的|当然|當然|没问题|沒問題|收到|谢谢|謝謝|感谢|感謝|多谢|多謝|"
                          r"好问题|好問題|问得好|問得好|这一问|這一問|问在|問在|有意思|荣幸|榮幸|乐意|樂意|很高兴|很高興|"
                          r"开心|開心|get到")
_LEAD_BLOCKERS = re.compile(r"\d|`|https?:|www\.|[<>=(){}\[\]\\|@#$%&+*_]")


def without_model_names(text: str) -> str:
    """The text with an assistant's product names read as "it" ("Hi, Gemini here"): not a person's name."""
    return _MODEL_NAMES.sub("it", text)


def presents_answer(sentence: str) -> bool:
    """A short lead-in that presents the answer to come (see above)."""
    text = sentence.strip()
    if not text or _LEAD_BLOCKERS.search(text):
        return False
    if _HAN.search(text):
        # its last words present ("…，咱们一步步拆开看：", "我来帮你看看这个问题。"), not a clause inside the answer
        # ("从整个报告来看，只有…")
        core = text.rstrip("。！!～~.…：: 👇⬇️↓")
        return len(_HAN.findall(text)) <= 20 and (_PRESENTS_ZH.search(core[-8:]) is not None
                                                  or (text[-1:] in "：:" and _PRESENTS_ZH.search(text) is not None))
    return len(text.split()) <= 12 and _PRESENTS_EN.search(text) is not None


def _exchange_en(text: str) -> bool:
    """An English sentence that speaks to the asker: "!" or "?", a pronoun of the exchange ("at your service") or
    the question named, an opening interjection (word sets, not one regex tried at every position)."""
    if "!" in text or "?" in text:
        return True
    words = _WORDS_EN.findall(text.lower().replace("’", "'"))
    return bool(words) and (words[0] in _INTERJECTIONS_EN or not _EXCHANGE_WORDS_EN.isdisjoint(words)
                            or "here to help" in text.lower())


def speaks_to_asker(sentence: str) -> bool:
    """A short sentence of the exchange itself (an interjection, praise of the question, a greeting, thanks), the
    kind that may stand before a lead-in (see above). Asked of most answers' first sentence: length first."""
    text = sentence.strip()
    if not text:
        return False
    if not text.isascii() and _HAN.search(text):
        han = len(_HAN.findall(text))
        if han > 24 or (_EXCHANGE_ZH.search(text) is None and (han > 6 or text[-1:] not in "！!～~")):
            return False
    elif len(text) > 120 or text.count(" ") > 13 or not _exchange_en(text):
        return False
    if _LEAD_BLOCKERS.search(text):
        return False
    return _NAME.search(text) is None or _NAME.search(without_model_names(text)) is None


# an answer that says what the question left out ("…, which you didn't say. Tell me both and I can estimate it."):
# its request for the missing input is the answer's, the missing-input rules judge the row
ASKS_FOR_INPUT = re.compile(r"\byou (?:haven't|have not|didn't|did not|never|forgot to) (?:say|said|mention|"
                            r"mentioned|name|named|specify|specified|give|given|gave|tell|told|provide|provided|"
                            r"share|shared|include|included|attach|attached)\b|(?:你|您)(?:还)?(?:没有|没|未|沒有|沒)"
                            r"(?:说|說|提供|告诉|告訴|说明|說明|提到|给出|給出|附上|上传|上傳)", re.IGNORECASE)


def opener_shape(sentence: str) -> bool:
    """The reader's task said back to them (see above)."""
    text = sentence.strip()
    if not text:
        return False
    if not text.isascii() and _HAN.search(text):
        found = _RESTATES_ZH.search(text) is not None or _ACK_ZH.search(text) is not None
    else:
        found = _RESTATES_EN.match(text) is not None
    return found and _short(text) and not _NAME.search(text)


# an acknowledgement that runs straight into a summary marker and then the answer, in one sentence
# ("当然可以，简单来说，<answer>", "好的呀，其实呢，<answer>", "乐意效劳哈，说白了，<answer>"): the lead goes, the
# answer stays. A marker alone ("简单来说，…") is a writer's own; after "好的 / 没问题 / 好问题" it is the model's
# way in.
_ACK_LEAD_ZH = re.compile(
    r"^[\W_]*(?:(?:好的?|好的呀|好嘞|好哒|当然|當然|当然可以|當然可以|没问题|沒問題|好问题|好問題|问得好|"
    r"問得好|嗯+|乐意效劳|樂意效勞|这个嘛|這個嘛|[oO][kK]+|收到|可以的?)[哈呀啦呢哦～~！!]*[，,、 ]*)+"
    r"(?:简单来说|簡單來說|简单讲|簡單講|简单地说|簡單地說|简而言之|簡而言之|总的来说|總的來說|总体来说|"
    r"總體來說|说白了|說白了|其实呢?|其實呢?|根据我的理解|根據我的理解|据我理解|據我理解|一句话|一句話|"
    r"概括来说|概括來說|通俗地?说|通俗地?說|直白点说|直白點說)[，,：:]\s*")
ACK_LEAD_REST = 8  # Han characters of answer that must follow


def ack_lead_zh(sentence: str) -> int:
    """Where an acknowledgement-and-marker lead ends inside a Chinese sentence (see above), or 0."""
    found = _ACK_LEAD_ZH.match(sentence)
    if found is None or len(_HAN.findall(sentence[found.end():])) < ACK_LEAD_REST:
        return 0
    return found.end()
