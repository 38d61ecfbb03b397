"""crosstalk: systems-biology models of exercise-tumour-heart crosstalk.

The public face: the names a scenario script needs, and the study functions with their split points
(sampling, running, analysing), which return DataFrames in memory and write files only when given a directory.

>>> from crosstalk import Scenario, ExerciseRegime, simulate
>>> result = simulate(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
>>> result.endpoints["il6_peak_fold"] > 1
True
"""

from crosstalk.cohort import CohortResult, run_cohort, run_patients, sample_cohort, summarise_cohort
from crosstalk.compare import Comparison, run_comparison
from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.result import Result
from crosstalk.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario
from crosstalk.sensitivity import (
    AnalysisSpec,
    SensitivityResult,
    analyse_samples,
    load_analysis,
    run_samples,
    run_sensitivity,
    sample_analysis,
)
from crosstalk.simulate import Simulator, simulate

__all__ = [
    "AnalysisSpec",
    "Blockade",
    "CohortResult",
    "Comparison",
    "CrosstalkError",
    "DoseSchedule",
    "ExerciseRegime",
    "InputError",
    "Patient",
    "Result",
    "Scenario",
    "SensitivityResult",
    "SimulationError",
    "Simulator",
    "analyse_samples",
    "load_analysis",
    "load_scenario",
    "run_cohort",
    "run_comparison",
    "run_patients",
    "run_samples",
    "run_sensitivity",
    "sample_analysis",
    "sample_cohort",
    "simulate",
    "summarise_cohort",
]
__version__ = "0.1.0"
