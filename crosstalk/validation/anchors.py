"""Calibration anchors: each member of an uncertainty ensemble re-calibrated to the data its fitted values came from.

The anchors are data (``anchors.toml``: which fitted parameter, which calibration check and criterion, the datum's
plausible range and why). :func:`anchor_conditioning` turns them into a
:class:`~crosstalk.calibrate.ensemble.Conditioning` for :func:`crosstalk.calibrate.uncertainty.run_uncertainty`:
the datum's value is drawn with the member's parameters (as ``target:<target>.<criterion>``), and
:func:`recalibrate` re-solves each anchor's parameter so its check reads that value. Only calibration checks are
anchors; the held-out predictions (trials of exercise during chemotherapy, dexrazoxane trials) never are.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from scipy.optimize import brentq

from crosstalk.calibrate.ensemble import POPULATION, Conditioning, population_quantities
from crosstalk.errors import CrosstalkError, ModelBuildError
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator, simulator_for
from crosstalk.spec.ranges import ParameterRange
from crosstalk.validation.cardiac import cardinale_course
from crosstalk.validation.check import CHECKS, run_check
from crosstalk.validation.checks_tumour import doubling_time_days
from crosstalk.validation.heart_conditioning import (
    HEART_FAILURE_LVEF,
    RESERVE_POSITION,
    heart_failure_lvef_range,
    reserve_range,
    solve_heart,
)
from crosstalk.validation.heart_recovery import (
    RECOVERY_PARAMETER,
    RECOVERY_POSITION,
    recovery_position_range,
    solve_recovery,
)
from crosstalk.validation.population_heart import ECHO_SD, SENSITIVITY_SD, cardiac_population, population_ranges
from crosstalk.validation.targets import bands_for

__all__ = ["PREFIX", "READINGS", "Anchor", "anchor_conditioning", "anchors", "parse_anchors", "reading", "recalibrate",
           "solve"]

#: Drawn datum values are named ``target:<target>.<criterion>`` (never a parameter id).
PREFIX = "target:"
#: The widest search, as a factor either side of the member's starting value.
MAX_FACTOR = 1000.0


@dataclass(frozen=True)
class Anchor:
    """One fitted parameter and the calibration datum it is re-solved to (a row of ``anchors.toml``)."""

    parameter: str
    target: str
    criterion: str
    range: ParameterRange
    why: str
    #: Other criteria of the same check the re-solved member must still meet (within their bands): a member that
    #: matches the datum only by contradicting the rest of its calibration data is left out, not kept.
    holds: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The drawn datum's name in an ensemble."""
        return f"{PREFIX}{self.target}.{self.criterion}"


@cache
def anchors() -> tuple[Anchor, ...]:
    """The anchors, in the order they are solved.

    Raises
    ------
    ModelBuildError
        If a row names an unknown check or criterion, or a parameter no table has.
    """
    raw = tomllib.loads((resources.files("crosstalk.validation") / "anchors.toml").read_text(encoding="utf-8"))
    return parse_anchors(raw)


def parse_anchors(raw: Mapping[str, Any]) -> tuple[Anchor, ...]:
    """Anchors from the parsed ``anchors.toml`` (its ``anchor`` rows), checked against the registered checks.

    Raises
    ------
    ModelBuildError
        If a row names an unknown check or criterion, or a parameter no table has.
    """
    out = []
    for row in raw.get("anchor", []):
        where = f"validation/anchors.toml: anchor {row.get('parameter', '?')}"
        required = {"parameter", "target", "criterion", "distribution", "low", "high", "why"}
        if not required <= set(row) <= required | {"holds"}:
            raise ModelBuildError(f"{where} needs parameter, target, criterion, distribution, low, high and why "
                                  "(and optionally holds)")
        check = CHECKS.get(row["target"])
        if check is None or row["parameter"] not in parameter_ids(check.model):
            raise ModelBuildError(f"{where}: no check {row['target']!r} on a model with that parameter")
        holds = row.get("holds", [])
        if not isinstance(holds, list) or not all(isinstance(h, str) for h in holds):
            raise ModelBuildError(f"{where}: holds {holds!r}, allowed: a list of criterion names")
        unknown = sorted(set(holds) - set(bands_for(row["target"])) | ({row["criterion"]} & set(holds)))
        if unknown:
            raise ModelBuildError(f"{where}: holds {unknown}, allowed: other criteria of {row['target']} in "
                                  "bands.toml")
        out.append(Anchor(row["parameter"], row["target"], row["criterion"],
                          ParameterRange(f"{PREFIX}{row['target']}.{row['criterion']}", row["low"], row["high"],
                                         distribution=row["distribution"]), row["why"], tuple(holds)))
    return tuple(out)


