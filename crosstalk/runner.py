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

__all__ = ["DaskExecutor", "LocalPool", "RunFailure", "default_workers", "run_many", "simulator"]


@dataclass(frozen=True)
class RunFailure:
    """A simulation that did not complete: its position, scenario name and the error text."""

    index: int
    scenario: str
    error: str


_SIMS: dict[tuple[str, float | None], Any] = {}


def simulator(model: str, *, rtol: float | None = None):
    """This process's cached :class:`~crosstalk.simulate.Simulator` of ``model`` at ``rtol`` (None: default)."""
    from crosstalk.simulate import Simulator

    sim = _SIMS.get((model, rtol))
    if sim is None:
        sim = _SIMS[(model, rtol)] = Simulator(model) if rtol is None else Simulator(model, rtol=rtol)
    return sim


def endpoints_of(scenario: Scenario) -> dict[str, Any]:
    """Endpoints of one scenario, on this process's cached simulator (the default task)."""
    return simulator(scenario.model).run(scenario).endpoints


def _task(args: tuple[int, Any, Callable[[Any], Any]]) -> Any:
    index, item, fn = args
    try:
        return fn(item)
    except (CrosstalkError, RuntimeError, ValueError, ArithmeticError) as err:
        first = item[0] if isinstance(item, tuple) and item else item
        return RunFailure(index, getattr(first, "name", str(index)), f"{type(err).__name__}: {err}")


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C (SIGINT to the process group) is handled by the parent alone, which stops the
    workers; a worker never dies half-way through writing anything."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


class LocalPool:
    """Worker processes kept alive across many calls (each builds its Simulators once).

    Use as a context manager; ``pool.map(fn, items)`` returns results in input order, failures as RunFailure.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "LocalPool":
        if self.workers > 1:
            # a clean interpreter per worker: no LLVM/JIT state inherited by fork
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_ignore_sigint)
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if self._pool is None:
            return
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            # stop now: queued work is cancelled and running workers are terminated (their results are not
            # wanted; everything already returned has been written by the caller)
            processes = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.join(timeout=10)
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], *, progress: bool = True,
            desc: str = "simulations") -> list[Any]:
        """Apply ``fn`` to every item; results in input order, with a progress bar (rate, time left)."""
        from tqdm import tqdm

        tasks: Iterable = ((i, s, fn) for i, s in enumerate(items))
        bar = dict(total=len(items), desc=desc, disable=not progress, unit="sim", smoothing=0.05)
        if self._pool is None:
            return [r for r in tqdm(map(_task, tasks), **bar)]
        chunksize = max(1, min(64, len(items) // (self.workers * 8) or 1))
        return [r for r in tqdm(self._pool.map(_task, tasks, chunksize=chunksize), **bar)]


def run_many(scenarios: Sequence[Any], fn: Callable[[Any], Any] = endpoints_of, *,
             workers: int | None = None, progress: bool = True, desc: str = "simulations") -> list[Any]:
    """Apply ``fn`` (default: endpoints) to every scenario, in parallel processes, results in input order.

    Parameters
    ----------
    scenarios : sequence
        Scenarios (or other picklable work items ``fn`` understands).
    fn : callable
        A module-level function (picklable) of one item.
    workers : int, optional
        Worker processes (default: all cores); 1 runs in this process.
    progress : bool
        Show a progress bar with rate and time left (tqdm, on stderr).
    """
    with LocalPool(workers) as pool:
        return pool.map(fn, scenarios, progress=progress, desc=desc)


class DaskExecutor:
    """Runs work items on a Dask distributed cluster: an existing scheduler (``tcp://HOST:PORT``) or a
    LocalCluster of ``n_workers`` processes. Each Dask worker process caches its Simulators like a pool worker.

    Call it as ``executor(items, fn)``: results come back in input order; failures as RunFailure.
    Start a cluster by hand with ``dask scheduler`` and ``dask worker tcp://HOST:8786`` (README).
    """

    def __init__(self, scheduler: str | None = None, *, n_workers: int | None = None,
                 batch: int = 64, progress: bool = True) -> None:
        from distributed import Client, LocalCluster

        if scheduler is None:
            self._cluster = LocalCluster(n_workers=n_workers or default_workers(), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self.client = Client(self._cluster)
        else:
            self._cluster = None
            self.client = Client(scheduler)
        self.batch = batch
        self.progress = progress

    def __call__(self, items: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
        from tqdm import tqdm

        tasks = [(i, s, fn) for i, s in enumerate(items)]
        batches = [tasks[k:k + self.batch] for k in range(0, len(tasks), self.batch)]
        futures = self.client.map(_batch, batches, pure=False)
        out: list[Any] = []
        for f in tqdm(futures, desc="dask batches", disable=not self.progress, unit="batch"):
            out.extend(f.result())
        return out

    def close(self) -> None:
        """Close the client (and the LocalCluster this executor started)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batch(tasks: list) -> list:
    return [_task(t) for t in tasks]
