"""Freeze the dev / held-out split of the 181-page article-extraction benchmark before any tuning.

A page goes to held-out when the first byte of sha256("sftcurate-issue-18:" + page id) is odd: deterministic,
independent of file order, and of nothing an extractor could be tuned on. Written once to split.json; re-running
must reproduce the same file (tests check that).

    python bench/extract/make_split.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRUTH = HERE.parent.parent.parent / "shared" / "devdata" / "html" / "article_benchmark" / "ground-truth.json"
SALT = "sftcurate-issue-18:"


def is_heldout(page_id: str) -> bool:
    return hashlib.sha256((SALT + page_id).encode()).digest()[0] % 2 == 1


def split(ids: list[str]) -> dict[str, list[str]]:
    ids = sorted(ids)
    return {"dev": [i for i in ids if not is_heldout(i)], "heldout": [i for i in ids if is_heldout(i)]}


def main() -> None:
    if not TRUTH.is_file():
        raise SystemExit(f"no ground truth at {TRUTH}")
    parts = split(list(json.loads(TRUTH.read_text(encoding="utf-8"))))
    out = HERE / "split.json"
    out.write_text(json.dumps({"rule": f"heldout iff sha256({SALT!r} + id)[0] is odd", **parts}, indent=1) + "\n")
    print(f"dev {len(parts['dev'])}, heldout {len(parts['heldout'])} -> {out}")


if __name__ == "__main__":
    sys.exit(main())
