"""Sentences about the conversation, not the subject: the structural half of the opener / closer rules.

A named rule catches a phrasing it was written for. A model writes new ones every day ("Let me shed some light
on this.", "You've touched on something genuinely interesting here.", "Best wishes with your work!"), and what
they share is structure, not words: they stand at an edge of the answer, they speak to the reader or about the
exchange (I / you / let's, a greeting, thanks, praise of the question, an offer, a wish), and they hold no word of
the subject. So a sentence counts as boilerplate here when:

- it is short, has no digits, code, quotes, links or proper names;
- every word is a function word or a discourse word (filters/rules/discourse.yaml: the vocabulary of talking
  about the talk: asking, answering, explaining, helping, praise, thanks, wishes, greetings), with at least one
  discourse word, and it speaks (a first- or second-person word, an interjection, a greeting, thanks or a wish);
- at most one word is neither, and only when the sentence is otherwise plainly discourse (two discourse
  words) and that word occurs nowhere else in the row (instruction, input or the rest of the answer): a word
  of the subject is content, however the sentence around it looks.

Chinese has no spaces: a sentence counts when it holds a person (我/你/您), a greeting, thanks or a wish, and a
word about the talk itself (问题, 解答, 帮助 …), and what is left after the vocabulary is taken out is at most one
character that occurs nowhere else. A doctor's own formula (filters/rules/human.yaml) is never this rule's.

The matcher (filters/slop.py) asks this only for the sentences at the edges, after the named rules, so a named
rule still names a sentence it knows; the structural rule names the rest `en.opener.discourse` and so on.

The same idea at the size of a clause serves two more structural rules, further down: `self_talk` (a whole answer
that is only the model talking about itself: a refusal or who it is, with talk around it, is dropped) and
`leading_self_talk` (such clauses before a real answer are stripped, the answer kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import ahocorasick_rs

from formats.text import chars, has_cjk, run_of
from formats.yaml_data import load_yaml

DISCOURSE_FILE = Path(__file__).parent / "rules" / "discourse.yaml"
MAX_WORDS = 18  # a longer sentence says something
MAX_CHARS = 160  # … and so does one this long, whatever its words
MIN_WORDS = 3  # … and a shorter one is a heading, a list item or a word of the text
MAX_UNKNOWN = 2  # words outside the vocabulary a talking sentence may hold (each found nowhere else in the row)
MAX_CJK = 24  # … in Chinese characters
_WORD = re.compile(r"[a-z]+(?:['’-][a-z]+)*")
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-zA-Z]+")
_BLOCKERS = re.compile(r"\d|`|https?:|www\.|\"|[<>=(){}\[\]/\\|@#$%&+]"
                       # a pointer to the documentation is somewhere concrete to go, not talk about the exchange
                       r"|(?i:\b(?:look at|see|read|refer to|consult|check) (?:its|their|the(?: \w+)?) "
                       r"(?:documentation|manual|man pages?|readme|handbook|wiki)\b)")
_HAN = re.compile("[\u3400-\u9fff]")
_HAN_RUN = run_of("[\u3400-\u9fff]")  # counted by runs (formats.text.chars): one string a run, not a character
_ZH_BLOCKERS = re.compile(r"\d|[a-zA-Z]{2,}|`|[\"“”《》<>=(){}\[\]（）/\\|@#$%&+]")
_I = re.compile(r"\bI\b")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EMOTICON = re.compile(r"[:;]-?[()DPp]|\^_?\^")
_AI = re.compile(r"AI|ai")
_ZH_LEAD = re.compile(r"如下|以下|下面|接下来|[:：]$")  # a lead-in addresses the reader without a 你 or 您
_GREETINGS = frozenset(("hi", "hello", "hey", "greetings", "welcome"))
_THIRD_PERSON = frozenset(("he", "she", "they", "them", "him", "her", "his", "hers", "their", "theirs", "he's", "she's",
                           "they're", "they've", "they'll", "themselves", "himself", "herself"))


@dataclass(frozen=True)
class Vocabulary:
    function: frozenset[str]
    persons: frozenset[str]  # I / you / let's …: a sentence with one of them speaks to the reader
    exchange: frozenset[str]  # asking, answering, thanks, wishes: a sentence with one of them is about the exchange
    interjections: frozenset[str]  # "Oh, …", "Great, …": a sentence led by one speaks
    discourse: frozenset[str]
    zh_discourse: tuple[str, ...]  # longest first: removed from a sentence in that order
    zh_speaking: frozenset[str]
    zh_anchors: frozenset[str]  # talk about the talk itself: a greeting or "of course" alone is not enough
    known: frozenset[str]  # every English function or discourse word: one lookup per word
    zh_words: tuple[str, ...]  # every Chinese word of the three lists, in the automaton's order
    zh_automaton: ahocorasick_rs.AhoCorasick  # … found in one pass (overlapping: every occurrence of every word)

    def zh_found(self, text: str) -> set[str]:
        """The listed Chinese words that occur in `text` (the same as testing each word with `in`, in one pass)."""
        if _SURROGATE.search(text):  # a lone surrogate cannot be encoded for the automaton: U+FFFD matches nothing
            text = _SURROGATE.sub("\ufffd", text)
        return {self.zh_words[i] for i, _s, _e in self.zh_automaton.find_matches_as_indexes(text, overlapping=True)}


@lru_cache(maxsize=1)
def vocabulary(path: Path = DISCOURSE_FILE) -> Vocabulary:
    data = load_yaml(path.read_text(encoding="utf-8"))
    en, zh = data["en"], data["zh"]

    def words(part: dict[str, list[str]], key: str) -> list[str]:
        bad = [w for w in part[key] if not isinstance(w, str)]
        if bad:
            raise ValueError(f"{path.name}: {key}: every word must be a string, got {bad!r} (quote yes/no/on/off)")
        return [w.lower() for w in part[key]]

    persons = frozenset(words(en, "persons"))
    zh_all = sorted(set(words(zh, "discourse")) | set(words(zh, "speaking")) | set(words(zh, "anchors")))
    exchange = frozenset(words(en, "exchange"))
    interjections = frozenset(words(en, "interjections"))
    discourse = set(words(en, "discourse")) | exchange | interjections
    # plural / tense / adverb forms of a listed word count as the word: listed here once, looked up in one step
    discourse |= {w + suffix for w in discourse for suffix in ("s", "es", "ed", "d", "ing", "ly")}
    function = frozenset(words(en, "function")) | persons
    return Vocabulary(function, persons, exchange, interjections, frozenset(discourse),
                      tuple(sorted(set(words(zh, "discourse")) | set(words(zh, "speaking")), key=_longest_first)),
                      frozenset(words(zh, "speaking")), frozenset(words(zh, "anchors")), function | discourse,
                      tuple(zh_all), ahocorasick_rs.AhoCorasick(zh_all))


def _longest_first(word: str) -> tuple[int, str]:
    """Longest first, then alphabetical: a set's order changes with the hash seed, and the order in which words are
    taken out of a sentence decides what is left, so ties must not be left to it."""
    return (-len(word), word)


def _stem(word: str) -> str:
    """A crude stem, enough to tell whether a word of the sentence occurs elsewhere in the row."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _kind(word: str, vocab: Vocabulary) -> str:
    """'d' discourse word, 'f' function word, '' neither (a word in both lists counts as discourse)."""
    if word in vocab.discourse:
        return "d"
    return "f" if word in vocab.function else ""


_ELONGATED = re.compile(r"([a-z])\1{2,}")  # "okayyy", "yooo": the word, drawn out


