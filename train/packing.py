"""Batches: packed rows with per-example attention, or length-grouped padded batches as the fallback.

Packing puts several examples in one row with position ids restarting at 0 for each and no attention mask:
transformers 5.x then builds a block-diagonal causal mask from the restarts, so no example sees another —
but only with `use_cache=False` (with a cache it silently attends across examples). Padding at a row's end is
given restarting positions too, so it forms its own block and is never attended to by real tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from train.prompts import IGNORE, Encoded


@dataclass
class Batch:
    """Model inputs plus the counts that tokens/s and padding share are computed from."""

    inputs: dict[str, torch.Tensor]
    real_tokens: int
    trained_tokens: int

    @property
    def positions(self) -> int:
        return self.inputs["input_ids"].numel()


def pack(examples: Sequence[Encoded], seq_len: int) -> list[list[Encoded]]:
    """First-fit decreasing: few rows, little padding; deterministic for the same input."""
    bins: list[list[Encoded]] = []
    room: list[int] = []
    for ex in sorted(examples, key=len, reverse=True):
        for i, free in enumerate(room):
            if len(ex) <= free:
                bins[i].append(ex)
                room[i] -= len(ex)
                break
        else:
            bins.append([ex])
            room.append(seq_len - len(ex))
    return bins


def collate_packed(rows: Sequence[Sequence[Encoded]], pad_id: int) -> Batch:
    """input_ids, labels, position_ids (restarting per example); deliberately no attention_mask."""
    width = max(sum(len(e) for e in row) for row in rows)
    ids, labels, positions = [], [], []
    for row in rows:
        r_ids = [t for e in row for t in e.input_ids]
        r_lab = [t for e in row for t in e.labels]
        r_pos = [p for e in row for p in range(len(e))]
        pad = width - len(r_ids)
        ids.append(r_ids + [pad_id] * pad)
        labels.append(r_lab + [IGNORE] * pad)
        positions.append(r_pos + list(range(pad)))
    inputs = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "position_ids": torch.tensor(positions)}
    return _batch(inputs, sum(len(e) for row in rows for e in row))


def collate_padded(examples: Sequence[Encoded], pad_id: int) -> Batch:
    """Right-padded batch with an attention mask: the plain way, and the fallback when packing is off."""
    width = max(len(e) for e in examples)
    ids = [e.input_ids + [pad_id] * (width - len(e)) for e in examples]
    labels = [e.labels + [IGNORE] * (width - len(e)) for e in examples]
    mask = [[1] * len(e) + [0] * (width - len(e)) for e in examples]
    inputs = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}
    return _batch(inputs, sum(len(e) for e in examples))


def _batch(inputs: dict[str, torch.Tensor], real: int) -> Batch:
    return Batch(inputs, real, int((inputs["labels"] != IGNORE).sum()))


def make_batches(examples: Sequence[Encoded], batch_size: int, seq_len: int, pad_id: int, packing: bool,
                 seed: int = 0, group_by_length: bool = True) -> list[Batch]:
    """One epoch of batches in a seeded random order.

    packing=False with group_by_length: examples of similar length share a batch (less padding);
    group_by_length=False is the plain shuffled baseline the benchmark compares against.
    """
    rng = random.Random(seed)
    if packing:
        rows = pack(examples, seq_len)
        rng.shuffle(rows)
        return [collate_packed(rows[i:i + batch_size], pad_id) for i in range(0, len(rows), batch_size)]
    order = list(examples)
    rng.shuffle(order)
    if group_by_length:
        order.sort(key=len)
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    return [collate_padded(c, pad_id) for c in chunks]
