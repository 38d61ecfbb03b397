# %% [markdown]
# # Calibration with your own data
#
# Bring measurements as a PEtab measurement table (`observableId`, `simulationConditionId`, `time` in hours,
# `measurement`, optionally `noiseParameters` as a standard deviation): conditions are scenarios, observables are
# crosstalk observable ids. `crosstalk petab` writes the PEtab problem (which `petablint`, pyPESTO, AMICI and
# COPASI read); `crosstalk fit` runs pyPESTO: multistart from a Latin hypercube, profile likelihoods with 95 %
# intervals and an identifiability class per parameter.
#
# Here the data are synthetic, so the answer is known: IL-6 measured hourly after a one-hour bout and a 2.5-hour
# run, simulated with an IL-6 clearance of 0.55 /h (the table's value is 0.693) and 5 % noise.

# %%
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from crosstalk import load_scenario
from crosstalk.calibrate.measurements import synthetic_measurements
from crosstalk.sim.simulator import Simulator

scenarios = {"single_bout": load_scenario("single_bout"), "prolonged_run": load_scenario("prolonged_run")}
truth = {"k_il6_clearance": 0.55}
sim = Simulator("exercise")
runs = {cid: sim.run(replace(sc, parameters={**sc.parameters, **truth})) for cid, sc in scenarios.items()}
data = synthetic_measurements(runs, "il6_pg_per_ml", np.arange(0.0, 24.5, 1.0), cv=0.05, floor=0.1, seed=3)
work = Path(tempfile.mkdtemp())
data.to_csv(work / "il6.tsv", sep="\t", index=False)
data.head()

# %% [markdown]
# The same two commands a modeller runs in a shell:

# %%
import logging

from crosstalk.cli import main

logging.getLogger("petab").setLevel(logging.ERROR)   # PEtab notes that the problem has no visualisation table

main(["petab", "single_bout", "prolonged_run", "--measurements", str(work / "il6.tsv"),
      "--estimate", "k_il6_clearance", "--out", str(work / "problem")])
main(["fit", str(work / "problem" / "problem.yaml"), "--starts", "3", "--seed", "2", "--out", str(work / "fit")])

# %%
import pandas as pd

estimates = pd.read_csv(work / "fit" / "estimates.csv")
estimates[["parameter", "estimate", "lower95", "upper95", "identifiability"]]

# %% [markdown]
# The known value (0.55) lies inside the profile interval. The fit directory also holds the waterfall
# (`starts.csv`), the profiles, the fitted curves against the data and a `report.html`; the same command on a
# finished fit reads it back instead of fitting again.
# The package's own calibrations and their status are in [Calibration and validation](../science/validation.md).
