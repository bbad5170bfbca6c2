"""Source specs: what a config entry under `sources:` may say, one model per kind.

Unknown keys are refused (`extra="forbid"`) so a typo fails before any work starts.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A column mapping value: a column name, several columns joined by a blank line, or a constant.
ColumnRef = str | list[str] | dict[Literal["const"], str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(Strict):
    """Which input columns/fields become instruction, input and output."""

    instruction: ColumnRef = "instruction"
    input: ColumnRef | None = "input"
    output: ColumnRef = "output"


class SourceBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short id used in provenance and reports")
    license: str | None = None


class HtmlSource(SourceBase):
    kind: Literal["html"]
    paths: str | list[str] = Field(description="glob(s) of .html / .html.gz files, relative to the config file")
    extract: Literal["qa", "text"] = "qa"
    selectors: str | dict[str, str] | None = Field(
        None, description="Q/A mode: a preset name or {item, instruction, input, output} CSS selectors")
    instruction: str | None = Field(None, description="text mode: template, e.g. 'Explain {title}'")
    encoding: str = "auto"

    @field_validator("selectors")
    @classmethod
    def _known_selector_keys(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        if isinstance(value, dict):
            unknown = set(value) - {"item", "instruction", "input", "output"}
            if unknown:
                raise ValueError(f"unknown selector key(s) {sorted(unknown)}; expected item, instruction, "
                                 "input, output")
            if "output" not in value or "instruction" not in value:
                raise ValueError("selectors need at least 'instruction' and 'output'")
        return value


class CsvSource(SourceBase):
    kind: Literal["csv"]
    path: str
    encoding: str = "auto"
    delimiter: str = "auto"
    columns: Columns = Columns()
    chunk_rows: int = Field(50_000, gt=0)


class SqlSource(SourceBase):
    kind: Literal["sql"]
    url: str = Field(description="SQLAlchemy URL; relative sqlite paths are relative to the config file")
    query: str
    columns: Columns = Columns()
    key: str | list[str] | None = Field(None, description="key column(s) used as the row locator")
    script: str | None = Field(None, description="sqlite only: a .sql file loaded into a fresh database first")
    password_env: str | None = Field(None, description="environment variable that holds the password")

    @field_validator("query")
    @classmethod
    def _select_only(cls, query: str) -> str:
        check_read_only(query)
        return query


class JsonlSource(SourceBase):
    kind: Literal["jsonl"]
    path: str = Field(description=".jsonl, or a .json array (Alpaca style)")
    columns: Columns = Columns()


Source = Annotated[HtmlSource | CsvSource | SqlSource | JsonlSource, Field(discriminator="kind")]

_WRITE_WORDS = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|create|alter|truncate|grant|revoke|attach|detach|"
    r"pragma|vacuum|copy|call|exec|execute|into)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def check_read_only(query: str) -> None:
    """Refuse anything but one SELECT (or WITH … SELECT) before it reaches a database."""
    code = _STRINGS.sub("''", _COMMENTS.sub(" ", query)).strip().rstrip(";").strip()
    if ";" in code:
        raise ValueError("only a single statement is allowed (found ';' between statements)")
    first = code.split(None, 1)[0].lower() if code else ""
    if first not in ("select", "with"):
        raise ValueError(f"only SELECT or WITH … SELECT queries are allowed, got {first.upper() or 'nothing'}")
    word = _WRITE_WORDS.search(code)
    if word:
        raise ValueError(f"the query contains {word.group(0).upper()!r}: only read-only queries are allowed")