def is_discourse_en(sentence: str, elsewhere: Callable[[str], bool], min_words: int = MIN_WORDS) -> bool:
    """True when the English sentence only talks about the exchange (see the module docstring). `elsewhere(stem)`
    tells whether a word occurs in the rest of the row (prompt and answer): then it is the subject's."""
    text = sentence.strip()
    if not text or len(text) > MAX_CHARS:
        return False
    low = text.lower()
    if _ELONGATED.search(low):
        low = _ELONGATED.sub(r"\1", low)
    found = [w.replace("’", "'") for w in _WORD.findall(low)]
    if not found or len(found) > MAX_WORDS:
        return False
    vocab = vocabulary()
    if len(found) < min_words and not (text[-1] == "!" and any(w in vocab.exchange or w in _GREETINGS for w in found)):
        return False  # "Goods:", "Love", "Oh no!": a heading, a list item, a word of a story ("Thanks again!" is talk)
    kinds: list[str] = []
    for word in found:
        kinds.append(_kind(word, vocab))
        if kinds.count("") > MAX_UNKNOWN:
            return False  # words of the subject (the cheap test first: most sentences of an answer end here)
    discourse = kinds.count("d")
    if discourse == 0:
        return False
    if _BLOCKERS.search(text) or _CAPITALISED.search(_I.sub("i", text)):
        return False
    if any(w in _THIRD_PERSON for w in found):
        return False  # "Then let them respond": talk about people in the subject, not about this exchange
    person = any(w in vocab.persons for w in found)
    speaks = person or found[0] in vocab.interjections or text[-1] in "!:?" or any(w in vocab.exchange for w in found)
    if not speaks or (found[0] in ("yes", "no", "yeah", "nope") and discourse < 2):
        return False  # "Yes, you can." answers the question
    unknown = [w for w, k in zip(found, kinds, strict=True) if not k]
    if not unknown:
        return True
    # one word of its own, in a sentence that is otherwise plainly talk ("Best wishes with your work!"); two when
    # it also speaks in the first or second person ("Fingers crossed this is handy for you.")
    if len(unknown) > (2 if person and discourse >= 2 else 1) or discourse < 2 or len(found) < 4:
        return False
    return not any(elsewhere(_stem(word)) for word in unknown)


def is_discourse_zh(sentence: str, elsewhere: Callable[[str], bool]) -> bool:
    """The Chinese counterpart: the sentence holds a person or greeting, and after the discourse vocabulary is
    taken out at most one Han character is left, found nowhere else in the row."""
    if len(sentence) > 2 * MAX_CJK:
        return False
    text = _EMOTICON.sub("", sentence).strip()
    if not text or _ZH_BLOCKERS.search(_AI.sub("", text)) or chars(_HAN_RUN, text) > MAX_CJK:
        return False
    vocab = vocabulary()
    found = vocab.zh_found(text)
    speaks = _ZH_LEAD.search(text) is not None or not found.isdisjoint(vocab.zh_speaking)
    if not speaks or found.isdisjoint(vocab.zh_anchors):
        return False
    rest = text
    for word in vocab.zh_discourse:  # longest first
        if word in found and word in rest:
            rest = rest.replace(word, " ")
    left = _HAN.findall(rest)
    if not left:
        return True
    return len(left) == 1 and not elsewhere(left[0])


def names_the_subject(sentence: str, elsewhere: Callable[[str], bool]) -> bool:
    """True when an edge sentence holds what only content holds: digits, code, quotes or links, a proper name
    ("via the Issues on GitHub"), or a word outside the talk vocabulary that the prompt or the rest of the answer
    also uses ("Here's the dish associated with that recipe entry." after a question about the recipe). The learned
    edge rules ask this before they strip a sentence the edge model scored as boilerplate."""
    text = sentence.strip()
    if not has_cjk(text):
        if _BLOCKERS.search(text) or _CAPITALISED.search(_I.sub("i", _AI.sub("ai", text))):
            return True
        known = vocabulary().known
        return any(elsewhere(_stem(w)) for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in known)
    if _ZH_BLOCKERS.search(_AI.sub("", text)):
        return True
    vocab = vocabulary()
    found = vocab.zh_found(text)
    rest = text
    for word in vocab.zh_discourse:  # longest first
        if word in found and word in rest:
            rest = rest.replace(word, " ")
    han = "".join(c if _HAN.match(c) else " " for c in rest).split()
    return any(elsewhere(run[i:i + 2]) for run in han for i in range(len(run) - 1))


def may_be_discourse(text: str, at_end: bool = False) -> bool:
    """A cheap gate with no false negatives for is_discourse on the first (or last) sentence of `text`: two words of
    the subject among its first (last) few words already rule it out. Whole words only: the word cut by the window
    is left out."""
    if has_cjk(text[-12:] if at_end else text[:12]):
        return True  # the Chinese test is cheap enough as it is
    window = (text[-48:] if at_end else text[:48]).lower()
    # ’ read as ' before the words are found, not in each word after: _WORD takes both alike, so the same words
    words = _WORD.findall(window.replace("’", "'") if "’" in window else window)
    words = words[1:] if at_end else words[:-1]
    return len(words) - sum(map(vocabulary().known.__contains__, words)) <= 1  # words of the subject: at most one


def is_discourse(sentence: str, elsewhere: Callable[[str], bool]) -> bool:
    """Either language, by the sentence's script."""
    if has_cjk(sentence):
        return is_discourse_zh(sentence, elsewhere)
    return is_discourse_en(sentence, elsewhere)


class _Folded:
    """A case-insensitive pattern searched case-sensitively in the lower-cased text when the text is ASCII: the same
    match positions (lower() keeps an ASCII text's length; \\b, \\w and the classes read it alike), in a fraction of the
    instructions (under IGNORECASE re enters every branch of an alternation at every position, where a lower-case
    branch's first letter rejects it at once). A match's group() is the lower-cased text: callers use positions."""

    def __init__(self, pattern: str) -> None:
        if re.search("[A-Z]", re.sub(r"\\.", "", pattern)):
            raise ValueError("_Folded needs a pattern written in lower case")  # \\W, \\S … are escapes, not letters
        self.pattern = pattern
        self.any_case = re.compile(pattern, re.IGNORECASE)
        self.lower = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self.lower.search(text.lower()) if text.isascii() else self.any_case.search(text)


# ---------------------------------------------------------------- answers that are only the model talking about itself
# A whole answer is dropped as a refusal or an identity statement when every sentence of it is the model talking
# about itself (who it is, what it will not or cannot do, where to go instead) or talk about the exchange, and one
# of them at least is a refusal or an identity statement. A sentence with a word of the subject in it ("I can't
# refund opened items") is an answer, not a refusal: a refusal's verb is a verb of answering or helping.
_TASK_EN = (r"(?:help|assist|answer|respond|reply|comply|fulfil+|provide|give|offer|share|generate|create|write|"
            r"produce|draw|discuss|engage|talk about|comment|advise|recommend|continue|proceed|go (?:there|further|on)|"
            r"do (?:that|this|so)|support|complete|process|participate|elaborate|go along|make|providing|helping|"
            r"assisting|answering|responding|sharing|generating|creating|writing|producing|discussing|engaging|"
            r"commenting|advising|continuing|proceeding|giving|offering|making|doing (?:that|this|so))")
