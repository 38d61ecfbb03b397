# %% [markdown]
# # A study on a Dask cluster
#
# Every study takes any `concurrent.futures.Executor`: the local process pool by default, or a Dask client's
# executor for a cluster. From the command line: `crosstalk sensitivity SPEC --scheduler tcp://HOST:8786` (or
# `--dask-local N` for a local cluster); a killed study resumes from its run directory with `--resume`.
# Here a local cluster of two worker processes stands in for a real one.

# %%
import math

from distributed import Client, LocalCluster

from crosstalk import run_study


def ishigami(x):
    return {"y": math.sin(x["x1"]) + 7 * math.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * math.sin(x["x1"])}


inputs = {name: (-math.pi, math.pi) for name in ("x1", "x2", "x3")}
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
        Client(cluster) as client:
    on_dask = run_study(inputs, ishigami, outputs=["y"], method="sobol", n=256, seed=1,
                        executor=client.get_executor())
locally = run_study(inputs, ishigami, outputs=["y"], method="sobol", n=256, seed=1, workers=1)
print("same indices on the cluster and locally:", on_dask[["S1", "ST"]].equals(locally[["S1", "ST"]]))
on_dask

# %% [markdown]
# The same seed gives the same design and the same indices wherever the evaluations run. For a model study,
# pass the executor to `run_sensitivity`, `run_cohort` or `run_optimisation` (`executor=client.get_executor()`);
# each worker builds its RoadRunner once.
