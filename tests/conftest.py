"""Shared test configuration."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")


def kbeffect_study_size() -> str:
    """Size of slow simulation studies: 'reduced' (default, CI) or 'full'."""
    return os.environ.get("KBEFFECT_STUDY_SIZE", "reduced")


@pytest.fixture(scope="session")
def study_size() -> str:
    return kbeffect_study_size()
