# %% [markdown]
# # Cohorts and risk differences
#
# A cohort runs one scenario over virtual patients drawn from a population (`crosstalk/populations/`): tumour
# size and growth, chemosensitivity, baseline LVEF, cardiac sensitivity, trainability, body size, each row with
# its source. Two cohorts with the same seed are the **same patients**, so their difference is paired.
#
# From the command line: `crosstalk compare cohort_ac_sedentary cohort_aerobic_during_ac --cohort 200 --seed 1
# --out DIR`. Here a small cohort keeps the page fast (the intervals are correspondingly wide).

# %%
import warnings

from crosstalk import load_scenario
from crosstalk.plan.planner import ReadingTimeWarning
from crosstalk.studies.compare import run_cohort_comparison

# the built-in AC courses end at day 180 and warn that the heart is read early
warnings.simplefilter("ignore", ReadingTimeWarning)

arms = [load_scenario("cohort_ac_sedentary"),
        load_scenario("cohort_aerobic_during_ac")]
comparison = run_cohort_comparison(arms, 16, seed=1, n_boot=500,
                                   workers=1, progress=False)
# results are keyed by each scenario's `name` (hyphens), not its file name (underscores)
patients = comparison.cohorts["cohort-aerobic-during-ac"].patients
patients[["patient.chemosensitivity", "patient.cardiac_sensitivity",
          "patient.trainability", "tumour_response",
          "lvef_drop_points", "ctrcd_measured"]].head().round(2)

# %% [markdown]
# Risks (CTRCD as echocardiography measures it, heart failure, tumour response) with their absolute risk
# difference against the first arm, a bootstrap interval and the number needed to treat:

# %%
comparison.risks[["outcome", "reference_risk", "risk", "risk_difference",
                  "ci_low", "ci_high", "nnt"]].round(3)

# %% [markdown]
# Continuous endpoints, paired patient by patient, with the fraction of patients better off:

# %%
paired = comparison.paired.set_index("endpoint")
paired.loc[["lvef_drop_points", "tumour_volume_change_percent"],
           ["unit", "mean_a", "mean_b", "mean_difference", "lower95",
            "upper95", "fraction_better"]].round(2)

# %% [markdown]
# A cohort is about how patients differ, with the model's parameters at their table values. How well the
# typical patient's biology is known is a different question, answered by `--uncertainty N`
# ([Sensitivity and uncertainty](../science/uncertainty.md)).
