"""Running many items through any :class:`concurrent.futures.Executor`, results in input order.

Every study (cohort, compare, sensitivity) runs its simulations through :func:`run_many`, whatever executes them:

* this process, one item after the other (:class:`InProcessExecutor`; what one worker means);
* a local pool of worker processes (:func:`local_executor`: spawned interpreters that ignore Ctrl-C, so that the
  parent alone decides to stop them);
* a Dask cluster: ``client.get_executor()`` of any :class:`distributed.Client`, or :func:`dask_executor`.

Items travel in batches (one task per batch, so that a task costs far more than its scheduling) and come back
in the caller's order, whatever the completion order. Each worker process builds one compiled simulator per
model and tolerance, once (:func:`crosstalk.sim.simulator.simulator_for`), and reuses it for every item it receives.

A simulation that fails (CVODE error, non-finite values, bad input) is returned as a :class:`RunFailure` in its
place, never raised: one bad corner of a parameter space does not stop a study. A lost worker is not a failed
simulation: Dask reschedules the tasks of a worker that dies on the workers left (the results do not depend on
where an item runs), and a broken local pool or a task Dask gave up on raises.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import ParamSpec, TypeVar

from tqdm import tqdm

from crosstalk.errors import CrosstalkError, show_warning_line
from crosstalk.inputs import check_integer

__all__ = ["MAX_BATCH", "Cancelled", "InProcessExecutor", "RunFailure", "Watch", "dask_executor", "default_workers",
           "local_executor", "run_many"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

#: Largest batch (items per task): small enough that a progress bar moves and an interrupted chunk loses little.
MAX_BATCH = 64

@dataclass(frozen=True)
class RunFailure:
    """An item whose run did not complete: its position, its scenario's name and the error text.

    Parameters
    ----------
    index : int
        Position of the item in what was submitted.
    scenario : str
        Name of its scenario.
    error : str
        The error text.
    """

    index: int
    scenario: str
    error: str


# ---------------------------------------------------------------------------------------------- default tasks
# ---------------------------------------------------------------------------------------------- executors
class InProcessExecutor(Executor):
    """Runs each task in the calling thread as it is submitted: one worker, no processes, nothing pickled.

    Exceptions of the task are stored in its future like any executor's; ``KeyboardInterrupt`` propagates at once.
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[R] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


