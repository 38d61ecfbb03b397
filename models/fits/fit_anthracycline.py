"""Fit the anthracycline module's calibrated parameters and the cardiac spread of the virtual population
(models/fits/fit_anthracycline.py).

1. ``k_cardiomyocyte_loss`` (median patient), ``myocardial_reserve`` and the spread of ln(cardiac_sensitivity) in
   the populations: the virtual population (population ``anthracycline_cardiac``: lognormal sensitivity, baseline
   LVEF of women, body size) reproduces three incidences exactly, each counted within a year after the last dose:
   heart failure (LVEF < 40 %) in 5 % after 400 and 48 % after 700 mg/m2 of doxorubicin 50 mg/m2 every 3 weeks
   (Swain 2003; targets.toml swain_chf_dose_response), and CTRCD with Cardinale's definition in 9 % after AC
   4 x 60 mg/m2 (Cardinale 2015; ctrcd_incidence). Three targets, three unknowns; the incidences are integrated
   exactly over the lognormal sensitivity and by quadrature over baseline LVEF and body size
   (crosstalk.validation.cardiac.CardiacPopulation), so the fit is smooth and needs five simulations per
   regimen. Swain's 26 % at 550 mg/m2, the onset after chemotherapy and every exercise and dexrazoxane effect are
   predictions.
2. ``chf_loss_half`` and ``chf_hill`` of the ``chf_risk`` observable (Swain's population curve as a function of
   the median patient's myocyte loss 3 weeks after 400 and 700 mg/m2): kept for the contract, not a patient's risk.

Usage::

    python models/fits/fit_anthracycline.py            # print values and checks
    python models/fits/fit_anthracycline.py --write    # write them into the tables and rebuild the SBML
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.optimize import least_squares

from crosstalk.model import parameters
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import target
from crosstalk.validation.cardiac import CARDIAC_POPULATION, CardiacPopulation, cardinale_course, swain_course
from crosstalk.validation.protocols import swain_loss

from _common import finish, table_path, write_population

TABLE = table_path("anthracycline")
#: The populations whose sensitivity spread is written (both carry the calibrated cardiac rows).
POPULATIONS = (CARDIAC_POPULATION, "neoadjuvant_breast_ac")


def fit_population(sim: Simulator) -> tuple[float, float, float]:
    """(k_cardiomyocyte_loss, myocardial_reserve, sd of ln cardiac_sensitivity)."""
    swain = target("swain_chf_dose_response")
    cardinale = target("ctrcd_incidence")
    wanted = np.array([swain.number("at_400_mg_per_m2"), swain.number("at_700_mg_per_m2"),
                       cardinale.number("incidence")])
    k0 = parameter_ids("anthracycline")["k_cardiomyocyte_loss"].value
    population = CardiacPopulation.load()
    courses = [population.courses(sim, swain_course(400.0)), population.courses(sim, swain_course(700.0)),
               population.courses(sim, cardinale_course())]
    events = ("heart_failure", "heart_failure", "ctrcd_cardinale")

    def incidences(x: np.ndarray) -> np.ndarray:
        return np.array([population.incidence(c, e, loss_factor=math.exp(x[0]), reserve=float(x[2]),
                                              sensitivity_sd=math.exp(x[1])) for c, e in zip(courses, events)])

    sol = least_squares(lambda x: (incidences(x) - wanted) / wanted, np.array([0.0, math.log(0.3), 0.05]),
                        bounds=([-8.0, math.log(0.01), 0.0], [8.0, math.log(3.0), 0.6]), xtol=1e-12)
    got = incidences(sol.x)
    print("incidences (Swain 400, Swain 700, Cardinale):", np.round(got, 4), "targets:", wanted)
    return k0 * math.exp(sol.x[0]), float(sol.x[2]), math.exp(sol.x[1])


def fit_chf(sim: Simulator, values: dict[str, float]) -> tuple[float, float]:
    swain = target("swain_chf_dose_response")
    p400, p700 = swain.number("at_400_mg_per_m2"), swain.number("at_700_mg_per_m2")
    l400 = swain_loss(sim, 400.0, parameters=values)[0]
    l700 = swain_loss(sim, 700.0, parameters=values)[0]

    def logit(p: float) -> float:
        return math.log(p / (1.0 - p))

    hill = (logit(p700) - logit(p400)) / math.log(l700 / l400)
    half = l700 / math.exp(logit(p700) / hill)
    print(f"median patient's cardiomyocyte loss: {l400:.4f} at 400 mg/m2, {l700:.4f} at 700 mg/m2")
    return half, hill


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter tables")
    args = ap.parse_args()
    sim = Simulator("anthracycline")
    k_loss, reserve, spread = fit_population(sim)
    print(f"sd(ln cardiac_sensitivity) = {spread:.3g}")
    values = {"k_cardiomyocyte_loss": k_loss, "myocardial_reserve": reserve}
    values["chf_loss_half"], values["chf_hill"] = fit_chf(sim, values)
    if args.write:
        for population in POPULATIONS:
            write_population(population, "patient.cardiac_sensitivity", "high", spread)
        parameters.clear_cache()
    finish(sim, values, ("swain_chf_dose_response", "ctrcd_incidence"), TABLE, write=args.write)


if __name__ == "__main__":
    main()
