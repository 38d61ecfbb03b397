"""One explorer session's state: the base scenario, the choices, a warm simulator and the last results.

Nothing here knows the web framework: the page (:mod:`crosstalk.explore.app`) calls these methods from its
widgets, and the tests call them directly. Each browser tab gets its own :class:`ExplorerSession`, so tabs do not
share state.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pandas as pd

from crosstalk.calibrate.uncertainty import UncertaintyResult, run_uncertainty
from crosstalk.errors import InputError
from crosstalk.explore.prescription import Prescription, build_scenario, prescription_of, sedentary
from crosstalk.inputs import check_integer
from crosstalk.report.tables import endpoint_cells
from crosstalk.sim.result import Result
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Scenario, load_scenario
from crosstalk.studies.compare import CohortComparison, endpoint_table, run_cohort_comparison
from crosstalk.studies.executors import Watch, watching
from crosstalk.validation.anchors import anchor_conditioning
from crosstalk.validation.population_heart import heart_outputs

__all__ = ["MAX_COHORT", "MAX_ENSEMBLE", "MAX_UPLOAD_BYTES", "ExplorerSession", "Outcome", "read_upload",
           "run_cohort_pair", "run_ensemble_pair"]

#: Largest scenario file the page accepts (a scenario is a few kB of TOML).
MAX_UPLOAD_BYTES = 1_000_000
#: Most virtual patients per arm the page runs (a few minutes on 2 cores; larger studies: ``crosstalk compare
#: --cohort``).
MAX_COHORT = 500
#: Most parameter sets the page runs (``crosstalk simulate --uncertainty N`` for more).
MAX_ENSEMBLE = 400


def read_upload(data: bytes, filename: str) -> Scenario:
    """A scenario from an uploaded file's bytes, checked as ``crosstalk check`` checks a file.

    Raises
    ------
    InputError
        One line naming the field, the value and what is allowed (a file too large, not UTF-8 or not TOML
        included). Nothing on the server is read: a scenario that names another file is refused by the loader's
        own rules.
    """
    name = filename or "upload.toml"
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError("file", f"{name} ({len(data)} bytes)", f"a scenario file of at most {MAX_UPLOAD_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("file", name, "a UTF-8 text file (TOML)") from None
    return Scenario.from_toml(text, source=name)


@dataclass(frozen=True)
class Outcome:
    """What one change of the controls produced.

    Attributes
    ----------
    scenario : Scenario
        What was simulated (``crosstalk simulate`` gives the same for its TOML).
    result, reference : Result
        The scenario and the same scenario without exercise.
    endpoints : DataFrame
        :func:`crosstalk.studies.compare.endpoint_table` of the reference and the scenario (the difference column is
        scenario minus sedentary).
    warnings : tuple of str
        What planning the scenario warned about.
    """

    scenario: Scenario
    result: Result
    reference: Result
    endpoints: pd.DataFrame
    warnings: tuple[str, ...]

    def endpoint_rows(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the endpoint table for reading (three significant figures, units)."""
        return endpoint_cells(self.endpoints)

    def timeseries_csv(self) -> str:
        """The scenario's and the reference's time courses as CSV (a ``scenario`` column tells them apart)."""
        frames = [r.timeseries.assign(scenario=r.scenario.name) for r in (self.result, self.reference)]
        return str(pd.concat(frames, ignore_index=True).to_csv(index=False))

    def endpoints_csv(self) -> str:
        """The endpoint table as CSV, full precision."""
        return str(self.endpoints.to_csv())


