"""Scenario specs: frozen, validated dataclasses, read from and written to TOML.

A scenario file is a contract other tools rely on (extend it, never rename its keys)::

    name = "single-bout"
    duration_days = 1.0
    output_step_hours = 0.25
    [[exercise]]
    modality = "aerobic"         # aerobic | resistance | hiit
    intensity = 0.70             # fraction of VO2max
    minutes = 60
    session_days = [0]           # explicit days, or sessions_per_week = 3 with start_day / end_day
    start_hour = 8.0
    adherence = 1.0
    [parameters]                 # overrides by parameter id, in the parameter table's unit

Every problem raises :class:`crosstalk.errors.InputError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from crosstalk.errors import InputError
from crosstalk.inputs import (
    FrozenMapping,
    check_choice,
    check_integer,
    check_keys,
    check_number,
    check_text,
    did_you_mean,
)
from crosstalk.model.parameters import DEFAULT_SPECIES, SPECIES, parameter_ids, species_overrides
from crosstalk.model.registry import all_blockades, all_drugs, model_info, model_names
from crosstalk.spec.blocks import MAX_DURATION_DAYS, MODALITIES, Blockade, DoseSchedule, ExerciseRegime, Patient
from crosstalk.spec.population import load_population, population_names
from crosstalk.spec.ranges import INTEGER_FIELDS, ParameterRange, parse_ranges

__all__ = [
    "DEFAULT_MODEL",
    "MODALITIES",
    "Blockade",
    "CumulativeDoseWarning",
    "DexrazoxaneScheduleWarning",
    "DoseSchedule",
    "ExerciseRegime",
    "Patient",
    "Scenario",
    "apply_values",
    "builtin_scenario_names",
    "check_range_names",
    "find_scenario",
    "load_scenario",
]

#: The model a scenario runs unless it names another: the composed model.
DEFAULT_MODEL = "crosstalk"


class _Unset(float):
    """A default the user did not give (a float, so the field's type holds): a default that is to change warns."""


#: The template's duration and output step (``crosstalk new``, "Write a scenario" in the docs); defaults from 0.8.0.
TEMPLATE_DURATION_DAYS = 180.0
TEMPLATE_OUTPUT_STEP_HOURS = 6.0


class CumulativeDoseWarning(UserWarning):
    """A regimen exceeds a drug's labelled cumulative dose."""


class DexrazoxaneScheduleWarning(UserWarning):
    """Dexrazoxane is not given as labelled: 10:1 (5:1 in renal impairment) to doxorubicin, its infusion ending at
    most 30 min before each doxorubicin dose (Zinecard prescribing information)."""


MAX_OUTPUT_POINTS = 2_000_000


@dataclass(frozen=True)
class Scenario:
    """A simulation scenario: duration, output grid, exercise regimes and parameter overrides.

    Parameters
    ----------
    name : str
        Short identifier.
    duration_days : float
        Simulated time, (0, 3650] days. Give it: the default is 1 day until crosstalk 0.8.0, then 180 days (the
        template's); leaving it out warns (FutureWarning).
    output_step_hours : float
        Spacing of the output grid (h); the default, 0.25 h, becomes 6 h with ``duration_days`` (and warns).
    exercise : tuple of ExerciseRegime
        Exercise blocks; sessions may not overlap.
    parameters : mapping of str to float
        Overrides by parameter id, in the parameter table's unit.
    description : str
        One paragraph: what the scenario is and which question it answers.
    seed : int
        Seed of every random choice in the scenario (random adherence).
    model : str
        Model to simulate: ``crosstalk`` (the composed model, the default) or one of its modules.
    dose : tuple of DoseSchedule
        Drug administrations.
    patient : Patient
        Weight, body-surface area, initial tumour, baseline LVEF, fitness.
    blockade : Blockade
        Mechanism blockades (beta-adrenergic, IL-6, NK depletion, ExEV release).
    cohort : tuple of ParameterRange
        Variation across the patients of a cohort (``[[cohort.parameter]]``), added to the population's.
    population : str, optional
        A built-in virtual population (``[cohort] population``; :mod:`crosstalk.spec.population`) whose ranges the
        cohort samples; a ``cohort`` range of the same name replaces the population's.
    species : {"human", "mouse"}
        Parameter set: ``human`` (the default) or ``mouse`` (the animal experiments the exercise evidence comes
        from); see each parameter table's ``translation`` for how an effect carries over.
    tumour_assessment_day : float, optional
        Day at which the tumour endpoints (volume change, response, final volume) are read, e.g. 84 for response
        before surgery while the heart is followed for a year; default the end of the simulation.
    uncertainty : int, optional
        Parameter sets the command line runs this scenario over when no ``--uncertainty`` is given (2-100000;
        :mod:`crosstalk.calibrate.uncertainty`); default none.
    """

    name: str
    duration_days: float = _Unset(1.0)
    output_step_hours: float = _Unset(0.25)
    exercise: tuple[ExerciseRegime, ...] = ()
    parameters: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    seed: int = 0
    model: str = DEFAULT_MODEL
    dose: tuple[DoseSchedule, ...] = ()
    patient: Patient = field(default_factory=Patient)
    blockade: Blockade = field(default_factory=Blockade)
    cohort: tuple[ParameterRange, ...] = ()
    species: str = DEFAULT_SPECIES
    population: str | None = None
    tumour_assessment_day: float | None = None
    uncertainty: int | None = None

    def __post_init__(self) -> None:
        check_text("name", self.name)
        unset = [f for f in ("duration_days", "output_step_hours") if type(getattr(self, f)) is _Unset]
        if unset:
            warnings.warn(
                f"scenario {self.name!r}: {' and '.join(unset)} not given; the defaults (1 day, 0.25 h) become the "
                f"template's ({TEMPLATE_DURATION_DAYS:g} days, {TEMPLATE_OUTPUT_STEP_HOURS:g} h) in crosstalk "
                "0.8.0: give them to keep this result", FutureWarning, stacklevel=3)
        check_text("description", self.description, empty=True)
        check_choice("model", self.model, model_names())
        check_choice("species", self.species, SPECIES)
        features = model_info(self.model).features
        check_number("duration_days", self.duration_days, low=0.0, high=MAX_DURATION_DAYS, low_open=True)
        check_number("output_step_hours", self.output_step_hours, low=0.0, high=self.duration_days * 24.0,
                     low_open=True)
        if self.duration_days * 24.0 / self.output_step_hours > MAX_OUTPUT_POINTS:
            raise InputError(
                "output_step_hours", self.output_step_hours,
                f"a step giving at most {MAX_OUTPUT_POINTS} output points over {self.duration_days} days",
            )
        check_number("seed", self.seed, low=0, high=2**63 - 1, integer=True)
        if self.uncertainty is not None:
            check_integer("uncertainty", self.uncertainty, low=2, high=100_000)
        if self.tumour_assessment_day is not None:
            check_number("tumour_assessment_day", self.tumour_assessment_day, low=0.0, high=self.duration_days,
                         low_open=True)
            object.__setattr__(self, "tumour_assessment_day", float(self.tumour_assessment_day))
        regimes = tuple(self.exercise)
        for r in regimes:
            if not isinstance(r, ExerciseRegime):
                raise InputError("exercise", r, "ExerciseRegime objects")
        doses = tuple(self.dose)
        for d in doses:
            if not isinstance(d, DoseSchedule):
                raise InputError("dose", d, "DoseSchedule objects")
            if d.drug not in features:
                have = [m for m in model_names() if d.drug in model_info(m).features]
                raise InputError("dose.drug", d.drug, f"a drug of the {self.model!r} model; set model to one of {have}")
        if regimes and "exercise" not in features:
            have = [m for m in model_names() if "exercise" in model_info(m).features]
            raise InputError("exercise", f"{len(regimes)} block(s)",
                             f"no [[exercise]] in model {self.model!r}; use {have}")
        if not isinstance(self.patient, Patient):
            raise InputError("patient", self.patient, "a Patient")
        if not isinstance(self.blockade, Blockade):
            raise InputError("blockade", self.blockade, "a Blockade")
        self.blockade.parameter_overrides(self.model)  # checks the model has the blocked mechanisms
        object.__setattr__(self, "dose", doses)
        object.__setattr__(self, "cohort", tuple(self.cohort))
        check_range_names(self.cohort, self, where="cohort.parameter")
        if self.population is not None:
            pop = load_population(self.population)
            if (pop.species, pop.model) != (self.species, self.model):
                raise InputError("cohort.population", self.population,
                                 f"a population of the scenario's species and model ({self.species!r}, "
                                 f"{self.model!r}; this one is for {pop.species!r}, {pop.model!r})")
            check_range_names(pop.parameters, self, where="cohort.population")
        weight = model_info(self.model).patient_parameters.get("weight_kg")
        for d in doses:  # the patient's weight is a human's; an animal's dose is scaled by body surface (mg/m2)
            if d.unit == "mg/kg" and self.species != "human" and (weight is None or weight not in self.parameters):
                also = f", or mg/kg with parameters.{weight} set to the animal's weight" if weight else ""
                raise InputError("dose.unit", d.unit, f"mg/m2 for {d.drug} in the {self.species} set (mg/kg x Km: "
                                 f"mouse 3, rat 6; FDA 2005 dose-conversion guidance, Table 1){also}")
        self._warn_cumulative(doses)
        self._warn_dexrazoxane(doses)
        known = parameter_ids(self.model)
        if "tumour_inverse_capacity" in known:
            b = float(self.parameters.get("tumour_inverse_capacity",
                                          known["tumour_inverse_capacity"].value_for(self.species)))
            cells = self.patient.tumour_cells
            if cells is None:
                cells = float(self.parameters.get("initial_tumour_cells",
                                                  known["initial_tumour_cells"].value_for(self.species)))
            if b > 0 and cells >= 1.0 / b:
                raise InputError("patient.tumour_cells", cells,
                                 f"fewer cells than the {self.species} set's tumour carrying capacity "
                                 f"1/tumour_inverse_capacity = {1 / b:.3g}")
        overrides: dict[str, float] = {}
        for pid, value in dict(self.parameters).items():
            if pid not in known:
                raise InputError(
                    f"parameters.{pid}", value,
                    did_you_mean(pid, known) + f"a parameter id of the {self.model} model's table (`crosstalk "
                    f"parameters --model {self.model} --search WORD` lists them)",
                )
            overrides[pid] = check_number(f"parameters.{pid}", value, low=0.0, high=1e300)
        object.__setattr__(self, "exercise", regimes)
        object.__setattr__(self, "parameters", FrozenMapping(overrides))
        object.__setattr__(self, "duration_days", float(self.duration_days))
        object.__setattr__(self, "output_step_hours", float(self.output_step_hours))
        object.__setattr__(self, "seed", int(self.seed))

    def _mg_per_m2(self, d: DoseSchedule) -> float:
        """One administration of a mg, mg/kg or mg/m2 dose in mg/m2 of the patient's body surface."""
        per_kg = self.patient.weight_kg if d.unit == "mg/kg" else 1.0
        return d.amount if d.unit == "mg/m2" else d.amount * per_kg / self.patient.body_surface_area_m2

    def _warn_cumulative(self, doses: tuple[DoseSchedule, ...]) -> None:
        """Warn when a drug's planned cumulative dose exceeds its labelled cap (from the drug's manifest entry)."""
        drugs = all_drugs()
        for name in sorted({d.drug for d in doses}):
            cap = drugs[name].cumulative_cap_mg_per_m2
            if cap is None:
                continue
            planned = sum(d.count * self._mg_per_m2(d) for d in doses if d.drug == name and d.unit != "particles")
            if planned > cap:
                warnings.warn(
                    f"scenario {self.name!r}: planned cumulative {name} {planned:.0f} mg/m2 exceeds the label cap "
                    f"of {cap:.0f} mg/m2",
                    CumulativeDoseWarning,
                    stacklevel=4,
                )

    def _warn_dexrazoxane(self, doses: tuple[DoseSchedule, ...]) -> None:
        """Warn when a doxorubicin dose has no dexrazoxane ending 0-30 min before it at 5:1 or 10:1 (per m2), while
        the scenario gives dexrazoxane at all; the model runs any schedule, the label allows this one."""
        dzr = [d for d in doses if d.drug == "dexrazoxane"]
        if not dzr:
            return
        per_m2 = self._mg_per_m2
        ends = [(24.0 * (d.start_day + k * d.interval_days) + d.infusion_minutes / 60.0, per_m2(d))
                for d in dzr for k in range(d.count)]
        for d in (d for d in doses if d.drug == "doxorubicin"):
            for k in range(d.count):
                start = 24.0 * (d.start_day + k * d.interval_days)
                ok = [a for end, a in ends if 0.0 <= start - end <= 0.5 + 1e-9
                      and any(abs(a / per_m2(d) - r) <= 0.05 * r for r in (5.0, 10.0))]
                if not ok:
                    warnings.warn(
                        f"scenario {self.name!r}: the doxorubicin dose at day {start / 24.0:g} has no dexrazoxane "
                        "at 10:1 (or 5:1) ending at most 30 min before it (label: Zinecard)",
                        DexrazoxaneScheduleWarning, stacklevel=4)
                    return

    @property
    def duration_hours(self) -> float:
        """Simulated time in hours."""
        return self.duration_days * 24.0

    # ------------------------------------------------------------------ TOML
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Scenario:
        """Build a scenario from a parsed TOML mapping (errors name the field and ``source``)."""
        if not isinstance(data, Mapping):
            raise InputError("scenario", data, "a TOML table", source=source)
        top = {"name", "description", "duration_days", "output_step_hours", "exercise", "parameters", "seed", "model",
               "dose", "patient", "blockade", "cohort", "species", "tumour_assessment_day", "uncertainty"}
        check_keys("", data, top, source=source)
        if "name" not in data:
            raise InputError("name", None, "a non-empty string (required)", source=source)
        blocks = data.get("exercise", [])
        if not isinstance(blocks, list):
            raise InputError("exercise", blocks, "an array of [[exercise]] tables", source=source)
        regime_keys = {f.name for f in fields(ExerciseRegime)}
        regimes = []
        for i, block in enumerate(blocks):
            if not isinstance(block, Mapping):
                raise InputError(f"exercise[{i}]", block, "an [[exercise]] table", source=source)
            check_keys(f"exercise[{i}].", block, regime_keys, source=source)
            try:
                regimes.append(ExerciseRegime(**block))
            except InputError as err:
                raise err.at(source, field=err.field.replace("exercise.", f"exercise[{i}].")) from None
        params = data.get("parameters", {})
        if not isinstance(params, Mapping):
            raise InputError("parameters", params, "a [parameters] table of id = number", source=source)
        dose_blocks = data.get("dose", [])
        if not isinstance(dose_blocks, list):
            raise InputError("dose", dose_blocks, "an array of [[dose]] tables", source=source)
        doses = []
        for i, block in enumerate(dose_blocks):
            if not isinstance(block, Mapping):
                raise InputError(f"dose[{i}]", block, "a [[dose]] table", source=source)
            check_keys(f"dose[{i}].", block, {f.name for f in fields(DoseSchedule)}, source=source)
            for required in ("drug", "amount", "unit"):
                if required not in block:
                    raise InputError(f"dose[{i}].{required}", None, "a value (required)", source=source)
            try:
                doses.append(DoseSchedule(**block))
            except InputError as err:
                raise err.at(source, field=err.field.replace("dose.", f"dose[{i}].")) from None
        patient_data = data.get("patient", {})
        if not isinstance(patient_data, Mapping):
            raise InputError("patient", patient_data, "a [patient] table", source=source)
        check_keys("patient.", patient_data, {f.name for f in fields(Patient)}, source=source)
        try:
            patient = Patient(**patient_data)
        except InputError as err:
            raise err.at(source) from None
        blockade_data = data.get("blockade", {})
        if not isinstance(blockade_data, Mapping):
            raise InputError("blockade", blockade_data, "a [blockade] table of switch = true/false", source=source)
        check_keys("blockade.", blockade_data, set(all_blockades()), source=source)
        cohort_data = data.get("cohort", {})
        population = None
        if isinstance(cohort_data, Mapping) and "population" in cohort_data:
            population = cohort_data["population"]
            if not isinstance(population, str):
                raise InputError("cohort.population", population, f"one of {population_names()}", source=source)
            cohort_data = {k: v for k, v in cohort_data.items() if k != "population"}
        cohort = parse_ranges(cohort_data, where="cohort", source=source)
        kwargs = {k: v for k, v in data.items()
                  if k not in ("exercise", "parameters", "dose", "patient", "blockade", "cohort")}
        try:
            blockade = Blockade(**blockade_data)
            return cls(exercise=tuple(regimes), parameters=dict(params), dose=tuple(doses), patient=patient,
                       blockade=blockade, cohort=cohort, population=population, **kwargs)
        except InputError as err:
            raise err.at(source) from None

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None) -> Scenario:
        """Parse TOML text (a file that is not TOML gets an :class:`InputError`)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InputError("file", (source or "<text>"), f"valid TOML ({err})", source=source) from None
        return cls.from_dict(data, source=source)

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict; ``Scenario.from_dict(s.to_dict()) == s``."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "species": self.species,
            "duration_days": self.duration_days,
            "output_step_hours": self.output_step_hours,
            "seed": self.seed,
        }
        if self.tumour_assessment_day is not None:
            out["tumour_assessment_day"] = self.tumour_assessment_day
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty
        if self.exercise:
            out["exercise"] = [r.to_dict() for r in self.exercise]
        out["patient"] = self.patient.to_dict()
        if any(self.blockade.to_dict().values()):
            out["blockade"] = self.blockade.to_dict()
        if self.dose:
            out["dose"] = [d.to_dict() for d in self.dose]
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.cohort or self.population is not None:
            cohort: dict[str, Any] = {"parameter": [r.to_dict() for r in self.cohort]}
            if self.population is not None:
                cohort["population"] = self.population
            out["cohort"] = cohort
        return out

    @property
    def cohort_ranges(self) -> tuple[ParameterRange, ...]:
        """What a cohort varies: the population's ranges (those not replaced by name), then the scenario's own."""
        own = {r.name for r in self.cohort}
        base = load_population(self.population).parameters if self.population is not None else ()
        return tuple(r for r in base if r.name not in own) + self.cohort

    def parameter_overrides(self) -> dict[str, float]:
        """The species' parameter set, then patient-derived parameters, then blockades, then the explicit
        [parameters] (which win)."""
        return {**species_overrides(self.model, self.species), **self.patient.parameter_overrides(self.model),
                **self.blockade.parameter_overrides(self.model), **self.parameters}

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal scenario."""
        return tomli_w.dumps(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_toml())


