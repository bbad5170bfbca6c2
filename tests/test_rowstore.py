"""Rows on disk (formats/rowstore.py): a view reads back the rows it stands for, and the corpus steps give the same
decisions, ledger and metas on a view as on a list of the same rows."""

import random
from pathlib import Path

import orjson
import pytest

from filters.dedup import DedupSettings, deduplicate, prompt_group, prompt_groups
from filters.mix import MixStep
from filters.overrides import OverrideSettings, OverrideStep
from formats.example import Example
from formats.ledger import Ledger
from formats.readers.jsonl_reader import JsonlSource
from formats.rowstore import Chained, KeptRows, RowStore, RowView, rows_at, set_meta
from formats.step import run_steps

WORDS = "the a reset password open login page click link email address follow message send minutes expires".split()


def _rows(n: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    base = [" ".join(rng.choices(WORDS, k=30)) for _ in range(n // 2)]
    rows = []
    for i in range(n):
        text = base[i % len(base)]
        if rng.random() < 0.5:  # a near copy: one word changed
            parts = text.split()
            parts[rng.randrange(len(parts))] = "changed"
            text = " ".join(parts)
        rows.append(Example.from_fields(f"s{i % 2}", str(i), f"question {'abcdefg'[i % len(base) % 7]}", "", text))
    return rows


def _store(rows: list[Example], folder: Path, shards: int = 3) -> RowStore:
    paths = []
    size = -(-len(rows) // shards)
    for k in range(shards):
        path = folder / f"part-{k}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in rows[k * size:(k + 1) * size]))
        paths.append(path)
    return RowStore(paths)


def _ledger_bytes(ledger: Ledger) -> bytes:
    return b"".join(orjson.dumps(r.to_dict()) for r in ledger.rejects) + orjson.dumps(
        {k: v.as_dict() for k, v in ledger.rules.items()})


def test_a_view_reads_back_every_row_in_any_order(tmp_path):
    rows = _rows(500)
    with _store(rows, tmp_path) as store:
        view = store.view()
        assert len(view) == 500 and list(view) == rows
        assert view[7] == rows[7] and view[-1] == rows[-1] and view[10:20] == rows[10:20]
        picked = [499, 3, 250, 251, 4, 0]
        assert rows_at(view, picked) == [rows[i] for i in picked]
        sub = view.take([5, 6, 400])
        assert list(sub) == [rows[5], rows[6], rows[400]]
        assert list(sub + view.take([1])) == [rows[5], rows[6], rows[400], rows[1]]
        assert list(Chained(sub, rows[:2])) == [rows[5], rows[6], rows[400], rows[0], rows[1]]


def test_a_meta_handed_back_lasts_and_extras_follow_the_disk_rows(tmp_path):
    rows = _rows(50)
    with _store(rows, tmp_path) as store:
        view = store.view()
        row = view[3]
        row.meta["lost"] = True  # a change not handed back is gone on the next read
        assert "lost" not in view[3].meta
        set_meta(view, 3, row, cluster="near-x")
        assert view[3].meta["cluster"] == "near-x" and view.take([3])[0].meta["cluster"] == "near-x"
        extra = Example.from_fields("s9", "x", "q", "", "an extra row")
        longer = view.with_rows([extra])
        assert len(longer) == 51 and longer[50] is extra
        assert [i for i, _ in longer.changed_metas()] == [3, 50]


def test_kept_rows_stand_for_the_dict_of_train_and_val(tmp_path):
    rows = _rows(40)
    with _store(rows, tmp_path) as store:
        kept = KeptRows(store.view())
        for row in rows:
            kept.add(row)
        assert len(kept) == 40 and rows[5].id in kept and kept[rows[5].id] == rows[5]
        assert kept.get("nope") is None and list(kept.values()) == rows
        assert kept.sources == {"s0": 20, "s1": 20}


@pytest.mark.parametrize("near", [True, False])
def test_dedup_on_a_view_decides_as_on_a_list(tmp_path, near):
    rows = _rows(600, seed=3)
    settings = DedupSettings(near=near)
    ledger_list = Ledger()
    on_list = deduplicate([Example.from_dict(r.to_dict()) for r in rows], settings, {"s1": 0}, ledger_list)
    assert len(ledger_list.rejects) > 50  # the rows do hold duplicates
    with _store(rows, tmp_path) as store:
        ledger_view = Ledger()
        on_view = deduplicate(store.view(), settings, {"s1": 0}, ledger_view)
        assert isinstance(on_view, RowView)
        assert [r.to_dict() for r in on_view] == [r.to_dict() for r in on_list]  # cluster metas included
        assert _ledger_bytes(ledger_view) == _ledger_bytes(ledger_list)


def test_overrides_and_mixing_on_a_view_decide_as_on_a_list(tmp_path):
    rows = _rows(300, seed=5)
    sources = [JsonlSource(name=name, kind="jsonl", path=f"{name}.jsonl", sample={"max_rows": 60})
               for name in ("s0", "s1")]

    def steps() -> list:
        return [OverrideStep(OverrideSettings(keep=[rows[7].id, rows[8].id], drop=[rows[9].id]), Path(".")),
                MixStep(sources, seed=1)]

    ledger_list = Ledger()
    on_list, funnel_list = run_steps(steps(), [Example.from_dict(r.to_dict()) for r in rows], ledger_list)
    with _store(rows, tmp_path) as store:
        ledger_view = Ledger()
        on_view, funnel_view = run_steps(steps(), store.view(), ledger_view)
        assert funnel_view == funnel_list
        assert [r.to_dict() for r in on_view] == [r.to_dict() for r in on_list]
        assert _ledger_bytes(ledger_view) == _ledger_bytes(ledger_list)
        assert on_view[[r.id for r in on_view].index(rows[7].id)].meta["override"] == "keep"


def test_batch_prompt_groups_equal_the_row_by_row_ones():
    """The split groups rows by prompt in batches: the same group strings as `prompt_group` row by row."""
    rows = _rows(300) + [
        Example("c", "Q &amp; 1,000 Ｑ１２", "in\x00put", "o", "s", {}, "a system prompt", [["hi", "hello"]]),
        Example("d", "", "", "", "s", {}),
    ]
    assert prompt_groups(rows) == [prompt_group(r) for r in rows]
