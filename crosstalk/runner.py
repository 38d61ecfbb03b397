"""Running many simulations: in this process or a pool of worker processes, results in input order.

Each worker process builds one :class:`~crosstalk.simulate.Simulator` per model, once, and reuses it. A failed
simulation (CVODE error, non-finite values, bad input) is returned as a :class:`RunFailure` in its place, never
raised. The caller's order is kept whatever the completion order.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from crosstalk.errors import CrosstalkError
from crosstalk.scenario import Scenario

__all__ = ["RunFailure", "default_workers", "run_many"]


@dataclass(frozen=True)
class RunFailure:
    """A simulation that did not complete: its position, scenario name and the error text."""

    index: int
    scenario: str
    error: str


_SIMS: dict[str, Any] = {}


def _simulator(model: str):
    from crosstalk.simulate import Simulator

    sim = _SIMS.get(model)
    if sim is None:
        sim = _SIMS[model] = Simulator(model)
    return sim


def endpoints_of(scenario: Scenario) -> dict[str, Any]:
    """Endpoints of one scenario, on this process's cached simulator (the default task)."""
    return _simulator(scenario.model).run(scenario).endpoints


def _task(args: tuple[int, Scenario, Callable[[Scenario], Any]]) -> Any:
    index, scenario, fn = args
    try:
        return fn(scenario)
    except (CrosstalkError, RuntimeError, ValueError, ArithmeticError) as err:
        return RunFailure(index, scenario.name, f"{type(err).__name__}: {err}")


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


def run_many(scenarios: Sequence[Scenario], fn: Callable[[Scenario], Any] = endpoints_of, *,
             workers: int | None = None, progress: bool = True, desc: str = "simulations") -> list[Any]:
    """Apply ``fn`` (default: endpoints) to every scenario, in parallel processes, results in input order.

    Parameters
    ----------
    scenarios : sequence of Scenario
    fn : callable
        A module-level function (picklable) of one scenario.
    workers : int, optional
        Worker processes (default: all cores); 1 runs in this process.
    progress : bool
        Show a progress bar with rate and time left (tqdm, on stderr).
    """
    from tqdm import tqdm

    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError("workers must be >= 1")
    tasks: Iterable = ((i, s, fn) for i, s in enumerate(scenarios))
    bar = dict(total=len(scenarios), desc=desc, disable=not progress, unit="sim", smoothing=0.05)
    if workers == 1:
        return [r for r in tqdm(map(_task, tasks), **bar)]
    chunksize = max(1, min(64, len(scenarios) // (workers * 8) or 1))
    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no LLVM/JIT state inherited by fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return [r for r in tqdm(pool.map(_task, tasks, chunksize=chunksize), **bar)]