_REFUSAL_EN = _Folded(
    r"\bi(?:'m| am)? (?:(?:really|truly|simply|just|afraid i|sorry,? but i) )?"
    r"(?:can(?:no|')t|cannot|won't|will not|"
    r"(?:am |'m )?(?:not able|unable|not allowed|not permitted|not in a position)|"
    r"must|have to|need to|(?:am |'m )?going to have to|(?:do not|don't) (?:feel comfortable|think i can)|"
    r"(?:am |'m )?not comfortable|would (?:rather|prefer) not|prefer not)"
    rf"(?: to)?(?: (?:really|be able to|be of))? (?:(?:decline|refuse)\b|{_TASK_EN}\b(?! laughing| myself))"
    r"|\b(?:against|violates?|contrary to|outside) (?:my|our|the) (?:guidelines|policy|policies|principles|programming|"
    r"content polic(?:y|ies)|usage polic(?:y|ies)|terms)\b"
    r"|\b(?:outside|beyond) (?:the )?(?:scope|limits|bounds) of (?:what i|my)\b"
    r"|\bnot something i (?:can|am able to|'m able to|will) (?:help|assist|do|discuss|provide)"
    r"|(?:\bnot|n't) something i(?:'m| am) (?:qualified|able|allowed|in a position) to\b"
    r"|\bbeyond what i (?:can|am able to|'m able to) (?:answer|help|do|say|provide)\b|^(?:sorry,? )?no can do\b")
_IDENTITY_EN = _Folded(
    r"\b(?:i(?:'m| am| was)|i've been|my name is|call me)\b[^.!?\n]{0,80}?"
    r"\b(?:ai|a\.i\.|assistant|chatbot|chat bot|bot|language model|llm|artificial intelligence|gpt|chatgpt|claude|"
    r"gemini|bard|llama|mistral|qwen|chatglm|ernie|moss|kimi|deepseek|copilot|program|machine learning model|"
    r"neural network)\b"
    r"|^\W*(?:as|being) an? (?:ai|artificial intelligence|(?:ai |large )?language model|machine learning model|llm|"
    r"chatbot|virtual assistant|digital assistant|ai (?:model|assistant|system))\b"
    r"|\bi (?:was|have been) (?:created|developed|trained|built|made|designed|programmed)\b"
    r"|^my (?:purpose|goal|job|role|function|aim|mission) is to\b")
# what the model says it lacks ("I don't have personal preferences", "我没有个人观点"): talk about itself
_LACKS_EN = re.compile(r"^\W*(?:(?:so|and|therefore|thus|hence|which means),? )?"
                       r"i (?:do not|don't|cannot|can't|am not able to|have no|lack)\b"
                       r"(?: (?:have|possess|hold|experience|feel|form|eat|sleep|see|taste|remember|browse|access|"
                       r"a|an|any|personal|real|physical|feelings|emotions|opinions|preferences|views|beliefs|body|"
                       r"consciousness|memory|gender|age|name|favorite|favourite))", re.IGNORECASE)
_LACKS_ZH = re.compile(r"^(?:所以|因此)?我?(?:并|也)?(?:没有|不具备|无法|不能|不需要|不会)"
                       r"(?:自己的|个人|任何|真正的|身体|情绪|情感|感情|喜好|偏好|观点|"
                       r"记忆|意识|吃饭|睡觉|生病|体会|感受|品尝|看到|记住)")
_REDIRECT_EN = _Folded(
    r"\b(?:consult|discuss (?:this|it|that)? ?with|talk to|speak (?:to|with)|see|contact|reach out to|ask)\b"
    r"[^.!?\n]{0,30}"
    r"\b(?:doctor|physician|professional|lawyer|attorney|expert|specialist|therapist|pharmacist|advis[eo]r|accountant|"
    r"counsel+or|authorities|someone qualified)s?\b"
    # "A certified financial advisor would be the right person to ask.", "A licensed electrician should look at it."
    r"|^(?:an?|the|your|one of the|some) (?:(?:certified|licensed|qualified|registered|local|trained|official|"
    r"professional|human|real|trusted) )*(?:[\w-]+ )?(?:doctor|physician|professional|lawyer|attorney|expert|"
    r"specialist|therapist|pharmacist|advis[eo]r|accountant|planner|electrician|plumber|mechanic|vet|veterinarian|"
    r"dentist|nurse|counsel+or|docs|documentation|support team|customer service)s?\b[^.!?\n]{0,40}?"
    r"\b(?:would|should|could|can|will|is|are|may|might)\b"
    r"|\bcontact (?:your )?(?:local )?emergency services\b")
# a sentence that sends the asker to someone else and says nothing more ("Please book an appointment with your GP.",
# "请尽快到医院就诊。"): after a refusal, the refusal's own ending, not an answer
_REFERRAL_EN = re.compile(
    r"^(?:(?:so|instead|in the meantime),? )?(?:please |i'd |i would |i |we )?"
    r"(?:(?:strongly |really )?(?:recommend|suggest|advise|urge)(?: that you| you)?|"
    r"you (?:should|may want to|might want to|need to|must)|it's best to|it is best to|best to)?\s*"
    r"(?:book|make|see|visit|consult|call|ring|phone|contact|speak|talk|go|get|seek|reach out|check)\b"
    r"[^.!?\n]{0,60}\b(?:doctor|gp|physician|nurse|pharmacist|dietitian|dietician|nutritionist|dentist|vet|"
    r"veterinarian|therapist|counsel+or|psychologist|psychiatrist|clinic|hospital|a&e|emergency|helpline|hotline|"
    r"crisis line|lawyer|solicitor|attorney|accountant|advis[eo]r|professional|specialist|expert|appointment|"
    r"medical (?:help|advice|attention|care))s?\b[^.!?\n]{0,40}[.!]*$"
    # … or to a source the model cannot reach ("You may want to check a news site.")
    r"|^(?:you (?:may|might|could) (?:want to )?|try |please )?(?:check|try|use|search|look (?:it )?up|visit|consult)\b"
    r"[^.!?\n]{0,40}\b(?:news|search engine|website|site|sources?|official|weather service|app|online)\b[^.!?\n]{0,30}"
    r"[.!]*$"
    # … or says that such a source has what was asked ("The operator's app will have the latest.")
    r"|^(?:the |your |a |an )?(?:[\w'’-]+ ){0,2}(?:app|website|site|news|search engine|weather service|timetable|"
    r"provider|official sources?)\b[^.!?\n]{0,20}\b(?:will|would|should|can|does) (?:have|show|give|list|tell)\b"
    r"[^.!?\n]{0,30}[.!]*$", re.IGNORECASE)
_REFERRAL_ZH = re.compile(r"^(?:请|建议|最好|务必|还是)(?:您|你)?(?:务必|尽快|及时|马上|立即|立刻|最好)*"
                          r"(?:到|去|前往|咨询|联系|找|向|拨打|预约)[^。！？!?\n]{0,16}"
                          r"(?:医院|诊所|门诊|医生|医师|专科|专业人士|律师|专家|机构|急诊|就诊|就医|热线)"
                          r"[^。！？!?\n]{0,10}[。！!～~]*$")


