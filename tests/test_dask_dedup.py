"""Dedup on a 2-worker Dask cluster (processes, one thread each) decides exactly as the local dedup: the same kept
rows, the same ledger entries in the same order, the same cluster ids; and the whole flow writes the same bytes."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from filters.dedup import DedupSettings, deduplicate
from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import RowStore
from tests.conftest import write

WORDS = ("reset password open login page click link email address follow message send minutes expires account "
         "server restart cache clear browser cookie token session timeout network proxy firewall port route table "
         "disk space file folder backup restore version update install driver printer queue").split()


def planted_rows(n: int, seed: int = 0) -> list[Example]:
    """Rows of two sources with planted duplicates of every kind dedup knows: exact copies (case and punctuation
    changed), near copies (a word changed in a long answer), number-only variants (never merged: numbers keep),
    same-prompt short answers a character apart, and a template filled 70 times (a bucket over max_bucket)."""
    rng = random.Random(seed)
    rows: list[Example] = []

    def add(instruction: str, output: str, input_: str = "") -> None:
        k = len(rows)
        rows.append(Example.from_fields(f"s{k % 2}", str(k), instruction, input_, output))

    template = " ".join(rng.choices(WORDS, k=60))
    while len(rows) < n:
        roll = rng.random()
        if rows and roll < 0.12:
            twin = rng.choice(rows)
            add(twin.instruction.upper() + " !", twin.output.replace(" ", "  ") + ".", twin.input)
        elif rows and roll < 0.24:
            twin = rng.choice(rows)
            words = twin.output.split()
            if len(words) > 30:
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            add(twin.instruction, " ".join(words), twin.input)
        elif roll < 0.32:
            a, b = rng.randrange(2, 99), rng.randrange(2, 99)
            question = f"what is {a} plus {b} in the {rng.choice(WORDS)} table"
            add(question, f"the sum of {a} and {b} is {a + b} so the {rng.choice(WORDS)} total is {a + b}")
            if rng.random() < 0.5:  # the same problem with another number: another example
                add(question.replace(str(a), str(a + 1), 1), f"the sum of {a + 1} and {b} is {a + b + 1} so the "
                    f"total is {a + b + 1}")
        elif rows and roll < 0.40:
            question = " ".join(rng.choices(WORDS, k=6)) + "?"
            answer = " ".join(rng.choices(WORDS, k=8))
            add(question, answer)
            add(question, answer[:-1] + ("x" if answer[-1] != "x" else "y"))  # one character apart
            add(question, answer + " " + " ".join(rng.choices(WORDS, k=6)))  # the first inside the longer
        elif roll < 0.42:
            add("fill the template " + rng.choice(WORDS), template + " " + rng.choice(WORDS) + f" {len(rows) % 7}")
        else:
            add(" ".join(rng.choices(WORDS, k=rng.randrange(4, 10))),
                " ".join(rng.choices(WORDS, k=rng.randrange(5, 60))))
    return rows[:n]


def _shards(rows: list[Example], folder: Path, sizes: list[int]) -> list[Path]:
    paths, start = [], 0
    for k, size in enumerate(sizes + [len(rows)]):
        part = rows[start:start + size] if k < len(sizes) else rows[start:]
        start += len(part)
        path = folder / f"part-{k}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in part))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


def _ledger(ledger: Ledger) -> list[bytes]:
    return [orjson.dumps(r.to_dict()) for r in ledger.rejects]


@pytest.mark.parametrize("update", [{}, {"numbers": "ignore", "key": "prompt"}, {"exact": False}])
def test_cluster_dedup_decides_as_the_local_one(cluster, tmp_path, update):
    from flows.dask_dedup import DaskDedupStep

    rows = planted_rows(3000)
    paths = _shards(rows, tmp_path, [700, 1, 900, 400])
    settings = DedupSettings(**update)
    order = {"s0": 0, "s1": 1}
    with RowStore(paths) as local_store, RowStore(paths) as cluster_store:
        # a dedup input with holes, as after decontamination: the row numbers are not the store's positions
        local_view, cluster_view = local_store.view().take(range(3, 3000)), cluster_store.view().take(range(3, 3000))
        local_ledger, cluster_ledger = Ledger(), Ledger()
        kept_local = deduplicate(local_view, settings, order, local_ledger)
        log = _Log()
        step = DaskDedupStep(settings, order, cluster.scheduler_address, log)
        kept_cluster = step.apply(cluster_view, cluster_ledger)
        assert step.figures["workers"] == 2 and "on the cluster" in log.lines[-1]
        assert kept_cluster.positions.tolist() == kept_local.positions.tolist()
        assert _ledger(cluster_ledger) == _ledger(local_ledger)
        assert cluster_store.metas == local_store.metas
    rules = [r.rule for r in local_ledger.rejects]
    assert rules.count("near-duplicate") > 20 and (rules.count("exact-duplicate") > 200 or not settings.exact)
    if not update:  # the planted kinds all fired (key: prompt makes the same-prompt ones exact duplicates)
        assert {"jaccard", "edit", "containment", "exact"} == {r.row["meta"]["measure"] for r in local_ledger.rejects}


def test_rows_not_on_disk_fall_back_to_the_local_dedup(cluster, tmp_path):
    from flows.dask_dedup import DaskDedupStep

    rows = planted_rows(300, seed=1)
    paths = _shards(rows, tmp_path, [100])
    extra = Example.from_fields("s0", "extra", rows[5].instruction, rows[5].input, rows[5].output)
    with RowStore(paths) as local_store, RowStore(paths) as cluster_store:
        local_ledger, cluster_ledger, log = Ledger(), Ledger(), _Log()
        kept_local = deduplicate(local_store.view().with_rows([extra]), DedupSettings(), {}, local_ledger)
        kept = DaskDedupStep(DedupSettings(), {}, cluster.scheduler_address, log).apply(
            cluster_store.view().with_rows([extra]), cluster_ledger)
        assert "in this process" in log.lines[0]
        assert kept.positions.tolist() == kept_local.positions.tolist()
        assert _ledger(cluster_ledger) == _ledger(local_ledger)


def test_flow_on_the_cluster_writes_the_local_runs_bytes(prefect_harness, cluster, tmp_path):
    """The flow with `task_runner: dask` on the 2-worker cluster against the default runner (processes). The shards
    are cleaned in the flow's process (local_below_kb): what this compares is the final stage."""
    from flows.pipeline import build

    rows = planted_rows(4000, seed=2)
    for name, part in (("a", rows[:2500]), ("b", rows[2500:])):
        (tmp_path / f"{name}.jsonl").write_bytes(b"".join(
            orjson.dumps({"instruction": r.instruction, "input": r.input, "output": r.output}) + b"\n" for r in part))
    outputs = {}
    common = "workers: 2, chunk_rows: 700, local_below_kb: 100000"
    for runner, run in (("processes", f"{{{common}}}"),
                        ("dask", f"{{{common}, dask_address: '{cluster.scheduler_address}'}}")):
        config = write(tmp_path / f"{runner}.yaml", f"""
sources:
  - {{name: a, kind: jsonl, path: a.jsonl}}
  - {{name: b, kind: jsonl, path: b.jsonl}}
run: {run}
output: {{val_fraction: 0.1}}
""")
        build(config=str(config), out=str(tmp_path / runner), task_runner=runner)
        outputs[runner] = {name: (tmp_path / runner / name).read_bytes()
                           for name in ("train.jsonl", "val.jsonl", "rejects.jsonl", "provenance.jsonl")}
    for name, data in outputs["processes"].items():
        assert outputs["dask"][name] == data, name
    rejects = [orjson.loads(line) for line in outputs["dask"]["rejects.jsonl"].splitlines()]
    assert {"exact-duplicate", "near-duplicate"} <= {r["rule"] for r in rejects}


def test_a_shards_spilled_band_keys_travel_to_another_worker_by_value():
    """Dask may run a task that needs one shard's keys on another worker: the keys (band keys in a process-local
    temporary file) must pickle, or the run waits forever on a failed fetch (as a 1M-row run did)."""
    import numpy as np
    from distributed.protocol import pickle as dask_pickle

    from filters.bands import SpilledBands

    bands = SpilledBands(3, 5)
    bands.write(0, np.arange(15, dtype=np.uint64).reshape(3, 5))
    bands.keep_only(np.array([0, 2, 4]))
    copy = dask_pickle.loads(dask_pickle.dumps(bands))
    assert copy.shape == (3, 3)
    assert np.array_equal(np.asarray(copy), np.asarray(bands))
    copy.write_band(0, np.zeros(3, dtype=np.uint64))  # the copy has a file of its own
    assert np.asarray(bands)[0].tolist() == [0, 2, 4]
