# %% [markdown]
# # Scenarios and comparisons
#
# A scenario is one patient's course: who she is, which drugs when, which exercise when. Here: the built-in
# scenario of four cycles of AC (doxorubicin 60 mg/m² with cyclophosphamide every three weeks) with 3 x 45 min
# of aerobic exercise at 65 % VO2max during the course, against the same course without exercise.
# This page is executed at every build of the documentation, so what it shows is what the package computes.

# %%
# %matplotlib inline
import warnings

from crosstalk import load_scenario, simulate
from crosstalk.plan.planner import ReadingTimeWarning

# The built-in AC scenarios end at day 180: a run warns that LVEF keeps falling for
# about a year after the last dose and that surgery would have removed the tumour by
# then (`crosstalk simulate` prints both). Silenced on this page.
warnings.simplefilter("ignore", ReadingTimeWarning)

scenario = load_scenario("aerobic_during_ac")   # a built-in name or a TOML file
print(scenario.description)
result = simulate(scenario)
columns = ["time_h", "nk_blood_per_ul", "il6_pg_per_ml", "tumour_volume_mm3"]
result.timeseries[columns].describe().round(1)

# %% [markdown]
# The time series resolves every bout and infusion (samples every 5 min inside each), so peaks are real peaks.
# The endpoints are the numbers a run answers with, each with a unit and a meaning
# ([reference](../reference/observables.md)):

# %%
wanted = ("nk_blood_peak_fold", "il6_peak_fold", "tumour_volume_change_percent",
          "lvef_drop_points", "exercise_minutes_total")
{name: round(result.endpoints[name], 3) for name in wanted}

# %%
fig = result.plot()   # the schedule on top: sessions as bars, doses as triangles
fig

# %% [markdown]
# ## A comparison
#
# `run_comparison` simulates several scenarios (the first is the reference) and tabulates their endpoints;
# `crosstalk compare ac_sedentary aerobic_during_ac --out DIR` does the same from the command line and writes a
# report.

# %%
from crosstalk import run_comparison

comparison = run_comparison([load_scenario("ac_sedentary"), scenario],
                            workers=1, progress=False)
comparison.endpoints.loc[["nk_tumour_cells_mean", "tumour_volume_change_percent",
                          "lvef_drop_points"]]

# %% [markdown]
# One median patient says what the model does, not how likely a benefit is: for risks with intervals, run the
# same comparison over virtual patients ([cohorts](cohorts_and_risk.py)); for how well the biology is known,
# add `--uncertainty N` ([Sensitivity and uncertainty](../science/uncertainty.md)).
#
# ## Change the prescription
#
# Scenarios are frozen dataclasses: `dataclasses.replace` makes a variant, and the validation applies to it
# (an intensity of 1.7 is refused with one line naming the field).

# %%
from dataclasses import replace

from crosstalk import InputError

five = replace(scenario, name="five-sessions",
               exercise=tuple(replace(block, sessions_per_week=5)
                              for block in scenario.exercise))
print(simulate(five).endpoints["exercise_minutes_total"], "minutes over the course")
try:
    replace(scenario.exercise[0], intensity=1.7)
except InputError as error:
    print(error)