class ExplorerSession:
    """A base scenario, the prescription and regimen chosen on it, and a simulator kept warm between changes.

    Parameters
    ----------
    scenario : Scenario or str, optional
        The base scenario or a built-in name (default ``aerobic_during_ac``).

    Examples
    --------
    >>> s = ExplorerSession("aerobic_during_ac")
    >>> s.prescription.sessions_per_week
    3
    >>> from crosstalk.explore.prescription import Prescription
    >>> out = s.update(Prescription(sessions_per_week=5, window="as in the scenario"))
    >>> out.scenario.exercise[0].sessions_per_week
    5
    """

    def __init__(self, scenario: Scenario | str = "aerobic_during_ac") -> None:
        self._simulators: dict[str, Simulator] = {}
        self._references: dict[Scenario, Result] = {}
        self.set_base(load_scenario(scenario) if isinstance(scenario, str) else scenario)

    def set_base(self, scenario: Scenario) -> None:
        """Start again from ``scenario``: the controls take its own prescription and regimen."""
        self.base = scenario
        self.prescription = prescription_of(scenario)
        self.regimen = "as in the scenario"
        self.cardiac_sensitivity = scenario.patient.cardiac_sensitivity
        self.duration_days = scenario.duration_days
        self.tumour_assessment_day = scenario.tumour_assessment_day or 0.0  # 0: at the end

    def load(self, scenario: Scenario) -> Outcome:
        """Simulate ``scenario`` as the new base; on any error (bad file, planning, solver) nothing changes."""
        outcome = self._run(build_scenario(scenario, prescription_of(scenario)))
        self.set_base(scenario)
        return outcome

    def weekly_sessions_apply(self) -> bool:
        """Whether the sessions-a-week choice changes anything: not when the window is the scenario's own and its
        exercise is on explicit days or before each dose."""
        return (self.prescription.window != "as in the scenario" or not self.base.exercise
                or self.base.exercise[0].sessions_per_week is not None)

    def scenario(self) -> Scenario:
        """The scenario the current choices give."""
        return build_scenario(self.base, self.prescription, regimen=self.regimen,
                              cardiac_sensitivity=self.cardiac_sensitivity, duration_days=self.duration_days,
                              tumour_assessment_day=self.tumour_assessment_day)

    def _simulator(self, model: str) -> Simulator:
        if model not in self._simulators:
            self._simulators[model] = Simulator(model)
        return self._simulators[model]

    def run(self) -> Outcome:
        """Simulate the current choices and sedentary care (the last sedentary run is kept: it is reused while only
        the exercise changes)."""
        return self._run(self.scenario())

    def _run(self, scenario: Scenario) -> Outcome:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._simulator(scenario.model).run(scenario)
        reference_scenario = sedentary(scenario)
        reference = self._references.get(reference_scenario)
        if reference is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the same planning warnings as the scenario's
                reference = self._simulator(scenario.model).run(reference_scenario)
            self._references = {reference_scenario: reference}
        table = endpoint_table([reference, result])
        said = tuple(dict.fromkeys(str(w.message) for w in caught))
        return Outcome(scenario, result, reference, table, said)

    def update(self, prescription: Prescription | None = None, *, regimen: str | None = None,
               cardiac_sensitivity: float | None = None, duration_days: float | None = None,
               tumour_assessment_day: float | None = None) -> Outcome:
        """Change the choices given and simulate; on bad input nothing changes.

        Parameters
        ----------
        prescription : Prescription, optional
            The new prescription (default: keep).
        regimen : str, optional
            One of :data:`crosstalk.explore.prescription.REGIMENS` (default: keep).
        cardiac_sensitivity : float, optional
            The patient's cardiac sensitivity relative to the median patient (default: keep).
        duration_days : float, optional
            Days simulated (default: keep).
        tumour_assessment_day : float, optional
            Day the tumour is read, 0 at the end (default: keep).
        """
        new = (self.prescription if prescription is None else prescription,
               self.regimen if regimen is None else regimen,
               self.cardiac_sensitivity if cardiac_sensitivity is None else cardiac_sensitivity,
               self.duration_days if duration_days is None else duration_days,
               self.tumour_assessment_day if tumour_assessment_day is None else tumour_assessment_day)
        # an InputError while building, planning or simulating leaves the choices as they were
        outcome = self._run(build_scenario(self.base, new[0], regimen=new[1], cardiac_sensitivity=new[2],
                                           duration_days=new[3], tumour_assessment_day=new[4]))
        (self.prescription, self.regimen, self.cardiac_sensitivity, self.duration_days,
         self.tumour_assessment_day) = new
        return outcome

    def scenario_toml(self) -> str:
        """The current scenario as TOML, which ``crosstalk check`` accepts and ``crosstalk simulate`` runs."""
        return self.scenario().to_toml()

    @staticmethod
    def as_file(text: str) -> io.BytesIO:
        """Text as a UTF-8 file object for a download button."""
        return io.BytesIO(text.encode("utf-8"))


def run_cohort_pair(scenario: Scenario, n: int, *, seed: int, watch: Watch | None = None,
                    workers: int | None = None, n_boot: int = 2000) -> CohortComparison:
    """``scenario`` and the same scenario without exercise as cohorts of the same ``n`` virtual patients: risks,
    risk differences with their intervals and NNT (what ``crosstalk compare --cohort`` gives for the two files;
    the patients come from the scenario's ``[cohort]`` section or its species' default population).

    Parameters
    ----------
    scenario : Scenario
        The explored scenario (its ``[cohort]`` section or its species' default population).
    n : int
        Patients per arm (2 to :data:`MAX_COHORT`).
    seed : int
        Seed of the virtual patients.
    watch : Watch, optional
        Progress reports and the cancel request (:class:`crosstalk.studies.executors.Watch`).
    workers : int, optional
        Worker processes (default: every core).
    n_boot : int
        Bootstrap resamples of the intervals.

    Raises
    ------
    crosstalk.studies.executors.Cancelled
        When ``watch.stop`` is set.
    """
    check_integer("patients", n, low=2, high=MAX_COHORT)
    check_integer("seed", seed, low=0)
    with watching(watch or Watch()):
        return run_cohort_comparison([sedentary(scenario), scenario], n, seed=seed, n_boot=n_boot, workers=workers,
                                     progress=False)


def run_ensemble_pair(outcome: Outcome, n: int, *, seed: int, watch: Watch | None = None,
                      series: tuple[str, ...] | list[str] = (), workers: int | None = None) -> UncertaintyResult:
    """The outcome's scenario and its sedentary reference over ``n`` parameter sets drawn from the tables'
    uncertainty, each set re-calibrated to the anchored data first (what ``crosstalk compare REFERENCE SCENARIO
    --uncertainty N`` gives): intervals, paired differences, and prediction bands of ``series``.

    Parameters
    ----------
    outcome : Outcome
        The runs at the tables' values (their endpoints are the point values).
    n : int
        Parameter sets (2 to :data:`MAX_ENSEMBLE`).
    seed : int
        Seed of the ensemble.
    watch : Watch, optional
        Progress reports and the cancel request.
    series : sequence of str
        Observables whose 95 % bands are kept.
    workers : int, optional
        Worker processes (default: every core).
    """
    check_integer("parameter sets", n, low=2, high=MAX_ENSEMBLE)
    check_integer("seed", seed, low=0)
    first = outcome.reference.scenario
    with watching(watch or Watch()):
        return run_uncertainty([outcome.reference, outcome.result], n, seed=seed, series=tuple(series),
                               conditioning=anchor_conditioning(first.model, first.species),
                               extra=heart_outputs(first), workers=workers, progress=False)