def check_range_names(ranges: tuple[ParameterRange, ...], scenario: Scenario, *, where: str) -> None:
    """Every range must name something the scenario has (a patient or exercise field, or a parameter id).

    Parameters
    ----------
    ranges : tuple of ParameterRange
        The ranges to check.
    scenario : Scenario
        The scenario they modify.
    where : str
        Their key, for messages (``cohort.parameter``, ``uncertain``).
    """
    known = parameter_ids(scenario.model)
    regime_fields = {f.name for f in fields(ExerciseRegime)}
    patient_fields = {f.name for f in fields(Patient)}
    for r in ranges:
        head, _, tail = r.name.partition(".")
        if head == "patient":
            ok = tail in patient_fields
        elif head == "exercise" or head.startswith("exercise["):
            ok = tail in regime_fields and bool(scenario.exercise)
        else:
            ok = r.name in known
        if not ok:
            options = [*known, *(f"patient.{f}" for f in patient_fields), *(f"exercise.{f}" for f in regime_fields)]
            raise InputError(f"{where}.name", r.name, did_you_mean(r.name, options)
                             + "patient.<field>, exercise.<field> (with [[exercise]] blocks) or a parameter id of "
                             f"the {scenario.model!r} model")


def apply_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """A copy of ``scenario`` with sampled values applied (patient fields, exercise fields, parameters).

    Integer exercise fields (``sessions_per_week``) are rounded to the nearest whole number within 1-7.
    """
    patient = scenario.patient.to_dict()
    regimes = [r for r in scenario.exercise]
    params = dict(scenario.parameters)
    for name, value in values.items():
        head, _, tail = name.partition(".")
        if head == "patient":
            patient[tail] = float(value)
        elif head == "exercise" or head.startswith("exercise["):
            v: float = int(min(7, max(1, round(value)))) if tail in INTEGER_FIELDS else float(value)
            targets = range(len(regimes)) if head == "exercise" else [int(head[len("exercise["):-1])]
            changes: dict[str, Any] = {tail: v}
            for i in targets:
                regimes[i] = replace(regimes[i], **changes)
        else:
            params[name] = float(value)
    return replace(scenario, patient=Patient(**patient), exercise=tuple(regimes), parameters=params)