def anchor_conditioning(model: str, species: str) -> Conditioning | None:
    """The anchors whose parameter ``model`` has, as a conditioning of its ensembles; None if it has none, or for
    another species than the human the data were measured in (an animal scenario keeps its fitted values' ranges)."""
    ids = parameter_ids(model)
    mine = [a for a in anchors() if a.parameter in ids]
    if not mine or species != "human":
        return None
    ranges = [a.range for a in mine]
    bases = {a.name: f"datum: {a.why}" for a in mine}
    solves = {a.name: a.parameter for a in mine}
    with_datum = {}
    ctrcd = next((a for a in mine if a.target == "ctrcd_incidence"), None)
    if ctrcd is not None:
        # how widely hearts differ and how noisy the echo is decide how a cut in injury becomes a cut in measured
        # incidence: drawn, and the loss rate re-solved at them
        for quantity, basis in population_ranges():
            ranges.append(quantity)
            bases[quantity.name] = basis
            with_datum[quantity.name] = ctrcd.name
        if "myocardial_reserve" in ids:
            # the reserve was fitted with the spread and the loss rate: re-fitted with them, not drawn alone
            position, basis = reserve_range()
            ranges.append(position)
            bases[position.name] = basis
            with_datum[position.name] = ctrcd.name
            solves[position.name] = "myocardial_reserve"
            # where heart failure is counted: the structure the incidences leave open, re-fitted along with the
            # reserve, so drawn only when the reserve is
            cut, basis = heart_failure_lvef_range()
            ranges.append(cut)
            bases[cut.name] = basis
            with_datum[cut.name] = position.name
            solves[cut.name] = "heart_failure_lvef_percent"
            if RECOVERY_PARAMETER in ids:
                # what therapy restores was fitted on the heart and the echo error: re-fitted with them
                recovery, basis = recovery_position_range()
                ranges.append(recovery)
                bases[recovery.name] = basis
                with_datum[recovery.name] = position.name
                solves[recovery.name] = RECOVERY_PARAMETER
    return Conditioning(ranges=tuple(ranges), bases=bases, solves=solves, condition=recalibrate,
                        with_datum=with_datum)


def _ctrcd_incidence(sim: Simulator, parameters: Mapping[str, float], population: Mapping[str, float]) -> float:
    """The ``ctrcd_incidence`` check's fitted criterion alone (its exact population integral), without the 4000
    sampled patients and onset times it also reads; at the member's spread of cardiac sensitivity and echo reading
    error when it drew them."""
    cardiac = cardiac_population(population.get(POPULATION + ECHO_SD))
    courses = cardiac.courses(sim, cardinale_course(model=sim.model, parameters=parameters))
    return float(cardiac.incidence(courses, "ctrcd_cardinale",
                                   sensitivity_sd=population.get(POPULATION + SENSITIVITY_SD)))


def _tvdt_at_2_cm3(sim: Simulator, parameters: Mapping[str, float], population: Mapping[str, float]) -> float:
    """The ``human_breast_tumour_growth`` check's fitted criterion alone (one tumour size, not six), over 800 days
    (four times the datum's upper bound; the check's 2000 days drive extreme sets into a Gompertz plateau the
    solver can fail in)."""
    per_cm3 = 1e3 / parameter_ids(sim.model)["tumour_cell_volume_mm3"].value
    return doubling_time_days(sim, 2.0 * per_cm3, parameters=parameters, duration_days=800.0)


#: Readings of a criterion cheaper than running its whole check (each equals the check's value at the population's
#: own quantities: tested), by (target, criterion); the others run the check. Each takes the simulator, the
#: parameters and the member's drawn population quantities.
READINGS: Mapping[tuple[str, str], Callable[[Simulator, Mapping[str, float], Mapping[str, float]], float]] = {
    ("ctrcd_incidence", "incidence"): _ctrcd_incidence,
    ("human_breast_tumour_growth", "tvdt_days_at_2_cm3"): _tvdt_at_2_cm3,
}


def reading(anchor: Anchor, values: Mapping[str, float], x: float) -> float:
    """The anchor's criterion with ``values`` (those its check's model has, and the drawn population quantities
    for a cheap reading that depends on them) and the anchor's parameter at ``x``."""
    model = CHECKS[anchor.target].model
    ids = parameter_ids(model)
    parameters = {**{k: v for k, v in values.items() if k in ids}, anchor.parameter: x}
    sim = simulator_for(model)
    fast = READINGS.get((anchor.target, anchor.criterion))
    if fast is not None:
        return fast(sim, parameters, population_quantities(values))
    return float(run_check(anchor.target, sim, parameters=parameters).criteria[anchor.criterion][0])


