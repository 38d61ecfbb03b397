"""crosstalk: systems-biology models of exercise-tumour-heart crosstalk.

The public face: the names a scenario script needs, and the study functions with their split points
(sampling, running, analysing), which return DataFrames in memory and write files only when given a directory.

>>> from crosstalk import Scenario, ExerciseRegime, simulate
>>> result = simulate(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
>>> result.endpoints["il6_peak_fold"] > 1
True
"""

from typing import TYPE_CHECKING, Any

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.result import Result
from crosstalk.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario
from crosstalk.simulate import Simulator, simulate
from crosstalk.version import __version__ as __version__

if TYPE_CHECKING:
    from crosstalk.cohort import CohortResult, run_cohort, run_patients, sample_cohort, summarise_cohort
    from crosstalk.compare import Comparison, run_comparison
    from crosstalk.optimise import OptimisationResult, OptimisationSpec, load_optimisation, run_optimisation
    from crosstalk.sensitivity import (
        AnalysisSpec,
        SensitivityResult,
        analyse_samples,
        load_analysis,
        run_samples,
        run_sensitivity,
        sample_analysis,
    )

#: Study names, imported on first use: the study layer loads SALib, pydoe and the executors (about a second),
#: which a script that only simulates, and every CLI command, should not pay for.
_STUDIES: dict[str, str] = {
    **dict.fromkeys(("CohortResult", "run_cohort", "run_patients", "sample_cohort", "summarise_cohort"),
                    "crosstalk.cohort"),
    **dict.fromkeys(("Comparison", "run_comparison"), "crosstalk.compare"),
    **dict.fromkeys(("OptimisationResult", "OptimisationSpec", "load_optimisation", "run_optimisation"),
                    "crosstalk.optimise"),
    **dict.fromkeys(("AnalysisSpec", "SensitivityResult", "analyse_samples", "load_analysis", "run_samples",
                     "run_sensitivity", "sample_analysis"), "crosstalk.sensitivity"),
}


def __getattr__(name: str) -> Any:
    module = _STUDIES.get(name)
    if module is None:
        raise AttributeError(f"module 'crosstalk' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AnalysisSpec",
    "Blockade",
    "CohortResult",
    "Comparison",
    "CrosstalkError",
    "DoseSchedule",
    "ExerciseRegime",
    "InputError",
    "OptimisationResult",
    "OptimisationSpec",
    "Patient",
    "Result",
    "Scenario",
    "SensitivityResult",
    "SimulationError",
    "Simulator",
    "analyse_samples",
    "load_analysis",
    "load_optimisation",
    "load_scenario",
    "run_cohort",
    "run_comparison",
    "run_optimisation",
    "run_patients",
    "run_samples",
    "run_sensitivity",
    "sample_analysis",
    "sample_cohort",
    "simulate",
    "summarise_cohort",
]
