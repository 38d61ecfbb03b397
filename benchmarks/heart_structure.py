"""Which heart structure do the calibration data support: a threshold LVEF response, or a graded one with heart
failure as a hazard?

The shipped heart population (:mod:`crosstalk.validation.heart_fit`) counts heart failure as true LVEF below 40 %
and holds the LVEF until the myocyte loss passes a fitted reserve. Fitted to Swain 2003's heart-failure dose
curve and Cardinale 2015's measured CTRCD, the reserve comes out large (0.36), and the population's mean LVEF then
falls about half as far as the pooled placebo arms of cardioprotection trials (``ac_lvef_decline``, a prediction
check), and only after AC. This script fits three structures to the same six data, the five binomial incidences
of ``heart_population_data`` and the pooled placebo arms' mean decline (4.5 points, 95 % CI 2.6-6.4, read as a
normal datum 180 days after the first dose of AC 4 x 60 mg/m2, as ``ac_lvef_decline`` reads it). Every structure
keeps a spread of ln(injury) at least as wide as the variability of doxorubicin clearance alone gives (0.30):

- ``threshold``: the shipped structure, its three unknowns (loss-rate factor, reserve, spread of ln sensitivity)
  re-fitted with the decline added;
- ``hazard``: a graded LVEF (the reserve free down to 0) and heart failure as a hazard
  ``rate_at_40 * exp(per_point * (40 - LVEF))`` (:func:`crosstalk.validation.cardiac.hazard_incidence`): five
  unknowns;
- ``hazard_mesa``: the same with ``per_point`` fixed at MESA's hazard ratio of 2.13 per 10 points lower LVEF
  (Yeboah 2012, Circulation 126:2713, 5004 adults of the general population): four unknowns.

Each is fitted by multistart Nelder-Mead on the deviance (binomial, plus the decline's squared z-score); the
script reports deviances, AIC, the fitted values, each structure's mean LVEF fall at the end of AC and 180 days
after its first dose, what each says of the quick start's question (3 x 45 min at 65 % VO2max during AC against
sedentary AC: the relative risks of measured CTRCD and of heart failure, the mean LVEF benefit), the reserve's
profile in the threshold and graded structures (the others re-fitted at each reserve), and the hazard's implied
rates beside the general population's (MESA; Framingham, Wang 2003, Circulation 108:977: 0.7 heart-failure events
per 100 person-years with ejection fraction above 50 %). ~11 min on one core::

    python benchmarks/heart_structure.py

Writes ``benchmarks/results_heart_structure.json``.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy.special import expit

from crosstalk.calibrate.proportions import binomial_nll
from crosstalk.plan.planner import ReadingTimeWarning
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import CumulativeDoseWarning, load_scenario
from crosstalk.validation.cardiac import (
    CardiacPopulation,
    InjuryCourse,
    cardinale_course,
    clearance_spread,
    hazard_incidence,
    swain_course,
)
from crosstalk.validation.heart_fit import SWAIN_DOSES, heart_data
from crosstalk.validation.population_heart import decline_days_after_last_dose, followed
from crosstalk.validation.targets import target

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "results_heart_structure.json"
#: MESA: hazard ratio of heart failure per 10 points lower LVEF, adjusted (Yeboah 2012).
MESA_PER_POINT = math.log(2.13) / 10.0
STARTS = 8


@dataclass(frozen=True)
class Structure:
    """A heart structure: its unknowns (name, transform to the model's value, start range on the search scale)."""

    name: str
    unknowns: tuple[tuple[str, Callable[[float], float], tuple[float, float]], ...]
    hazard: bool
    fixed: tuple[tuple[str, float], ...] = ()

    def profiled(self, name: str, value: float) -> Structure:
        """The structure with one more unknown held at ``value``."""
        return Structure(self.name, tuple(u for u in self.unknowns if u[0] != name), self.hazard,
                         (*self.fixed, (name, value)))


def _positive(x: float) -> float:
    return math.exp(min(x, 50.0))


def _reserve(x: float) -> float:
    return 0.5 * float(expit(x))  # 0 to the fit's 0.5 search limit


#: The least spread of ln(injury) the population can have: what the variability of doxorubicin clearance alone
#: gives (:func:`crosstalk.validation.cardiac.clearance_spread`), set in :func:`main`; without it a fit can put
#: every patient's injury at one value and let the baselines make the spread.
_SPREAD_FLOOR = [0.0]


def _spread(x: float) -> float:
    return _SPREAD_FLOOR[0] + (2.0 - _SPREAD_FLOOR[0]) * float(expit(x))  # up to the fit's 2.0 search limit


#: The steepest hazard searched (per LVEF point): a factor of e^2 per 0.1 point, a step for any purpose here.
STEEPEST = 20.0


def _slope(x: float) -> float:
    return STEEPEST * float(expit(x))


def _lvef(x: float) -> float:
    return 20.0 + 40.0 * float(expit(x))  # the LVEF (%) at which the hazard is 1 per year: 20 to 60


#: Transforms whose values are bounded, so a fit can end at a bound (reported).
BOUNDED = (_reserve, _spread, _slope, _lvef)
COMMON = (("loss_factor", _positive, (-3.0, 1.0)), ("myocardial_reserve", _reserve, (-6.0, 1.0)),
          ("sensitivity_sd", _spread, (-3.0, -1.0)))
LOCATION = ("lvef_at_1_per_year", _lvef, (-2.0, 1.0))
STRUCTURES = (
    Structure("threshold", COMMON, hazard=False),
    Structure("hazard", (*COMMON, LOCATION, ("per_point", _slope, (-6.0, -2.0))), hazard=True),
    Structure("step", (*COMMON, LOCATION), hazard=True, fixed=(("per_point", STEEPEST),)),
    Structure("hazard_mesa", (*COMMON, LOCATION), hazard=True, fixed=(("per_point", MESA_PER_POINT),)),
)
#: The reserves at which the threshold and step structures are profiled (the others re-fitted at each).
PROFILE_RESERVES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
_SHOWN = ("relative_risk", "lvef_benefit")


def _courses() -> tuple[CardiacPopulation, list[tuple[InjuryCourse, ...]], tuple[InjuryCourse, ...]]:
    population = CardiacPopulation.load()
    sim = Simulator("anthracycline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CumulativeDoseWarning)  # Swain's doses exceed the label's cap on purpose
        swain = [population.courses(sim, swain_course(d)) for d in SWAIN_DOSES]
    return population, swain, population.courses(sim, cardinale_course())


def _arms(population: CardiacPopulation) -> dict[str, tuple[InjuryCourse, ...]]:
    """The quick start's pair, sedentary AC and 3 x 45 min at 65 % VO2max during it, followed a year."""
    sim = Simulator("crosstalk")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReadingTimeWarning)  # the heart is what is read
        return {name: population.courses(sim, followed(load_scenario(name)))
                for name in ("ac_sedentary", "aerobic_during_ac")}


def main() -> int:
    started = time.perf_counter()
    population, swain, ac = _courses()
    _SPREAD_FLOOR[0] = clearance_spread(Simulator("anthracycline"))[1]
    decline_day = decline_days_after_last_dose(cardinale_course())
    if population.echo is None:
        raise SystemExit("the population needs its surveillance schedule")
    baselines = population.echo.baseline
    data = heart_data()
    observed = np.array([d.observed for d in data])
    t = target("ac_lvef_decline")
    decline = t.number("mean_lvef_drop_points")
    decline_sd = (t.number("mean_lvef_drop_points_high") - t.number("mean_lvef_drop_points_low")) / (2 * 1.959964)

    def values(structure: Structure, x: np.ndarray) -> dict[str, float]:
        return {**{name: f(float(v)) for (name, f, _), v in zip(structure.unknowns, x)}, **dict(structure.fixed)}

    def at_bounds(structure: Structure, x: np.ndarray) -> list[str]:
        """The unknowns a fit left within 0.1 % of a search bound (or of the spread's floor)."""
        return [name for (name, f, _), v in zip(structure.unknowns, x)
                if f in BOUNDED and not 1e-3 < float(expit(v)) < 1.0 - 1e-3]

    def hazard(v: dict[str, float]) -> dict[str, float]:
        """The hazard's keywords of :func:`hazard_incidence`: 1 per year at ``lvef_at_1_per_year``."""
        return {"rate_at_40": math.exp(v["per_point"] * (v["lvef_at_1_per_year"] - 40.0)),
                "per_point": v["per_point"]}

    def predict(structure: Structure, v: dict[str, float]) -> tuple[np.ndarray, float]:
        scaled = [tuple(c.with_rates(loss_factor=v["loss_factor"], reserve=v["myocardial_reserve"]) for c in cs)
                  for cs in swain]
        if structure.hazard:
            hf = [float(np.mean([hazard_incidence(c, baselines, sensitivity_sd=v["sensitivity_sd"], **hazard(v))
                                 for c in cs])) for cs in scaled]
        else:
            hf = [population.incidence(cs, "heart_failure", sensitivity_sd=v["sensitivity_sd"]) for cs in scaled]
        ac_scaled = tuple(c.with_rates(loss_factor=v["loss_factor"], reserve=v["myocardial_reserve"]) for c in ac)
        ctrcd = population.incidence(ac_scaled, "ctrcd_cardinale", sensitivity_sd=v["sensitivity_sd"])
        fall = population.mean_lvef_drop(ac_scaled, days_after_last_dose=decline_day,
                                         sensitivity_sd=v["sensitivity_sd"])
        return np.array([*hf, ctrcd]), fall

    def split(p: np.ndarray, fall: float, sd: float) -> tuple[float, float]:
        """(binomial deviance of the five incidences, squared z-score of the decline)."""
        return 2.0 * binomial_nll(p, data), ((fall - decline) / sd) ** 2

    def deviance(structure: Structure, x: np.ndarray, sd: float) -> float:
        return sum(split(*predict(structure, values(structure, x)), sd))

    arms = _arms(population)

    def answers(structure: Structure, v: dict[str, float]) -> dict[str, float]:
        """Exercise against sedentary AC at the structure's fit: what the quick start reports."""
        out: dict[str, float] = {}
        for name, courses in arms.items():
            cs = tuple(c.with_rates(loss_factor=v["loss_factor"], reserve=v["myocardial_reserve"]) for c in courses)
            sd = v["sensitivity_sd"]
            out[f"{name}.ctrcd_measured"] = population.incidence(cs, "ctrcd_cardinale", sensitivity_sd=sd)
            out[f"{name}.mean_lvef_fall_end_of_ac"] = population.mean_lvef_drop(cs, days_after_last_dose=21.0,
                                                                               sensitivity_sd=sd)
            out[f"{name}.mean_lvef_fall_a_year_after"] = population.mean_lvef_drop(
                cs, days_after_last_dose=365.0, sensitivity_sd=sd)
            out[f"{name}.heart_failure"] = (float(np.mean([hazard_incidence(
                c, baselines, sensitivity_sd=sd, **hazard(v)) for c in cs])) if structure.hazard
                else population.incidence(cs, "heart_failure", sensitivity_sd=sd))
        for event in ("ctrcd_measured", "heart_failure"):
            out[f"relative_risk.{event}"] = out[f"aerobic_during_ac.{event}"] / out[f"ac_sedentary.{event}"]
        for when in ("end_of_ac", "a_year_after"):
            out[f"lvef_benefit.{when}"] = (out[f"ac_sedentary.mean_lvef_fall_{when}"]
                                           - out[f"aerobic_during_ac.mean_lvef_fall_{when}"])
        return out

    rng = np.random.default_rng(1)

    def fit(structure: Structure, starts: int, start: np.ndarray | None = None,
            sd: float = decline_sd) -> tuple[dict[str, float], float, np.ndarray]:
        """The best of ``starts`` Nelder-Mead runs from random points (and ``start``): (values, deviance, point)."""
        x0s = [np.array([rng.uniform(*u[2]) for u in structure.unknowns]) for _ in range(starts)]
        best = None
        for x0 in ([start] if start is not None else []) + x0s:
            r = optimize.minimize(lambda x: deviance(structure, x, sd), x0, method="Nelder-Mead",
                                  options={"maxiter": 2500, "xatol": 1e-5, "fatol": 1e-7})
            if best is None or r.fun < best.fun:
                best = r
        assert best is not None
        return values(structure, best.x), float(best.fun), best.x

    def summary(structure: Structure, v: dict[str, float], x: np.ndarray,
                sd: float = decline_sd) -> dict[str, object]:
        p, fall = predict(structure, v)
        incidences, z2 = split(p, fall, sd)
        scaled_ac = tuple(c.with_rates(loss_factor=v["loss_factor"], reserve=v["myocardial_reserve"]) for c in ac)
        entry: dict[str, object] = {
            "deviance": incidences + z2, "deviance_incidences": incidences, "deviance_decline": z2,
            "at_bounds": at_bounds(structure, x), "values": v,
            "predicted": dict(zip([d.name for d in data], p.tolist())),
            "mean_lvef_fall_180_days": fall,
            "mean_lvef_fall_end_of_ac": population.mean_lvef_drop(scaled_ac, days_after_last_dose=21.0,
                                                                  sensitivity_sd=v["sensitivity_sd"]),
            "exercise": answers(structure, v)}
        if structure.hazard:
            entry["hazard_per_year_at_lvef"] = {str(lv): math.exp(v["per_point"] * (v["lvef_at_1_per_year"] - lv))
                                                for lv in (62, 50, 45, 40, 35, 30)}
            entry["hazard_ratio_per_10_points"] = math.exp(min(10.0 * v["per_point"], 700.0))
        return entry

    def line(name: str, entry: dict[str, object]) -> str:
        v = entry["values"]
        ex = entry["exercise"]
        assert isinstance(v, dict) and isinstance(ex, dict)
        return (f"{name}: deviance {entry['deviance']:.3f} ({entry['deviance_incidences']:.2f} + "
                f"{entry['deviance_decline']:.2f}), at bounds {entry['at_bounds']}; "
                f"{', '.join(f'{a}={b:.4g}' for a, b in v.items())}; "
                f"fall at end of AC {entry['mean_lvef_fall_end_of_ac']:.2f}, 180 days "
                f"{entry['mean_lvef_fall_180_days']:.2f}; exercise: "
                f"{', '.join(f'{a} {b:.3g}' for a, b in ex.items() if a.split('.')[0] in _SHOWN)}")

    report: dict[str, object] = {}
    for structure in STRUCTURES:
        v, dev, x = fit(structure, STARTS)
        entry = summary(structure, v, x)
        k = len(structure.unknowns)
        entry.update(unknowns=k, data=len(data) + 1, aic=dev + 2 * k)
        if structure.name in ("threshold", "step"):  # the reserve profiled, the rest re-fitted at each
            profile = []
            start = np.delete(x, [u[0] for u in structure.unknowns].index("myocardial_reserve"))
            for reserve in PROFILE_RESERVES:  # each from the last point's optimum and two random points
                held = structure.profiled("myocardial_reserve", reserve)
                pv, _, start = fit(held, 2, start)
                profile.append(summary(held, pv, start))
                print("  " + line(f"reserve {reserve:g}", profile[-1]), flush=True)
            entry["reserve_profile"] = profile
        if structure.name != "hazard_mesa":  # how much the preference rests on the decline's weight
            wide = 2.0 * decline_sd
            wv, _, wx = fit(structure, STARTS // 2, x, sd=wide)
            doubled = summary(structure, wv, wx, sd=wide)
            entry["decline_sd_doubled"] = doubled
            print("  " + line("decline sd doubled", doubled), flush=True)
        report[structure.name] = entry
        print(f"{structure.name} ({k} unknowns, AIC {dev + 2 * k:.2f}): " + line("best", entry), flush=True)
    out = {"date": time.strftime("%Y-%m-%d"), "observed": dict(zip([d.name for d in data], observed.tolist())),
           "decline": decline,
           "decline_sd": decline_sd, "decline_days_after_last_dose": decline_day,
           "spread_floor": _SPREAD_FLOOR[0], "structures": report, "starts": STARTS, "seed": 1,
           "seconds": time.perf_counter() - started, "versions": versions(),
           "reference": {"mesa_hazard_ratio_per_10_points": 2.13,
                         "framingham_per_year_ef_above_50": 0.007}}
    OUT.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)} in {out['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