def _init_worker() -> None:
    """Worker initializer: Ctrl-C (SIGINT to the whole process group) is handled by the parent alone, which then
    stops the workers; a worker never dies half-way through a result the parent is writing. A warning a worker
    raises is one line on stderr (kind and message), not a line of the package's source."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warnings.showwarning = show_warning_line


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return default_workers()
    return check_integer("workers", workers, low=1, allowed="a whole number >= 1 (or None: all cores)")


@contextmanager
def local_executor(workers: int | None = None) -> Iterator[Executor]:
    """This machine's executor for one study, closed on exit.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: all cores). One runs every task in this process (:class:`InProcessExecutor`);
        more start a :class:`~concurrent.futures.ProcessPoolExecutor` of freshly spawned interpreters (no LLVM/JIT
        state inherited by fork) that ignore SIGINT.

    Notes
    -----
    On ``KeyboardInterrupt`` in the ``with`` block, queued tasks are cancelled and the workers terminated at once
    (their results are not wanted: everything already returned has been handed to the caller); otherwise the
    pool is shut down after its running tasks.
    """
    n = _check_workers(workers)
    if n == 1:
        yield InProcessExecutor()
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"), initializer=_init_worker)
    interrupted = False
    try:
        yield pool
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if interrupted:
            _terminate(pool)
        else:
            pool.shutdown(wait=True, cancel_futures=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    # the pool keeps its processes private; shutdown(wait=False) alone would let running tasks finish first
    running: dict[int, BaseProcess] = getattr(pool, "_processes", None) or {}
    processes = list(running.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=10)


@contextmanager
def dask_executor(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator[Executor]:
    """The executor of a Dask cluster, closed (with any cluster it started) on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``; start one with ``dask scheduler`` and
        ``dask worker tcp://HOST:8786``). None starts a :class:`distributed.LocalCluster` on this machine.
    n_workers : int, optional
        Worker processes of the LocalCluster (default: all cores), one thread each (a simulator is not
        thread-safe; a process per worker keeps one compiled model per worker).

    Notes
    -----
    Any ``client.get_executor()`` works as well with :func:`run_many`; this one submits with ``pure=False`` so
    that Dask neither hashes the items nor merges identical tasks.
    """
    # distributed is imported here, not at the top: it takes a second to import and only Dask runs need it
    from distributed import Client, LocalCluster

    n = _check_workers(n_workers)
    # distributed's constructors carry no annotations: the calls below are untyped for mypy
    cluster = None if scheduler is not None else LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(scheduler if cluster is None else cluster)  # type: ignore[no-untyped-call]
    try:
        yield client.get_executor(pure=False)  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------------------------- running
def _run_batch(fn: Callable[[T], R], batch: list[tuple[int, T]]) -> list[tuple[int, R | RunFailure]]:
    """One task (runs in a worker): ``fn`` on each item; a failed run becomes a RunFailure in its place."""
    out: list[tuple[int, R | RunFailure]] = []
    for index, item in batch:
        try:
            out.append((index, fn(item)))
        except (CrosstalkError, RuntimeError, ValueError, ArithmeticError) as err:
            first = item[0] if isinstance(item, tuple) and item else item
            name = getattr(first, "name", None)
            out.append((index, RunFailure(index, name if isinstance(name, str) else str(index),
                                          f"{type(err).__name__}: {err}")))
    return out


def _batch_size(n_items: int, executor: Executor, workers: int | None) -> int:
    """About eight tasks per worker (load balance, a moving progress bar), at most MAX_BATCH items each."""
    if isinstance(executor, InProcessExecutor):
        n_workers = 1
    else:
        # ProcessPoolExecutor knows its size; a Dask executor does not say: assume this machine's cores
        known = getattr(executor, "_max_workers", None)
        n_workers = workers or (known if isinstance(known, int) and known > 0 else default_workers())
    return max(1, min(MAX_BATCH, n_items // (n_workers * 8) or 1))


class Cancelled(CrosstalkError):
    """A run stopped at the request of its :class:`Watch` (e.g. the explorer's cancel button)."""


@dataclass
class Watch:
    """Progress reports from, and a stop request to, the runs made while it is active (:func:`watching`).

    The command line shows a progress bar; a page or a notebook needs the counts themselves and a way to stop.

    Parameters
    ----------
    report : callable, optional
        Called with (items done, items in this run) after each finished batch (in the thread that waits).
    stop : threading.Event
        Set it to stop: the run cancels what has not started and raises :class:`Cancelled` at the next finished
        batch (or before it starts).
    runs : int
        Runs started so far (a cohort comparison makes one per arm).
    """

    report: Callable[[int, int], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    runs: int = 0

    def started(self) -> None:
        """A run began (a cohort comparison makes one per arm); stop at once if asked."""
        self.runs += 1
        if self.stop.is_set():
            raise Cancelled("stopped on request")

    def completed(self, done: int, total: int) -> None:
        """``done`` of the run's ``total`` items have finished: report, then stop if asked."""
        if self.report is not None:
            self.report(done, total)
        if self.stop.is_set():
            raise Cancelled("stopped on request")


_WATCH: ContextVar[Watch | None] = ContextVar("crosstalk_watch", default=None)


@contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Report the progress of every :func:`run_many` in this thread (and context) to ``watch`` until the block ends.

    Examples
    --------
    >>> seen = []
    >>> with watching(Watch(report=lambda done, total: seen.append((done, total)))):
    ...     _ = run_many([1, 2, 3], abs, executor=InProcessExecutor(), batch=1, progress=False)
    >>> seen
    [(1, 3), (2, 3), (3, 3)]
    """
    token = _WATCH.set(watch)
    try:
        yield watch
    finally:
        _WATCH.reset(token)


def run_many(items: Sequence[T], fn: Callable[[T], R], *, executor: Executor | None = None,
             workers: int | None = None, batch: int | None = None, progress: bool = True,
             desc: str = "simulations") -> list[R | RunFailure]:
    """Apply ``fn`` to every item; results in input order, a failed run as a :class:`RunFailure` in its place.

    Parameters
    ----------
    items : sequence
        Work items (picklable when they leave this process), e.g. scenarios.
    fn : callable
        A module-level (picklable) function of one item, e.g. :func:`crosstalk.sim.simulator.endpoints_of` or
        :func:`crosstalk.sim.simulator.simulate`.
    executor : concurrent.futures.Executor, optional
        Where to run: a :func:`local_executor`, ``client.get_executor()`` of a Dask client, any executor.
        Default: a :func:`local_executor` of ``workers`` made for this call (for many calls, make one and pass it).
    workers : int, optional
        Size of the local executor made when ``executor`` is None (default: all cores, at most one per item);
        with an executor, a hint for the batch size only.
    batch : int, optional
        Items per task (default: about eight tasks per worker, at most :data:`MAX_BATCH`).
    progress : bool
        Show a progress bar with rate and time left (tqdm, on stderr).
    desc : str
        Label of the progress bar.

    Raises
    ------
    KeyboardInterrupt
        After cancelling every task not yet started.
    """
    if batch is not None:
        check_integer("batch", batch, low=1, allowed="a whole number >= 1 (or None: automatic)")
    watch = _WATCH.get()
    if watch is not None:
        watch.started()  # before any pool is made: a stop asked for between runs spawns no workers
    if executor is None:
        with local_executor(max(1, min(_check_workers(workers), len(items)))) as own:
            return _run_on(items, fn, own, workers=workers, batch=batch, progress=progress, desc=desc, watch=watch)
    return _run_on(items, fn, executor, workers=workers, batch=batch, progress=progress, desc=desc, watch=watch)


def _run_on(items: Sequence[T], fn: Callable[[T], R], executor: Executor, *, workers: int | None,
            batch: int | None, progress: bool, desc: str, watch: Watch | None) -> list[R | RunFailure]:
    size = batch or _batch_size(len(items), executor, workers)
    indexed = list(enumerate(items))
    batches = [indexed[k:k + size] for k in range(0, len(indexed), size)]
    slot: dict[int, R | RunFailure] = {}
    futures: list[Future[list[tuple[int, R | RunFailure]]]] = []
    with tqdm(total=len(items), desc=desc, disable=not progress, unit="sim", smoothing=0.05) as bar:

        def collect(future: Future[list[tuple[int, R | RunFailure]]]) -> None:
            done = future.result()
            for index, value in done:
                slot[index] = value
            bar.update(len(done))
            if watch is not None:
                watch.completed(len(slot), len(items))

        try:
            waiting = []
            for b in batches:
                future = executor.submit(_run_batch, fn, b)
                futures.append(future)
                if future.done():  # an in-process executor has run it already: count it now, the bar moves
                    collect(future)
                else:
                    waiting.append(future)
            for future in as_completed(waiting):
                collect(future)
        except BaseException:
            # Ctrl-C, or a lost pool: nothing queued should start now (running tasks are the executor's to stop)
            for future in futures:
                future.cancel()
            raise
    if len(slot) != len(items):  # pragma: no cover - every batch either returned all its items or raised
        raise CrosstalkError(f"{len(items) - len(slot)} of {len(items)} results missing")
    return [slot[k] for k in range(len(items))]
