"""Which prescription? Multi-objective optimisation of an exercise prescription over a virtual population.

An optimisation spec (``analysis/*.toml``; :func:`load_optimisation`, :mod:`.spec`) names a base scenario, the
prescription fields to choose, the objectives as statistics over virtual patients, and constraints on the
decisions (:mod:`.constraints`: read by libSBML's formula parser, evaluated by the models' own evaluator).
:func:`run_optimisation` takes it through one step after another:

1. the search (:mod:`.search`): pymoo's NSGA-II, every candidate simulated on the *same* virtual patients
   (common random numbers), the non-dominated front with bootstrap intervals over patients (``front.csv``);
2. the post-hoc steps (:mod:`.posthoc`), each called explicitly: which uncertain parameters could reorder the
   front, and the chosen prescriptions on new virtual patients (the holdout: the estimate to quote, free of the
   winner's curse of choosing on the search's patients);
3. the files (:mod:`.writer`), in a run directory that keeps every evaluation so an interrupted run resumes to
   the same front (:mod:`.run`).
"""

from __future__ import annotations

from crosstalk.studies.optimise.constraints import Constraint
from crosstalk.studies.optimise.posthoc import (
    benefit_drivers,
    front_holdout,
    front_uncertainty,
    holdout_cohort,
    holdout_seed,
)
from crosstalk.studies.optimise.run import MANIFEST, run_optimisation
from crosstalk.studies.optimise.search import OptimisationResult, Prescribe, chosen_prescriptions
from crosstalk.studies.optimise.spec import (
    ADDED_REGIME,
    Decision,
    Objective,
    OptimisationSpec,
    describe,
    load_optimisation,
    prescribe,
)
from crosstalk.studies.optimise.writer import write_optimisation

__all__ = ["ADDED_REGIME", "MANIFEST", "Constraint", "Decision", "Objective", "OptimisationResult", "OptimisationSpec",
           "Prescribe", "benefit_drivers", "chosen_prescriptions", "describe", "front_holdout", "front_uncertainty",
           "holdout_cohort", "holdout_seed", "load_optimisation", "prescribe", "run_optimisation",
           "write_optimisation"]
