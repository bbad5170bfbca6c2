"""The output folder: where it is, whether this run may write there, and one run at a time.

Every file a run writes replaces a file of the same name, so a wrong `--out` (the inputs' folder, `..`, `/`, the home
folder) would overwrite data that is not ours. The folder is checked before anything is written: it must not be
the file system's root or the home folder, must not hold a configured input, and must be empty, new, or a previous
output of this tool (which leaves a marker file in it). An advisory lock then keeps a second run out while one
writes. Plain functions, no Prefect: the CLI checks before Prefect starts, and the flow checks again (deployments
and tests call it directly).
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from flows.config import project_salt_of
from flows.outputs import output_files
from formats.readers import kind_of

MARKER = ".sftcurate-output"  # "this folder is an output of sftcurate": a later run may replace its files
LOCK = ".sftcurate.lock"
_LEGACY = (".state", "report.json")  # what outputs written before the marker existed always hold


class OutputDirError(ValueError):
    """This run may not write into the folder it was given; the message says why and what to do."""


def resolve_out_dir(output_dir: str, base_dir: Path, override: str | None = None) -> Path:
    """`--out` is a command-line path (relative to the working directory); `output.dir` is relative to the config
    file, like every other path in it."""
    if override:
        return Path(override).expanduser().resolve()
    return (base_dir / Path(output_dir).expanduser()).resolve()  # an absolute (or ~) path stays itself


def input_paths(cfg: Any, base_dir: Path, config_file: Path | None = None) -> list[Path]:
    """Every file the run reads: the sources' files (globs expanded), the evaluation sets and the config itself."""
    found: set[Path] = {config_file.resolve()} if config_file else set()
    for spec in cfg.sources:
        for pattern in kind_of(spec).input_files(spec) or []:
            found.update(Path(p).resolve() for p in glob.glob(str(base_dir / pattern), recursive=True))
            if not glob.has_magic(pattern):
                found.add((base_dir / pattern).resolve())
    found.update((base_dir / e.path).resolve() for e in cfg.decontamination.eval_sets)
    return sorted(found)


def glob_matches(pattern: str, path: Path) -> bool:
    """Whether `glob.glob(pattern, recursive=True)` would list `path` (both absolute): segment by segment, `**`
    spanning any number of folders. (glob.translate arrives in Python 3.13.)"""
    want, have = Path(os.path.normpath(pattern)).parts, path.parts

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(have)
        if want[i] == "**":
            return any(match(i + 1, k) for k in range(j, len(have) + 1))
        return j < len(have) and fnmatch.fnmatchcase(have[j], want[i]) and match(i + 1, j + 1)

    return match(0, 0)


def outputs_read_as_inputs(cfg: Any, base_dir: Path, out: Path) -> list[str]:
    """Input patterns that would read a file this run writes (`**/*.html` over a folder holding report.html)."""
    written = output_files(cfg.output, out)
    return sorted({pattern for spec in cfg.sources for pattern in kind_of(spec).input_files(spec) or []
                   if any(glob_matches(str(base_dir / pattern), path) for path in written)})


def is_previous_output(folder: Path) -> bool:
    return (folder / MARKER).is_file() or all((folder / name).exists() for name in _LEGACY)


def check_out_dir(out: Path, inputs: list[Path]) -> None:
    """Refuse a folder this run must not write into. Nothing is created here."""
    out = out.resolve()
    if out.parent == out:
        raise OutputDirError(f"output folder {out} is the root of the file system; give a folder of its own")
    if out == Path.home().resolve():
        raise OutputDirError(f"output folder {out} is your home folder; give a folder of its own, e.g. {out}/sft_out")
    for path in inputs:
        if path == out or out in path.parents:
            raise OutputDirError(f"output folder {out} holds an input of this run ({path}); outputs would overwrite "
                                 "inputs: give a folder of its own")
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output folder {out} is a file, not a folder")
    if out.is_dir() and not is_previous_output(out) and any(p.name != LOCK for p in out.iterdir()):
        raise OutputDirError(f"output folder {out} is not empty and is not an earlier output of this tool (no "
                             f"{MARKER} file); its files would be replaced: give a new or empty folder")


def claim(out: Path) -> None:
    """Create the folder and mark it as ours (after `check_out_dir` said yes)."""
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    if not marker.is_file():
        marker.write_text("Written by sftcurate: a later run replaces the files in this folder.\n")


@contextmanager
def output_lock(out: Path, wait: bool = False) -> Iterator[None]:
    """Hold the folder's advisory lock (flock via `filelock`) while a run writes. Re-entrant in one process (the
    CLI takes it, then the flow in the same process takes it again); a second process waits (`wait`) or fails at
    once with a clear message."""
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK, timeout=-1 if wait else 0, thread_local=False, is_singleton=True,
                    preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        raise OutputDirError(f"another run is writing to {out} (it holds {out / LOCK}); wait for it to end, or run "
                             "with --wait to queue behind it") from None
    try:
        yield
    finally:
        lock.release()


def prepare(cfg: Any, base_dir: Path, config_file: Path | None, override: str | None) -> Path:
    """Resolve and check the output folder, then create and mark it: the one call both the CLI and the flow make."""
    out = resolve_out_dir(cfg.output.dir, base_dir, override)
    check_out_dir(out, input_paths(cfg, base_dir, config_file))
    patterns = outputs_read_as_inputs(cfg, base_dir, out)
    if patterns:
        raise OutputDirError(f"output folder {out} lies where the input pattern(s) {patterns} would read this run's "
                             "own outputs on the next run; give a folder outside them")
    claim(out)
    if cfg.filters.pii.enabled and not cfg.filters.pii.salt:  # first run: the project's salt, beside the config
        cfg.filters.pii.salt = project_salt_of(base_dir, create=True)
    return out