def builtin_scenario_names() -> list[str]:
    """Names of the built-in scenarios (``crosstalk list``), sorted."""
    root = resources.files("crosstalk.scenarios")
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file, or a built-in scenario by name (``"aerobic_during_ac"``) when no such file exists.

    Parameters
    ----------
    path : str or Path
        A scenario file, or the name of a built-in scenario (``crosstalk list``).

    Raises
    ------
    InputError
        If the file cannot be read, is not TOML, or any field is wrong (the message names it).

    Examples
    --------
    >>> scenario = load_scenario("aerobic_during_ac")
    >>> scenario.model, scenario.exercise[0].sessions_per_week
    ('crosstalk', 3)
    """
    path = Path(path)
    if not path.exists() and path.parent == Path(".") and path.suffix in ("", ".toml"):
        builtin = resources.files("crosstalk.scenarios") / f"{path.stem}.toml"
        if builtin.is_file():
            path = Path(str(builtin))
        else:
            names = builtin_scenario_names()
            near = difflib.get_close_matches(path.stem, names, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f" (crosstalk list shows the {len(names)} of them)"
            raise InputError("file", str(path), f"a scenario file or a built-in scenario name{hint}")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError("file", str(path), f"a readable scenario file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("file", str(path), "a UTF-8 TOML text file", source=str(path)) from None
    return Scenario.from_toml(text, source=str(path))


def find_scenario(ref: str, spec_path: Path) -> Scenario:
    """The scenario a study spec names as ``base_scenario``: a file relative to the spec, to its parent (the
    repository root for ``analysis/*.toml``) or the working directory, else a built-in scenario's name."""
    for candidate in (spec_path.parent / ref, spec_path.parent.parent / ref, Path(ref)):
        if candidate.is_file():
            return load_scenario(candidate)
    builtin = resources.files("crosstalk.scenarios") / f"{Path(ref).stem}.toml"
    if builtin.is_file():
        return load_scenario(Path(str(builtin)))
    raise InputError("base_scenario", ref, "a scenario file (relative to the spec) or a built-in scenario name")
