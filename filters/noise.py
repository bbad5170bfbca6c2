"""Noise and quality checks: facts computed per row, thresholds from the config decide.

Tuned for instruction data: a one-word answer ("Paris") is a good row, so length floors default low.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from filters.slop import normalise
from filters.textspans import code_blocks
from formats.example import Example


class NoiseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_output_chars: int = Field(1, ge=0)
    max_output_chars: int = Field(20_000, gt=0)
    max_instruction_chars: int = Field(8_000, gt=0)
    max_repeated_line_share: float = Field(0.5, gt=0, le=1, description="share of lines that are repeats")
    max_repeated_ngram_share: float = Field(0.5, gt=0, le=1, description="share of word 3-grams that repeat")
    disable: list[str] = Field(default_factory=list, description="noise rule ids to switch off")


PLACEHOLDER_ANSWERS = {"", "n/a", "na", "none", "null", "nil", "-", "--", "...", "tbd", "todo", "<nooutput>",
                       "<no output>", "no output", "无", "暂无", "没有", "空", "略", "无答案"}
_PLACEHOLDER = re.compile(r"lorem ipsum|<noinput>|<nooutput>|\{\{?\s*(?:name|placeholder|input)\s*\}?\}")
_TEMPLATE_TOKENS = re.compile(r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id)\|>|\[/?INST\]|<</?SYS>>"
                              r"|^#{2,3} ?(?:Response|Instruction|Input):", re.MULTILINE)
_MERGED = re.compile(r"(?:^|\n)\s*\d{1,3}\s*[.)]\s*(?:Instruction|Input|Output)\s*:", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def repeated_line_share(text: str) -> float:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 4:
        return 0.0
    counts = Counter(lines)
    return sum(c - 1 for c in counts.values()) / len(lines)


def repeated_ngram_share(text: str, n: int = 3) -> float:
    words = _WORD.findall(text.casefold())
    if len(words) < 30:
        return 0.0
    grams = Counter(zip(*(words[i:] for i in range(n)), strict=False))
    total = max(1, len(words) - n + 1)
    return sum(c - 1 for c in grams.values() if c > 1) / total


Check = Callable[[Example, NoiseSettings], str | None]


def _empty(ex: Example, s: NoiseSettings) -> str | None:
    return "output is empty or a placeholder" if normalise(ex.output).strip(" .。") in PLACEHOLDER_ANSWERS else None


def _too_short(ex: Example, s: NoiseSettings) -> str | None:
    n = len(ex.output.strip())
    return f"output has {n} characters < min_output_chars {s.min_output_chars}" if n < s.min_output_chars else None


def _too_long(ex: Example, s: NoiseSettings) -> str | None:
    if len(ex.output) > s.max_output_chars:
        return f"output has {len(ex.output)} characters > max_output_chars {s.max_output_chars}"
    if len(ex.instruction) > s.max_instruction_chars:
        return f"instruction has {len(ex.instruction)} characters > max_instruction_chars {s.max_instruction_chars}"
    return None


def _empty_instruction(ex: Example, s: NoiseSettings) -> str | None:
    return "instruction is empty" if not ex.instruction.strip() else None


def _placeholder(ex: Example, s: NoiseSettings) -> str | None:
    for name in ("instruction", "output"):
        m = _PLACEHOLDER.search(getattr(ex, name).casefold())
        if m:
            return f"{name} contains placeholder {m.group(0)!r}"
    return None


def _template_tokens(ex: Example, s: NoiseSettings) -> str | None:
    for name in ("instruction", "input", "output"):
        m = _TEMPLATE_TOKENS.search(getattr(ex, name))
        if m:
            return f"{name} contains chat-template token {m.group(0)!r}"
    return None


def _echo(ex: Example, s: NoiseSettings) -> str | None:
    out = normalise(ex.output).strip()
    return "output only repeats the instruction" if out and out == normalise(ex.instruction).strip() else None


def _merged(ex: Example, s: NoiseSettings) -> str | None:
    m = _MERGED.search(ex.output)
    return f"output contains another instruction ({m.group(0).strip()!r})" if m else None


def _unclosed_fence(ex: Example, s: NoiseSettings) -> str | None:
    if "```" not in ex.output:
        return None
    fences = sum(1 for line in ex.output.splitlines() if line.lstrip().startswith("```"))
    return "output has an unclosed code fence" if fences % 2 else None


def _repetition(ex: Example, s: NoiseSettings) -> str | None:
    prose = ex.output
    for start, end in reversed(code_blocks(prose)):
        prose = prose[:start] + prose[end:]
    line_share = repeated_line_share(prose)
    if line_share > s.max_repeated_line_share:
        return f"{line_share:.0%} of output lines are repeats > {s.max_repeated_line_share:.0%}"
    gram_share = repeated_ngram_share(prose)
    if gram_share > s.max_repeated_ngram_share:
        return f"{gram_share:.0%} of output word 3-grams repeat > {s.max_repeated_ngram_share:.0%}"
    return None


# Order matters only for which reason is reported first; every check is a drop.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("noise.empty-output", _empty),
    ("noise.empty-instruction", _empty_instruction),
    ("noise.too-short", _too_short),
    ("noise.too-long", _too_long),
    ("noise.placeholder", _placeholder),
    ("noise.template-token", _template_tokens),
    ("noise.echo", _echo),
    ("noise.merged-instruction", _merged),
    ("noise.unclosed-fence", _unclosed_fence),
    ("noise.repetition", _repetition),
)


def first_problem(ex: Example, settings: NoiseSettings) -> tuple[str, str] | None:
    """(rule id, detail) of the first noise check the row fails, or None."""
    for rule_id, check in CHECKS:
        if rule_id in settings.disable:
            continue
        detail = check(ex, settings)
        if detail:
            return rule_id, detail
    return None
