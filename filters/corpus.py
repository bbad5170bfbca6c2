"""The corpus-level steps, run once over every cleaned row (they compare rows with each other or with evaluation
sets): the registry of such steps. A new one is a Step class in its own module plus one line here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filters.decontaminate import DecontaminateStep
from filters.dedup import DedupStep
from filters.mix import MixStep
from filters.overrides import OverrideStep
from formats.step import Step


def corpus_steps(config: Any, base_dir: Path, log: Any = None) -> list[Step]:
    """The steps in order, from the pipeline config (`decontamination:` only when evaluation sets are named).
    `log`: where a step that reports its own progress (dedup) writes it; None: that step's module logger."""
    steps: list[Step] = []
    if config.overrides.keep or config.overrides.drop or config.overrides.file:
        steps.append(OverrideStep(config.overrides, base_dir))
    if config.decontamination.eval_sets:
        steps.append(DecontaminateStep(config.decontamination, base_dir))
    steps.append(DedupStep(config.dedup, {source.name: i for i, source in enumerate(config.sources)}, log))
    if any(source.sample for source in config.sources):
        steps.append(MixStep(config.sources, config.output.seed))
    return steps