def referral_only(text: str) -> bool:
    """Whether every sentence of a short text only sends the asker to a professional (see above)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?。！？])\s*", text.strip()) if p.strip()]
    if not parts or len(parts) > 2 or len(text) > 240:
        return False
    pattern = _REFERRAL_ZH if has_cjk(text) else _REFERRAL_EN
    return all(pattern.search(p) is not None for p in parts)


# an apology with nothing else in it ("Apologies for any inconvenience.")
_APOLOGY_EN = re.compile(r"^(?:my |our )?(?:(?:sincere |deepest )?apologies|sorry|i(?:'m| am) (?:so |very |really )?"
                         r"sorry|i apologi[sz]e)(?: for (?:any|the) (?:inconvenience|confusion|trouble|"
                         r"disappointment))?[.!]*$", re.IGNORECASE)
_HARM_EN = re.compile(r"^(?:it|this|that|doing so|such content)(?: request)? (?:may|might|could|would|can) "
                      r"(?:cause|lead to|result in|promote|encourage|be used for) (?:harm|damage|injury|misuse)",
                      re.IGNORECASE)
_OFFER_EN = _Folded(r"\b(?:how can i (?:help|assist)|what can i (?:do|help)|is there (?:anything|something) else|"
                       r"can i help you with|here to help|at your service|nice to meet you)\b")
_REFUSAL_ZH = re.compile(
    r"(?:我|抱歉|对不起|不好意思|很遗憾)[^。！？!?\n]{0,8}?(?:真的|实在|确实|暂时|目前)?"
    r"(?:无法|不能|不便|不方便|不可以|没办法|没有办法|不被允许|不允许|拒绝|恕难|不宜|还没有学会|还不会)"
    r"(?:为您|给您|帮您|为你|给你|帮你|对此|就此|直接)?(?:对[^。，,！？]{0,12})?(?:作出|做出|进行)?"
    r"(?:提供|回答|解答|给出|协助|帮助|帮忙|生成|讨论|参与|评论|完成|满足|开具|诊断|回应|建议|处理|透露|发表|继续|评估|判断|做这|做那)"
    r"|恕(?:我)?(?:无法|不能|难以)|(?:超出|违反|不符合)(?:了)?(?:我的|我能|我可以)[^。，,！？]{0,8}(?:能力|职责|原则|规定|政策|范围)"
    r"|我(?:没法|回答不了|答不了|帮不了)(?:回答|解答|评论|帮)?"
    r"|拒绝回答|无可奉告")
_IDENTITY_ZH = re.compile(
    r"我(?:是|叫|乃|只是|就是)[^。！？!?\n]{0,40}?(?:AI|ai|人工智能|语言模型|大模型|模型|机器人|助手|助理|智能体|程序|"
    r"ChatGLM|文心一言|通义千问|讯飞星火|星火|MOSS|Kimi|豆包|DeepSeek|GPT|Claude|百川|混元|盘古|天工)"
    r"|我(?:由|是由|被)[^。！？!?\n]{0,30}(?:开发|训练|创造|研发|打造|推出)"
    r"|^(?:作为|身为)(?:一个|一名|一款|一种)?(?:AI|ai|人工智能|大?语言模型|大模型|机器人|AI助手|智能助手|AI模型|人工智能助手|AI程序)")
_REDIRECT_ZH = re.compile(r"(?:请|建议|最好|务必)(?:您|你)?(?:务必|及时)?(?:前往|去|到|咨询|联系|就医|向|找)"
                          r"[^。！？!?\n]{0,20}"
                          r"(?:医院|医生|专业|律师|专家|机构|人士)"
                          # "专业的理财顾问会更合适。", "持证电工能帮到你。": someone else is the answer
                          r"|^(?:专业|持证|有资质|正规|当地|线下)?的?[^。！？!?\n，,]{0,6}(?:医生|医师|律师|顾问|电工|兽医|药师|"
                          r"咨询师|会计师|专业人士|专家|客服)(?:会|能|可以|才能)?(?:更合适|更好|更专业|更清楚|帮到|帮您|帮你|"
                          r"给出|解答|回答)")
_OFFER_ZH = re.compile(r"(?:您|你)可以(?:向我)?(?:问|提出|咨询)(?:一些|别的|其[他它])|我会尽力|"
                       r"有什么(?:可以|能)(?:帮|为)|很高兴认识|随时为您|为您服务|请问有什么|专门为您|"
                       r"为您提供[^。！？!?\n]{0,10}服务")
_SENTENCE_ZH = re.compile(r"[^。！？!?\n]+[。！？!?\n]*")
_SENTENCE_EN = re.compile(r"[^.!?\n]+[.!?\n]*")
_CLAUSE_COMMA = re.compile(r"[,，;；:：]\s*")
# the rest of "I'm ChatGLM, an AI assistant developed by …" / "我是ChatGLM，由智谱AI训练的语言模型"
_MADE_BY = r"(?:developed|created|trained|built|made|designed|powered) by"
_APPOSITIVE_EN = re.compile(r"^(?:an?|the|your) (?:[\w-]+ ){0,4}?(?:ai|assistant|chatbot|language model|model|bot|"
                            r"program)(?: (?:assistant|model|chatbot|bot|program|system))?"
                            rf"(?: (?:\w+ly )?{_MADE_BY} [^.!?\n]{{1,80}})?[.!?]*$|^{_MADE_BY}\b",
                            re.IGNORECASE)
_APPOSITIVE_ZH = re.compile(r"^(?:由|是由)[^。！？!?\n]{0,40}(?:开发|训练|推出|打造|研发|创造)|"
                            r"^(?:一个|一款|一名|一种)?[^。！？!?\n]{0,24}(?:语言模型|大模型|AI助手|AI助理|人工智能助手|对话模型)[。！？!?]*$|"
                            r"^(?:通过|基于|使用|利用)[^。！？!?\n]{0,20}(?:训练|构建|开发|打造)(?:而成|出来)?")
_CONTRAST_EN = re.compile(r",?\s*\b(?:but|however|though|although|yet)\b,?", re.IGNORECASE)
_CONTRAST_ZH = re.compile(r"[，,]?\s*(?:但是|但|不过|然而|可是)[，,]?")
_SELF_TALK_WORDS = frozenset(("i", "i'm", "i’m", "i'll", "i’ll", "i've", "i’ve", "i'd", "i’d", "my", "me", "being"))
_SELF_TALK_HINTS = ("as an ai", "as a language", "as a large", "as an artificial", "as a machine", "as a chatbot",
                    "as a virtual", "as a digital", "being an", "sorry", "apolog", "unfortunately", "afraid",
                    "我", "抱歉", "对不起", "不好意思", "作为", "身为", "遗憾", "恕")
_SELF_TALK_FINDER = ahocorasick_rs.AhoCorasick(_SELF_TALK_HINTS)
_CLAUSE_START_HINTS = ("as a", "being a", "my purpose", "my goal", "my job", "my role", "my function", "my aim",
                       "my mission", "作为", "身为")
SELF_TALK_CHARS = 400  # a longer answer has room for an answer: the named rules and the rescue judge it


def self_talk(text: str) -> str | None:
    """'refusal' or 'identity' when the whole answer is the model talking about itself (see above), else None."""
    body = text.strip()
    if not body or len(body) > SELF_TALK_CHARS or "```" in body:
        return None
    low = body.lower()
    if not (_SELF_TALK_FINDER.find_matches_as_indexes(low)
            or _SELF_TALK_WORDS.intersection(low.replace(",", " ").split())):
        return None  # no first person, no apology, no "as an …": nothing here talks about itself
    cjk = has_cjk(body)
    kinds: list[str] = []
    for part in (_SENTENCE_ZH if cjk else _SENTENCE_EN).findall(body.replace("’", "'")):
        for clause in (_CONTRAST_ZH if cjk else _CONTRAST_EN).split(part):
            kind = _clause_kind(clause, cjk)
            if kind is None:
                return None  # a clause that says something: an answer (most answers end here, at the first)
            if kind:
                kinds.append(kind)
    if not ((_REFUSAL_ZH if cjk else _REFUSAL_EN).search(body) or (_IDENTITY_ZH if cjk else _IDENTITY_EN).search(body)
            or any(hint in low for hint in _CLAUSE_START_HINTS)):
        return None  # no refusal or identity clause in the text as written (asked last: these searches are slow)
    if "refusal" in kinds:
        return "refusal"
    return "identity" if "identity" in kinds else None


def _clause_kind(clause: str, cjk: bool) -> str | None:
    """'refusal', 'identity', 'talk' (about itself or the exchange), '' (empty) or None (content)."""
    sentence = clause.strip(" \t\n-—–*~～,，;；")
    if not sentence or not re.search(r"\w", sentence):
        return ""
    for kind, pattern in (("refusal", _REFUSAL_ZH if cjk else _REFUSAL_EN),
                          ("identity", _IDENTITY_ZH if cjk else _IDENTITY_EN)):
        found = pattern.search(sentence)
        if found is not None:
            # "While I'm an AI and can't guarantee accuracy, this module …": what follows the clause's comma is
            # an answer (the rescue's), unless it is more talk
            comma = _CLAUSE_COMMA.search(sentence, found.end())
            rest = sentence[comma.end():] if comma else ""
            if rest.strip() and _clause_kind(rest, cjk) is None:
                return None
            return kind
    if (_LACKS_ZH if cjk else _LACKS_EN).search(sentence) \
            or (_APPOSITIVE_ZH if cjk else _APPOSITIVE_EN).search(sentence) \
            or (_REDIRECT_ZH if cjk else _REDIRECT_EN).search(sentence) \
            or (not cjk and (_HARM_EN.search(sentence) or _APOLOGY_EN.match(sentence))) \
            or (_OFFER_ZH if cjk else _OFFER_EN).search(sentence) \
            or (is_discourse_zh(sentence, nowhere) if cjk else is_discourse_en(sentence, nowhere, min_words=1)):
        return "talk"  # inside an answer that is all talk, "Sorry." is talk too
    return None


def nowhere(_: str) -> bool:
    """The `elsewhere` of a test that has no row around it (a gate, or a clause judged on its own)."""
    return False


# ---------------------------------------------------------------- a disclaimer block before the answer
# "As an AI developed to assist you, I can't see your code, but <answer>", "我是机器人，不是医生，<answer>",
# "温馨提示：本回答由AI生成，请以医生意见为准。<answer>": the leading clauses that are the model talking about itself
# (who it is, what it cannot do, how far to trust it) go, and the answer after them stays. One of them at least
# must say it is an AI: "I'm not a lawyer, but …" is a person's own caveat.
_CAUTION_EN = re.compile(
    r"double-check|verify (?:any |important |this )?(?:information|details|facts)|may (?:make mistakes|contain errors|"
    r"be (?:out of date|outdated|inaccurate|incomplete|wrong))|^i(?:'m| am) not (?:a|an) [\w -]{1,40}$|"
    r"consult (?:a|an) (?:professional|expert|specialist)|objectively speaking|in general terms|"
    r"(?:consult|check|refer to|verify (?:it )?(?:with|against)) the official (?:documentation|docs|sources?)|"
    r"for (?:general|informational|educational) purposes|^(?:note|disclaimer|caveat|warning|heads up|important)$|"
    r"^(?:a |just a |one )?(?:quick |friendly |small |brief |fair |important )?(?:note|disclaimer|caveat|warning|"
    r"heads-? ?up|reminder)(?: first| before (?:we start|i answer))?$|^(?:please note|note that|full disclosure)$|"
    r"\b(?:possibly|probably|maybe|may be|might be|could be) (?:a (?:bit|little) )?(?:stale|outdated|out of date|dated|"
    r"inaccurate|incomplete|wrong|mistaken)\b|\b(?:maybe|may|might)(?: be)? not (?:the )?(?:newest|latest|"
    r"up[ -]to[ -]date|current)\b|treat (?:it|this|that) as a starting point|with a (?:grain|pinch) of salt|"
    r"no promises|\bi (?:may|might|could) be (?:wrong|mistaken)\b|\bcaveats?\b|^(?:please )?(?:take note|be aware|"
    r"be advised|keep in mind)$|^(?:just |only |purely )?(?:general|generic) (?:information|info|guidance|knowledge)$|"
    r"\bverify (?:it |this |that )?before (?:relying|acting|using)\b",
    re.IGNORECASE)
_CAUTION_ZH = re.compile(
    r"仅供参考|仅为参考|供参考|仅作(?:科普|参考)|为准|谨慎参考|不能作为[^，。]{0,6}依据|(?:由|是)(?:AI|人工智能)[^，。]{0,6}(?:生成|提供)|"
    r"一般性的?(?:知识|信息|建议)|常识角度|不是医生|不能代替|无法替代|不能替代|不具备[^，。]{0,8}(?:资格|资质|执照)|"
    r"没有[^，。]{0,6}(?:执照|资格|资质)|像医生(?:那样|一样)|^(?:温馨提示|提示|声明|注意|请注意|免责声明|需要提醒的是|说明)$|"
    r"^(?:需要说明的是|说明一下|友情提[醒示]|特别提[醒示]|提醒一下|小提示|郑重声明|先说明一下|先声明一下|溫馨提示|友情提醒)$|"
    r"不一定对|可能(?:会)?出错|可能有误|请结合|信息可能有限|可能有限|分享一些常识|一些常见情况|参考信息|现有资料|"
    r"(?:AI|人工智能)\s?生成|可能不完整|不一定(?:百分百|完全)?(?:正确|准确|可靠)|可能(?:存在|有)(?:偏差|误差|错误)|多方核实|自行核实|请留意|版本差异|说错了?(?:别|莫|不要)|"
    r"如有(?:错误|不对|错漏|疏漏)|"
    r"欢迎指正|不具有法律效力|不构成[^，。]{0,6}(?:建议|意见)|不代表任何|仅为一般性|未经人工审核|常见情况(?:来|去)?回答")
_AI_MENTION = re.compile(r"(?i:\b(?:ai|a\.i\.|language model|llm|chatbot|bot|assistant|machine learning model)\b)"
                         r"|(?<![A-Za-z])AI(?![A-Za-z])|人工智能|人工智慧|语言模型|語言模型|大模型|机器人|機器人|助手")
_CLAUSE_END = re.compile(r"[,，;；:：]\s*|\s*[—–]\s*|[\U0001F300-\U0001FAFF\u2600-\u27BF]+\s*|[.!?。！？]+\s*|\n+|"
                         r"\s*\b(?:but|however|though|although)\b,?\s*"
                         r"|(?:但是|但|不过|然而|可是|所以|因此|因而)[，,]?\s*(?:(?:从|根据)(?:您|你)的?(?:描述|叙述)(?:来看|看来)[，,]?)?",
                         re.IGNORECASE)
_JUST = re.compile(r"^(?:just|only|merely|simply|but) ", re.IGNORECASE)
# Once a clause has said it is an AI, the clauses around it that only say what it cannot do or how far to trust it
# ("我无法联网查询最新信息", "I can only share general knowledge") and the hedges that lead to the answer ("简单来说",
# "就已有资料而言", "factually speaking") belong to the same block: talk, not the answer.
_LIMITS_EN = re.compile(r"^(?:(?:but|and|so|while|although|though),? )?(?:can't|cannot|unable to|not able to)\b|"
                        r"^(?:(?:but|and|so|while|although|though),? )?i(?:'m| am)? (?:can only|can't|cannot|can not|"
                        r"don't|do not|am not able|'m not able|not able|unable|have no|lack|may be|might be|could be|"
                        r"may not|might not|won't be able|only know|only have)\b", re.IGNORECASE)
_CANNOT_ZH = "无法|不能|没有办法|没办法|没法|不具备"
_LIMITS_ZH = re.compile(r"^(?:尽管|虽然|虽说|但是?|不过|而且|并且|所以|因此)?(?:作为(?:一个)?AI,?)?"
                        r"我(?:目前|暂时|并|也|只是|其实|确实)?(?:还没|还不会|尚未|只能|仅能|不一定|可能会?出错|可能有误|可能不准|不能保证|无从|"
                        rf"{_CANNOT_ZH}|没有)"
                        # "我是IT服务台助手，没法远程登录您的电脑，…": after the block has said it is an AI, the
                        # subject is dropped, as Chinese does; the verb says what it cannot reach ("拿不到", "调不了")
                        rf"|^(?:也|还|并|暂时|目前|确实)?(?:{_CANNOT_ZH}|不是|并非|只是个?|"
                        r"[\u4e00-\u9fff]{1,2}(?:不了|不到|不出))")
_HEDGE_EN = re.compile(r"^(?:(?:factually|generally|objectively|broadly|technically|practically|realistically|roughly)"
                       r" speaking|in general(?: terms)?|in short|in brief|that said|having said that|with that said|"
                       r"that being said|with that in mind|from what i know|as far as i know|"
                       r"as far as i (?:understand|can tell)|from what i (?:understand|can tell|gather)|"
                       r"to (?:my|the best of my) (?:understanding|knowledge)|as (?:per my|i) understand(?:ing| it)|"
                       r"if i understand (?:it )?correctly)$",
                       re.IGNORECASE)
_HEDGE_ZH = re.compile(r"^(?:但是?|不过)?(?:(?:简单|一般|通常|客观|总的|总体|整体|大致|粗略|大体|笼统)地?"
                       r"(?:来说|来讲|而言|讲|说)|"
                       r"就(?:已有|现有|目前|公开)的?(?:资料|信息|知识)(?:而言|来看|来说)|据我所知|就我所知|"
                       r"我(?:只能|可以|能)告诉(?:你|您)(?:的是)?|(?:下面|以下)是?[^，。]{0,10}(?:说明|解释|回答|信息|介绍|分析)|"
                       r"据我(?:了解|理解)|就我(?:有限的)?了解|依我所知|我(?:的)?理解是|按理说|照理说|理论上|一般嚟讲|"
                       r"按照?(?:通常|一般)的说法|印象中|(?:仅|只)?凭(?:记忆|印象))$")
_ANSWER_CONNECTIVE = re.compile(r"^(?:and|so+|but)\s+(?=\S)", re.IGNORECASE)  # "soooo": drawn out


# A short leading clause that frames the answer as the model's view ("Purely as an AI assistant's best guess,",
# "As far as an AI like me can tell,", "站在AI的立场，", "以我作为大语言模型的理解，"): it names the AI itself, so it is
# the model's disclaimer whatever its other words. And a clause about what only a model lacks (its training data,
# a knowledge cut-off, real-time data, checking facts online) says it is one without the word.
# what only software calls itself ("As a text-only assistant", "from the perspective of a language model"); "As a
# software engineer", "as the program grows" are people's and programs' words, so bare "software" / "program" /
# "model" count only in the first person ("I'm only software")
_SOFTWARE_EN = (r"(?:ai|a\.i\.|artificial intelligence|bot|chatbot|llm|(?:large )?language model|"
                r"(?:machine learning|ml|text-only|chat|virtual|digital|ai) (?:model|system|assistant))")
_SELF_SOFTWARE_EN = rf"(?:{_SOFTWARE_EN}|software|program|robot|model)"
_STANDPOINT_EN = re.compile(rf"\bas (?:an?|the|your|this|one)?\s?(?:[\w'-]+ ){{0,2}}{_SOFTWARE_EN}\b|"
                            r"\b(?:ai|bot|chatbot)(?:'s|’s)\b|\b(?:ai|bot)s? like me\b|"
                            rf"\b(?:from|in) (?:an?|the|my) (?:perspective|position|capacity|view) (?:of|as) (?:an? )?"
                            rf"{_SOFTWARE_EN}\b|\bfrom (?:an?|the|my) (?:ai|bot|chatbot|machine)\b|"
                            rf"\b(?:i'm|i am) (?:only |just |merely )?(?:an? )?{_SELF_SOFTWARE_EN}\b|\bbeing (?:an? )?"
                            rf"{_SELF_SOFTWARE_EN}\b|\bnot being (?:a )?human\b|\bnot (?:a )?real person\b|"
                            r"\blimitations of an? (?:ai|model|bot)\b|\bpurely from (?:my )?training\b", re.IGNORECASE)
_STANDPOINT_ZH = re.compile(r"^(?:站在|以|从|從|就|按|依)(?:我)?(?:这个|這個|作为|作為)?(?:一个|一名|一款|一個)?"
                            r"(?:AI|人工智能|人工智慧|大?语言模型|語言模型|大模型|机器人|機器人|智能助手)[^，,。]{0,8}"
                            r"(?:角度|视角|視角|立场|立場|能力|理解|看法|来看|來看|来说|來說|而言|出发|出發)"
                            r"|^(?:作为|身为|身為|作為)(?:一个|一名|一款|一個)?[^，,。]{0,8}"
                            r"(?:AI|人工智能|人工智慧|语言模型|語言模型|大模型|机器人|機器人)|我(?:这个|這個)AI")
_MODEL_ONLY_EN = _Folded(r"\bmy (?:training(?: data)?|knowledge (?:cut-?off|base)|knowledge has a cut-?off)\b|"
                            r"\b(?:do not|don't) have (?:any )?(?:personal )?(?:opinions|views|feelings) of my own\b|"
                            r"\b(?:training|knowledge) cut-?off\b|"
                            # real-time data and the web are a model's lack only in the first person ("a dashboard
                            # without real-time data" is a person's sentence)
                            r"\b(?:i|i'm|i am|my|me)\b[^,.]{0,30}\b(?:real-time (?:data|information)|browse|browsing|"
                            r"search(?:ing)? the (?:web|internet))\b|"
                            # what the model picked up in training ("Drawing only on what I picked up in training")
                            r"\b(?:picked up|learned|learnt|saw|seen) (?:in|during) (?:my )?training\b|"
                            # the model cannot check the asker's system or the live facts ("Since I can't double-check
                            # against the live system", "While I can't confirm this on your particular setup", "I
                            # haven't been able to run this myself"); without a speaker, only a lookup in real time
                            # ("Without real-time access to check", "Without the ability to look this up"): "Without
                            # verification, the server accepts any certificate" is a manual's sentence
                            r"\b(?:i|i'm|i am|i've|i have)\b[^,.;:—–]{0,16}\b(?:can't|cannot|can not|unable to|"
                            r"not able to|haven't been able to|have no way to|have no means to|don't have a way to|"
                            r"don't have|do not have|have no)\s(?:\w+ )?(?:check|double-check|verify|confirm|test|run|"
                            r"look (?:this|it|that) up|access|see|inspect|try)\b[^,.;:—–]{0,30}\b(?:your (?:\w+ )?"
                            r"(?:system|setup|machine|computer|environment|configuration|config|files|settings|screen|"
                            r"device|network|server|installation)|live|real time|real-time|from here|myself|"
                            r"first-hand|firsthand|on a live)\b|"
                            r"^\W*(?:without|lacking|with no) (?:[\w-]+ ){0,3}?(?:real-time|live|real time) "
                            r"(?:[\w-]+ ){0,2}?to (?:check|verify|confirm|look)\b|"
                            r"^\W*(?:without|lacking|with no) (?:[\w-]+ ){0,3}?to look (?:this|it|that) up\b|"
                            r"\bi\b[^,.;]{0,40}\bwithout (?:direct |independent |first-hand )?(?:verification|checking|"
                            r"testing)\b|"
                            # what the model knows may be out of date ("my information may not be the newest")
                            r"\bmy (?:information|knowledge|data|info)\b[^,.;]{0,20}\b(?:may|might|maybe|could)(?: be)?"
                            r"(?: not)? (?:the )?(?:newest|latest|current|up[ -]to[ -]date|outdated|out of date|"
                            r"stale)\b|"
                            r"\bi (?:may|might|could) (?:be )?(?:missing|miss) (?:some |any )?(?:recent|the latest|"
                            r"newer|new) (?:changes|updates|developments|information|releases)\b|"
                            # … what it says of the answer itself ("what follows reflects general documentation and
                            # may not apply to every configuration"; not "The following is not a complete list")
                            r"\b(?:what follows|the following|this (?:answer|response|reply|information|info|"
                            r"explanation))\b[^.;]{0,60}\b(?:(?:may|might) not apply to (?:every|all|your)|"
                            r"general (?:guidance|information) only|not (?:intended|meant) as (?:\w+ )?(?:advice|"
                            r"a substitute))\b|"
                            # a formal disclaimer about the answer itself ("Not legal or financial advice",
                            # "… is not a substitute for qualified professional guidance", "AI-generated content")
                            r"\bnot (?:\w+ )?(?:legal|financial|medical|professional|investment|"
                            r"tax)(?: or \w+)? advice\b|"
                            r"\b(?:not|no) (?:a )?substitute for (?:\w+ )?(?:professional|expert|medical|legal)\b|"
                            r"\bdoes(?: not|n't) constitute (?:\w+ )?(?:advice|guidance)\b|"
                            r"\bfor general (?:guidance|information|informational purposes) only\b|"
                            r"\bai-generated\b|\b(?:this|the) (?:response|answer|reply) (?:was|is|"
                            r"has been) (?:\w+ )?generated "
                            r"(?:automatically|by)\b|\bnot (?:been )?reviewed by a human\b")
_MODEL_ONLY_ZH = re.compile(
    r"训练数据|知识(?:截止|库截止)|联网(?:核实|查证|验证|搜索)|实时(?:数据|资讯)|"
    # the model cannot go online or see the asker's system ("我唔可以上網查", "由于我无法访问你的系统")
    r"我[^，。]{0,4}?(?:无法|不能|没法|没办法|没有办法|唔可以|唔能够|冇办法)(?:直接|实际|亲自)?(?:上网|联网|上网查|"
    r"实时查|(?:帮|替)?(?:你|您)?(?:实测|实际测试|实际运行|跑一下|运行一下)|(?:访问|看到|看见|查看|连接|登录|测试|验证|核实)(?:你|您)?的?(?:系统|屏幕|电脑|设备|环境|配置|设置|文件|"
    r"代码|服务器|运行环境))|"
    # … or test what it says ("没有实际环境可测", "在无法实际验证的情况下", "在没有看到你实际情况的前提下")
    r"(?:没有|无法)(?:实际|真实)?(?:环境|运行环境)(?:可|来)?(?:测|验证)|(?:没有|无法)(?:实际|亲自)?(?:验证|核实|测试)的?"
    r"(?:情况|前提)|没有(?:看到|看见)(?:你|您)的?(?:实际|具体)?(?:情况|环境|配置|屏幕|系统)|"
    # what it knows may be out of date ("以下資料未必係最新", "我的训练数据可能滞后")
    r"(?:资料|信息|内容|知识|数据)[^，。]{0,4}(?:未必|可能不|不一定)(?:是|係|系)?最新|可能(?:滞后|过时)|"
    # a formal disclaimer about the answer itself ("本回复基于公开资料整理", "该回答未经人工审核", "AI生成的内容")
    r"(?:本|该|此|这|以上|以下)(?:回答|回复|回覆|答复|内容|信息|答案)[^，。：:]{0,12}(?:仅为|仅供|未经|不代表|"
    r"不能替代|不能代替|不构成|不具有|不具备|请自行|基于公开|由AI|由人工智能|可能不|未必)|(?:AI|人工智能)\s?生成|人工审核")


def says_model_only(text: str) -> bool:
    """Whether the text speaks of what only a model lacks (its training data, a knowledge cut-off, real-time data):
    the gate that lets a disclaimer block without the word "AI" be looked for (substrings first: most rows)."""
    if not _MODEL_ONLY_FINDER.find_matches_as_indexes(text.lower()):
        return False
    return (_MODEL_ONLY_ZH if has_cjk(text) else _MODEL_ONLY_EN).search(text) is not None


# one word every alternative of _MODEL_ONLY_EN / _ZH holds (a rare one where it can): most rows end at this gate
_MODEL_ONLY_WORDS = (
    "training", "cut-off", "cutoff", "real-time", "real time", "browse", "browsing", "search the", "of my own",
    "myself", "from here", "a live", "the live", "first-hand", "firsthand", "your system", "your setup", "your machine",
    "your computer", "your environment", "your config", "your files", "your settings", "your screen",
    "your device", "your network", "your server", "your installation", "particular setup", "specific setup",
    "look this up", "look it up", "look that up", "without verification", "without checking", "without testing",
    "without direct", "without independent", "without first-hand", "my information", "my knowledge", "my data",
    "my info", "be missing", "miss some", "miss recent", "miss the latest", "miss any", "not apply",
    "guidance only", "information only", "intended as", "meant as", "advice", "substitute for", "constitute",
    "informational purposes", "ai-generated", "generated", "reviewed by",
    "训练数据", "知识截止", "知识库截止", "联网", "实时", "环境可", "环境来", "环境测", "环境验证", "没有看到",
    "没有看见", "未必是最新", "未必係最新", "未必系最新", "未必最新", "可能不是最新", "不一定是最新", "可能滞后",
    "可能过时", "仅为", "仅供", "未经", "不代表", "不能替代", "不能代替", "不构成", "不具有", "不具备", "请自行",
    "基于公开", "由ai", "由人工智能", "ai生成", "ai 生成", "人工智能生成", "人工审核",
    # "我无法访问你的系统", "我没办法帮你实测", "我唔可以上网查": a negation and what the model cannot reach
    *(neg + way + verb for neg in ("无法", "不能", "没法", "没办法", "没有办法", "唔可以", "唔能够", "冇办法")
      for way in ("", "直接", "实际", "亲自", "帮你", "帮您", "替你", "替您")
      for verb in ("访问", "看到", "看见", "查看", "连接", "登录", "测试", "验证", "核实", "上网", "实测", "运行",
                   "跑")),
    *(verb + tail for verb in ("验证", "核实", "测试") for tail in ("的情况", "情况", "的前提", "前提")))
# a DFA: about a thousand words, searched at every row's head, at the speed of the few words it had before
_MODEL_ONLY_FINDER = ahocorasick_rs.AhoCorasick(_MODEL_ONLY_WORDS, implementation=ahocorasick_rs.Implementation.DFA)


def _standpoint(clause: str, cjk: bool) -> bool:
    """A short clause that frames the answer as the model's view, or says what only a model lacks (see above)."""
    if len(clause) > 24 if cjk else len(clause.split()) > 16:
        return False
    if (_MODEL_ONLY_ZH if cjk else _MODEL_ONLY_EN).search(clause):
        return True
    return (_STANDPOINT_ZH if cjk else _STANDPOINT_EN).search(clause) is not None


