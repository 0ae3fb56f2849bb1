"""Shared fixtures. Real datasets live in ../shared/data/ (outside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The suite runs one pytest-xdist worker per core; a worker with several torch threads would
# oversubscribe the cores (tiny networks then slow down several times over). Set before torch is
# imported anywhere, so that tests which never touch torch do not pay for importing it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data/, or skip the test with a clear reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (../shared/data/ beside the clone)")
    return SHARED_DATA


@pytest.fixture(scope="module")
def wells_csv(tmp_path_factory) -> Path:
    """Three synthetic wells (300 samples each) as one CSV table, for the CLI tests."""
    from geoae.datasets import make_synthetic_wells  # imported here: see OMP_NUM_THREADS above

    d = tmp_path_factory.mktemp("data")
    obs = make_synthetic_wells(n_wells=3, n_samples=300, random_state=0).observed
    path = d / "wells.csv"
    obs.to_csv(path, index=False)
    return path
