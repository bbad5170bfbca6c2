"""Shared fixtures. One Prefect test harness for the whole session: it takes 10–20 s to start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DEVDATA = ROOT.parent / "shared" / "devdata"

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Runs of `python -m flows.build` in tests get a temporary server that ends with them, never a warm one that would
# outlive the tests (tests/test_warm_server.py turns it on, in a PREFECT_HOME of its own, and stops what it started).
os.environ["SFTCURATE_WARM_SERVER"] = "0"  # even when the shell exports 1


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def devdata() -> Path:
    if not DEVDATA.is_dir():
        pytest.skip("../shared/devdata is not present (only developers' checkouts have it)")
    return DEVDATA


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def sample_run(prefect_harness, tmp_path_factory):
    """One curation of sample_data/ shared by the tests that read its outputs."""
    from flows.pipeline import build

    out = tmp_path_factory.mktemp("out")
    report = build(config=str(SAMPLE / "pipeline.yaml"), out=str(out))
    return out, report
