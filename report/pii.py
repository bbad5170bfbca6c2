"""The report's personal-data section: what was found per type and per source, and masked examples.

Built from what the rows and the ledger already hold (the PII step writes `meta["pii"]` = {type: count} on every row
where it found something, and masks every value before the row reaches an output or the ledger), so the report
needs nothing from filters/ and can show no value that the ledger does not hold."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from formats.example import FIELDS, Example
from formats.ledger import Ledger
from formats.rowstore import kept_having

STAGE = "pii"


def _snippet(text: str, pii_type: str, context: int = 60) -> str | None:
    """The text around the first placeholder of the type (the text is masked already: a snippet of it is too)."""
    m = re.search(f"<{pii_type}(?:_\\d+)?>", text)
    if m is None:
        return None
    start, end = max(0, m.start() - context), min(len(text), m.end() + context)
    return f"{'…' if start else ''}{text[start:end]}{'…' if end < len(text) else ''}"


def _flagged(meta: dict[str, Any]) -> bool:
    return any(str(rule).startswith(f"{STAGE}.") for rule in meta.get("flags") or ())


def pii_summary(sources: Sequence[str], kept: Mapping[str, Example], ledger: Ledger,
                per_type: int = 3) -> dict[str, Any]:
    """Values found per type and source (rows kept and rows rejected later alike), rows per action, and a few
    masked examples per type."""
    found: dict[str, Counter[str]] = {}
    rows: dict[str, Counter[str]] = {}
    examples: dict[str, list[dict[str, str]]] = {}

    def add(source: str, counts: dict[str, int], row_id: str, status: str, texts: dict[str, str],
            flagged: bool) -> None:
        """A row flagged by a detector still holds that value, maybe right beside a placeholder: no example."""
        for pii_type, n in counts.items():
            found.setdefault(pii_type, Counter())[source] += n
            rows.setdefault(pii_type, Counter())[source] += 1
            shown = examples.setdefault(pii_type, [])
            if len(shown) < per_type and not flagged:
                for name, text in texts.items():
                    if snippet := _snippet(text, pii_type):
                        shown.append({"id": row_id, "source": source, "status": status, "field": name,
                                      "masked": snippet})
                        break

    for example in kept_having(kept, "pii"):
        if example.meta.get("pii"):
            add(example.source, example.meta["pii"], example.id, "kept",
                {f: getattr(example, f) for f in FIELDS}, _flagged(example.meta))
    for reject in ledger.rejects:
        meta = reject.row.get("meta") or {}
        if meta.get("pii"):
            add(reject.source, meta["pii"], reject.id, f"rejected ({reject.stage}: {reject.rule})",
                {f: str(reject.row.get(f) or "") for f in FIELDS}, _flagged(meta))
    actions = {rule: {"masked": c.stripped, "dropped": c.dropped, "flagged": c.flagged}
               for rule, c in sorted(ledger.rules.items()) if c.stage == STAGE}
    return {
        "values_found": {t: {s: found[t][s] for s in sources if found[t][s]} for t in sorted(found)},
        "rows": {t: {s: rows[t][s] for s in sources if rows[t][s]} for t in sorted(rows)},
        "by_rule": actions,
        "examples": {t: examples[t] for t in sorted(examples)},
    }
