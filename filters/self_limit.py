"""A whole answer that only says what the model will not do, cannot do or is not, and why (issue 21), found by the
shape of its sentences rather than by a phrase list.

The named refusal rules and `discourse.self_talk` know the phrasings someone wrote down ("I can't help with that");
a new writer says "Looking up private individuals' contact details isn't something I'll do. People have a right to
keep that information private." Such an answer is short, and each of its sentences is one of:

- a **self-limit**: the speaker (I / me / my; 我) with a negation, about what a refusal or an identity statement
  talks about — answering, helping, looking up, feelings, a body, a favourite, reach, scope, guidelines — or the
  speaker named as software ("I'm a text-based assistant", "I was trained on …");
- **support** around it, in general words that name nothing the prompt asked about: a reason ("… is illegal",
  "… causes real harm"), someone else to ask ("a licensed adviser can …"), an offer ("If you paste it here, …"), a
  wish or an apology, or a bare "No." / "Neither.".

At least one sentence must be a self-limit, and none may be anything else: a sentence that says something about
the subject ("Ibuprofen can raise bleeding risk with blood thinners.") is an answer, and a disclaimer before an
answer is the rescue's to strip (strip before drop). Support shares no content word with the prompt: a reason that
names what was asked ("Recording calls without consent is illegal in most states") is the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ahocorasick_rs

from filters.edge_shape import ASKS_FOR_INPUT
from formats.text import sentences

# by script (Chinese: True): a longer answer has room for an answer (the dev splits' longest refusal: 147 / 51)
MAX_CHARS = {False: 450, True: 160}
MAX_SENTENCES = 5
MAX_WORDS = 32  # an English sentence this long says something
MAX_HAN = 48  # … a Chinese one
MAX_UNKNOWN_SELF = 7  # … and a self-limit, which may restate what was asked ("picking specific stocks")
PLEASE_WORDS = 12  # "Please use the checkout page.": a pointer elsewhere is short
MAX_UNKNOWN = 4  # content words outside the vocabularies below that support may hold ("steal", "credentials")
SUPPORT_WORDS = 20  # a reason, a referral or an offer is said in fewer words; a longer sentence is the answer's

_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_BLOCKERS = re.compile(r"\d|`|https?:|www\.|[<>=(){}\[\]\\|@#$%&+*_]|\"|“|”|「|」")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")

# ---------------------------------------------------------------- English
_FIRST_EN = re.compile(r"\b(?:i|i'm|i'd|i'll|i've|me|my|myself)\b")
# what a refusal or an identity statement talks about: answering and helping, sensing and remembering, a self,
# the reach of what it may do
_DOMAIN_EN = re.compile(
    r"\b(?:help|helping|assist|assisting|answer|answering|respond|provide|providing|give|giving|share|sharing|"
    r"produce|producing|write|writing|create|creating|generate|generating|do|doing|engage|discuss|discussing|"
    r"comment|advise|advice|guess|speculate|look|looking|access|browse|browsing|search|retrieve|see|hear|taste|"
    r"smell|feel|experience|experiences|remember|recall|store|retain|predict|guarantee|endorse|weigh|sides|side|"
    r"part|involved|participate|go|touch|cover|handle|dig|track|find|locate|identify|comply|process|run|running|"
    r"sleep|eat|dream|dreams|feelings|emotions|opinion|opinions|views|view|preferences|preference|favourite|"
    r"favorite|body|age|gender|name|memory|memories|conscious|consciousness|senses|sight|personal|human|person|"
    r"alive|birthday|family|beliefs|stance|neutral|mind|heart|reach|scope|ability|abilities|capability|capabilities|"
    r"capacity|position|place|limits|bounds|boundaries|role|remit|wheelhouse|expertise|qualified|equipped|"
    r"comfortable|willing|permitted|allowed|designed|built|programmed|trained|table|guidelines|policy|policies|"
    r"rules|principles|connection|internet|web|online|real-time|live|current|latest|up-to-date|available|register|"
    r"like|enjoy|love|prefer|able|capable|born|grow|older|die|exist|physical|tired|hungry|sick|breathe|bored|lonely|"
    r"drink|taste|tasted|self-aware|sentient|sapient|lived|life|soul|eyes|face|voice|hobbies|goals|pronouns|address|"
    r"thoughts|think|home|catch|follow|understand|mean|sure|tool|source|use|best|record|guidance|old|young|child|"
    r"childhood|friends|friend|mood|moods|religion|religious)\b")
_MACHINE_EN = re.compile(
    r"\bcall me\b|\b(?:i'm|i am|i was|i've been|as an?)\b[^.!?,;]{0,40}\b(?:ai|a\.i\.|software|program|programme|"
    r"model|algorithm|assistant|bot|chatbot|machine|computer|text-based|digital|virtual|neural|artificial|llm)\b|"
    r"\b(?:trained|built|programmed|designed|created|developed|made) (?:me|by)\b|\bi (?:was|have been|"
    r"'ve been) (?:\w+ )?(?:trained|built|programmed|designed|created|developed)\b")
# … with the speaker left out ("Nope, not human! Just an AI doing its best.", "… — no human behind the screen.")
_MACHINE_UNSPOKEN_EN = re.compile(
    r"^\W*(?:(?:nope|no|haha|lol)\W+)?(?:just|only|merely) an? (?:ai|a\.i\.|bot|chatbot|program|language model)\b|"
    r"^\W*(?:(?:nope|no|haha|lol)\W+)?not (?:a )?human(?:\s*[!.,—–]|$)|"
    r"\bno (?:human|person|real person) (?:behind|on the other end)\b")
# what software does ("I only process the text you send me.", "I run on servers in data centres.", "Each chat is
# separate.")
_OPERATES_EN = re.compile(r"\bi (?:only |just |simply )?(?:process|produce|generate|predict|run|exist|work|respond|"
                          r"operate|am made of|'m made of)\b[^.!?]{0,40}\b(?:text|language|words|data|servers?|"
                          r"cloud|online|patterns?|messages?|prompts?|input)\b|\b(?:each|every) (?:chat|"
                          r"conversation|session)\b[^.!?]{0,30}\b(?:separate|fresh|scratch|new|starts|begins)\b|"
                          r"\b(?:lines of|just|only|bunch of) code\b|\bi (?:only |just )?exist (?:while|when|during|"
                          r"for the length of|as long as)\b")
# "Your request cannot be fulfilled at this time.", "Request declined.", "Response withheld: …", "that's a no from me"
_DECLINED_EN = re.compile(r"\b(?:requests?|content|responses?|this|that|it|quer(?:y|ies)|prompts?|enquir(?:y|ies)|"
                          r"inquir(?:y|ies))\b[^.!?]{0,20}?"
                          r"\b(?:cannot|can't|can not|won't|will not) be (?:fulfilled|generated|provided|processed|"
                          r"completed|entertained|answered|shared|produced|created|honou?red|granted|done|handled|"
                          r"dealt with|discussed|accepted)\b|"
                          r"\b(?:request|response|answer|content) (?:declined|denied|withheld|refused|blocked)\b|"
                          r"\b(?:that's|it's|that is|it is)(?: going to be)? (?:a )?(?:no|hard no|firm no|pass)\b|"
                          r"\banswer(?:'s| is) still no\b|\bnice try\b")
# a person's own day ("I can't log in either", "I'm not conscious before my first coffee"): not a refusal
_OWN_LIFE_EN = re.compile(r"\b(?:either|before|after|until|till|tonight|yesterday)\b")
_CONDITION_EN = re.compile(r"\b(?:without|unless|until|because|if|once|after|before)\b")
# the speaker will not engage ("I'm going to sit this one out", "I'd rather steer clear of that one")
_NOT_ENGAGING_EN = re.compile(r"\b(?:i|i'm|i'd|i'll|i am|i will|i would)\b[^.!?]{0,30}"
                              r"\b(?:skip|sit (?:this|that) one out|steer (?:clear|us away|away)|leave (?:this|that|"
                              r"it)(?: one)? alone|bow out|say no|turn (?:this|that|it)(?: one)? down|turn down|"
                              r"step back|stay out|hold off|sidestep|move on|change the subject|"
                              r"end this conversation)\b")
# a request that the user say it again or say more ("Could you try rephrasing it?")
_CLARIFY_EN = re.compile(r"^\W*(?:could|can|would|will) you\b[^.!?]{0,30}\b(?:rephrase|rephrasing|clarify|give|share|"
                         r"provide|describe|paste|fill|say|tell|explain|try|send|upload|check|confirm|specify)\b")
# "Please contact customer service during opening hours.": sent elsewhere, with nothing else said
_PLEASE_EN = re.compile(r"^\W*(?:please |kindly )?(?:contact|call|ring|ask|check|use|try|visit|see|consult|reach out|"
                        r"speak|talk|email|e-mail|start|save|seek|get in touch)\b")
# "Nope, that one's off the table.", "That's a hard no.": a refusal in no one's voice
_IMPERSONAL_EN = re.compile(r"\b(?:off the table|off-limits|hard no|not happening|no can do|"
                            r"(?:above|beyond) my pay grade|outside (?:of )?my lane|not my (?:department|lane|area)|"
                            r"out of scope for me|not a request (?:that )?"
                            r"(?:i|that can)|can't be (?:done|fulfilled|provided|helped)|"
                            r"won't be (?:able to )?(?:help|provid|shar|assist|writ|generat|creat))|"
                            r"\bnot touching (?:that|this|it)\b|"
                            # "this request falls outside the scope of …": the request, outside what is done here
                            r"\b(?:this|that|your|the|such) (?:request|question|query|topic|inquiry|enquiry|matter)s? "
                            r"(?:\w+ )?(?:falls?|is|are|lies|lie|sits?) (?:outside|beyond)\b|"
                            # "we are unable to process requests of this nature"
                            r"\b(?:unable to|not able to|can't|cannot|can not|won't|do not|don't)\s(?:\w+\s){1,3}"
                            r"(?:requests?|queries|questions|inquiries|enquiries|topics) (?:of this|of that|like this|"
                            r"like that|on this|on that)\b")
_REASON_EN = re.compile(
    r"\b(?:harm|harmful|harms|hurt|hurts|illegal|unlawful|law|laws|legal|unethical|ethical|ethics|dangerous|unsafe|"
    r"risk|risks|risky|privacy|private|consent|permission|right|rights|respect|safety|security|sensitive|"
    r"inappropriate|appropriate|responsible|responsibly|cheating|cheat|dishonest|fraud|violate|violates|violation|"
    r"abuse|exploit|malicious|misuse|misinformation|confidential|unfair|fair|wrong|important|serious|seriously|"
    r"stake|guidelines|policy|policies|principles|careful|steal|stealing|theft|hack|hacking|attack|weapon|weapons|"
    r"violence|violent|crime|criminal|damage|injury|victims|copyright|copyrighted|restricted|proprietary|public|"
    r"personal|misleading|dishonesty|misconduct|decision)\b")
_REFERRAL_EN = re.compile(
    r"\b(?:doctor|doctors|physician|pharmacist|nurse|therapist|counsel+or|psychologist|psychiatrist|lawyer|attorney|"
    r"solicitor|accountant|advis[eo]r|planner|professional|professionals|expert|experts|specialist|electrician|"
    r"plumber|mechanic|vet|veterinarian|dentist|official|authorities|agency|support|helpline|hotline|service|"
    r"services|app|apps|website|websites|site|sites|search|news|forecast|source|sources|documentation|provider|bank|"
    r"teacher|police|emergency|someone|somebody|qualified|licensed|certified|local)\b")
# someone to ask instead (a channel such as "the checkout page" or "the online form" is a staff member's answer)
_QUALIFIED_EN = re.compile(r"\b(?:doctor|gp|physician|pharmacist|nurse|\w*therapist|broker|counsel+or|psychologist|"
                           r"psychiatrist|"
                           r"lawyer|attorney|solicitor|"
                           r"accountant|advis[eo]r|"
                           r"professional|expert|specialist|"
                           r"vet|dentist|helpline|hotline|"
                           r"emergency|authorities|police|office|portal|help ?desk|department|"
                           r"official|urgent care|a&e)s?\b|"
                           r"\btry again\b")  # … or to come back later ("Please try again later.")
# sent to someone else instead of answered ("That's really a question for a mortgage broker, I'm afraid.", "… rather
# than rely on me for this.", "For questions about your visa status, you'll need to consult an immigration lawyer.")
_DEFLECT_EN = re.compile(
    r"\b(?:that's|that is|it's|it is|this is)(?: really| more| honestly| probably| definitely)? (?:a )?(?:question|one|"
    r"matter|topic|call) (?:for|best (?:left|put|asked|answered|handled) (?:to|of|by)) (?:an? |your |the )?"
    r"(?:[a-z-]+ ){0,2}?(?:doctor|gp|physician|pharmacist|nurse|\w*therapist|counsel+or|psychologist|psychiatrist|"
    r"lawyer|attorney|solicitor|accountant|advis[eo]r|professional|expert|specialist|vet|dentist|broker|planner|"
    r"consultant|technician|electrician|plumber|mechanic)s?\b|"
    r"\b(?:rather than|instead of) (?:rely(?:ing)? on|ask(?:ing)?|trust(?:ing)?|com(?:e|ing) to|go(?:ing)? by) me\b|"
    r"^\W*for (?:questions|queries|anything|help|advice) (?:about|on|regarding|like|related to)\b[^.!?]{0,60}\b"
    r"(?:you'll|you will|you'd|you would|you should|you need to|please)\b[^.!?]{0,20}\b(?:consult|contact|ask|see|"
    r"speak|talk|reach out)\b")
_OFFER_EN = re.compile(r"\b(?:something else|anything else|if you|feel free|happy to|glad to|"
                       r"i can (?:help|explain|tell|suggest|offer|give|walk|"
                       r"point|share|talk|answer|assist|try|still|summari[sz]e|describe|outline|recommend)|i could|"
                       r"i'd be|i'll be|let me know|we can|"
                       r"how about|would you like|want me to|is there (?:anything|something)|what else|glad|happy)\b")
_WISH_EN = re.compile(r"\b(?:good luck|best of luck|take care|stay safe|hope|thanks|thank you|sorry|apolog\w*|"
                      r"understand|appreciate|wish|unfortunately|afraid|regret)\b")
_STOP_EN = frozenset(
    "that this these those there their them they then than with from have your about what which when where would "
    "could should will just only really very some such into over also more most much many other others something "
    "anything everything thing things because while whether being been were here like well even though still "
    "know sure okay right question questions answer answers help please each every anyway simply actually "
    "kind sort part able same there's that's it's what's here's else's people someone anyone everyone somebody "
    "anybody nobody".split())


_MACHINE_WORDS = re.compile(r"ai|software|program|programme|model|algorithm|assistant|bot|chatbot|machine|computer|"
                            r"digital|virtual|neural|artificial|llm")


def _unknown(words: list[str]) -> int:
    """How many content words (four letters or more) no vocabulary of this module knows."""
    return sum(1 for w in words if len(w) >= 4 and w not in _STOP_EN and not _known(w))


@lru_cache(maxsize=1 << 16)
def _known(word: str) -> bool:
    """In a vocabulary of this module, as written or without its ending ("responds", "writes", "going")."""
    stem = _ENDING.sub("", word)
    return any(p.fullmatch(w) for w in (word, stem, stem + "e") if w
               for p in (_DOMAIN_EN, _REASON_EN, _REFERRAL_EN, _MACHINE_WORDS, _WISH_EN))


_ENDING = re.compile(r"(?:'s|s|es|ed|ing)$")


def _content_words(text: str) -> set[str]:
    """The words of four letters or more that carry a subject, by their first five letters (a rough stem)."""
    return {w[:5] for w in _WORD.findall(text) if len(w) >= 4 and w not in _STOP_EN}


_TOKEN_EN = re.compile(r"[a-z]+(?:'[a-z]+)*|n't")
_FIRST_WORDS = frozenset(("i", "i'm", "i'd", "i'll", "i've", "me", "my", "myself"))
_NEG_WORDS = frozenset(("not", "no", "never", "nothing", "none", "neither", "nor", "without", "beyond", "outside",
                        "unable", "nope", "cannot", "can't",
                        "won't", "don't", "doesn't", "isn't", "aren't", "wasn't", "haven't", "hasn't", "wouldn't",
                        "shouldn't", "couldn't", "didn't", "lack", "off", "neutral", "impartial"))
_REFUSING = re.compile(r"\bi(?:'ll|'d| will| would| must| have to|'m going to| am going to| shall)?(?: (?:have to|just|"
                       r"politely|respectfully|gonna|going to|'ll|will))? (?:pass|"
                       r"decline|refrain)\b(?! (?:it|this|yours|that) on)|\b(?:declin\w+|"
                       r"refrain\w*) (?:to|from)\b")  # the verb is the refusal
# a short sentence in which the speaker cannot or will not do something, whatever the verb ("I can't reproduce the
# full lyrics.", "I'm restricted from providing that."): short, so the verb is the request's, not a life's
_SHORT_CANNOT_EN = re.compile(
    r"^\W*(?:(?:sorry|unfortunately|regrettably|forgive me|apologies)\W+(?:but\W+)?)?i(?:(?: can't| cannot| can not|"
    r" won't| will not|'m unable to| am unable to|'m not able to| am not able to) (?:reproduce|disclose|reveal|divulge|"
    r"repeat|transcribe|copy|continue|carry out|perform|complete|fulfil|fulfill|process|draft|compose|recommend|"
    r"endorse|confirm|verify|diagnose|prescribe|predict|reset|modify|bypass|circumvent|issue|take payments|"
    r"interpret|analy[sz]e|assess|evaluate|review|"
    r"make (?:this|that|it|one)|make that edit)\b|(?:'m| am) (?:restricted|prohibited|barred|not permitted|"
    r"not allowed) (?:from|to)\b)")
SHORT_CANNOT_WORDS = 9
# a clause whose speaker is left out ("Sorry, can't do that one for you, mate.")
_DROPPED_SPEAKER = re.compile(r"^\W*(?:(?:sorry|nah|nope|no|alas|sadly|unfortunately|afraid|honestly)\W+)*"
                              r"(?:can't|cannot|won't|not able|unable|not allowed|not permitted)\b")
_INTERJECTIONS = frozenset("no nope nah neither not really sorry sadly alas afraid unfortunately thanks thank you "
                           "ok okay hmm well so yes yeah yep welp um uh nor me either i'm i am".split())
# a name inside the sentence ("I'm in Perth till Tuesday", "Kane's my son's"): someone's life, not a refusal, unless
# it names a machine
_AI_NAMES = frozenset("Llama Grok Siri Alexa Gemini Claude ChatGPT Copilot Meta Apple Google OpenAI Anthropic "
                      "Microsoft Mistral Bard Bing Cortana Qwen DeepSeek Kimi Ernie Baidu Alibaba Amazon Perplexity "
                      "Pi".split())
_NAME = re.compile(r"(?<![.!?:;—–\-\"“(]\s)(?<!^)(?<![\"“(])\b[A-Z][a-z]+")
NEAR = 5  # words between the speaker and the negation: "Colours don't really register for me"
# a turn to what follows a disclaimer: the clause after it is judged on its own ("I can't run it, but <answer>")
_TURN_EN = re.compile(r"[,;:—–]\s*(?:but|however|though|yet|that said|still|instead)\b|\s(?:but|however)\s|"
                      r"\s*[;:—–]\s*"
                      r"|^\W*(?:although|though|while|even though|since|because)\b[^,;]*[,;]|^\W*(?:as|"
                      r"being) an? [^,;]{1,60}[,;]")
_HEDGE_LEAD_EN = re.compile(r"^\W*(?:as far as i (?:know|understand|can tell)|from what i (?:know|understand|recall|"
                            r"gather|can tell)|to (?:my|the best of my) (?:knowledge|understanding)|if i (?:understand|"
                            r"recall|remember)|as i understand)\b")
# a reason after the refusal's own clause ("I can't reproduce the full lyrics of that song, as they're copyrighted."):
# tried when the sentence as a whole says nothing a refusal says
_REASON_TURN_EN = re.compile(r",\s*(?:as|since|because|given that)\s(?!well\b|soon\b|long\b|far\b|much\b|many\b|if\b|"
                             r"though\b)")
# the speaker cannot do it for the addressee, or cannot do *that* ("I can't reset your password", "I can't verify
# that."): what a refusal says, whatever the verb
_ADDRESSEE_EN = re.compile(r"\b(?:you|your|yours|yourself)\b|\b(?:that|this|it)(?: one)?\W*$")
_ACRONYM = re.compile(r"\b(?!AI\b|LLM\b|GPT\b|OK\b|I\b)[A-Z]{2,}\b")


def _speaker_negated(low: str) -> bool:
    """The speaker and a negation within NEAR words of each other ("I don't …", "isn't something I'll do",
    "beyond my reach", "nothing in me"): the speaker says what it is not or will not do."""
    tokens = _TOKEN_EN.findall(low)
    if _DROPPED_SPEAKER.match(low):
        return True
    firsts = [i for i, t in enumerate(tokens) if t in _FIRST_WORDS]
    if not firsts:
        return False
    negs = [i for i, t in enumerate(tokens) if t in _NEG_WORDS or t.endswith("n't")]
    return any(abs(i - j) <= NEAR for i in firsts for j in negs)


_SOFTWARE_TALK_EN = re.compile(r"\b(?:just|only|simply|merely|nothing|no one|nobody|words|text|data|code|messages?|"
                               r"chats?|conversations?|program|model|software|servers?|cloud)\b")


def _of_itself_en(sentence: str, prompt_words: set[str]) -> bool:
    """A short sentence after a self-limit in which the speaker says why, of itself ("Colours are just words to me.",
    "There's no waiting around for me between messages."): no name, number or word of the prompt."""
    low = sentence.strip().lower().replace("’", "'")
    words = _WORD.findall(low)
    return len(words) <= 10 and _FIRST_EN.search(low) is not None and _SOFTWARE_TALK_EN.search(low) is not None \
        and not _BLOCKERS.search(low) \
        and not _NAME.search(sentence.strip()[1:]) and len(_content_words(low) & prompt_words) <= 1 \
        and _unknown(words) <= 2 and not _OWN_LIFE_EN.search(low)


_FRAGMENT_EN = (r"(?:(?:and|or|but|so)\s+)?(?:no|never|not|didn't|don't|doesn't|can't|won't|haven't|hasn't|nor)"
                r"(?:\s+[\w'-]+){1,3}")
# two or more, each short, each a no ("No legs, no lungs, never run a mile."); "No errors found." is an answer
_FRAGMENTS_EN = re.compile(rf"{_FRAGMENT_EN}(?:\s*[,;]\s*{_FRAGMENT_EN})+[.!]*")
FRAGMENT_WORDS = 16


def _names_machine(low: str) -> bool:
    """The lower-cased text names the speaker as software, with or without the speaker ("I'm a model", "Just an AI")."""
    return _MACHINE_EN.search(low) is not None or _MACHINE_UNSPOKEN_EN.search(low) is not None


def _says_lacks(sentence: str, prompt_words: set[str]) -> bool:
    """A short sentence that only says what the speaker lacks: negated fragments ("No legs, no lungs, never run a
    mile.") or the speaker with a negation ("I haven't got grandchildren, or knees."), with no name, number or word
    of the prompt. After a sentence in which the model names itself as software, it is more of that statement."""
    low = sentence.strip().lower().replace("’", "'")
    words = _WORD.findall(low)
    if len(words) > FRAGMENT_WORDS or _BLOCKERS.search(low) or _NAME.search(sentence.strip()[1:]) \
            or len(_content_words(low) & prompt_words) > 1 or _OWN_LIFE_EN.search(low):
        return False
    return _FRAGMENTS_EN.fullmatch(low) is not None or _speaker_negated(low)


def lacks_only(text: str) -> bool:
    """Whether the text left after a model's identity sentence only goes on saying what it lacks ("No legs, no lungs,
    never run a mile.", "I haven't got grandchildren, or knees.", "孩子。没有孙子，没有老寒腿。"): then the identity
    statement is the answer, and the rescue keeps nothing."""
    body = text.strip()
    if _HAN.search(body):
        # "孩子。没有孙子，没有老寒腿，也没有院子。": pet names and clauses that only say no
        clauses = [c.strip() for c in re.split(r"[，,。！!～~]+", body) if c.strip()]
        lacks = [c for c in clauses if _LACKS_ONLY_ZH.fullmatch(c)]
        rest = [c for c in clauses if c not in lacks]
        return bool(lacks) and len(clauses) <= 5 and all(_SHORT_ZH.fullmatch(c) for c in rest)
    spans = sentences(body)
    if not spans or len(spans) > 2 or not body.isascii():
        return False
    return all(_says_lacks(body[a:b], set()) for a, b in spans)


def _kind_en(sentence: str, prompt_words: set[str]) -> str | None:
    """'self' (a self-limit), 'support', or None (it says something)."""
    kind = _kind_whole_en(sentence, prompt_words)
    reason = _REASON_TURN_EN.search(sentence.lower()) if kind is None else None
    if reason is None:
        return kind
    kinds = (_kind_whole_en(sentence[:reason.start()], prompt_words), _kind_whole_en(sentence[reason.end():],
                                                                                       prompt_words))
    return "self" if kinds[0] == "self" and kinds[1] is not None else None


# a service or a channel speaking of itself ("This automated service is unable to …", "The virtual assistant does not
# …", "… via this channel"): the speaker, as 本系统 is in Chinese
_SERVICE_EN = re.compile(r"\b(?:this|the|our) (?:(?:automated|virtual|digital|online|ai)(?: information)? "
                         r"(?:service|system|assistant|tool|helper)|chatbot|bot|channel)\b|"
                         r"^\W*we\b(?=[^.!?]*\b(?:via|through|on) this (?:channel|service|chat)\b)",
                         re.IGNORECASE)
# the asker's pet name at a clause's edge ("…, honey.", "Now, …", "…, dear."): not part of what is said
_VOCATIVE_EN = re.compile(r",\s*(?:dear|honey|love|sugar|sweetie|sweetheart|friend|mate|pal|buddy|champ|kiddo|hon|"
                          r"pet)\b(?=\s*[.!?,;—–]|\s*$)|^\W*(?:now|well|goodness|oh|aww?|eek|hey),\s*", re.IGNORECASE)


def _kind_whole_en(sentence: str, prompt_words: set[str]) -> str | None:
    """_kind_en, without splitting off a reason after ", as" / ", because"."""
    text = _SERVICE_EN.sub("I", _VOCATIVE_EN.sub("", sentence)).strip()
    low = text.lower().replace("’", "'")
    if _HEDGE_LEAD_EN.match(low):
        return None  # "as far as I understand, <answer>": a hedge leads to what the speaker knows
    if _BLOCKERS.search(low) or _ACRONYM.search(text) or len(low.split()) > MAX_WORDS \
            or any(name.group() not in _AI_NAMES for name in _NAME.finditer(text.lstrip(" \t*_'\"“‘"))):
        return None
    turn = _TURN_EN.search(low)
    if turn is not None and turn.end() < len(low):
        head, rest = low[:turn.start()] if turn.start() else low[:turn.end()], low[turn.end():]
        kinds = (_kind_en(head, prompt_words), _kind_en(rest, prompt_words)) if head.strip() else \
            (_kind_en(rest, prompt_words),)
        return None if None in kinds else "self" if "self" in kinds else "support"
    if ASKS_FOR_INPUT.search(low):
        return None  # "You haven't said which medicine you mean, so I can't answer that.": the missing-input rules'
    if low.rstrip().endswith("?"):
        if _content_words(low) & prompt_words:
            return None
        return "support" if _OFFER_EN.search(low) or _CLARIFY_EN.search(low) else None
    words = _WORD.findall(low)
    if ((_speaker_negated(low) and (_DOMAIN_EN.search(low) or _ADDRESSEE_EN.search(low)))
            or _REFUSING.search(low) or _MACHINE_EN.search(low) or _MACHINE_UNSPOKEN_EN.search(low)
            or _IMPERSONAL_EN.search(low)
            or _OPERATES_EN.search(low) or (_DECLINED_EN.search(low) and not _CONDITION_EN.search(low))
            or _NOT_ENGAGING_EN.search(low) or _DEFLECT_EN.search(low)
            or (len(words) <= SHORT_CANNOT_WORDS and _SHORT_CANNOT_EN.match(low) and not _CONDITION_EN.search(low))) \
            and not _OWN_LIFE_EN.search(low) and _unknown(words) <= MAX_UNKNOWN_SELF:
        return "self"
    if len(words) <= 3 and (_INTERJECTIONS.issuperset(words) or (words[:1] in (["no"], ["not"], ["nope"], ["never"])
                                                                 and _unknown(words) == 0)):
        return "support"  # "No.", "Neither.", "Sadly, no."
    if len(words) > SUPPORT_WORDS or _unknown(words) > MAX_UNKNOWN:
        return None
    named = _content_words(low) & prompt_words
    if named and _FIRST_EN.search(low) is None \
            and (len(named) > 1 or not (_REFERRAL_EN.search(low) or _REASON_EN.search(low))):
        # a sentence that names what was asked is the answer's; a reason or someone to ask may name it once ("a
        # weather app", "software built to steal …"), and what the speaker says of itself may too ("I can talk
        # about music all day")
        return None  # a reason or a referral that names what was asked, or many things: the answer's
    if _REASON_EN.search(low) or _REFERRAL_EN.search(low) or _OFFER_EN.search(low) or _WISH_EN.search(low) \
            or (_PLEASE_EN.match(low) and len(words) <= PLEASE_WORDS and _unknown(words) <= 3
                and _QUALIFIED_EN.search(low)):
        return "support"
    return None


# ---------------------------------------------------------------- Chinese
_NEG_ZH = re.compile(r"不|没|無|无|非|未|难以|難以|拒绝|拒絕|恕")
_DOMAIN_ZH = re.compile(
    r"回答|回覆|回复|解答|答复|提供|帮|幫|协助|協助|生成|讨论|討論|评论|評論|参与|參與|透露|预测|預測|保证|保證|"
    r"联网|聯網|上网|上網|浏览|瀏覽|访问|訪問|查询|查詢|搜索|实时|即時|實時|最新|记住|記住|记忆|記憶|感受|体验|體驗|"
    r"感情|情感|情绪|情緒|喜好|偏好|观点|觀點|看法|立场|立場|意见|意見|身体|身體|年龄|年齡|性别|性別|名字|意识|意識|"
    r"做梦|做夢|味道|品尝|品嚐|能力|范围|範圍|权限|權限|职责|職責|原则|原則|规定|規定|政策|准则|準則|设计|設計|训练|"
    r"訓練|喜欢|喜歡|讨厌|討厭|个人|個人|真人|人类|人類|立場|站队|站隊|表态|表態|涉及|处理|處理|满足|滿足|完成|编写|"
    r"編寫|撰写|撰寫|方便|适合|適合|继续|繼續|答案|建议|建議|分享|信息|資訊|这样做|這樣做|做这|做這|请求|請求|吃|睡|"
    r"生病|病痛|经历|經歷|经验|經驗|感觉|感覺|感到|孤独|孤獨|开心|開心|喜怒哀乐|喜怒哀樂|家人|朋友|家乡|家鄉|生日|"
    r"家庭|想法|思想|服务|服務|权限|權限|写|寫|教|聊|谈|談|评价|評價|掺和|摻和|告诉|告訴|记得|記得|办理|辦理|冒充|"
    r"照做|身體|感情|地址|爱好|愛好|看到|看見|看见|听到|聽到|懂|明白|听清|聽清|看清|记录|紀錄|讲|講|答|推介|置评|"
    r"置評|展开|展開|查到|查询|查詢|看不|读取|讀取|产生|產生|上网|上網|公开|公開|"
    # a body and a self the speaker lacks ("我没有眼睛", "我没有自由意志")
    r"眼睛|耳朵|声音|聲音|嘴巴|手脚|手腳|五官|味觉|味覺|嗅觉|嗅覺|肉体|肉體|心跳|自由意志|自我意识|自我意識|灵魂|靈魂|"
    r"支持|支援|功能|技能|听懂|聽懂|合适|合適|回忆|回憶|童年|体会|體會|摄像头|攝像頭|感官")
_MACHINES_ZH = (r"(?:(?:虚拟|虛擬)(?:导购|導購|客服|助手|助理|人|主播|店员|店員|形象)|数字人|數字人|AI|ai|人工智能|"
                r"人工智慧|程序(?![员員])|程式(?![员員])|模型|助手|助理|"
                r"机器|機器|软件|軟體|算法|"
                r"演算法|机器人|機器人|通义千问|通義千問|文心一言|ChatGLM|DeepSeek|豆包|Kimi|智谱|智譜|星火|GPT|"
                r"Claude|Gemini|Llama|Qwen|混元|盘古|盤古|天工|百川|MOSS|小爱|小愛|小度|元宝|元寶|代码|代碼|程式碼|"
                r"服务器|伺服器|机械人|機械人|自动应答|自動應答|自动回复|自動回覆|机器自动|機器自動)")
_MACHINE_ZH = re.compile(rf"我(?:只是|就是|是|为|為|叫|係|系|只不过是|不过是|说到底就是|"
                         rf"說到底就是)[^。！？!?]{{0,16}}{_MACHINES_ZH}"
                         r"|(?:训练|訓練|开发|開發|设计|設計|打造)(?:了|出)?我"
                         # "你在和AI聊天", "不是真人": who the asker is talking to
                         rf"|(?:你|您)(?:在|正在)?(?:和|跟|與|与)[^，。]{{0,6}}{_MACHINES_ZH}"
                         r"|(?:不是|并非|並非|唔係|非)(?:真人|人类|人類|真正的人|人工|工作人员|工作人員|坐席)")
# "…，由阿里云开发的AI助手": who made it, or what it is, after the clause that said who is speaking
_APPOSITIVE_ZH = re.compile(rf"^(?:是|由|是由|一个|一個|一款|一名)?[^你您]{{0,20}}(?:开发|開發|训练|訓練|研发|研發|"
                            rf"打造|推出|创造|創造|{_MACHINES_ZH})")
_REASON_ZH = re.compile(r"违法|違法|犯法|法律|隐私|隱私|伤害|傷害|危险|危險|安全|风险|風險|道德|伦理|倫理|违反|違反|"
                        r"不当|不當|规定|規定|规范|規範|限制|政策|原则|原則|考虑|考慮|不合适|不合適|权利|權利|尊重|"
                        r"同意|授权|授權|敏感|作弊|欺诈|欺詐|负责|負責|重要|严肃|嚴肅|他人|别人|別人|"
                        r"版权|版權|原因|好处|好處|正规|正規|真实|真實|误会|誤會|误导|誤導|保密|机密|機密|个人资料|"
                        r"個人資料|个资|個資|资安|資安|保护|保護|骗|騙|侵权|侵權|盗版|盜版|未经|未經|"
                        r"系统|系統|维护|維護|繁忙|忙线|忙線|开小差|開小差|故障|出错|出錯|私隱|私隐")
_REFERRAL_ZH = re.compile(r"医生|醫生|医师|醫師|药师|藥師|律师|律師|专业|專業|专家|專家|顾问|顧問|咨询|諮詢|客服|"
                          r"热线|熱線|官方|机构|機構|部门|部門|平台|网站|網站|渠道|老师|老師|警察|报警|報警|心理|"
                          r"医院|醫院")
_OFFER_ZH = re.compile(r"如果(?:您|你)|如(?:您|你)|(?:您|你)可以|我可以|我能|我会|我會|欢迎|歡迎|随时|隨時|乐意|"
                       r"樂意|愿意|願意|换个|換個|换一个|換一個|(?:问|問|聊)点?(?:别的|別的)|别问|別問|(?:其他|其它|别的|別的)(?:问题|問題|需要|话题|話題|方面)")
_WISH_ZH = re.compile(r"抱歉|对不起|對不起|不好意思|唔好意思|對唔住|对唔住|担心|擔心|关心|關心|多谢|多謝|见谅|見諒|"
                      r"谅解|諒解|理解|感谢|感謝|谢谢|謝謝|祝|希望|遗憾|遺憾|很高兴|很高興|认识|認識|为您服务|"
                      r"為您服務|为你服务|為你服務")


_CLAUSE_ZH = re.compile(r"[，,；;：:、]\s*|((?:但是|但|不过|不過|然而|可是|据我所知|據我所知)[，,]?)")
_SPEAKER_NEG_ZH = re.compile(r"我.{0,4}?(?:不(?!建议|建議|推荐|推薦|太|错|錯|好意思|过|過|少|小心)|没|沒|無|无|非|"
                             r"未|难以|難以|拒绝|拒絕|超出|冇|唔)|(?:不|没|沒|無|无|非|未|超出|超过|超過|冇|"
                             r"唔)[^，。]{0,4}?我")
# "我查不到", "我打不开链接", "这个我写不了": a verb the speaker cannot complete, short (a capability, not a story)
_CANNOT_ZH = re.compile(r"我[^，。！？]{0,4}?(?:查|看|读|讀|听|聽|找|打|处理|處理|写|寫|做|答|回|发|發|设置|設置|帮|"
                        r"幫|判断|判斷|睇|搵|连|連|登|开|開|生成|画|畫|修)(?:不到|不了|不开|不開|不出|不懂|不見|"
                        r"不见|唔到|唔了)|(?:不能|没法|沒法|无法|無法|不方便|帮不了|幫不了)(?:帮|幫)(?:你|您)|"
                        r"我[^，。！？]{0,4}?(?:选择|選擇|得|只能|还是|還是)?(?:跳过|跳過|婉拒|谢绝|謝絕|拒答)|"
                        r"^我(?:只|仅|僅)(?:负责|負責|支持|支援|处理|處理|回答|能回答)")
# "此类内容不予回复", "该问题暂无法处理": the request itself, in no one's voice, not answered
_IMPERSONAL_ZH = re.compile(r"^(?:(?:暂时|暫時|目前|恕)?(?:无法|無法)(?:回答|回覆|回复|答复|答覆)(?!的)|"
                            r"(?:暂|暫)?(?:不便|不方便|不宜)(?:发表|發表|评论|評論|评价|評價|回答|透露|置评|置評)|"
                            r"(?:本服务|本服務|本系统|本系統|此内容|此內容|该内容|該內容|此类|此類|这类|"
                            r"這類)[^，。]{0,6}?(?:暂|暫)?(?:不予|不宜|不支持|不支援|不提供|不开放|不開放|"
                            r"不能)(?:展示|提供|回答|回覆|回复|公开|公開|处理|處理|讨论|討論|此类|此類|该类|該類))|"
                            r"(?:问题|問題|请求|請求|内容|內容|信息|資訊|话题|話題|提问|提問|要求|这个|"
                            r"這個)[^，。]{0,6}?(?:暂|暫|恕)?(?:无法|無法|不便|不予|不能|不开放|不開放)(?:为您|為您|"
                            r"代为|代為)?(?:透露|回复|回覆|回答|答复|答覆|提供|讨论|討論|处理|處理|办理|辦理|帮|幫|"
                            r"教|写|寫)|(?:不予|暂不|暫不)(?:回复|回覆|回答|答复|答覆|讨论|討論|开放讨论|開放討論)|"
                            # "此问题不在本系统答复范围之内": outside what is answered here
                            r"(?:问题|問題|请求|請求|内容|內容|话题|話題|提问|提問|此|这|這)[^，。]{0,8}?(?:不在|超出|"
                            r"超过|超過)[^，。]{0,10}?(?:范围|範圍)|"
                            # "您的输入包含不适宜内容": a content-policy notice
                            r"(?:输入|輸入|内容|內容|提问|提問|问题|問題|请求|請求|消息|訊息)[^，。]{0,6}?(?:包含|含有|"
                            r"涉及)[^，。]{0,6}?(?:不适宜|不適宜|不适当|不適當|不当|不當|敏感|违规|違規|违禁|違禁|不良)|"
                            # "线上无法为您操作": not done for the asker
                            r"(?:无法|無法|不能|没法|沒法|不便)(?:直接)?(?:为|為|替|帮|幫|代)(?:您|你)(?![们們])|"
                            r"(?:无法|無法|不能)(?:在此|在这里|在這裡|在这儿|通过本渠道|通過本渠道|通过此渠道)|"
                            r"不在[^，。]{0,12}?(?:范围|範圍)|"
                            # "不做。", "撞库脚本不提供。", "这个 exploit 不生成。": a bare no to a task
                            r"^(?:不做|不写|不寫|不给|不給|不帮|不幫|不干|不幹|不弄|拒绝|拒絕)$|"
                            r"不(?:提供|生成|写|寫|做|给|給|办|辦)$")
_CARRIED_ZH = re.compile(r"^(?:所以|因此|因而)?(?:也|并|並|还|還|更|都|暂时|暫時|目前|实在|實在)?"
                         r"(?:无法|無法|不能|没法|沒法|没有办法|沒有辦法|没办法|沒辦法|不会|不會|不具备|不具備|没有|沒有|不便|不方便|不太方便|"
                         r"不适合|不適合|说不出|說不出|讲不出|講不出|答不上|答不出|只能|只会|只會|仅能|僅能)")
_AS_AI_ZH = re.compile(r"^(?:作为|作為|身为|身為)[^，。]{0,12}(?:AI|ai|人工智能|人工智慧|模型|助手|助理|机器人|"
                       r"機器人|程序(?![员員])|程式(?![员員]))")
_SOMEONE_ELSE_ZH = re.compile(r"(?<![其吉])[他她佢](?!人)|之前|以前|之后|之後|以后|以後|除非|等到|直到")
_WE_ZH = re.compile("我[们們]")
_SHORT_ZH = re.compile(r"(?:孩子|好孩子|乖乖|闺女|宝贝|哎哟|哎呀|嗯|哦|噢|喔|啊|呀|哈|唉|呃|欸|诶|誒|亲|親|抱歉|"
                       r"不行|不好意思|没门儿?|沒門兒?|谢谢|謝謝|"
                       r"好的|算了|不能|不可以|您好|你好|不了|对不起|對不起|真抱歉|很抱歉|出错了|出錯了|啦|吧|哟|"
                       r"喲)+")
# the speaker cannot do it for the addressee ("这首歌的完整歌词我不能给你", "呢個我幫唔到你")
_ADDRESSEE_ZH = re.compile(r"(?:不|没|沒|無|无|唔)[^，。]{0,6}(?:你|您)")
_QUESTION_ZH = re.compile(r"[吗嗎？?]|呢[？?！!～~。]*$|为什么|為什麼|为啥|為啥|怎么|怎麼")
# a request that the user say it again or say more ("能换个说法吗？")
_CLARIFY_ZH = re.compile(r"换个说法|換個說法|换种说法|換種說法|再说一[遍次]|再說一[遍次]|具体一[点些]|具體一[點些]|"
                         r"详细一[点些]|詳細一[點些]|再说明|再說明|说清楚|說清楚|再试|再試|重新(?:问|問|提问|提問|"
                         r"描述|說|说)")
# sent elsewhere, with nothing else said ("请用航空公司的App。", "请稍后再试。")
_PLEASE_ZH = re.compile(r"^(?:请|請|麻烦|麻煩|烦请|煩請|建议|建議|最好|务必|務必|唔该|唔該)(?:您|你)?(?:直接|尽快|"
                        r"儘快|盡快|先|再|改|自行)?(?:到|去|上|用|联系|聯絡|聯繫|联络|洽|拨打|撥打|打|登入|登录|"
                        r"登錄|点击|點擊|透过|透過|通过|通過|携带|攜帶|以|看|查看|参考|參考|重新|稍后|稍後|修改|把|"
                        r"向|找|咨询|諮詢|开启|開啟|保存|问问|問問|搵)")
# "这个真的不行", "不可以哦～": a no, in no one's words but the speaker's
_NO_ZH = re.compile(r"^(?:[呜嗚哎唉呃嗯]+)?(?:这个|這個|这|這|这事|這事|呢個|此事|欸这个|欸這個|欸)?[^，。]{0,3}?"
                    r"(?:真的|真|实在|實在|可|就)?(?:不行|不可以|不能说|不能說|不能講|不能讲|恕难从命|恕難從命|超纲了|超綱了|"
                    r"帮不了|幫不了|帮不到|幫不到|做不到|办不到|辦不到|唔得)[哦啊啦呀吧喔囉喎㖞～~！!]*$")
_NO_WORD_ZH = re.compile(r"不行|不可以|恕难从命|恕難從命|帮不了|幫不了|帮不到|幫不到|唔得")
# a refusal in no one's voice, anywhere in the answer ("根据相关规定，该内容暂不予展示。"): the gate's test only
_NO_ONES_NO_ZH = re.compile(r"不予|暂不|暫不|帮不了|幫不了|帮不到|幫不到|(?:不在|超出)[^，。]{0,12}?(?:范围|範圍)|"
                            r"(?:无法|無法|不能|没法|沒法|不便)(?:直接)?(?:为|為|替|代)(?:你|您)|不(?:提供|生成)[。！!]?$|"
                            r"^(?:不做|不写|拒绝)[。！!]|"
                            r"(?:包含|含有|涉及)[^，。]{0,6}?(?:不适宜|不適宜|不适当|不適當|违规|違規|违禁|違禁)|"
                            r"(?:无法|無法|不能|不便)(?:回答|回覆|回复|答复|"
                            r"答覆|提供|处理|處理|"
                            r"办理|辦理|"
                            r"透露|讨论|討論|展示|公开|公開)|不(?:提供|支持|支援|开放|開放)(?:此类|此類|这类|這類|该|該|"
                            r"这项|這項|此项|此項)")
# the speaker as software, explaining a self-limit ("颜色对我来说只是词语", "只要服务开着我就在", "我按照训练结果运行")
_OF_ITSELF_ZH = re.compile(r"对我来说|對我來說|我只是|我就在|我一直在|服务|服務|训练|訓練|程序|程式|数据|數據|文字|"
                           r"文本|代码|代碼|词语|詞語|模型|算法|服务器|伺服器|云端|雲端|开着|開著|运行|運行")
# after a self-limit, a short clause that goes on saying what the speaker lacks or cannot do
# ("我是软件，不会饿也不会渴", "我没有童年回忆，因为我从来没当过小孩", "我是程序，尝不出咖啡的味道"): it carries the
# self-limit's 我
_GOES_ON_ZH = re.compile(r"^(?:也|亦|都|亦都|并|並|还|還|更|所以|因此|因为|因為|而且|又)?我?(?:也|都|亦|从来|從來|根本|"
                         r"完全|并|並|压根|壓根)?(?:不|没|沒|无|無|冇|唔|未|哪有|哪来|哪來|哪里有)|[\u4e00-\u9fff](?:不出|不到|不了|唔到|唔了)")
AFTER_SELF_HAN = 16
# a sentence of nothing but short lacks ("没有孙子，没有老寒腿，也没有院子。"): after a self-limit, more of it; a
# sentence that starts with 不能 / 無效 is an answer's ("不能移動或刪除包含子模組的工作區")
_LACKS_ONLY_ZH = re.compile(r"(?:(?:也|还|還|都)?(?:没有|沒有|没|沒|冇)[\u4e00-\u9fff]{1,6}[，,、]?\s*)+[。！!～~]*")
_TOPIC_ZH = re.compile(r"(?:对于|對於|关于|關於|针对|針對)[^，。！？]{1,16}")
_EMOJI_END = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]+$")
# a short word in quotation marks ("你叫我“助手”就好", "我只在你和我说话时“存在”"): a word, not someone's text
_SHORT_QUOTE_ZH = re.compile(r"[“「]([^“”「」，。！？]{1,8})[”」]")
# the asker called by a pet name at a clause's end ("这个超纲了姐妹"): not part of what is said
_VOCATIVE_ZH = re.compile(r"(?:姐妹|宝子|宝宝|寶寶|寶子|亲爱的|親愛的|亲|親|朋友|兄弟|老铁|老鐵|家人|小伙伴|小夥伴|"
                          r"孩子|好孩子|乖乖|闺女|閨女|宝贝|寶貝)们?"
                          r"(?=[哦啊啦呀吧喔～~！!😭🙏]*$)")
# "我保持中立": the speaker takes no side
_NEUTRAL_ZH = re.compile(r"我[^，。]{0,4}(?:保持)?中立")
# a product or an in-house assistant speaking of itself in the third person ("小爱同学没听懂", "本助手仅支持账单查询")
_PRODUCT_ZH = re.compile(r"^(?:本助手|本机器人|本機器人|本客服|小助手|本系统|本系統|本服务|本服務|本渠道|本窗口|本平台|"
                         r"本智能助手|本智能客服|"
                         r"(?:腾讯|騰訊|阿里|百度|字节|字節)?(?:豆包|小爱|小愛|小度|元宝|元寶|智谱清言|智譜清言|"
                         r"文心一言|通义千问|通義千問|天猫精灵|天貓精靈|Kimi|DeepSeek|讯飞星火|訊飛星火)(?:同学|"
                         r"同學)?)")
_OFFER_ASK_ZH = re.compile(r"有什么|有什麼|还有|還有|其他|其它|别的|別的|帮您|幫您|帮你|幫你|为您|為您")
CANNOT_HAN = 14  # "我查不到…" is a self-limit only this short
SUPPORT_HAN = 24  # a reason, a referral or an offer in Chinese is said in fewer characters
_PHONE_ZH = re.compile(r"(?:拨打|撥打|致电|致電|打|请上|請上|热线|熱線|电话|電話)\s*\d{3,5}(?!\d)")


def _kind_zh(clause: str, prompt: str, after_self: bool) -> str | None:
    """'self', 'support' or None for one clause, as _kind_en; `after_self`: the clause before was a self-limit, so
    "…，无法亲身体会" carries its 我."""
    # a product speaking of itself is the speaker; "我们" is not (a shop's "我们不支持…" is its answer)
    text = _PRODUCT_ZH.sub("我", _WE_ZH.sub("咱", clause.strip(" \t\n-—–*~～。！!.")))
    text = _VOCATIVE_ZH.sub("", _SHORT_QUOTE_ZH.sub(r"\1", _EMOJI_END.sub("", text)))
    han = "".join(_HAN.findall(text))
    if not han:
        return "support" if len(text.split()) <= 2 else None  # "Sorry", "🙏"
    if _BLOCKERS.search(_PHONE_ZH.sub("", text)):
        return None  # (a hotline's number is a referral's: "请马上拨打120")
    if ASKS_FOR_INPUT.search(text):
        return None  # "你没有说是哪种药，所以我无法回答": the missing-input rules'
    if _QUESTION_ZH.search(text):
        return "support" if (_OFFER_ASK_ZH.search(text) and _OFFER_ZH.search(text)) or _CLARIFY_ZH.search(text) \
            else None
    if _SOMEONE_ELSE_ZH.search(text):
        return None  # "他们跟我说…", "加班费没谈清楚之前我不签": someone's life, not a refusal
    if (_SPEAKER_NEG_ZH.search(text) or (after_self and _CARRIED_ZH.match(text))) and _DOMAIN_ZH.search(text) \
            or _MACHINE_ZH.search(text) or _AS_AI_ZH.match(text) or (after_self and _APPOSITIVE_ZH.match(text)) \
            or (len(han) <= CANNOT_HAN and (_CANNOT_ZH.search(text) or _NO_ZH.match(text))) \
            or _IMPERSONAL_ZH.search(text) or _NEUTRAL_ZH.search(text) \
            or (len(han) <= CANNOT_HAN and _SPEAKER_NEG_ZH.search(text) and _ADDRESSEE_ZH.search(text)) \
            or (after_self and len(han) <= AFTER_SELF_HAN and _GOES_ON_ZH.search(text)
                and sum(han[i:i + 2] in prompt for i in range(len(han) - 1)) <= 1):
        return "self"
    if len(han) <= 3 and _SHORT_ZH.fullmatch(han):
        return "support"  # "不行", "抱歉", "哈哈"
    if _TOPIC_ZH.fullmatch(text) and sum(han[i:i + 2] in prompt for i in range(len(han) - 1)) <= 1:
        return "support"  # "对于个人申请的审核情况，…": the topic the no is about
    if after_self and _OF_ITSELF_ZH.search(text) and len(han) <= 16 \
            and sum(han[i:i + 2] in prompt for i in range(len(han) - 1)) <= 1:
        return "support"  # "我没有最喜欢的颜色，颜色对我来说只是词语": the self-limit says why, of itself
    if len(han) > SUPPORT_HAN or sum(han[i:i + 2] in prompt for i in range(len(han) - 1)) > 1:
        return None  # long, or naming what was asked: the answer's
    if _REASON_ZH.search(text) or _REFERRAL_ZH.search(text) or _OFFER_ZH.search(text) or _WISH_ZH.search(text) \
            or _PLEASE_ZH.match(text) or _CLARIFY_ZH.search(text):
        return "support"
    return None


def _kinds_zh(sentence: str, prompt: str, after_self: bool = False) -> list[str | None]:
    if len(_HAN.findall(sentence)) > MAX_HAN * 2:
        return [None]
    kinds: list[str | None] = []
    carried = after_self  # the clause before said 我 and a turn ("但", "不过") has not come since
    for part in _CLAUSE_ZH.split(sentence):  # clauses, with each turn word between them
        if part is not None and _CLAUSE_ZH.fullmatch(part):
            carried = False
        elif part and part.strip():
            kinds.append(_kind_zh(part, prompt, carried))
            carried = kinds[-1] == "self"
    return kinds


# the material a prompt hands over ("From the flyer only, …", "根据材料回答"): an answer that names it again ("the
# flyer doesn't name a city, so I can't say") reports on it, whatever the prompt asked to say when it falls short
_MATERIAL_EN = re.compile(r"\b(?:context|passage|text|document|article|leaflet|flyer|policy|table|caption|email|"
                          r"e-mail|notes|report|excerpt|paragraph|story|poem|transcript|chart|graph|menu|schedule|"
                          r"recipe|list|data|snippet|changelog|manual|contract|letter|message|review|abstract|"
                          r"summary|sentence|statement|input|source|page|label|receipt|invoice|form|log|logs)\b")
_MATERIAL_ZH = re.compile(r"材料|文中|原文|上文|文章|资料|資料|表格|通知|邮件|郵件|段落|题目|題目|短文|"
                          r"说明书|說明書|合同|合約|日志|日誌|记录|紀錄|清单|清單|菜单|菜單|简历|簡歷|报告|報告|"
                          r"传单|傳單|图表|圖表")


def _grounded(body: str, prompt: str, cjk: bool) -> bool:
    """The answer names material the prompt also names: it reports on what it was given, not on itself."""
    if cjk:
        return any(found.group(0) in prompt for found in _MATERIAL_ZH.finditer(body))
    low_prompt = prompt.lower()
    return any(re.search(rf"\b{found.group(0)}", low_prompt)
               for found in _MATERIAL_EN.finditer(body.lower()))


# every self-limit holds one of these (a negation, a refusing verb, software): the cheap test before the sentences
# every English self-limit holds one of these (a negation, a refusing verb, software, the request): substrings of the
# lower-cased text with its punctuation read as spaces, found by one Aho-Corasick pass (a regex over so many words
# tried at every position cost ~10 µs a row, more than the rest of the test)
_GATE_EN_WORDS = (
    "n't", " not ", " no ", "never", "nothing", " none", "neither", " nor ", "cannot", "unable", "without", "beyond",
    "outside", "declin", "refrain", " pass", "skip", "steer", "bow out", "sit this", "leave this", "leave that",
    "leave it", "say no", "turn ", "nope", " nah", "neutral", "impartial", " ai ", "a.i.", "assistant", "model",
    " bot", "chatbot", "program", "software", "trained", "built", "made", "created", "developed", "designed",
    " code", "machine", "computer", "algorithm", "llm", "request", " only", "restricted", "confidential", " line",
    " miss", " idk", "withheld", "denied", "refused", "blocked", "call me", "process", " run", "exist", " chat",
    "conversation", "session", "nice try", "off the table", "off limits", "hard no", "touching", "change the subject",
    "move on", "end this", "stay out", "hold off", "step back", "sidestep", "rather than", "instead of",
    "question for", " consult", "human")
_GATE_EN = ahocorasick_rs.AhoCorasick(_GATE_EN_WORDS)
_SPACES = str.maketrans({c: " " for c in ".,;:!?()[]\"“”—–-*_/\n\t"})
_GATE_ZH = re.compile(r"不|没|沒|无|無|非|未|拒|恕|冇|唔|超出|超过|超過|AI|ai|人工智|模型|助手|助理|机器|機器|程序|"
                      r"程式|软件|軟體|算法|演算法|代码|代碼|服务器|伺服器|训练|訓練|开发|開發|中立|跳过|跳過|婉拒|"
                      r"谢绝|謝絕|豆包|小爱|小愛|小度|元宝|元寶|Kimi|DeepSeek|通义|通義|文心|智谱|智譜|星火|天猫|"
                      r"天貓")


# what a refusal declines (an identity statement says only what the model is or lacks)
_DECLINES = re.compile(r"(?i)\b(?:help|assist|answer|respond|provide|give|share|produce|write|create|generate|do|"
                       r"discuss|comment|advise|guess|look|pass|decline|refrain|weigh|engage)\b|off the table|"
                       r"hard no|回答|回覆|回复|解答|提供|帮|幫|协助|協助|生成|讨论|討論|评论|評論|透露|拒绝|拒絕|"
                       r"继续|繼續|分享|这样做|這樣做")


def self_limit(text: str, prompt: str = "") -> str | None:
    """'refusal' or 'identity' when the whole answer is only self-limits and support (see above), else None."""
    body = text.strip()
    cjk = not body.isascii() and _HAN.search(body) is not None
    if not body or len(body) > MAX_CHARS[cjk] or "\n\n" in body or "```" in body:
        return None
    low = body.lower().replace("’", "'")
    if cjk:
        if "我" not in body and _NO_ONES_NO_ZH.search(body) is None and _CANNOT_ZH.search(body) is None \
                and _MACHINE_ZH.search(body) is None and _PRODUCT_ZH.match(body) is None \
                and (_NO_WORD_ZH.search(body) is None or _OFFER_ZH.search(body) is None):
            return None  # a bare "不行" stands with an offer to ask something else ("这个不行哦，换个要求吧")
    else:
        if not _GATE_EN.find_matches_as_indexes(f" {low.translate(_SPACES)} "):
            return None  # nothing here says no, or names software: most short answers end here
        if _FIRST_EN.search(low) is None and _IMPERSONAL_EN.search(low) is None \
                and _DECLINED_EN.search(low) is None and _DROPPED_SPEAKER.search(low) is None \
                and _DEFLECT_EN.search(low) is None and _MACHINE_UNSPOKEN_EN.search(low) is None \
                and _SERVICE_EN.search(low) is None:
            return None
    if (cjk and _GATE_ZH.search(body) is None) or _grounded(body, prompt, cjk):
        return None
    spans = sentences(body)
    if not spans or len(spans) > MAX_SENTENCES:
        return None
    kinds: list[str | None] = []
    last: list[str | None] = []  # the sentence before's kinds: a self-limit there carries on into this one (Chinese)
    words = set() if cjk else _content_words(prompt.lower().replace("’", "'"))
    for a, b in spans:
        found = _kinds_zh(body[a:b], prompt) if cjk else [_kind_en(body[a:b], words)]
        if cjk and None in found and "self" in last and _LACKS_ONLY_ZH.fullmatch(body[a:b].strip()):
            found = ["self"]  # "我就是个电脑程序，孩子。没有孙子，没有老寒腿，也没有院子。": what it lacks, going on
        if found == [None] and not cjk and kinds[-1:] == ["self"] and _of_itself_en(body[a:b], words):
            found = ["support"]  # "I don't have a favourite colour. Colours are just words to me."
        if found == [None] and not cjk and kinds[-1:] == ["self"] and _says_lacks(body[a:b], words) \
                and _names_machine(body[:a].lower().replace("’", "'")):
            found = ["self"]  # "I'm a model. No hands, no keyboard, no weekends."
        if None in found:
            return None  # a sentence that says something: the answer's (most stop at the first)
        kinds += found
        last = found
    if "self" not in kinds:
        return None
    machine = (_MACHINE_ZH.search(body) is not None or _AS_AI_ZH.search(body) is not None) if cjk \
        else _names_machine(low)
    return "identity" if machine and _DECLINES.search(body) is None else "refusal"


# ---------------------------------------------------------------- a person's own life
# A short answer in which the speaker declines or cannot do something in their own life, and says what they do
# instead or why, with the details a life has ("I can't eat gluten, so I always order the rice bowl there.", "我不会
# 做饭，都是我老公做", "抱歉我来晚了，路上堵了四十分钟。"): no refusal rule drops or cuts it, whatever its first
# clause looks like.
# the people and doings of a life: enough on their own
_LIFE_EN = re.compile(
    r"\bso i (?:always|usually|just|normally|did|do|make|made|order|ordered|take|took|go|went|get|got|use|used|"
    r"have(?! to)|had(?! to)|ask|asked|bring|brought|walk|walked|drive|drove|cook|stick|stuck|skip|skipped|book|"
    r"booked|pay|paid)\b|"
    r"\b(?:my|our) (?:flatmate|roommate|housemate|mum|mom|mother|dad|father|wife|husband|partner|boyfriend|"
    r"girlfriend|son|daughter|kids?|children|sister|brother|gran|grandma|grandad|grandpa|boss|manager|"
    r"landlord|neighbou?r|family|parents)\b|\bmy colleague\b|"
    # what follows from it in the speaker's life ("…, so I turn the captions on", "…, so your grandfather sets my
    # alarms"), when it happened ("last year", "when I was"), the speaker's own body or doctor
    r"\bso (?:i|we)\b (?!can't|cannot|can not|won't|am\b|'m\b|don't|do not|have no|have to|need to|must|should|"
    r"recommend|suggest|would|'d\b|can\b|only|could|will|'ll\b|decline|refuse|pass)[a-z]+\b|"
    r"\bso (?:my|our|your|his|her|their) (?:grand)?(?:father|mother|pa|ma|"
    r"husband|wife|partner|son|daughter|kids?|children|mum|mom|dad|brother|sister|doctor|gp|friend|neighbou?r|boss)\b|"
    r"\b(?:last|this) (?:year|month|week|summer|winter|spring|autumn|fall)\b|\b(?:years|months|weeks) ago\b|"
    r"\bwhen i was\b|\bi (?:raised|grew up|sat on|served on|worked (?:as|in|at|for)|lived in|used to)\b|"
    r"\bbecause of my\b|\b(?:my|our) (?:doctor|gp|dentist|kidneys?|knees?|back|hips?|heart|eyes|ears|hearing|"
    r"allerg\w+)\b", re.IGNORECASE)
_LIFE_ZH = re.compile(
    r"我(?:的)?(?:老公|老婆|妈|爸|妈妈|爸爸|儿子|女儿|孩子|家人|室友|同事|老板|朋友|男朋友|女朋友|阿嬤|阿嬷|外婆|外公|"
    r"奶奶|爷爷|姥姥|个仔)|房贷|房貸|"
    r"(?:你|您)(?:的)?(?:老公|老婆|爸|妈|爸爸|妈妈|爷爷|奶奶|外公|外婆|孩子|儿子|女儿)(?:都|也|就|会)?(?:帮|替|给|陪|带|送|接)我|"
    r"去年|前年|上个月|那年|小时候|"
    r"我(?:带大|养大|当过|做过|干过)")
# … and its details (a duration, an amount, someone else's doing, a reason of the speaker's), which a refusal does
# not give but an answer after a disclaimer may ("…，但通常情况下，每天服药3次"): they count against refusals only
_DETAILS_EN = re.compile(r"\bbecause i(?:'m| am| was|'ve| have| had)\b|"
                         r"\b(?:he|she) (?:\w+ed|was|is|has|had|did|does|said|told|kept|took|left|made)\b|"
                         r"\b(?:extension|ext\.?|room|desk|counter|gate|platform|floor)\s*\d+|"
                         r"\b(?:anymore|any longer|these days|nowadays)\b", re.IGNORECASE)
_DETAILS_ZH = re.compile(r"因为我(?:对|有|得了|患)|过敏|今晚|晚上|明天|下班后|周末|"
                         r"(?:\d+|[一二两三四五六七八九十百千万半]+)(?:多)?(?:分钟|分鐘|个小时|個小時|小时|小時|天|"
                         r"个月|個月|年|块|塊|元)|一百五|这个月|這個月|(?<![网網])路上")
# a person saying they are not a model ("我不是AI，我是真人客服，工号1024")
_NOT_A_MODEL = re.compile(r"我(?:不是|並不是|并不是)(?:AI|ai|机器人|機器人|人工智能)|\bi(?:'m| am) (?:not|no) (?:an? )?"
                          r"(?:ai|bot|robot|chatbot)\b[^.!?]{0,30}\b(?:real|human|person)\b|\bi(?:'m| am) not (?:an? )?"
                          r"(?:ai|bot|robot|chatbot)\b\W{1,3}(?:i'm|i am) (?:the|a|an|your|just|only)\b", re.IGNORECASE)
# … but not the model's own memory of the chat ("每次对话对我来说都是全新的", "I'm an AI, so I have no …")
_MODEL_LIFE = re.compile(r"聊|对话|對話|记录|紀錄|记忆|記憶|记得|記得|记不|記不|窗口|視窗|模型|傾|助手|助理|机器|機器|"
                         r"人工智|智能|"
                         r"(?<![a-z])(?:ai|a\.i\.|bot|chatbot|assistant|language model|model|training|trained|"
                         r"internet|online|browse|browsing|real-time|web|servers?|software|program|code|record|"
                         r"records|memory|conversations?|chats?|sessions?)(?![a-z])|"
                         r"训练|联网|上网|实时|网络|程序|软件|代码", re.IGNORECASE)
LIFE_CHARS = 160  # a life told in a short answer; a longer one is judged sentence by sentence


def own_life(text: str) -> str | None:
    """How far a short answer shows a person's own life rather than a model declining (see above): "life" (its
    people and doings, or a person saying they are not a model: no refusal or disclaimer rule applies), "details"
    (only a life's details: no refusal rule applies) or None."""
    body = text.strip()
    if not body or len(body) > LIFE_CHARS:
        return None
    if _NOT_A_MODEL.search(body):
        return "life"
    if _MODEL_LIFE.search(body):
        return None
    cjk = _HAN.search(body) is not None
    if (_LIFE_ZH if cjk else _LIFE_EN).search(body):
        return "life"
    return "details" if (_DETAILS_ZH if cjk else _DETAILS_EN).search(body) else None
