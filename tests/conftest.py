"""Shared fixtures: the project root, the sample quarter, the published datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder (params/, data/, notebooks/)."""
    return ROOT


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets``: published estimate-versus-actual data, read in place."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(
            f"published datasets not found at {SHARED_DATASETS}: "
            "clone the project beside shared/ to run these tests"
        )
    return SHARED_DATASETS
