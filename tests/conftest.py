"""Shared fixtures: one compiled Simulator per test session (as a user's process would hold one)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import pytest

from crosstalk.sim.simulator import Simulator

REPO = Path(__file__).resolve().parent.parent
SHARED_TARGETS = REPO.parent / "shared" / "reference" / "targets.toml"


@pytest.fixture(scope="session")
def sim() -> Simulator:
    return Simulator("exercise")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def fast_representatives(values: Iterable[Any], fast: Collection[str], *, key: Callable[[Any], str] = str,
                         unpack: bool = False) -> list[Any]:
    """Parametrize ``values`` with those whose ``key`` is in ``fast`` in the fast tier and the rest marked slow: one
    representative per concept runs in `make test-fast`, the whole set in `make test`. ``unpack``: each value is a
    tuple of several arguments."""
    values = list(values)
    missing = set(fast) - {key(v) for v in values}
    assert not missing, f"fast representatives not among the values: {sorted(missing)}"
    return [pytest.param(*(v if unpack else (v,)), id=key(v), marks=() if key(v) in fast else pytest.mark.slow)
            for v in values]


def assert_no_negative_amounts(sim: Simulator, scenario) -> None:
    """Invariant: no species amount below -10x its absolute tolerance (solver noise) at any output time."""
    import numpy as np

    species = sim.species_ids
    ts = sim.run(scenario, extra=[x for x in species if x not in sim.observable_names]).timeseries
    for sid in species:
        low = ts[sid].min()
        assert low >= -10 * sim.absolute_tolerance(sid), (scenario.name, sid, low)
    assert np.isfinite(ts.drop(columns="time_h").to_numpy()).all()


def small_spec(name: str, *, n: int, seed: int, outputs: list[str], extra: str = "") -> str:
    """A small analysis spec on the single-bout scenario varying intensity and minutes (for CLI-level tests)."""
    return f'''
name = "{name}"
base_scenario = "{REPO / "scenarios" / "single_bout.toml"}"
n = {n}
seed = {seed}
outputs = {outputs!r}
{extra}
[[parameter]]
name = "exercise.intensity"
low = 0.5
high = 0.9
[[parameter]]
name = "exercise.minutes"
low = 30
high = 90
'''
