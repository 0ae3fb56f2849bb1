"""Shared fixtures. Real datasets live in ../shared/data/ (outside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data/, or skip the test with a clear reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (../shared/data/ beside the clone)")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_per_worker():
    """The suite runs one pytest-xdist worker per core; a worker using several torch threads would
    oversubscribe the cores (tiny networks then slow down several times over)."""
    import torch

    torch.set_num_threads(1)
    yield
