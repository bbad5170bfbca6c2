"""A machine's signature under an answer (filters/signature.py, issue 21): stripped with the sign-off lines above it,
found by its shape rather than by name; a person's signature and a letter the user asked for stay."""

from __future__ import annotations

import pytest

from filters.clean import SlopSettings, apply_slop, build_matcher
from filters.signature import is_valediction, machine_signature
from formats.example import Example
from formats.ledger import Ledger

ANSWER_EN = "The cache keeps ten entries."
ANSWER_ZH = "缓存最多保存十条记录。"


def run(output: str, instruction: str = "How many entries does the cache keep?") -> str | None:
    row = Example.from_fields("t", "1", instruction, "", output)
    settings = SlopSettings()
    return row.output if apply_slop(row, build_matcher(settings), settings, Ledger()) else None


@pytest.mark.parametrize(("line", "above"), [
    ("The Helpdesk Bot", "Yours faithfully,"), ("Gemini (your AI pal)", "Warmly,"), ("Copilot", "Take care,"),
    ("— your friendly chatbot", ""), ("小智客服机器人", "顺颂时祺"), ("——豆包", ""), ("您的专属AI顾问", ""),
    ("千问小助手 谨上", ""),
])
def test_a_signature_that_names_a_machine(line, above):
    assert machine_signature(line, above)


@pytest.mark.parametrize(("line", "above"), [
    ("Maria", "Best regards,"), ("The bot restarts.", "Cheers,"), ("Restart the AI assistant", "Then save it."),
    ("王医生", "此致"), ("请联系客服。", "祝好"), ("The assistant manager", ""),
])
def test_a_person_or_a_sentence_is_not_a_signature(line, above):
    assert not machine_signature(line, above)


def test_valedictions():
    assert all(is_valediction(v) for v in ("Kind regards,", "Have a lovely weekend,", "此致", "敬祝 安康", "Cheers!"))
    assert not any(is_valediction(v) for v in ("Regards to your mother are in order.", "此致敬礼的人很多。"))


@pytest.mark.parametrize("closing", [
    "Yours faithfully,\nThe Helpdesk Bot", "Thanks again for asking!\nTake care,\nCopilot",
    "Warmly,\nGemini (your AI pal)",
])
def test_an_english_signature_goes_with_its_sign_off(closing):
    assert run(f"{ANSWER_EN}\n\n{closing}") == ANSWER_EN


@pytest.mark.parametrize("closing", ["此致\n敬礼\n小智客服机器人", "顺颂时祺\n千问小助手 谨上", "祝一切顺利！\n——豆包"])
def test_a_chinese_signature_takes_the_human_formulae_above_it(closing):
    assert run(f"{ANSWER_ZH}\n\n{closing}") == ANSWER_ZH


@pytest.mark.parametrize("letter", [
    "Dear Ms. Ortiz,\n\nThe heater in flat 4 is broken again.\n\nBest regards,\nTom Becker",
    "尊敬的李老师：\n\n感谢您这学期的指导。\n\n此致\n敬礼\n学生 王明",
])
def test_a_persons_letter_keeps_its_closing(letter):
    assert run(letter, "Write a short note.") == letter
