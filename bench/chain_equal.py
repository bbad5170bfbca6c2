"""Fingerprint of every decision the cleaning chain makes, to prove a speed-up changed none (issue: chain speed).

    python -m bench.chain_equal OUT.json       # writes per-set digests and one line per row for diffing

Sets: 30k Alpaca-like rows (bench.slop_eval.alpaca_like), bench/devset and bench/heldout (*.jsonl, built first),
and the dev Alpaca files; each with PII on and off. A row's line holds its kept text and meta (or nothing), and
every edit and reject of it; the digest is over the lines in order.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import orjson

from bench.slop_eval import DEFAULT_DEVDATA, alpaca_like, load_devdata
from filters.clean import FilterSettings, clean_batch, shard_steps
from formats.example import Example
from formats.ledger import Ledger

ROOT = Path(__file__).resolve().parent


def _jsonl_rows(path: Path) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(str(r.get("id", i)), r.get("instruction") or "", r.get("input") or "", r.get("output") or "",
                    path.stem, {"locator": str(i)}) for i, r in enumerate(rows)]


def sets() -> dict[str, list[Example]]:
    dev = load_devdata(DEFAULT_DEVDATA)
    out = {"alpaca_like_30k": alpaca_like(dev, 30_000)}
    for folder in ("devset", "heldout"):
        for path in sorted((ROOT / folder).glob("*.jsonl")):
            out[f"{folder}/{path.name}"] = _jsonl_rows(path)
    for path in sorted((DEFAULT_DEVDATA / "alpaca").glob("*.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        out[f"alpaca/{path.name}"] = [Example.from_fields(path.stem, str(i), r.get("instruction") or "",
                                                          r.get("input") or "", r.get("output") or r.get("response")
                                                          or "") for i, r in enumerate(rows)]
    return out


def fingerprint(rows: list[Example], settings: FilterSettings) -> list[bytes]:
    ids = [ex.id + "|" + ex.meta["locator"] for ex in rows]
    keys = {id(ex): key for ex, key in zip(rows, ids, strict=True)}
    ledger = Ledger()
    kept = clean_batch(rows, shard_steps(settings), ledger)
    lines: dict[str, dict] = {key: {"kept": None, "edits": [], "rejects": []} for key in ids}
    for ex in kept:
        lines[keys[id(ex)]]["kept"] = ex.to_dict()
    by_id = {key.split("|")[0]: key for key in ids}
    for edit in ledger.edits:
        lines[by_id[edit.id]]["edits"].append(edit.to_dict())
    for reject in ledger.rejects:
        lines[by_id[reject.id]]["rejects"].append([reject.stage, reject.rule, reject.detail, reject.row])
    counts = {rule: c.as_dict() for rule, c in sorted(ledger.rules.items())}
    return [orjson.dumps({"row": key, **lines[key]}, option=orjson.OPT_SORT_KEYS) for key in ids] + \
        [orjson.dumps(counts, option=orjson.OPT_SORT_KEYS)]


def main() -> None:
    out = Path(sys.argv[1])
    settings = FilterSettings()
    off = settings.model_copy(update={"pii": settings.pii.model_copy(update={"enabled": False})})
    digests, dump = {}, []
    for name, rows in sets().items():
        for label, chosen in (("on", settings), ("off", off)):
            copies = [Example.from_dict(orjson.loads(orjson.dumps(ex.to_dict()))) for ex in rows]
            lines = fingerprint(copies, chosen)
            digests[f"{name} pii-{label}"] = [len(rows), hashlib.sha256(b"\n".join(lines)).hexdigest()]
            dump += [f"{name} pii-{label} ".encode() + line for line in lines]
    out.write_text(json.dumps(digests, indent=1))
    out.with_suffix(".lines").write_bytes(b"\n".join(dump))
    print(json.dumps(digests, indent=1))


if __name__ == "__main__":
    main()