# an interjection or frankness marker that opens the block ("Honestly, as a bot I can't be sure, but …")
_INTERJECTION = re.compile(r"^(?:honestly|frankly|to be (?:honest|frank)|truthfully|candidly|well|ok(?:ay)?|hmm+|so|"
                           r"obviously|of course|naturally|just so you know|fyi|for the record|to be clear|listen up|"
                           r"说实话|老实说|坦白(?:讲|说)|实话说|嗯+|好的|其实)$", re.IGNORECASE)


# the speaker's label ("Bot here", "AI assistant speaking", "your friendly bot"); "Journeying with AI:" is a title
_LABEL_EN = re.compile(r"(?:(?:your|the) (?:friendly |helpful |automated |virtual |trusty )?(?:ai|bot|chatbot|"
                       r"assistant|ai assistant)|(?:ai|bot|chatbot|assistant|ai assistant) (?:here|speaking))$",
                       re.IGNORECASE)


def _block_clause(clause: str, kind: str | None, cjk: bool, ai_near: Callable[[], bool]) -> bool:
    """Whether a clause (of `_clause_kind` `kind`) belongs to a leading block of self-talk (see above); `ai_near()`:
    the block says somewhere that it is an AI (the block as a whole must, or it is a person's caveat). Asked last:
    it reads the whole head."""
    if kind not in (None, "") or (_CAUTION_ZH if cjk else _CAUTION_EN).search(clause) is not None \
            or _standpoint(clause, cjk):
        return True
    if not cjk and _LABEL_EN.match(clause):
        return True  # "Bot here 🤖", "Your friendly AI": the speaker's label
    if not ai_near():
        return False  # "I can't promise, but …" from a person is a person's caveat
    if _INTERJECTION.match(clause):
        return True
    return (_LIMITS_ZH if cjk else _LIMITS_EN).search(clause) is not None \
        or (_HEDGE_ZH if cjk else _HEDGE_EN).search(clause) is not None


