"""The blocks of a scenario file: ``[[exercise]]`` (:class:`ExerciseRegime`), ``[[dose]]`` (:class:`DoseSchedule`),
``[blockade]`` (:class:`Blockade`) and ``[patient]`` (:class:`Patient`), as frozen, validated dataclasses.

:mod:`crosstalk.spec.scenario` composes them into a :class:`~crosstalk.spec.scenario.Scenario` (and re-exports them).
Every problem raises :class:`crosstalk.errors.InputError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from crosstalk.errors import InputError
from crosstalk.inputs import check_choice, check_number
from crosstalk.model.parameters import parameter_ids
from crosstalk.model.registry import all_blockades, all_drugs, model_info, model_names

__all__ = [
    "ADHERENCE_PATTERNS",
    "MAX_DURATION_DAYS",
    "MODALITIES",
    "Blockade",
    "DoseSchedule",
    "ExerciseRegime",
    "Patient",
]

MODALITIES: tuple[str, ...] = ("aerobic", "resistance", "hiit")
ADHERENCE_PATTERNS: tuple[str, ...] = ("regular", "random")
#: The longest scenario, and so the latest day anything can happen (ten years).
MAX_DURATION_DAYS = 3650.0


@dataclass(frozen=True)
class ExerciseRegime:
    """A block of exercise sessions.

    Parameters
    ----------
    modality : {"aerobic", "resistance", "hiit"}
        Kind of exercise.
    intensity : float
        Fraction of VO2max (0, 1] (for HIIT: the session's mean).
    minutes : float
        Duration of each session, (0, 600] min.
    session_days : tuple of int, optional
        Explicit days (0 = first day of the scenario). Exclusive with ``sessions_per_week``.
    sessions_per_week : int, optional
        1-7 sessions a week from ``start_day`` to ``end_day`` (days ``floor(k * 7 / n)`` of each week).
    start_day, end_day : float
        Window for ``sessions_per_week`` (end exclusive; default: the whole scenario).
    start_hour : float
        Time of day of each session [0, 24) h.
    adherence : float
        Fraction of planned sessions performed [0, 1].
    adherence_pattern : {"regular", "random"}
        ``regular`` drops sessions evenly; ``random`` draws each session with probability ``adherence``
        from the scenario's ``seed``.
    before_each_dose : str, optional
        A drug name: one session ending ``hours_before`` hours before the start of each of its doses (e.g. a bout
        24 h before each doxorubicin infusion, as in the Kirkham trials). Exclusive with the day fields.
    hours_before : float
        Hours between the end of the session and the start of the dose (0-168).
    """

    modality: str = "aerobic"
    intensity: float = 0.7
    minutes: float = 60.0
    session_days: tuple[int, ...] | None = None
    sessions_per_week: int | None = None
    start_day: float = 0.0
    end_day: float | None = None
    start_hour: float = 8.0
    adherence: float = 1.0
    adherence_pattern: str = "regular"
    before_each_dose: str | None = None
    hours_before: float = 24.0

    def __post_init__(self) -> None:
        check_choice("exercise.modality", self.modality, MODALITIES)
        check_number("exercise.hours_before", self.hours_before, low=0.0, high=168.0)
        object.__setattr__(self, "hours_before", float(self.hours_before))
        check_number("exercise.intensity", self.intensity, low=0.0, high=1.0, low_open=True)
        check_number("exercise.minutes", self.minutes, low=0.0, high=600.0, low_open=True)
        check_number("exercise.start_hour", self.start_hour, low=0.0, high=24.0, high_open=True)
        check_number("exercise.adherence", self.adherence, low=0.0, high=1.0)
        check_choice("exercise.adherence_pattern", self.adherence_pattern, ADHERENCE_PATTERNS)
        check_number("exercise.start_day", self.start_day, low=0.0, high=MAX_DURATION_DAYS)
        given = sum(x is not None for x in (self.session_days, self.sessions_per_week, self.before_each_dose))
        if given != 1:
            raise InputError(
                "exercise.session_days",
                self.session_days,
                "exactly one of session_days (a list of days), sessions_per_week (1-7) or before_each_dose (a drug)",
            )
        if self.before_each_dose is not None:
            check_choice("exercise.before_each_dose", self.before_each_dose, tuple(all_drugs()))
        elif self.session_days is not None:
            if not isinstance(self.session_days, (list, tuple)) or not self.session_days:
                raise InputError("exercise.session_days", self.session_days, "a non-empty list of whole days >= 0")
            for d in self.session_days:
                check_number("exercise.session_days", d, low=0.0, high=MAX_DURATION_DAYS, integer=True)
            if len(set(self.session_days)) != len(self.session_days):
                raise InputError("exercise.session_days", self.session_days, "days without repeats")
            object.__setattr__(self, "session_days", tuple(int(d) for d in self.session_days))
        else:
            per_week = check_number("exercise.sessions_per_week", self.sessions_per_week, low=1, high=7, integer=True)
            object.__setattr__(self, "sessions_per_week", int(per_week))
        if self.end_day is not None:
            check_number("exercise.end_day", self.end_day, low=self.start_day, high=MAX_DURATION_DAYS, low_open=True)
        for name in ("intensity", "minutes", "start_hour", "adherence", "start_day"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def describe(self) -> str:
        """The prescription in words, e.g. "aerobic, 3 x 45 min/week at 65 % VO2max, days 0-84"."""
        dose = f"{self.minutes:.0f} min at {self.intensity:.0%} VO2max".replace("%", " %")
        if self.before_each_dose is not None:
            text = f"{self.modality}, one session of {dose} ending {self.hours_before:g} h before each " \
                   f"{self.before_each_dose} dose"
        elif self.session_days is not None:
            text = f"{self.modality}, {dose} on {len(self.session_days)} days"
        else:
            window = f"days {self.start_day:g}-{self.end_day:g}" if self.end_day is not None else (
                f"from day {self.start_day:g}" if self.start_day else "throughout")
            text = f"{self.modality}, {self.sessions_per_week or 0} x {self.minutes:.0f} min/week at " \
                   f"{self.intensity:.0%} VO2max, {window}".replace("%", " %")
        return text + (f", {self.adherence:.0%} adherence".replace("%", " %") if self.adherence < 1 else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict (unset optional fields left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class DoseSchedule:
    """Repeated doses of one drug.

    Parameters
    ----------
    drug : str
        A drug some model's manifest declares (:func:`crosstalk.model.registry.all_drugs`).
    amount : float
        Dose per administration, in ``unit``.
    unit : str
        ``mg``, ``mg/kg`` or ``mg/m2`` (``mg/m²`` and ``mg/m^2`` are read as ``mg/m2``), ``particles``
        (vesicles): what the drug accepts. mg/kg and mg/m2 scale with the body size the model sees (the patient's
        ``weight_kg`` and ``body_surface_area_m2``, or the parameters they set).
    start_day : float
        Day of the first dose (fractional days give the time of day; default 0 = midnight of day 0).
    interval_days : float
        Days between doses (> 0; ignored when ``count`` is 1).
    count : int
        Number of doses, 1-1000.
    infusion_minutes : float
        Intravenous infusion duration; 0 gives a bolus.
    """

    drug: str
    amount: float
    unit: str
    start_day: float = 0.0
    interval_days: float = 21.0
    count: int = 1
    infusion_minutes: float = 30.0

    def __post_init__(self) -> None:
        drugs = all_drugs()
        check_choice("dose.drug", self.drug, tuple(drugs))
        if isinstance(self.unit, str):  # the units as people type them
            object.__setattr__(self, "unit", self.unit.strip().replace("²", "2").replace("^2", "2"))
        check_choice("dose.unit", self.unit, drugs[self.drug].units)
        check_number("dose.amount", self.amount, low=0.0, high=1e20, low_open=True)
        check_number("dose.start_day", self.start_day, low=0.0, high=MAX_DURATION_DAYS)
        check_number("dose.interval_days", self.interval_days, low=0.0, high=MAX_DURATION_DAYS, low_open=True)
        check_number("dose.count", self.count, low=1, high=1000, integer=True)
        check_number("dose.infusion_minutes", self.infusion_minutes, low=0.0, high=7 * 24 * 60.0)
        if self.count > 1 and self.infusion_minutes / 1440.0 >= self.interval_days:
            raise InputError("dose.infusion_minutes", self.infusion_minutes,
                             f"an infusion shorter than the dosing interval ({self.interval_days:g} days)")
        for name in ("amount", "start_day", "interval_days", "infusion_minutes"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "count", int(self.count))

    @property
    def last_day(self) -> float:
        """Day the last administration starts.

        Examples
        --------
        >>> DoseSchedule("doxorubicin", 60.0, "mg/m2", start_day=1.0, interval_days=21.0, count=4).last_day
        64.0
        """
        return self.start_day + self.interval_days * (self.count - 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Blockade:
    """Mechanism blockades: switches declared in the models' manifests, each off unless set.

    ``Blockade(nk_depletion=True)``; ``blockade.nk_depletion`` reads a switch. The built-in switches are those of the
    mouse experiments (Pedersen 2016: ``beta_adrenergic``, ``il6``, ``nk_depletion``) and vesicle-release
    inhibition (``exev_release``); see :func:`crosstalk.model.registry.all_blockades`. Immutable and hashable.

    Parameters
    ----------
    **switches : bool
        ``name=True`` for each mechanism to block.

    Examples
    --------
    >>> Blockade(nk_depletion=True).nk_depletion, Blockade().il6
    (True, False)
    """

    __slots__ = ("_on",)
    _on: frozenset[str]

    def __init__(self, **switches: bool) -> None:
        known = all_blockades()
        for name, value in switches.items():
            if name not in known:
                raise InputError(f"blockade.{name}", value, "a known switch: " + ", ".join(sorted(known)))
            if not isinstance(value, bool):
                raise InputError(f"blockade.{name}", value, "true or false")
        object.__setattr__(self, "_on", frozenset(n for n, v in switches.items() if v))

    def __getattr__(self, name: str) -> bool:
        if name in all_blockades():
            return name in self._on
        raise AttributeError(name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Blockade is immutable; build a new one")

    def __reduce__(self) -> tuple[type[Blockade], tuple[()], dict[str, bool]]:
        return (Blockade, (), {n: True for n in self._on})

    def __setstate__(self, state: dict[str, bool]) -> None:
        object.__setattr__(self, "_on", frozenset(state))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blockade) and self._on == other._on

    def __hash__(self) -> int:
        return hash(self._on)

    def __repr__(self) -> str:
        return "Blockade(" + ", ".join(f"{n}=True" for n in sorted(self._on)) + ")"

    @property
    def active(self) -> frozenset[str]:
        """Names of the switches that are on."""
        return self._on

    def to_dict(self) -> dict[str, bool]:
        """Plain TOML-ready dict of every known switch."""
        return {name: name in self._on for name in all_blockades()}

    def parameter_overrides(self, model: str) -> dict[str, float]:
        """Parameter values of the active blockades.

        Raises
        ------
        InputError
            If the model lacks a blockade (e.g. IL-6 homing exists only in the composed model).
        """
        switches = model_info(model).blockades
        out: dict[str, float] = {}
        for name in sorted(self._on):
            if name not in switches:
                have = [m for m in model_names() if name in model_info(m).blockades]
                raise InputError(f"blockade.{name}", True, f"a model with this mechanism: one of {have}")
            out.update(switches[name].values)
        return out


@dataclass(frozen=True)
class Patient:
    """The simulated patient.

    Parameters
    ----------
    weight_kg : float
        Body weight (30-250 kg).
    body_surface_area_m2 : float
        Body-surface area (0.5-3.0 m2); scales mg/m2 doses.
    tumour_cells : float, optional
        Tumour cells at the start (0-1e13; 1e8 cells per cm3). None: the species' default (``initial_tumour_cells``:
        1.4e9, a 3 cm primary breast cancer, in the human set; 1e8 in the mouse set).
    baseline_lvef_percent : float
        Left-ventricular ejection fraction before treatment (20-80 %).
    fitness : float
        Training state at the start, 0 (untrained) to 1 (fully adapted).
    chemosensitivity : float
        The tumour's sensitivity to chemotherapy relative to the median patient (0-100; multiplies the drugs'
        tumour kill rates).
    cardiac_sensitivity : float
        The myocardium's susceptibility to anthracycline injury relative to the median patient (0-100; multiplies
        cardiomyocyte loss).
    trainability : float
        How strongly the patient adapts to training relative to the typical patient (0-10; multiplies the training
        gain per session: 0 is a non-responder).
    """

    weight_kg: float = 70.0
    body_surface_area_m2: float = 1.8
    tumour_cells: float | None = None
    baseline_lvef_percent: float = 62.0
    fitness: float = 0.0
    chemosensitivity: float = 1.0
    cardiac_sensitivity: float = 1.0
    trainability: float = 1.0

    def __post_init__(self) -> None:
        check_number("patient.weight_kg", self.weight_kg, low=30.0, high=250.0)
        check_number("patient.body_surface_area_m2", self.body_surface_area_m2, low=0.5, high=3.0)
        if self.tumour_cells is not None:
            check_number("patient.tumour_cells", self.tumour_cells, low=0.0, high=1e13)
        check_number("patient.baseline_lvef_percent", self.baseline_lvef_percent, low=20.0, high=80.0)
        check_number("patient.fitness", self.fitness, low=0.0, high=1.0)
        check_number("patient.chemosensitivity", self.chemosensitivity, low=0.0, high=100.0)
        check_number("patient.cardiac_sensitivity", self.cardiac_sensitivity, low=0.0, high=100.0)
        check_number("patient.trainability", self.trainability, low=0.0, high=10.0)
        for f in fields(self):
            if getattr(self, f.name) is not None:
                object.__setattr__(self, f.name, float(getattr(self, f.name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict (a field left to the species' default is omitted)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def parameter_overrides(self, model: str) -> dict[str, float]:
        """Model parameters this patient sets (only those the model has; not the fields left to the default)."""
        known = parameter_ids(model)
        fields_to_parameters = model_info(model).patient_parameters
        return {pid: float(getattr(self, f)) for f, pid in fields_to_parameters.items()
                if pid in known and getattr(self, f) is not None}


