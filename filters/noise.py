"""Noise and quality checks: facts computed per row, thresholds from the config decide.

Tuned for instruction data: a one-word answer ("Paris") is a good row, so length floors default low.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from filters.signature import closing_line, is_valediction
from filters.simplified import simplified
from filters.slop import FILLER_ONLY, exempt_categories, normalise
from formats.example import FIELDS, Example
from formats.language import guess, guess_scored, looks_like_code, plainly_english
from formats.text import code_blocks, estimate_tokens, has_cjk, without_code_blocks


class NoiseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_output_chars: int = Field(1, ge=0)
    max_output_chars: int = Field(20_000, gt=0)
    max_instruction_chars: int = Field(8_000, gt=0)
    max_input_chars: int = Field(20_000, gt=0)
    min_output_tokens: int = Field(1, ge=0, description="estimated tokens (formats.text.estimate_tokens)")
    max_output_tokens: int = Field(6_000, gt=0)
    max_prompt_tokens: int = Field(6_000, gt=0, description="instruction + input, estimated tokens")
    language_min_letters: int = Field(
        24, ge=1, description="wrong-language check: letters of prose (code removed) needed on both sides before a "
        "language is guessed; CJK characters count 3 each")
    language_min_confidence: float = Field(
        0.9, gt=0, le=1, description="wrong-language check: both guesses must be at least this sure "
        "(formats.language.guess_scored) before a row is dropped")
    max_repeated_line_share: float = Field(0.5, gt=0, le=1, description="share of lines that are repeats")
    max_repeated_ngram_share: float = Field(0.5, gt=0, le=1, description="share of word 3-grams that repeat")
    filler: bool = Field(True, description="drop a single-turn answer that is only conversational filler (an "
                         "acknowledgement, a wish, a request for more input); switch off for multi-turn data, where "
                         "such a turn is context")
    disable: list[str] = Field(default_factory=list, description="noise rule ids to switch off")


PLACEHOLDER_ANSWERS = {"", "n/a", "na", "none", "null", "nil", "-", "--", "...", "tbd", "todo", "<nooutput>",
                       "<no output>", "no output", "无", "暂无", "没有", "空", "略", "无答案"}
_SYMBOL = re.compile(r"[A-Z][a-z]")  # a chemical element's symbol, not "NA"
_PLACEHOLDER = re.compile(r"lorem ipsum|<noinput>|<nooutput>|\{\{?\s*(?:name|placeholder|input)\s*\}?\}")
_TEMPLATE_TOKENS = re.compile(r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id)\|>|\[/?INST\]|<</?SYS>>"
                              r"|^#{2,3} ?(?:Response|Instruction|Input):", re.MULTILINE)
# a second numbered example glued on ("2. Instruction: …"); "1. Input: the data is read" is a list item, not that
_MERGED = re.compile(r"(?:^|\n)\s*\d{1,3}\s*[.)]\s*Instruction\s*:", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# What a finished text may end with: sentence punctuation, closing brackets/quotes, digits, markup, emoji.
# Evidence of truncation at the very end: a comma or an open bracket, or a word that cannot end an English
# sentence. A missing full stop alone is no evidence: lists, names, titles, numbers and one-line answers are
# complete without one.
_DANGLING = re.compile(r"(?:[,，、(（\[{]|\b(?:and|or|but|the|of|because|an|whose|whereas|when|while|although))\s*$",
                       re.IGNORECASE)
# Chinese writers (doctors above all) often end a finished answer with "，": only a comma after a word that
# announces more (如 / 比如 / 包括 / 和 …), an enumeration comma or an open bracket is evidence. A colon is not,
# as in English: a manual's paragraph ending "例如：" announces the block that follows it in the source.
_DANGLING_CJK = re.compile(r"(?:[、（(]|(?:如|比如|例如|包括|以及|和|及|与|或|或者|但|但是|而|因为|由于|如果|并且"
                           r"|首先|其次)"
                           r"[，,]?)\s*$")
_CLOSED_END = frozenset(".!?。！？…\"'”’)）]】》」』>`*_~;；|%°")
_OPEN_CLOSE = (("(", ")"), ("（", "）"), ("[", "]"), ("“", "”"), ("「", "」"), ("《", "》"))
_CODEY = re.compile(r"^(?: {2,}|\t)\S|[;{}]\s*$|^#!|^\$ |\b(?:def|function|class|return|import|echo|print|var|"
                    r"const|let|public|SELECT|find|grep)\b[^\n]*[=(\'\"$]", re.MULTILINE)
_STRUCTURED_LINE = re.compile(r"^\s*(?:[-*+•·]|\d{1,3}[.)、]|#|\||[A-Za-z]\)|[（(]?\d{1,3}[)）])")
# A Chinese prompt that quotes English words ("用“opulent”造句", "复数形式：watch") asks for English.
_QUOTED_LATIN = re.compile(r"[\"“”'‘’「『][A-Za-z][^\"“”'‘’」』\n]{0,80}[\"“”'‘’」』]|[:：]\s*[A-Za-z][\w ,'-]*$")
# "the French for …", "the English word for …", "a Chinese version": a language's words asked for (read by both the
# wrong-language check and the filler check)
_WORDS_OF_A_LANGUAGE = (
    r"(?:english|chinese|mandarin|french|spanish|german|japanese|korean|italian|portuguese|russian|arabic|latin|"
    r"foreign) (?:version|word|words|sentence|phrase|equivalent|text|language|name|term|for)\b")
# A task about languages or translation legitimately answers in another language.
_LANGUAGE_TASK = re.compile(
    r"translat|\bin (?:english|chinese|mandarin|cantonese|french|spanish|german|japanese|korean|italian|"
    r"portuguese|russian|arabic|hindi|dutch|latin|greek|turkish|vietnamese|thai|another language)|"
    rf"{_WORDS_OF_A_LANGUAGE}|\blanguage\b|pinyin|"
    r"翻译|译成|译为|译文|英文|英语|中文|汉语|普通话|粤语|法语|日语|德语|西班牙语|韩语|俄语|意大利语|葡萄牙语|阿拉伯语|拼音|外语|语言|"
    # the task named in the prompt's own language ("Übersetze … ins Deutsche", "翻成繁体字", "en français")
    r"übersetz|tradu[ci]|traduz|deutsch|französisch|englisch|chinesisch|spanisch|français|anglais|allemand|"
    r"chinois|español|inglés|alemán|翻成|翻譯|譯成|繁体|繁體|简体|簡體|英語|中國話")


def repeated_line_share(text: str) -> float:
    """Share of non-empty lines that repeat an earlier line: (lines - distinct lines) / lines."""
    if text.count("\n") < 3:
        return 0.0
    lines = [ln for ln in map(str.strip, text.splitlines()) if ln]
    if len(lines) < 4:
        return 0.0
    return (len(lines) - len(set(lines))) / len(lines)


def repeated_ngram_share(text: str, n: int = 3, threshold: float = 0.0) -> float:
    """Share of word n-gram occurrences that repeat an earlier one; 0.0 whenever it cannot exceed threshold."""
    if len(text) < 60 or text.count(" ") < 29 and len(text) < 400:
        return 0.0  # cannot hold 30 words: skip the counting
    words = text.casefold().split()
    if len(words) < 30:
        return 0.0
    # A repeated 3-gram repeats its first word, so repeats of 3-grams ≤ repeats of words: rows with many
    # distinct words (almost all) are decided without counting 3-grams.
    if len(words) - len(set(words)) <= threshold * (len(words) - n + 1):
        return 0.0
    grams = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    total = max(1, len(words) - n + 1)
    return sum(c - 1 for c in grams.values() if c > 1) / total


Check = Callable[[Example, NoiseSettings], str | None]


_LONGEST_PLACEHOLDER = max(map(len, PLACEHOLDER_ANSWERS)) + 8


def _empty(ex: Example, s: NoiseSettings) -> str | None:
    if len(ex.output) > _LONGEST_PLACEHOLDER:
        return None
    answer = normalise(ex.output).strip(" .。")
    if answer not in PLACEHOLDER_ANSWERS or _SYMBOL.fullmatch(ex.output.strip(" .。")):
        return None  # "Na" is sodium: a placeholder is written "NA", "N/A" or "na"
    if answer and re.search(rf"(?<!\w){re.escape(answer)}(?!\w)", normalise(f"{ex.instruction}\n{ex.input}")):
        return None  # "If there is none, output N/A.": the prompt asked for exactly this answer
    return "output is empty or a placeholder"


def _too_short(ex: Example, s: NoiseSettings) -> str | None:
    n = len(ex.output.strip())
    return f"output has {n} characters < min_output_chars {s.min_output_chars}" if n < s.min_output_chars else None


def _too_long(ex: Example, s: NoiseSettings) -> str | None:
    if len(ex.output) > s.max_output_chars:
        return f"output has {len(ex.output)} characters > max_output_chars {s.max_output_chars}"
    if len(ex.instruction) > s.max_instruction_chars:
        return f"instruction has {len(ex.instruction)} characters > max_instruction_chars {s.max_instruction_chars}"
    if len(ex.input) > s.max_input_chars:
        return f"input has {len(ex.input)} characters > max_input_chars {s.max_input_chars}"
    return None


def _tokens(ex: Example, s: NoiseSettings) -> str | None:
    # Character bounds are checked first: no row reaches this with a text so long that counting is costly.
    if s.min_output_tokens > 1 or len(ex.output) > s.max_output_tokens:
        n = estimate_tokens(ex.output)
        if n < s.min_output_tokens:
            return f"output has {n} tokens < min_output_tokens {s.min_output_tokens}"
        if n > s.max_output_tokens:
            return f"output has {n} tokens > max_output_tokens {s.max_output_tokens}"
    if len(ex.instruction) + len(ex.input) > s.max_prompt_tokens:
        n = estimate_tokens(ex.instruction) + estimate_tokens(ex.input)
        if n > s.max_prompt_tokens:
            return f"instruction + input have {n} tokens > max_prompt_tokens {s.max_prompt_tokens}"
    return None


def _empty_instruction(ex: Example, s: NoiseSettings) -> str | None:
    return "instruction is empty" if not ex.instruction.strip() else None


def _placeholder(ex: Example, s: NoiseSettings) -> str | None:
    for name in ("instruction", "output"):
        text = getattr(ex, name)
        if "{" not in text and "<" not in text and "orem" not in text and "OREM" not in text:
            continue
        folded = text.casefold()
        for m in _PLACEHOLDER.finditer(folded):
            if _in_code(text, m.start(), m.end()):
                continue  # f"Hello, {name}!", `${name}`, text = "Lorem ipsum …": the code's own string, not a hole
            return f"{name} contains placeholder {m.group(0)!r}"
    return None


_INTERPOLATES = re.compile(r"\bf['\"]|\$['\"{]|\.format\(|`|%s|console\.|print\s*\(|\bdef |\breturn\b|"
                           r"=\s*['\"]|\(\s*['\"]")


def _in_code(text: str, start: int, end: int) -> bool:
    """Whether a placeholder-looking match sits in code: a code block, or a line that interpolates or quotes it."""
    if any(a <= start < b for a, b in code_blocks(text)):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    return text[start - 1:start] == "$" or _INTERPOLATES.search(line) is not None


def _template_tokens(ex: Example, s: NoiseSettings) -> str | None:
    for name in FIELDS:
        text = getattr(ex, name)
        if "<|" not in text and "INST]" not in text and "<<" not in text and "##" not in text:
            continue
        m = _TEMPLATE_TOKENS.search(text)
        if m:
            return f"{name} contains chat-template token {m.group(0)!r}"
    return None


def _echo(ex: Example, s: NoiseSettings) -> str | None:
    if not 0.5 <= (len(ex.output) + 1) / (len(ex.instruction) + 1) <= 2:
        return None  # NFKC changes lengths a little, never by half
    out = normalise(ex.output).strip()
    return "output only repeats the instruction" if out and out == normalise(ex.instruction).strip() else None


def _merged(ex: Example, s: NoiseSettings) -> str | None:
    out = ex.output
    if ":" not in out or not ("nstruction" in out or "nput" in out or "utput" in out or "NSTRUCTION" in out
                              or "NPUT" in out or "UTPUT" in out):
        return None
    m = _MERGED.search(ex.output)
    return f"output contains another instruction ({m.group(0).strip()!r})" if m else None


def _unclosed_fence(ex: Example, s: NoiseSettings) -> str | None:
    if "```" not in ex.output:
        return None
    fences = sum(1 for line in ex.output.splitlines() if line.lstrip().startswith("```"))
    return "output has an unclosed code fence" if fences % 2 else None


def _unfinished(ex: Example, s: NoiseSettings) -> str | None:
    """Output cut off: it ends on a comma, an open bracket or a word that cannot end a sentence ("and", "the"),
    leaves a quote or bracket open, or stops at the length cap. Never on a missing full stop alone, and never
    where the prompt ends the same way (a poem line ending in "，" like its input). Code is left to its own
    checks."""
    out = ex.output.rstrip()
    if not out or out[-1] in _CLOSED_END:
        return None  # the common case: nothing at the end to suggest a cut (an open quote is checked below)
    blocks = code_blocks(out)
    if blocks and blocks[-1][1] >= len(out):
        return None  # ends in a code block (an unclosed one is noise.unclosed-fence)
    last_line = out[out.rfind("\n") + 1:]
    if _STRUCTURED_LINE.match(last_line) or looks_like_code(out) or _CODEY.search(out):
        return None
    if "\n" in out and (is_valediction(last_line) or (out.endswith("\n\n" + last_line) and closing_line(last_line))):
        return None  # "…\n\nYours sincerely,", "…\n\nAlways on call,": a letter's closing line ends on its comma
    prompt_end = f"{ex.instruction}\n{ex.input}".rstrip()[-1:]
    if prompt_end and prompt_end == out[-1]:
        return None
    if has_cjk(last_line[-20:]):
        if _DANGLING_CJK.search(last_line) and len(last_line) >= 8:
            return f"output ends mid-sentence: ...{last_line[-40:]!r}"
        return None
    if _DANGLING.search(last_line) and estimate_tokens(last_line) >= 4:
        return f"output ends mid-sentence: ...{last_line[-40:]!r}"
    prose = without_code_blocks(out)
    for left, right in _OPEN_CLOSE:
        if left in prose and prose.count(left) > prose.count(right) and prose.rfind(left) > prose.rfind(right) \
                and len(prose) - prose.rfind(left) > 40:
            return f"output leaves {left!r} open: ...{last_line[-40:]!r}"
    return None


_CODE_ANSWER = re.compile(r"^\s*(?:select|insert|update|delete|create|alter|drop|with|from)\b|^\s*[\[{]",
                          re.IGNORECASE)


def _code_answer(text: str) -> bool:
    """SQL, JSON and other code answers belong to no natural language: "SELECT …" answers a Chinese prompt."""
    stripped = text.strip()
    if _CODE_ANSWER.match(stripped) or looks_like_code(stripped):
        return True
    return "\n" not in stripped and bool(_CODEY.search(stripped))


def _wrong_language(ex: Example, s: NoiseSettings) -> str | None:
    """Instruction and output in different languages, unless the task is about language (translation …), the
    output follows the input's language or is code. Only where both guesses are confident
    (language_min_confidence) on enough prose (language_min_letters): a one-sentence German answer is not
    judged by its few English-looking words. The reject says both guesses and how sure each was."""
    if len(ex.output) * 3 < s.language_min_letters:
        return None  # not even as Han text (3 per character) would it be long enough to judge
    if ex.output.isascii() and ex.instruction.isascii() and (not ex.input or ex.input.isascii()):
        if plainly_english(ex.output) and plainly_english(ex.instruction):
            return None  # the common case, decided on the first 300 characters of each
        # Both Latin script: the only mismatch left is English vs another Latin-script language; decide
        # cheaply that the output is English before any model runs.
        out_lang = guess(ex.output, s.language_min_letters)
        if out_lang in (None, "en"):
            inst_lang = guess(ex.instruction, s.language_min_letters) if out_lang == "en" else None
            if inst_lang in (None, "en"):
                return None
        else:
            inst_lang = guess(ex.instruction, s.language_min_letters)
    else:
        out_lang = guess(ex.output, s.language_min_letters)
        if out_lang is None:
            return None
        inst_lang = guess(ex.instruction, s.language_min_letters)
    if inst_lang is None or inst_lang == out_lang:
        return None
    if ex.input and guess(ex.input, s.language_min_letters) == out_lang:
        return None
    prompt = f"{ex.instruction}\n{ex.input}"
    if _LANGUAGE_TASK.search(prompt.casefold()) or (out_lang == "en" and _QUOTED_LATIN.search(prompt)):
        return None
    if _code_answer(ex.output):
        return None
    out_lang, out_conf = guess_scored(ex.output, s.language_min_letters)
    inst_lang, inst_conf = guess_scored(ex.instruction, s.language_min_letters)
    if out_lang is None or inst_lang is None or out_lang == inst_lang \
            or min(out_conf, inst_conf) < s.language_min_confidence:
        return None
    return f"instruction is {inst_lang!r} ({inst_conf:.2f}) but output is {out_lang!r} ({out_conf:.2f})"


# A whole answer that only acknowledges or asks for the input ("Sure, please send me chapter 8.", "好的，请发给我。").
_ACK = (r"(?:sure(?: thing)?|okay|ok|got it|understood|alright|all right|noted|certainly|of course|absolutely|great|"
        r"perfect|sounds good|will do|no problem|thanks|thank you)")
_REQUEST = (r"(?:(?:please|kindly|go ahead and|feel free to|just|you can|can you|could you)\s+)*(?:send|share|provide|"
            r"paste|give|upload|tell|show)(?: it| them| that)?(?: (?:to|over to))?(?: me)?\b[^.!?\n]{0,60}")
_READY = r"(?:i(?:'m| am) (?:ready|here|waiting|listening)|i(?:'ll| will) wait|go ahead)[^.!?\n]{0,40}"
_FILLER_EN = re.compile(rf"(?:(?:{_ACK}|{_REQUEST}|{_READY})[\s,.!?:;-]*){{1,4}}", re.IGNORECASE)
_FILLER_ZH = re.compile(r"(?:(?:好的|好|可以|当然|没问题|收到|明白了?|了解|嗯|行)[，,。！!～~]*"
                        r"|(?:请|麻烦)?(?:你|您)?(?:把|将)?"
                        r"[^。！？!?\n]{0,10}(?:发给我|发过来|给我|提供给我|告诉我|贴出来|发一下)[^。！？!?\n]{0,10}[。！!～~]*"
                        r"|我(?:准备好了|在等|等着)[^。！？!?\n]{0,10}[。！!～~]*){1,4}")
# addressed to the model: "send me …", "I'm ready", "发给我" (not "Send the form to HR by Friday.", an answer)
_TO_ME = re.compile(r"\bme\b|\bi(?:'m| am) (?:ready|here|waiting|listening)|\bi(?:'ll| will) wait|go ahead|给我|告诉我|"
                    r"发过来|准备好|在等|等着", re.IGNORECASE)


# a prompt that asks for a word or a phrase ("how do you say thanks in English", "a synonym for happy", "翻译"): an
# answer made of acknowledgement words is then the answer
_ASKS_FOR_WORDS = re.compile(
    r"\b(?:translat\w*|synonyms?|antonyms?|spell|in (?:english|chinese|french|german|spanish|japanese)|"
    r"(?:how|what) (?:do|would|should|can) (?:you|i|we|people) (?:say|reply|respond|answer|greet)|"
    r"(?:a|one|the) (?:word|phrase|expression|greeting|reply|response) (?:for|that|to|meaning)|"
    rf"{_WORDS_OF_A_LANGUAGE}|"
    r"stands? for|abbreviation|acronym|(?:expand|expansion of|full form of|short for))\b|"
    r"怎么说|如何说|翻译|译成|同义词|近义词|反义词|用(?:英语|英文|中文|汉语|日语)|(?:英语|英文|中文)(?:里|中)?(?:怎么|如何)|"
    r"说法|回复什么|怎么回复|怎么回答|翻成|翻譯|譯成|缩写|縮寫|全称|全稱|"
    # a rewrite asks for the text itself: "请用不同的措辞改写这句话：…" answered with the rewritten words
    r"改写|改寫|换(?:个|种|一种)说法|\b(?:rewrite|rephrase|paraphrase|reword)", re.IGNORECASE)


def _filler(ex: Example, s: NoiseSettings) -> str | None:
    """A whole answer that is only conversational filler carries nothing to learn from in a single-turn row:
    an acknowledgement plus a request for more input, or only openers / closers (flagged by the slop step,
    which keeps such a row rather than empty it). Off with filler: false (multi-turn data)."""
    if not s.filler:
        return None
    out = ex.output.strip()
    if FILLER_ONLY in ex.meta.get("flags", ()):
        reason = "output is only acknowledgement / wish / offer sentences"
    elif len(out) > 160 or not out:
        return None
    else:
        pattern = _FILLER_ZH if has_cjk(out) else _FILLER_EN
        if not (pattern.fullmatch(out) and _TO_ME.search(out)):
            return None
        reason = f"output is only a conversational turn: {out[:60]!r}"
    if _ASKS_FOR_WORDS.search(f"{ex.instruction}\n{ex.input}"):
        return None  # "A synonym for 'happy'?" "Glad": the words are the answer
    if "missing-input" in exempt_categories(simplified(f"{ex.instruction}\n{ex.input}"), {"missing-input"}):
        return None  # "帮我润色一下这封邮件。" with no email: asking for it is the answer (prompt.missing-material)
    return reason


def _repetition(ex: Example, s: NoiseSettings) -> str | None:
    prose = without_code_blocks(ex.output)
    line_share = repeated_line_share(prose)
    if line_share > s.max_repeated_line_share:
        return f"{line_share:.0%} of output lines are repeats > {s.max_repeated_line_share:.0%}"
    gram_share = repeated_ngram_share(prose, threshold=s.max_repeated_ngram_share)
    if gram_share > s.max_repeated_ngram_share:
        return f"{gram_share:.0%} of output word 3-grams repeat > {s.max_repeated_ngram_share:.0%}"
    return None


# Order matters only for which reason is reported first; every check is a drop.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("noise.empty-output", _empty),
    ("noise.empty-instruction", _empty_instruction),
    ("noise.too-short", _too_short),
    ("noise.too-long", _too_long),
    ("noise.tokens", _tokens),
    ("noise.placeholder", _placeholder),
    ("noise.template-token", _template_tokens),
    ("noise.echo", _echo),
    ("noise.merged-instruction", _merged),
    ("noise.unclosed-fence", _unclosed_fence),
    ("noise.unfinished", _unfinished),
    ("noise.repetition", _repetition),
    ("noise.wrong-language", _wrong_language),
    ("noise.filler", _filler),
)


def first_problem(ex: Example, settings: NoiseSettings) -> tuple[str, str] | None:
    """(rule id, detail) of the first noise check the row fails, or None."""
    disabled = settings.disable
    for rule_id, check in CHECKS:
        if disabled and rule_id in disabled:
            continue
        detail = check(ex, settings)
        if detail:
            return rule_id, detail
    return None