def leading_self_talk(text: str, said_ai: bool = False, short_answer: bool = False) -> int:
    """Where the answer starts after a leading block of self-talk clauses (see above); 0 when there is none, or
    when nothing that could be an answer follows it. `said_ai`: a clause just cut from the start said it was an AI
    (the rest of its block has no need to say it again). `short_answer`: a short answer counts ("单笔最高多少钱？"
    after "作为AI语言模型，我无法联网查询最新信息，"): the caller has already judged the block a statement about the
    model, and the question is only whether anything else follows it."""
    head = text[:SELF_TALK_CHARS]
    cjk = has_cjk(head)
    if not said_ai and not mentions_ai(head) and (_IDENTITY_ZH if cjk else _IDENTITY_EN).search(head) is None \
            and not says_model_only(head):
        return 0  # the block must say it is an AI somewhere: most answers are spared the clause loop
    pos = end = 0

    head_says: list[bool] = []  # whether the head names an AI or what only a model lacks: asked once, when needed

    def ai_near() -> bool:  # "我没有办法实际操作，作为AI，…": the AI, or what only a model lacks, may come second
        if said_ai:
            return True
        if not head_says:  # the cheap gates first
            head_says.append((mentions_ai(head) and _AI_MENTION.search(head) is not None) or says_model_only(head))
        return head_says[0]

    bounds: Iterable[tuple[int, int]] = (d.span() for d in _CLAUSE_END.finditer(head))  # lazily: most stop early
    if len(text) <= SELF_TALK_CHARS:
        bounds = chain(bounds, [(len(head), len(head))])  # the last clause needs no delimiter after it
    for start, stop in bounds:
        clause = head[pos:start].strip(" \t*_\"'“”")
        pos = stop
        if not clause:
            if end:
                end = pos  # the "but" after the block goes with it
            continue
        before = said_ai
        said_ai = said_ai or _AI_MENTION.search(clause) is not None \
            or (_MODEL_ONLY_ZH if cjk else _MODEL_ONLY_EN).search(clause) is not None
        kind = _clause_kind(_JUST.sub("", clause), cjk)
        if not _block_clause(clause, kind, cjk, ai_near):
            said_ai = before  # a clause of the answer ("RAID devices …") says nothing of the block
            break
        said_ai = said_ai or kind == "identity"
        end = pos
        if kind is None and (_HEDGE_ZH if cjk else _HEDGE_EN).search(clause) is not None:
            break  # "据我所知，" / "as far as I know,": a hedge leads to the answer, whatever its words ("无法…")
    else:
        return 0
    rest = text[end:]
    connective = _ANSWER_CONNECTIVE.match(rest)
    if connective is not None and not cjk:
        end += connective.end()  # "…, and note that <answer>": the "and" joined the answer to the block
        rest = text[end:]
    if short_answer:
        enough = len(rest.split()) >= 2 or chars(_HAN_RUN, rest) >= 2
    else:
        enough = len(rest.split()) >= 4 or chars(_HAN_RUN, rest) >= 8
    if not said_ai or not end or not enough or referral_only(rest) or wish_only(rest):
        return 0  # "…, check a news site." / "…，希望你今天过得不错！": no answer follows the block
    return end


