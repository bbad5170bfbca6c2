"""A machine's signature under an answer (issue 21): "Yours truly,\\nThe Chatbot", "Cheers,\\nThe Assistant Team",
"Claude (AI)", "——智能问答小帮手", "祝你好运！\\n通义千问", "文心一言 敬上".

A named rule knows a few signatures word for word; held-out ones use other names. What they share is a shape: the
answer's last line is short, names a machine (AI, bot, assistant, a product's name, 助手, 客服 …), and either sits
under a valediction line ("Best regards,", "此致 / 敬礼", "顺祝商祺！") or is set off as a signature (a dash before
it, "您的…", "… 敬上"). A person's signature names a person, so a letter the user asked for keeps its "Sincerely,
\\nJohn"; a scene or a persona in the prompt switches the closer rules off for the row anyway.
"""

from __future__ import annotations

import re

from formats.text import has_cjk

SIGNATURE_WORDS = 7  # an English signature line holds at most this many words …
SIGNATURE_CHARS = {False: 60, True: 16}  # … and characters, by script (Chinese: True)
_MACHINE_EN = re.compile(
    r"(?i)(?<![\w.])(?:a\.?i\.?|ai-powered|(?:chat)?bot|assistant|gpt[\w.-]*|chatgpt|claude|gemini|copilot|llama|"
    r"mistral|le chat|qwen|deepseek|kimi|ernie|grok|virtual|digital helper|language model)(?![\w])")
_MACHINE_ZH = re.compile(
    r"(?i)ai|人工智能|智能|助手|助理|机器人|機器人|小帮手|小幫手|客服|bot|通义|通義|千问|千問|文心|豆包|kimi|智谱|智譜|"
    r"星火|混元|deepseek|chatgpt|gpt|claude|gemini|小度|小爱|小愛")
_VALEDICTION_EN = re.compile(
    r"(?i)(?:yours(?: (?:truly|sincerely|faithfully|always|ever))?|(?:very )?sincerely(?: yours)?"
    r"|respectfully(?: yours)?|cordially"
    r"|(?:(?:best|kind|kindest|warm|warmest|fond|warm and kind|with (?:best|kind|warm))[ ,]+)?"
    r"(?:regards|wishes)|best|cheers|many thanks|thanks(?: (?:again|a lot|so much|for reading))?"
    r"|thank you(?: (?:again|so much))?|with (?:gratitude|thanks|appreciation|love|care|warmth)|all the best"
    r"|take care|(?:have|enjoy) a (?:\w+ )?(?:one|day|week|weekend|evening)|until next time|talk soon|warmly"
    r"|happy \w+ing|good luck|peace|ciao)(?:, (?:and )?(?:friend|mate|pal))?[\s,!.]*[\W_]*")
_VALEDICTION_ZH = re.compile(
    r"(?:此致|敬礼|敬禮|敬上|谨上|謹上|谨此|謹此|祝好|(?:敬|顺|順|谨|謹|并|並|再次|最后|最後)?(?:祝|颂|頌)[\u4e00-\u9fff\s]{1,8})"
    r"[\s!！。~～]*[\W_]*")
_SENTENCE_INSIDE = re.compile(r"[.?!。？！](?=\s*\w)")  # a sentence ends inside the line: it is prose


def _script(text: str) -> bool:
    return has_cjk(text)


def is_valediction(line: str) -> bool:
    """A closing formula on a line of its own: "Best regards,", "Have a good one,", "此致", "敬祝 順心"."""
    text = line.strip()
    return bool(text) and (_VALEDICTION_ZH if _script(text) else _VALEDICTION_EN).fullmatch(text) is not None


_CLOSING_LINE = re.compile(r"[^\W\d_][^\d.!?。！？\n]{0,40}[,，]")
CLOSING_WORDS = 5


def closing_line(line: str) -> bool:
    """A letter's closing line: a valediction, or a short line of its own that ends on a comma with no sentence in it
    ("Always on call,", "Yours in code,") — the shape of a sign-off whatever its words."""
    text = line.strip()
    return is_valediction(text) or (_CLOSING_LINE.fullmatch(text) is not None and len(text.split()) <= CLOSING_WORDS)


def may_sign(line: str) -> bool:
    """Cheap test first: short and naming a machine (the flow asks this of every answer's last line)."""
    text = line.strip()
    if not text:
        return False
    cjk = _script(text)
    return len(text) <= SIGNATURE_CHARS[cjk] and (_MACHINE_ZH if cjk else _MACHINE_EN).search(text) is not None


def machine_signature(line: str, above: str) -> bool:
    """`line`, an answer's last line, is the machine signing it; `above` is the line over it ("" when none)."""
    text = line.strip()
    if not may_sign(text) or _SENTENCE_INSIDE.search(text) or text.endswith((".", "。")):
        return False  # a sentence ("The bot restarts.", "请联系客服。"), not a name
    if _script(text):
        set_off = text[:1] in "—-~～" or text.startswith(("您的", "你的")) or text.endswith(("敬上", "谨上", "謹上"))
    else:
        set_off = text[:1] in "—–-~" and len(text.split()) <= SIGNATURE_WORDS + 1
        if len(text.split()) > SIGNATURE_WORDS:
            return False
    return set_off or is_valediction(above)
