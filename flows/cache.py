"""Content-addressed cache for incremental re-runs.

Prefect's INPUTS cache policy hashes a Path by its string, not by what the file holds, so a changed file
would hit a stale cache. Keys here are built from what actually decides the output: the source's
content fingerprint (file size + mtime, or the shard bytes), the config section that applies, and the
code version (a hash of the curation code and rule files). A hit is a file that exists, so deleting
the cache folder is always safe.
"""

from __future__ import annotations

import glob
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

# Every package whose code shapes an output: flows/ writes outputs itself (finalize, the split), report/ the reports.
PACKAGES = ("formats", "filters", "report", "train", "flows")


ROOT = Path(__file__).resolve().parent.parent


def code_files() -> list[Path]:
    """Every .py and rule file of the curation packages, rule folders at any depth (filters/rules/pii/)."""
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*"))
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts]


@cache
def code_version() -> str:
    """Hash of every .py and rule file of the packages that shape outputs: new code, new cache keys (a change to
    the CLI also starts afresh: simpler than telling which flows/ modules shape the outputs, and as safe)."""
    digest = hashlib.blake2b(digest_size=8)
    for path in code_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (pydantic models are dumped first)."""
    def plain(part: Any) -> Any:
        return part.model_dump(mode="json") if isinstance(part, BaseModel) else part
    blob = json.dumps([plain(p) for p in parts], sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=12).hexdigest()


def file_fingerprint(base_dir: Path, patterns: list[str]) -> list[tuple[str, int, int]] | None:
    """(path, size, mtime_ns) of every file a source reads; None when the source is not file-based."""
    files: set[str] = set()
    for pattern in patterns:
        files.update(glob.glob(str(base_dir / pattern), recursive=True))
    out = []
    for name in sorted(files):
        stat = Path(name).stat()
        out.append((name, stat.st_size, stat.st_mtime_ns))
    return out


def file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=12)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