_WISH_ONLY = re.compile(r"^(?:希望|祝|願|愿)[^。！？!?\n]{0,20}[。！!～~]*$"
                        r"|^(?:i )?(?:hope|wish) (?:you|your)\b[^.!?\n]{0,40}[.!]*$", re.IGNORECASE)


def wish_only(text: str) -> bool:
    """A short wish to the asker and nothing else ("希望你今天过得不错！"): no answer after a statement on the model."""
    return _WISH_ONLY.match(text.strip()) is not None


def is_caution(sentence: str) -> bool:
    """How far to trust the answer, in the model's words ("Always consult the official documentation.", "仅供参考"):
    part of a disclaimer block once the model has said it is an AI."""
    pattern = _CAUTION_ZH if has_cjk(sentence) else _CAUTION_EN
    return pattern.search(sentence.strip().rstrip(".!。！")) is not None


def mentions_ai(text: str) -> bool:
    """Whether the text may name an AI: the cheap gate before leading_self_talk (substrings only; a false alarm
    costs only the real test)."""
    if "AI" in text:  # "作为AI助手" has no spaces around it
        return True
    return bool(_AI_HINTS_FINDER.find_matches_as_indexes(f" {text.lower()} "))


_AI_HINTS = (" ai ", " ai,", " ai.", " ai-", " ai'", " ai’", " ai:", " ai;", " ai)", " ai!", " ai?", "(ai", "a.i.",
             " bot ", " bot,", " bot.",
             "language model", "llm", "chatbot", "assistant", "machine learning model",
             "人工智能", "人工智慧", "语言模型", "語言模型", "大模型", "机器人", "機器人", "助手")
