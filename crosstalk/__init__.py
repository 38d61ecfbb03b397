"""crosstalk: systems-biology models of exercise-tumour-heart crosstalk.

The public face: the names a scenario script needs.

>>> from crosstalk import Scenario, ExerciseRegime, simulate
>>> result = simulate(Scenario("bout", exercise=(ExerciseRegime(session_days=(0,)),)))
>>> result.endpoints["il6_peak_fold"] > 1
True
"""

from crosstalk.errors import CrosstalkError, InputError, SimulationError
from crosstalk.scenario import Blockade, DoseSchedule, ExerciseRegime, Patient, Scenario, load_scenario
from crosstalk.simulate import Result, Simulator, simulate

__all__ = [
    "Blockade",
    "CrosstalkError",
    "DoseSchedule",
    "ExerciseRegime",
    "InputError",
    "Patient",
    "Result",
    "Scenario",
    "SimulationError",
    "Simulator",
    "load_scenario",
    "simulate",
]
__version__ = "0.1.0"
