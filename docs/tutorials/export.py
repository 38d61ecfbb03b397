# %% [markdown]
# # Export to COPASI and tellurium
#
# A scenario exports as SBML with its schedule as events (every session and infusion), as SED-ML, or as a
# COMBINE archive (`crosstalk export SCENARIO --format sbml|sedml|omex --out FILE`). Other simulators then run
# the same course; crosstalk's own tests require them to agree.

# %%
import tempfile
import warnings
from pathlib import Path

import numpy as np
from tqdm import TqdmWarning

warnings.simplefilter("ignore", TqdmWarning)   # no notebook widgets here: plain progress text

from crosstalk import load_scenario, simulate
from crosstalk.export import export, scenario_sbml

scenario = load_scenario("single_bout")
ours = simulate(scenario).timeseries
sbml = scenario_sbml(scenario)
out = Path(tempfile.mkdtemp())
export(scenario, out / "single_bout.omex", format="omex")
print(len(sbml), "characters of SBML;", sorted(p.name for p in out.iterdir()))

# %% [markdown]
# ## tellurium

# %%
import roadrunner
import tellurium as te

# roadrunner notes "t + h = t" at events after the start; they do not change the result
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)

r = te.loadSBMLModel(sbml)
r.integrator.relative_tolerance = 1e-8
hours = ours["time_h"].to_numpy()
theirs = r.simulate(0, float(hours[-1]), 2001, ["time", "il6_pg_per_ml"])
print("IL-6 peak, crosstalk %.3f pg/mL, tellurium %.3f pg/mL" % (ours["il6_pg_per_ml"].max(),
                                                                    theirs[:, 1].max()))

# %% [markdown]
# ## COPASI (through basico)

# %%
import basico

from crosstalk.model.parameters import flat_id

model = basico.load_model_from_string(sbml)
copasi = basico.run_time_course(duration=float(hours[-1]), intervals=2000, r_tol=1e-8, a_tol=1e-12,
                                max_steps=10**7, model=model, use_sbml_id=True)
il6 = copasi[flat_id("il6_pg_per_ml", set(copasi.columns))]
print("IL-6 peak, COPASI %.3f pg/mL" % il6.max())
print("at the end, COPASI vs crosstalk: relative difference %.1e" % abs(il6.iloc[-1] / ours["il6_pg_per_ml"].iloc[-1] - 1))
basico.remove_datamodel(model)