_AI_HINTS_FINDER = ahocorasick_rs.AhoCorasick(_AI_HINTS)


_PRESENTS = re.compile(r"如下|以下|下面|接下来|解答|解释|回答|回复|说明|分析|整理|总结|answer|explanation|summary|"
                       r"breakdown|overview", re.IGNORECASE)
_LEAD_PREFIX = re.compile(r"[^。！？!?\n]{1,40}?(?:[:：]|[～~]+)")
_GREETING_ZH = re.compile(r"^(?:亲|亲爱的|这位朋友|朋友|哈喽|嗨|你好|您好|大家好|哈喽哈喽|你好呀|您好呀)"
                          r"(?:[,，、!！~～]*(?:你好|您好|亲|呀|啊))*[,，!！。~～\s]*$")


def lead_in_prefix(sentence: str) -> int:
    """Where a lead-in ends inside a sentence that goes on with the answer ("根据您描述的情况，下面给出一些解释：根据你
    购买症状…", "好的呢～患了癫痫…"): the length up to its colon or tilde, or 0. The caller still judges the prefix."""
    found = _LEAD_PREFIX.match(sentence)
    if found is None or len(sentence) - found.end() < 8:
        return 0
    if found.group(0)[-1] in ":：" and not _PRESENTS.search(found.group(0)):
        return 0  # "你好，根据你的描述：" is a doctor's way in, "我们相信：" the answer's: only "…解答如下：" presents
    return found.end()


def weak_greeting(sentence: str) -> bool:
    """A bare greeting ("亲，您好！", "你好呀～"): the model's when a model opener follows it, else a doctor's own."""
    return _GREETING_ZH.match(sentence.strip()) is not None
