# %% [markdown]
# # The prescription optimiser
#
# `crosstalk optimise SPEC.toml` searches prescriptions (sessions per week, minutes, intensity, modality) with
# NSGA-II (pymoo) over the same virtual patients for every candidate, and returns the Pareto front of the spec's
# objectives with paired intervals against sedentary care. The built-in spec for AC
# (`analysis/prescriptions_during_ac.toml`) runs 24 prescriptions x 12 generations on 32 patients (about 20 min
# on 2 cores); here a tiny version shows the workflow. Its numbers are not an answer: for that, see
# [Which prescription?](../science/prescription.md).

# %%
import warnings
from dataclasses import replace
from pathlib import Path

from crosstalk import load_optimisation, run_optimisation
from crosstalk.plan.planner import ReadingTimeWarning

# the built-in AC courses end at day 180 and warn that the heart is read early
warnings.simplefilter("ignore", ReadingTimeWarning)

root = next(p for p in (Path.cwd(), *Path.cwd().parents)
            if (p / "analysis").is_dir())
spec = load_optimisation(root / "analysis" / "prescriptions_during_ac.toml")
print(spec.question)
tiny = replace(spec, population_size=6, generations=2, patients=3,
               uncertain=(), holdout_patients=0, n_boot=200)
result = run_optimisation(tiny, workers=1, progress=False)
result.front.filter(regex="^(exercise|mean_|sedentary)").round(2).head()

# %% [markdown]
# Every row of the front is a prescription no other beats on all objectives at once. The full run adds which
# uncertain parameters could reorder the front (`[[uncertain]]` rows, among them how much intensity matters to
# the training adaptation), which patients benefit, and the chosen prescriptions re-run on new patients (the
# winner's curse). `crosstalk report DIR` redraws a finished run's report; `--resume` continues a killed one.