def solve(anchor: Anchor, values: Mapping[str, float], wanted: float) -> float:
    """The value of ``anchor.parameter`` at which its check's criterion reads ``wanted``, the other parameters at
    ``values`` (root of a bracket grown geometrically around the table value, then Brent's method in log space).

    Raises
    ------
    CrosstalkError
        If no value within :data:`MAX_FACTOR` of the table's reaches it.
    """
    start = math.log(values.get(anchor.parameter, parameter_ids(CHECKS[anchor.target].model)[anchor.parameter].value))
    widest = math.log(MAX_FACTOR)

    def gap(log_x: float) -> float:
        try:
            return reading(anchor, values, math.exp(log_x)) - wanted
        except CrosstalkError:  # a simulation failing at a trial value is not a failed member: look elsewhere
            return math.nan

    f0 = gap(start)
    if f0 == 0:
        return math.exp(start)
    # both sides at once, each step twice the last in log space up to the widest, to the first sign change next to
    # a finite reading (the criteria are monotonic in their parameter, so one side has it)
    last = {1.0: (start, f0), -1.0: (start, f0)}
    step = math.log(1.5)
    while last:
        for side in list(last):
            near, f_near = last[side]
            far = start + side * step
            f_far = gap(far)
            if not math.isfinite(f_far):
                continue
            if math.isfinite(f_near) and f_far * f_near <= 0:
                return math.exp(brentq(gap, min(near, far), max(near, far), xtol=1e-3))
            if math.isfinite(f_near) and abs(f_far) > abs(f_near):
                del last[side]  # moving away from the datum on this side
            else:
                last[side] = (far, f_far)
        if step >= widest:
            break
        step = min(2.0 * step, widest)
    raise CrosstalkError(f"{anchor.parameter}: no value within {MAX_FACTOR:g}-fold of {math.exp(start):.4g} gives "
                         f"{anchor.target}.{anchor.criterion} = {wanted:.4g} with this member's other values")


def recalibrate(values: dict[str, float]) -> dict[str, float]:
    """A member's parameter values with every anchor it names re-solved to its drawn datum (the heart's loss rate
    with its reserve when it drew the reserve's position: :mod:`crosstalk.validation.heart_conditioning`). The
    ``target:`` keys are consumed; the ``population:`` quantities are read by the readings that depend on them and
    passed on.
    Module level: it runs in the study's workers.

    Raises
    ------
    CrosstalkError
        If an anchor cannot be met (the member is then recorded as failed).
    """
    out = {k: v for k, v in values.items() if not k.startswith(PREFIX)}
    if HEART_FAILURE_LVEF in values:  # drawn only with the reserve's position: the heart is re-fitted at it below
        out["heart_failure_lvef_percent"] = values[HEART_FAILURE_LVEF]
    held: dict[str, dict[str, float]] = {}  # what each hold was checked with
    with warnings.catch_warnings():  # the calibration protocols' own reading-time notes are not the user's scenario's
        warnings.simplefilter("ignore")
        for anchor in anchors():
            if anchor.name not in values:
                continue
            if (anchor.target, anchor.criterion) == ("ctrcd_incidence", "incidence") and RESERVE_POSITION in values:
                model = CHECKS[anchor.target].model
                ids = parameter_ids(model)
                population = population_quantities(out)
                heart = solve_heart(simulator_for(model), {k: v for k, v in out.items() if k in ids}, population,
                                    ctrcd=values[anchor.name], position=values[RESERVE_POSITION])
                out.update(heart.parameters())
                if RECOVERY_POSITION in values:
                    out[RECOVERY_PARAMETER] = solve_recovery(
                        cardiac_population(population.get(POPULATION + ECHO_SD)), heart.cardinale,
                        position=values[RECOVERY_POSITION], sensitivity_sd=population.get(POPULATION + SENSITIVITY_SD))
            else:
                out[anchor.parameter] = solve(anchor, out, values[anchor.name])
                if anchor.holds:  # at once: a member that breaks it is left out before the costlier anchors
                    held[anchor.name] = _still_holds(anchor, out, values[anchor.name])
        # and again if a later anchor moved a parameter of the held check's model
        for anchor in anchors():
            if anchor.name in held and _check_inputs(anchor, out) != held[anchor.name]:
                _still_holds(anchor, out, values[anchor.name])
    return out


def _check_inputs(anchor: Anchor, values: Mapping[str, float]) -> dict[str, float]:
    """The member's values of the parameters of ``anchor``'s check's model."""
    ids = parameter_ids(CHECKS[anchor.target].model)
    return {k: v for k, v in values.items() if k in ids}


def _still_holds(anchor: Anchor, values: Mapping[str, float], wanted: float) -> dict[str, float]:
    """Raise if a criterion ``anchor`` holds is outside its band with the member's re-solved ``values``; else
    return the parameter values it was checked with."""
    inputs = _check_inputs(anchor, values)
    criteria = run_check(anchor.target, simulator_for(CHECKS[anchor.target].model), parameters=inputs).criteria
    for name in anchor.holds:
        value, low, high = criteria[name]
        if not low <= value <= high:
            # NaN: the check's protocol never reached its event (e.g. a tumour that never doubles)
            read = "no value within the check's time" if math.isnan(value) else f"{value:.4g}"
            raise CrosstalkError(f"{anchor.parameter}: {values[anchor.parameter]:.4g}, solved so that "
                                 f"{anchor.target}.{anchor.criterion} reads {wanted:.4g}, leaves {name} at {read}, "
                                 f"outside {low:g}-{high:g}, with this member's other values")
    return inputs
