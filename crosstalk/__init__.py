"""crosstalk: systems-biology models of exercise-tumour-heart crosstalk.

The public face: the names a scenario script needs, and the study functions with their split points
(sampling, running, analysing), which return DataFrames in memory and write files only when given a directory.

>>> from crosstalk import Scenario, ExerciseRegime, simulate
>>> result = simulate(Scenario("bout", model="exercise", exercise=(ExerciseRegime(session_days=(0,)),)))
>>> result.endpoints["il6_peak_fold"] > 1
True
"""

from typing import TYPE_CHECKING, Any

from crosstalk import _moved
from crosstalk.version import __version__ as __version__

_moved.install()

if TYPE_CHECKING:
    from crosstalk.errors import CrosstalkError, InputError, SimulationError
    from crosstalk.sim.result import Result
    from crosstalk.sim.simulator import Simulator, simulate
    from crosstalk.spec.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario
    from crosstalk.studies.cohort import CohortResult, run_cohort, run_patients, sample_cohort, summarise_cohort
    from crosstalk.studies.compare import Comparison, run_comparison
    from crosstalk.studies.engine import run_study
    from crosstalk.studies.optimise import OptimisationResult, OptimisationSpec, load_optimisation, run_optimisation
    from crosstalk.studies.sensitivity import (
        AnalysisSpec,
        SensitivityResult,
        analyse_samples,
        load_analysis,
        run_samples,
        run_sensitivity,
        sample_analysis,
    )

#: Every public name, imported on first use: ``import crosstalk`` (and so ``crosstalk --help``) loads neither
#: roadrunner nor pandas; the study layer (SALib, pydoe, the executors) costs about a second more.
_WHERE: dict[str, str] = {
    **dict.fromkeys(("CrosstalkError", "InputError", "SimulationError"), "crosstalk.errors"),
    "Result": "crosstalk.sim.result",
    **dict.fromkeys(("Simulator", "simulate"), "crosstalk.sim.simulator"),
    **dict.fromkeys(("Blockade", "DoseSchedule", "ExerciseRegime", "Patient", "Scenario", "load_scenario"),
                    "crosstalk.spec.scenario"),
    **dict.fromkeys(("CohortResult", "run_cohort", "run_patients", "sample_cohort", "summarise_cohort"),
                    "crosstalk.studies.cohort"),
    **dict.fromkeys(("Comparison", "run_comparison"), "crosstalk.studies.compare"),
    "run_study": "crosstalk.studies.engine",
    **dict.fromkeys(("OptimisationResult", "OptimisationSpec", "load_optimisation", "run_optimisation"),
                    "crosstalk.studies.optimise"),
    **dict.fromkeys(("AnalysisSpec", "SensitivityResult", "analyse_samples", "load_analysis", "run_samples",
                     "run_sensitivity", "sample_analysis"), "crosstalk.studies.sensitivity"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'crosstalk' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


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
    "run_study",
    "sample_analysis",
    "sample_cohort",
    "simulate",
    "summarise_cohort",
]
