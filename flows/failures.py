"""Failures a person reads: one line per failed source (what failed, why, what to do), the traceback elsewhere.

A refused database connection used to print ~200 lines; the cause was one line in the middle. Drivers and
SQLAlchemy write several lines (hints, a link to their docs), so the first line is the message and a hint chosen by
what the message says is the fix.
"""

from __future__ import annotations

import re

_NOISE = re.compile(r"\s*\(Background on this error at: [^)]*\)")

# (pattern in the error text, what to do); the first match wins
_HINTS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.IGNORECASE), h) for p, h in [
    (r"limits\.(\w+) exceeded", "the input is over a limit: raise limits.\\1 in the config if the input is trusted"),
    (r"statement timeout|canceling statement|interrupted",
     "the query ran past limits.statement_timeout_s: make it cheaper or raise the limit"),
    (r"password authentication failed|authentication failed|access denied",
     "check the user in the url and the password in the variable named by password_env"),
    (r"connection refused|could not connect|connection failed|could not translate host|timeout expired|"
     r"server closed the connection|no route to host",
     "check that the database server is running and reachable at the source's url, then run again"),
    (r"no such column|column .* does not exist|has no column|not found; the file has|missing field",
     "fix the source's columns: mapping (or the query) so that every mapped column exists"),
    (r"no such table|relation .* does not exist", "fix the table name in the source's query"),
    (r"more than once", "rename the repeated columns in the file's header"),
    (r"no pages match|no such file|file not found|FileNotFoundError",
     "check the source's path; relative paths are relative to the config file"),
    (r"permission denied", "give the user running the build read access to the source's files"),
    (r"stopped by a signal", "the run was stopped; run it again to finish (finished work is cached)"),
]]
_DEFAULT_HINT = "the traceback is in build.log in the output folder (or run with --verbose)"


def one_line(error: BaseException) -> str:
    """`Type: first line of the message`, without the driver's follow-up lines."""
    text = _NOISE.sub("", str(error)).strip()
    first = text.splitlines()[0].strip() if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def hint(message: str) -> str:
    """What a person can do about a failure, from its message."""
    for pattern, advice in _HINTS:
        found = pattern.search(message)
        if found:
            return found.expand(advice)
    return _DEFAULT_HINT


def describe(source: str, message: str) -> str:
    return f"source {source} failed: {message} — {hint(message)}"
