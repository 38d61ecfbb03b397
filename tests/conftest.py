"""Shared fixtures: one compiled Simulator per test session (as a user's process would hold one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crosstalk.simulate import Simulator

REPO = Path(__file__).resolve().parent.parent
SHARED_TARGETS = REPO.parent / "shared" / "reference" / "targets.toml"


@pytest.fixture(scope="session")
def sim() -> Simulator:
    return Simulator("exercise")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
