"""Openers and closers found by their shape (filters/edge_shape.py, issue 21), and the run that a lead-in bounds."""

import pytest

from filters.clean import FilterSettings, build_matcher, clean_batch, shard_steps
from filters.edge_shape import closer_shape, opener_shape
from formats.example import Example
from formats.ledger import Ledger


@pytest.mark.parametrize("sentence", [
    "Hope this gets your Wi-Fi back on track.",
    "Have a brilliant time in Rome!",
    "If you paste the full file, I can spot the issue.",
    "Drop me a message if the build still fails.",
    "If it still doesn't work, we can try a different approach.",
    "Which approach are you leaning towards?",
    "如果你把完整的文件发过来，我可以再帮你看看。",
    "这样的步骤对你有帮助吗？",
])
def test_closers_by_shape(sentence):
    assert closer_shape(sentence)


@pytest.mark.parametrize("sentence", [
    "Hope is the thing with feathers.",  # not a wish: the poem's subject
    "Are you iterating through tags programatically?",  # a person's question, about the subject
    "Let me know the breed when you sign up so facilities can plan the space.",  # an FAQ's request
    "Let me know if Thursday still works for you.",  # a letter: a name
    '"Good luck," said the examiner, without looking up.',  # a story: a quotation
    "祝患者身体早日恢复健康！",  # a doctor's own formula (the human-closing rules judge it)
    "Restart the router and wait 2 minutes.",
])
def test_content_is_not_a_closer(sentence):
    assert not closer_shape(sentence)


def test_openers_by_shape():
    assert opener_shape("You want to know how a heat pump works.")
    assert opener_shape("It sounds like you're dealing with a tricky landlord.")
    assert opener_shape("听起来你遇到了一个难缠的房东。")
    assert not opener_shape("You want to use the --force flag only once.")
    assert not opener_shape("It sounds harsh, but the deadline is fixed.")


def _clean(output: str, instruction: str = "Explain it.") -> str | None:
    settings = FilterSettings()
    kept = clean_batch([Example.from_fields("s", "1", instruction, "", output)],
                       shard_steps(settings, matcher=build_matcher(settings.slop)), Ledger())
    return kept[0].output if kept else None


def test_the_run_goes_on_to_the_lead_in_that_bounds_it():
    answer = "Check the constraints first: the list must stay sorted."
    assert _clean(f"Ooh, tough one! But I think we can crack it. Let's look at it together.\n\n{answer}") == answer
    # without a lead-in to bound it, the sentence after the opener is the answer's
    assert _clean("Ooh, tough one! But the list must stay sorted.") == "But the list must stay sorted."


def test_a_letter_the_prompt_asked_for_keeps_its_wishes():
    letter = "Dear Sam,\n\nThe house is finally ours.\n\nHope you all had a lovely Christmas."
    assert _clean(letter, "Write a letter to a friend about the new house.") == letter
