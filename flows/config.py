"""The pipeline config: one YAML file, validated in full before any work starts.

Every error names the key (as a path like `sources[1].encoding`), the value and what was expected.
This module does not import Prefect, so a bad config fails in well under a second.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from filters.clean import FilterSettings
from filters.decontaminate import DecontaminationSettings
from filters.dedup import DedupSettings
from filters.overrides import OverrideSettings, load_overrides
from filters.pii import project_salt
from formats.limits import Limits
from formats.readers import SOURCE_KINDS, Source, kind_of
from formats.writers import OutputSettings
from train.settings import TrainSettings

# libyaml's C loader parses a 10,000-source config ~10x faster than the pure-Python one (102 s -> seconds).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValueError):
    """A config problem a person must fix; the message says where and how."""


class RunSettings(BaseModel):
    """How the flow runs: never what it produces (outputs are identical whatever the runner)."""

    model_config = ConfigDict(extra="forbid")

    task_runner: Literal["threads", "processes", "dask"] = Field(
        "processes", description="processes (default: every core cleans shards), threads (one core) or dask")
    workers: int | None = Field(None, ge=1, description="worker processes (processes, local Dask); default: every core")
    local_below_kb: int = Field(
        1024, ge=0, description="sources and shards smaller than this are read and cleaned in the flow's own "
        "process: starting a worker process costs more than it saves on them")
    dask_address: str | None = Field(None, description="scheduler address of an existing Dask cluster")
    chunk_rows: int = Field(20_000, gt=0, description="rows per shard: the unit of parallel work and caching")
    cache: bool = Field(True, description="reuse work from earlier runs whose inputs, config and code match")
    cache_dir: str | None = Field(None, description="default: <output dir>/.cache")


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(min_length=1)
    filters: FilterSettings = FilterSettings()
    dedup: DedupSettings = DedupSettings()
    decontamination: DecontaminationSettings = DecontaminationSettings()
    output: OutputSettings = OutputSettings()
    overrides: OverrideSettings = OverrideSettings()
    run: RunSettings = RunSettings()
    train: TrainSettings = TrainSettings()
    limits: Limits = Limits()

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[Any]) -> list[Any]:
        dupes = sorted(name for name, n in Counter(s.name for s in sources).items() if n > 1)  # not O(n²)
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        weighted = [s.name for s in sources if s.sample and s.sample.weight]
        if weighted and len(weighted) != len(sources):
            unweighted = [s.name for s in sources if s.name not in weighted]
            raise ValueError(f"sample.weight is set on {weighted} but not on {unweighted}: a target share needs a "
                             "weight on every source (or on none)")
        return sources


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in SOURCE_KINDS and out.startswith("sources["):
            continue  # the discriminator branch pydantic adds to the location
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = PipelineConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in SOURCE_KINDS and model is None:
            model = SOURCE_KINDS[part].model
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return sorted(getattr(model, "model_fields", {})) if model else []


_KEYED_MESSAGE = re.compile(r"Value error, (?P<key>[a-z_]+): (?P<msg>.*)", re.DOTALL)


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    where = _path(loc)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{where}: unknown key{hint}"
    if error["type"] == "union_tag_invalid":
        return f"{where}: kind {error['input'].get('kind')!r} is not one of {', '.join(SOURCE_KINDS)}"
    if error["type"] == "union_tag_not_found":
        return f"{where}: missing 'kind' (one of {', '.join(SOURCE_KINDS)})"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    value = error.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
    keyed = _KEYED_MESSAGE.match(error["msg"]) if error["type"] == "value_error" else None
    if keyed:  # a check across an entry's keys (a model validator) names the key it is about
        return f"{where}.{keyed['key']}: {keyed['msg']}"
    return f"{where}: {error['msg']}{shown}"


def _check_files(config: PipelineConfig, base_dir: Path) -> list[str]:
    """Problems that need the file system: paths that do not exist, sqlite files that are not there."""
    problems = []
    for i, src in enumerate(config.sources):
        problems += [f"sources[{i}] ({src.name}).{problem}" for problem in kind_of(src).check(src, base_dir)]
    for i, eval_set in enumerate(config.decontamination.eval_sets):
        if not (base_dir / eval_set.path).is_file():
            problems.append(f"decontamination.eval_sets[{i}] ({eval_set.name}).path: file not found: "
                            f"{base_dir / eval_set.path}")
    if config.overrides.file and not (base_dir / config.overrides.file).is_file():
        problems.append(f"overrides.file: file not found: {base_dir / config.overrides.file}")
    else:
        try:
            load_overrides(config.overrides, base_dir)
        except ValueError as err:
            problems.append(f"overrides: {err}")
    if config.train.enabled and not config.train.model:
        problems.append("train.model: training is enabled but no model is given (a local folder or a hub id)")
    return problems


def load_config(path: str | Path) -> tuple[PipelineConfig, Path]:
    """Parse and validate; returns the config and the directory its relative paths are resolved from."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a text file (byte {err.start} is not UTF-8); --config takes the pipeline "
                          "YAML") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read: {err.strerror}") from None
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (it contains NUL bytes); --config takes the pipeline YAML")
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader: CSafeLoader or SafeLoader
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'sources' list at the top")
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as err:
        lines = [_describe(e) for e in err.errors()]
        raise ConfigError(f"{path}: {len(lines)} problem(s):\n  - " + "\n  - ".join(lines)) from None
    base_dir = path.resolve().parent
    problems = _check_files(config, base_dir)
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))
    if config.filters.pii.enabled and not config.filters.pii.salt:  # the project's own, made by prepare()
        config.filters.pii.salt = project_salt_of(base_dir, create=False)
    return config, base_dir


def project_salt_of(base_dir: Path, create: bool) -> str:
    """The project's PII salt (filters/pii.py: project_salt), a bad salt file as a config error."""
    try:
        return project_salt(base_dir, create)
    except (OSError, ValueError) as err:
        raise ConfigError(f"filters.pii.salt: none given and none can be kept beside the config ({err}); set "
                          "filters.pii.salt to a secret string") from None
