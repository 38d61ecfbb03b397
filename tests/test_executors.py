"""The executor layer: one code path for this process, a local pool and Dask; order kept, failures recorded;
a Dask worker killed in the middle of a study changes no index."""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from crosstalk.errors import InputError
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import ExerciseRegime, Scenario
from crosstalk.studies.executors import (
    Cancelled,
    InProcessExecutor,
    RunFailure,
    Watch,
    local_executor,
    run_many,
    watching,
)
from crosstalk.studies.sensitivity import CHUNK, AnalysisSpec, run_sensitivity

import sa_functions as saf

ITEMS = [3.0, -1.0, 2.0, math.nan, 0.5] * 7


def _expected(results: list) -> None:
    for k, (x, r) in enumerate(zip(ITEMS, results)):
        if x != x or x < 0:
            assert isinstance(r, RunFailure) and r.index == k and r.scenario == str(k)
            assert r.error.startswith("ValueError" if x != x else "RuntimeError: CVODE")
        else:
            assert r == x * x


@pytest.mark.parametrize("make", [InProcessExecutor, lambda: ThreadPoolExecutor(3)], ids=["in-process", "threads"])
def test_any_executor_gives_results_in_input_order_with_failures_in_place(make):
    with make() as ex:
        for batch in (None, 1, 4, 100):
            _expected(run_many(ITEMS, saf.square_or_fail, executor=ex, batch=batch, progress=False))


def test_the_local_pool_is_the_same_code_path():
    with local_executor(2) as ex:
        _expected(run_many(ITEMS, saf.square_or_fail, executor=ex, batch=3, progress=False))
        _expected(run_many(ITEMS, saf.square_or_fail, executor=ex, progress=False))  # the same pool, reused
    _expected(run_many(ITEMS, saf.square_or_fail, workers=1, progress=False))  # a pool made for the call


def test_a_programming_error_is_raised_not_recorded():
    with pytest.raises(TypeError, match="bug"):
        run_many([1.0, 2.0], saf.not_a_run_failure, workers=1, progress=False)


@pytest.mark.parametrize(("kwargs", "field"), [({"workers": 0}, "workers"), ({"workers": True}, "workers"),
                                               ({"batch": 0}, "batch")])
def test_bad_options_name_their_field(kwargs, field):
    with pytest.raises(InputError) as info:
        run_many([1.0], saf.square_or_fail, progress=False, **kwargs)
    assert info.value.field == field


def test_an_in_process_executor_refuses_work_after_shutdown():
    ex = InProcessExecutor()
    ex.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        ex.submit(saf.square_or_fail, 1.0)


def _spec(n: int) -> AnalysisSpec:
    ranges = tuple(ParameterRange(name, -math.pi, math.pi) for name in saf.NAMES)
    base = Scenario("base", duration_days=1.0, output_step_hours=6.0, exercise=(ExerciseRegime(session_days=(0,)),))
    return AnalysisSpec("killed", base, ranges, n=n, seed=23, outputs=("il6_peak_fold",))


@pytest.mark.slow  # a Dask LocalCluster: a scheduler and two worker processes
def test_a_dask_worker_killed_mid_study_changes_no_index(tmp_path):
    """A real scheduler (LocalCluster: a scheduler and two worker processes, each under a nanny), driven through
    ``client.get_executor()``. One worker is killed (SIGKILL) once the study's second chunk is saved; Dask reruns
    its tasks elsewhere and the indices equal an uninterrupted run's."""
    from distributed import Client, LocalCluster

    spec = _spec(512)  # 512 * 5 = 2560 samples in 10 chunks of 256, 2 ms each
    reference = run_sensitivity(spec, workers=1, evaluate=saf.ishigami, progress=False)
    out = tmp_path / "dask"
    killed: dict[str, object] = {}

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]

        def kill_after_second_chunk() -> None:
            deadline = time.time() + 300
            while time.time() < deadline and not (out / "chunks" / "chunk_00001.parquet").exists():
                time.sleep(0.01)
            held: tuple[object, ...] = ()
            while time.time() < deadline:  # kill it while it holds tasks, so that they must be rerun elsewhere
                held = tuple(client.processing(workers=[victim]).get(victim) or ())  # one query: no race with a
                if held:                                                          # second one under load
                    break
                time.sleep(0.001)
            killed["tasks_lost"] = len(held)
            killed["chunks_saved"] = len(list((out / "chunks").glob("chunk_*.parquet")))
            os.kill(pids[victim], signal.SIGKILL)

        killer = threading.Thread(target=kill_after_second_chunk)
        killer.start()
        result = run_sensitivity(spec, out, executor=client.get_executor(), evaluate=saf.ishigami_slowly,
                                 progress=False)
        killer.join()
        after = client.run(os.getpid)
    assert killed["chunks_saved"] < len(result.samples) // CHUNK, "the kill should land mid-study"
    assert killed["tasks_lost"], "the killed worker should have held tasks"
    assert pids[victim] not in after.values()  # the worker process is gone (its nanny started a new one)
    pd.testing.assert_frame_equal(result.samples, reference.samples)
    pd.testing.assert_frame_equal(result.indices, reference.indices)


def test_a_watch_sees_progress_and_stops_a_run_without_starting_the_rest() -> None:
    ran: list[int] = []

    def record(x: int) -> int:
        time.sleep(0.02)
        ran.append(x)
        return x

    seen: list[tuple[int, int]] = []
    watch = Watch(report=lambda done, total: (seen.append((done, total)), done >= 2 and watch.stop.set()))
    with watching(watch), pytest.raises(Cancelled), ThreadPoolExecutor(1) as pool:
        run_many(list(range(40)), record, executor=pool, batch=1, progress=False)
    assert seen[:2] == [(1, 40), (2, 40)] and watch.runs == 1
    assert len(ran) <= 4  # what had not started was cancelled (one worker: at most the running one and a queued)
    assert run_many([1, 2], abs, executor=InProcessExecutor(), progress=False) == [1, 2]  # no watch outside
