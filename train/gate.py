"""The stats gate and the label preview: what a person checks before spending GPU hours.

Dataset-level figures come from `report.stats.dataset_stats` (shared with the report) with the model's own
tokenizer; the training-specific ones (lengths after templating, over-length share, truncated / skipped rows,
trained tokens) are added here from the exact ids training will use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from report.stats import dataset_stats, percentiles
from train.prompts import IGNORE, Encoded, PromptFormat
from train.settings import GateSettings


class GateError(RuntimeError):
    """The dataset failed a gate; the message names the gate, the value and the setting to change."""


def encode_rows(rows: Sequence[dict[str, Any]], fmt: PromptFormat, max_seq_len: int
                ) -> tuple[list[Encoded], dict[str, Any]]:
    """Encode every row once (training reuses the result) and count what truncation did."""
    encoded: list[Encoded] = []
    full_lengths: list[int] = []
    skipped: list[str] = []
    for row in rows:
        full_lengths.append(fmt.full_length(row))
        ex = fmt.encode(row, max_seq_len)
        if ex is None:
            skipped.append(str(row.get("id", "")))
        else:
            encoded.append(ex)
    info = {
        "template": fmt.mode,
        "max_seq_len": max_seq_len,
        "example_tokens": percentiles(full_lengths),
        "over_max_seq_len": sum(n > max_seq_len for n in full_lengths),
        "over_max_seq_len_share": round(sum(n > max_seq_len for n in full_lengths) / max(1, len(rows)), 4),
        "truncated_prompt": sum(e.truncated for e in encoded),
        "skipped_answer_too_long": len(skipped),
        "skipped_ids": skipped[:20],
        "train_examples": len(encoded),
        "train_tokens": sum(len(e) for e in encoded),
        "trained_tokens": sum(sum(t != IGNORE for t in e.labels) for e in encoded),
    }
    return encoded, info


def training_stats(rows: Sequence[dict[str, Any]], fmt: PromptFormat, max_seq_len: int
                   ) -> tuple[list[Encoded], dict[str, Any]]:
    """Shared dataset stats (tokens by the model's tokenizer) plus the training view of the same rows."""
    tok = fmt.tokenizer

    def count(text: str) -> int:
        return len(tok(text, add_special_tokens=False)["input_ids"])

    stats = dataset_stats(rows, count_tokens=count, max_seq_len=max_seq_len)
    encoded, info = encode_rows(rows, fmt, max_seq_len)
    stats["training"] = info
    return encoded, stats


def gate_problems(stats: dict[str, Any], gates: GateSettings) -> list[str]:
    """Every failed gate, each with the fix; empty when training may start."""
    problems = []
    if stats["rows"] < gates.min_rows:
        problems.append(f"only {stats['rows']} training rows, gate train.gates.min_rows is {gates.min_rows}: "
                        "curate more data or lower the gate (--min-rows N)")
    share = stats["training"]["over_max_seq_len_share"]
    if share > gates.max_over_length_share:
        problems.append(f"{share:.1%} of rows are longer than max_seq_len={stats['training']['max_seq_len']} tokens "
                        f"(gate train.gates.max_over_length_share is {gates.max_over_length_share:.1%}): raise "
                        "max_seq_len (--max-seq-len N), drop long rows in the filters, or raise the gate")
    if stats["training"]["train_examples"] == 0:
        problems.append("no example fits max_seq_len with its whole answer and EOS: raise max_seq_len "
                        "(--max-seq-len N)")
    return problems


def check_gates(stats: dict[str, Any], gates: GateSettings) -> None:
    problems = gate_problems(stats, gates)
    if problems:
        raise GateError("refusing to train: " + "; ".join(problems))


def label_preview(row: dict[str, Any], fmt: PromptFormat, max_seq_len: int) -> dict[str, Any]:
    """Every token with its id and whether it is trained on, plus the checks people get wrong."""
    ex = fmt.encode(row, max_seq_len)
    if ex is None:
        return {"id": row.get("id"), "skipped": "answer + EOS do not fit max_seq_len"}
    tok = fmt.tokenizer
    tokens = [{"i": i, "id": t, "token": tok.convert_ids_to_tokens(t), "text": tok.decode([t]),
               "trained": lab != IGNORE} for i, (t, lab) in enumerate(zip(ex.input_ids, ex.labels, strict=True))]
    trained = [t for t in tokens if t["trained"]]
    bos_count = sum(t == fmt.bos_id for t in ex.input_ids) if fmt.bos_id is not None else 0
    in_spans = {i for start, end in ex.trained_spans for i in range(start, end)}
    checks = {
        "bos_count": bos_count,
        "one_bos": bos_count == 1 if fmt.bos_id is not None else True,
        "bos_first": fmt.bos_id is None or ex.input_ids[0] == fmt.bos_id,
        "eos_last_and_trained": ex.input_ids[-1] == fmt.eos_id and ex.labels[-1] == fmt.eos_id,
        # every trained token is inside an assistant reply and every user/system token is masked
        "prompt_masked": {t["i"] for t in trained} == in_spans,
        "trained_spans": [list(span) for span in ex.trained_spans],
        "trained_tokens": len(trained),
        "truncated_prompt": ex.truncated,
    }
    checks["ok"] = checks["one_bos"] and checks["bos_first"] and checks["eos_last_and_trained"] and \
        checks["prompt_masked"] and len(trained) > 1
    return {"id": row.get("id"), "tokens": tokens, "checks": checks}


def render_preview(preview: dict[str, Any], max_tokens: int = 400) -> str:
    """A table a person can read: one token a line, '·' masked (-100), 'T' trained."""
    if "skipped" in preview:
        return f"row {preview['id']}: skipped — {preview['skipped']}"
    lines = [f"row {preview['id']}  ({len(preview['tokens'])} tokens)", "   pos     id  label  token"]
    tokens = preview["tokens"]
    shown = tokens if len(tokens) <= max_tokens else tokens[:max_tokens // 2] + [None] + tokens[-max_tokens // 2:]
    for t in shown:
        if t is None:
            lines.append(f"   ... {len(tokens) - max_tokens} tokens not shown ...")
            continue
        mark = "T" if t["trained"] else "·"
        raw = f"  (part of a character: {t['token']})" if "\ufffd" in t["text"] else ""
        lines.append(f"  {t['i']:>4} {t['id']:>6}  {mark:^5}  {t['text']!r}{raw}")
    c = preview["checks"]
    if len(c.get("trained_spans", [])) > 1:
        lines.append(f"  trained spans (one per assistant turn): {c['trained_spans']}")
    lines.append(f"  checks: BOS count {c['bos_count']} (one: {c['one_bos']}), EOS last and trained: "
                 f"{c['eos_last_and_trained']}, prompt masked: {c['prompt_masked']}, trained tokens: "
                 f"{c['trained_tokens']}, truncated: {c['truncated_prompt']} → {'OK' if c['ok'] else 'PROBLEM'}")
    return "\n".join(lines)
