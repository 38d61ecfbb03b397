"""Fit the anthracycline module's calibrated parameters and the cardiac spread of the virtual population
(models/fits/fit_anthracycline.py).

1. ``k_cardiomyocyte_loss`` (median patient), ``myocardial_reserve`` and the spread of ln(cardiac_sensitivity) in
   the populations, by binomial likelihood to five published incidences with their numbers of patients
   (crosstalk.validation.heart_fit: Swain 2003 heart failure at 400, 500, 550 and 700 mg/m2; Cardinale 2015
   CTRCD as echocardiography measures it, with its reading error). Five data, three unknowns: profile
   intervals, identifiability and a posterior-predictive table (printed; the intervals go into the rows'
   ``uncertainty``; the fit itself into crosstalk/validation/heart_fit.toml). Every exercise and dexrazoxane
   effect, and the onset of CTRCD, are predictions.
2. ``chf_loss_half`` and ``chf_hill`` of the ``chf_risk`` observable (Swain's population curve as a function of
   the median patient's myocyte loss 3 weeks after 400 and 700 mg/m2): kept for the contract, not a patient's risk.

Usage::

    python models/fits/fit_anthracycline.py            # print values, intervals and checks
    python models/fits/fit_anthracycline.py --write    # write them into the tables and rebuild the SBML
"""

from __future__ import annotations

import argparse
import math
import re

import pandas as pd

from crosstalk.model import parameters
from crosstalk.model.build import write_models
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import target
from crosstalk.validation.cardiac import CARDIAC_POPULATION
from crosstalk.validation.heart_calibration import fit_heart_population
from crosstalk.validation.heart_fit import HEART_UNKNOWNS, HeartFit, write_heart_fit
from crosstalk.validation.protocols import swain_loss

from _common import finish, table_path, write_population, write_table

TABLE = table_path("anthracycline")
#: The populations whose sensitivity spread is written (both carry the calibrated cardiac rows).
POPULATIONS = (CARDIAC_POPULATION, "neoadjuvant_breast_ac")


def write_intervals(fit: HeartFit) -> None:
    """Put the profile intervals into the ``uncertainty`` of the two fitted rows."""
    est = fit.table().set_index("parameter")
    text = TABLE.read_text(encoding="utf-8")
    basis = ("fit: heart population (crosstalk.validation.heart_fit), binomial likelihood to Swain 2003 at 400, "
             "500, 550, 700 mg/m2 and Cardinale 2015 measured CTRCD; profile 95 % interval")
    k = est.loc["k_cardiomyocyte_loss"]
    r = est.loc["myocardial_reserve"]
    limit = next(u.high for u in HEART_UNKNOWNS if u.name == "myocardial_reserve")
    r_high = limit if math.isnan(r.upper95) else float(r.upper95)
    open_above = f"; open above, bounded by the {limit:g} search limit" if math.isnan(r.upper95) else ""
    rows = {
        "k_cardiomyocyte_loss": f'{{ distribution = "loguniform", low = {k.lower95:.4g}, high = {k.upper95:.4g}, '
                                f'basis = "{basis} ({k.identifiability}); correlated with myocardial_reserve in the '
                                'posterior, drawn independently here" }',
        "myocardial_reserve": f'{{ distribution = "uniform", low = {r.lower95:.4g}, high = {r_high:.4g}, '
                              f'basis = "{basis} ({r.identifiability}{open_above})" }}',
    }
    for pid, entry in rows.items():
        text, n = re.subn(rf'(id = "{pid}"\n(?:(?!\[\[parameter\]\])[^\n]*\n)*?uncertainty = )([^\n]+)',
                          lambda m, e=entry: m.group(1) + e, text)
        if n != 1:
            raise SystemExit(f"could not find the uncertainty of {pid}")
    TABLE.write_text(text, encoding="utf-8")


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
    ap.add_argument("--samples", type=int, default=3000, help="adaptive Metropolis steps (posterior predictive)")
    args = ap.parse_args()
    sim = Simulator("anthracycline")
    fit = fit_heart_population(samples=args.samples)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(fit.table())
        print(fit.fit.observed)
    print(f"deviance {fit.fit.deviance:.3f} on {len(fit.fit.observed) - len(fit.fit.best)} degrees of freedom; "
          f"burn-in {fit.fit.burn_in}")
    spread = fit.fit.best["sensitivity_sd"]
    values = {"k_cardiomyocyte_loss": fit.k_cardiomyocyte_loss,
              "myocardial_reserve": fit.fit.best["myocardial_reserve"]}
    values["chf_loss_half"], values["chf_hill"] = fit_chf(sim, values)
    if args.write:  # values and their intervals in one edit: the loader refuses a value outside its interval
        for population in POPULATIONS:
            write_population(population, "patient.cardiac_sensitivity", "high", spread)
        write_table(TABLE, values)
        write_intervals(fit)
        write_heart_fit(fit)
        parameters.clear_cache()
        write_models()
    finish(sim, values, ("swain_chf_dose_response", "ctrcd_incidence"), TABLE, write=False)

if __name__ == "__main__":
    main()
