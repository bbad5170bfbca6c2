"""Dedup on a Dask cluster (`run.task_runner: dask`): the same decisions as filters/dedup.py, with the work over
the rows done on the workers and only numbers travelling.

1. Keys: one task per cleaned shard computes its rows' exact, band and prompt keys (`dedup_keys`, read from the
   shared shard files); the keys stay on that worker.
2. Exact: the exact keys are shuffled by hash into one part per worker; each part returns its groups of equal keys
   (row numbers only). The driver ranks each group's rows by the keep policy and writes the ledger
   (`drop_exact_groups`, the local function): it reads only the rows of those groups.
3. Near: the survivors' band keys are shuffled by key range, so each part owns a range of buckets and lists their
   candidate pairs (`bucket_pairs`, the local `max_bucket` rule); same-prompt rows are shuffled by prompt hash and
   paired there (`_prompt_candidates`, reading their outputs from the shards). The pairs (ints) come to the driver,
   which sends them out again in chunks with the byte ranges of their rows: the workers verify them
   (`PairSimilarity`) and return the duplicates' similarities (floats).
4. Clusters: connected components, the keep-rank choice and the ledger in the driver (`resolve_clusters`, the local
   function), over the verified pairs. Kept local because the no-chains rule releases and re-clusters rows in rank
   order across a whole component, and the ledger's order is the driver's; it reads only the rows of verified
   pairs (and verifies there the few extra pairs inside small components that LSH did not propose).

A dedup input that holds rows not on disk (re-admitted by overrides) runs the local dedup instead.
"""

from __future__ import annotations

import json
import operator
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from distributed import Client, Future

from filters.dedup import (
    MEASURES,
    DedupSettings,
    DedupStep,
    PairSimilarity,
    dedup_keys,
    deduplicate,
    drop_exact_groups,
    resolve_clusters,
)
from filters.dedup_parts import (
    Ranges,
    band_candidates,
    exact_groups,
    exact_parts,
    key_seconds,
    near_parts,
    prompt_candidates,
    shard_keys,
    verify_chunk,
)
from filters.near_dedup import unique_pairs
from formats.example import Example
from formats.ledger import Ledger
from formats.rowstore import RowView, take

_VERIFY_CHUNKS_PER_WORKER = 4  # verification chunks per worker: some balance, few tasks


class DaskDedupStep(DedupStep):
    """`DedupStep` with its work over the rows on the cluster at `address`; the same outputs byte for byte."""

    reports_progress = False  # the cluster logs its figures once, at the end: the flow's heartbeat stays

    def __init__(self, settings: DedupSettings, source_order: dict[str, int], address: str, log: Any) -> None:
        super().__init__(settings, source_order, log)
        self.address = address
        self.figures: dict[str, Any] = {}

    def apply(self, rows: Sequence[Example], ledger: Ledger) -> Sequence[Example]:
        if not isinstance(rows, RowView) or not len(rows) or int(rows.positions.max()) >= rows.store.on_disk:
            self.log.info("dedup: rows not all on disk, dedup runs in this process")
            return deduplicate(rows, self.settings, self.source_order, ledger, self.log)
        with Client(self.address, set_as_default=False) as client:
            kept, self.figures = ClusterDedup(client, rows, self.settings, self.source_order).run(ledger)
        self.log.info("dedup on the cluster: %s", json.dumps(self.figures))
        return kept


def _row_type(rows: int) -> type[np.signedinteger]:
    return np.int32 if rows < 2**31 else np.int64


def _pick(client: Client, futures: list[Future], key: Any) -> list[Future]:
    """One item of each future's result, as futures on the workers that hold them (the shuffle's map side)."""
    return [client.submit(operator.getitem, future, key, pure=False) for future in futures]


