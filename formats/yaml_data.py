"""YAML data files (the rule files, the PII lists) read with libyaml's C parser where PyYAML has it: the same data
as `yaml.safe_load` (checked on every built-in rule file, PII lists included), ~7x less CPU; every process that
builds the filters pays it (bench/RESULTS.md, "Whole-flow speed, issue 14")."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load(text)`."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