class ClusterDedup:
    """One dedup of a view of rows on disk over a Dask client."""

    def __init__(self, client: Client, rows: RowView, settings: DedupSettings, source_order: dict[str, int]) -> None:
        self.client, self.rows, self.settings, self.source_order = client, rows, settings, source_order
        self.parts = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        store = rows.store
        self.paths = [str(p) for p in store.paths]
        position = rows.positions
        self.ranges: Ranges = (store.file[position], store.start[position], store.end[position])
        self.figures: dict[str, Any] = {"rows": len(rows), "workers": self.parts}

    def _ranges(self, index: np.ndarray) -> Ranges:
        return tuple(column[index] for column in self.ranges)  # type: ignore[return-value]

    def run(self, ledger: Ledger) -> tuple[Sequence[Example], dict[str, Any]]:
        client, settings, started = self.client, self.settings, time.perf_counter()
        order = np.argsort(self.ranges[0], kind="stable")  # the rows, shard by shard, ascending in each
        # row numbers travel as int32 where they fit: they are a third of the shuffled bytes
        shards = np.split(order.astype(_row_type(len(order))), np.flatnonzero(np.diff(self.ranges[0][order])) + 1)
        keys = [client.submit(shard_keys, self.paths, rows, self._ranges(rows), settings, pure=False)
                for rows in shards]
        seconds = client.gather([client.submit(key_seconds, k, pure=False) for k in keys])
        self.figures |= {"shards": len(shards), "keys_s": round(time.perf_counter() - started, 3),
                         "keys_rows_per_s_per_shard": round(float(np.median([n / max(s, 1e-9)
                                                                             for n, s in seconds])))}
        if settings.exact:
            maps = [client.submit(exact_parts, k, self.parts, pure=False) for k in keys]
            received = client.gather([client.submit(exact_groups, _pick(client, maps, p), pure=False)
                                      for p in range(self.parts)])
            groups = sorted((g for part in received for g in part.value), key=lambda g: int(g[0]))
            self.figures |= {"exact_shuffle_bytes": sum(r.shuffled for r in received), "exact_groups": len(groups)}
            survivors = drop_exact_groups(self.rows, groups, settings, self.source_order, ledger)
            del maps
        else:
            survivors = np.arange(len(self.rows))
        self.figures["exact_s"] = round(time.perf_counter() - started, 3)
        kept = take(self.rows, survivors)
        if not settings.near or len(kept) < 2:
            return kept, self.figures
        pairs = self._candidates(keys, shards, survivors)
        del keys
        self.figures["candidates_s"] = round(time.perf_counter() - started, 3)
        result = self._resolve(kept, survivors, pairs, ledger)
        self.figures["total_s"] = round(time.perf_counter() - started, 3)
        return result, self.figures

    def _candidates(self, keys: list[Future], shards: list[np.ndarray], survivors: np.ndarray) -> np.ndarray:
        client, settings = self.client, self.settings
        survivor = np.full(len(self.rows), -1, dtype=_row_type(len(survivors)))
        survivor[survivors] = np.arange(len(survivors))
        maps = [client.submit(near_parts, k, survivor[rows], self.parts, settings, pure=False)
                for k, rows in zip(keys, shards, strict=True)]
        futures = [client.submit(band_candidates, _pick(client, maps, ("bands", p)), len(survivors), pure=False)
                   for p in range(self.parts)]
        if settings.same_prompt:
            futures += [client.submit(prompt_candidates, _pick(client, maps, ("prompts", p)), self.paths, settings,
                                      pure=False) for p in range(self.parts)]
        received = client.gather(futures)
        bands, prompts = received[:self.parts], received[self.parts:]
        rows = len(survivors)
        self.figures |= {
            "band_shuffle_bytes": sum(r.shuffled for r in bands),
            "prompt_shuffle_bytes": sum(r.shuffled for r in prompts),
            "buckets": sum(r.stats["buckets"] for r in bands),
            "bucket_pairs": sum(r.stats["bucket_pairs"] for r in bands),
            "prompt_pairs": sum(r.stats["pairs"] for r in prompts),
        }
        self.figures["shuffle_bytes_per_row"] = round(
            (self.figures.get("exact_shuffle_bytes", 0) + self.figures["band_shuffle_bytes"]
             + self.figures["prompt_shuffle_bytes"]) / max(1, len(self.rows)), 1)
        pairs = unique_pairs([r.value for r in received], rows)  # type: ignore[misc]
        self.figures["candidate_pairs"] = len(pairs)
        return pairs

    def _resolve(self, kept: Sequence[Example], survivors: np.ndarray, pairs: np.ndarray,
                 ledger: Ledger) -> Sequence[Example]:
        client, settings = self.client, self.settings
        chunks = np.array_split(np.arange(len(pairs)), max(1, self.parts * _VERIFY_CHUNKS_PER_WORKER))
        futures = []
        for chunk in chunks:
            rows = np.unique(pairs[chunk])
            local = np.searchsorted(rows, pairs[chunk])
            futures.append(client.submit(verify_chunk, self.paths, self._ranges(survivors[rows]), local, settings,
                                         pure=False))
        edges: dict[tuple[int, int], float] = {}
        measures: dict[tuple[int, int], str] = {}
        for chunk, (found, sims, measure) in zip(chunks, client.gather(futures), strict=True):
            for (i, j), sim, m in zip(pairs[chunk[found]].tolist(), sims.tolist(), measure.tolist(), strict=True):
                edges[(i, j)], measures[(i, j)] = sim, MEASURES[m]
        self.figures["verified_pairs"] = len(edges)
        rows = sorted({row for pair in edges for row in pair})
        # the rows of verified pairs only: keeper_clusters may compare two of them that LSH did not pair
        prompts = dedup_keys(take(kept, rows), settings.model_copy(update={"exact": False, "near": False}))
        similarity = PairSimilarity(rows, kept, dict(zip(rows, prompts.prompts.tolist(), strict=True)), settings)
        return resolve_clusters(kept, settings, self.source_order, ledger, rows, edges, measures, similarity)
