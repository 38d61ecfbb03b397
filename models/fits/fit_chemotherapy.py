"""Fit the effects of AC (doxorubicin + cyclophosphamide) in the human set (models/fits/fit_chemotherapy.py).

1. ``cp_lymphocyte_kill_max``: blood NK cells 2 weeks after the fourth dose of AC are half their baseline
   (targets.toml chemotherapy_nk_depletion, Massa 2020: ~50 % after epirubicin +
   cyclophosphamide). Doxorubicin's lymphotoxicity is kept at its published value; bisection on the log scale.
2. ``cp_tumour_kill_max``: no data split AC's tumour kill between its two drugs, so cyclophosphamide is given the
   same kill per cycle as doxorubicin in the reference patient (assumed 1:1): the integral of its kill rate over
   the first cycle equals doxorubicin's.
3. The population's chemosensitivity: ``tumour_kill_max`` (doxorubicin) and ``cp_tumour_kill_max`` are scaled by one
   factor m (so that the median patient has chemosensitivity 1) and the spread sigma of the patients' lognormal
   chemosensitivity is chosen so that the default population (crosstalk/populations/neoadjuvant_breast_ac.toml),
   given four cycles of AC and assessed 3 weeks after the fourth dose, has NSABP B-18's response rates: tumour
   response (CR + PR) in 80 % and complete response in 36 % (targets.toml neoadjuvant_ac_response). Because the
   kill rate is chemosensitivity x (doxorubicin + cyclophosphamide kill), each virtual patient (the other
   population parameters drawn once, common random numbers) has a chemosensitivity threshold above which they
   respond and one above which they respond completely; these thresholds are found by bisection, and (m, sigma)
   then solve the two rate equations exactly on that fixed sample.

Usage: ``python models/fits/fit_chemotherapy.py [--patients N] [--write]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats
from scipy.optimize import brentq

from crosstalk.model import parameters
from crosstalk.model.build import write_models
from crosstalk.model.observables import response_class
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.population import load_population
from crosstalk.spec.scenario import apply_values
from crosstalk.studies.cohort import sample_cohort
from crosstalk.validation import target
from crosstalk.validation.protocols import NK_ASSESS_DAYS, ac_course

from _common import table_path, write_population, write_table

POPULATION = "neoadjuvant_breast_ac"
#: Response is read 3 weeks after the fourth dose (day 84), before surgery.
ASSESS_DAYS = 84.0
NK_FRACTION = target("chemotherapy_nk_depletion").number("nk_fraction_after_ec")
RESPONSE = target("neoadjuvant_ac_response").number("fraction_size_reduced")
COMPLETE = target("neoadjuvant_ac_response").number("fraction_clinical_complete_response")


def fit_lymphotoxicity(sim: Simulator) -> float:
    def nk_fraction(log_kmax: float) -> float:
        sc = ac_course(parameters={"cp_lymphocyte_kill_max": float(np.exp(log_kmax))})
        ts = sim.run(sc).timeseries
        nk = np.interp(NK_ASSESS_DAYS * 24.0, ts["time_h"], ts["nk_blood_per_ul"])
        return float(nk / ts["nk_blood_per_ul"].iloc[0]) - NK_FRACTION

    return float(np.exp(brentq(nk_fraction, np.log(1e-2), np.log(1e4), xtol=1e-4)))


def kill_integrals(sim: Simulator, fixed: dict[str, float]) -> tuple[float, float]:
    """Integral over the first cycle of doxorubicin's and cyclophosphamide's tumour kill rates (per unit max)."""
    sc = ac_course(parameters=fixed, step_hours=0.25)
    ts = sim.run(sc, extra=["doxorubicin_kill_rate", "cyclophosphamide_kill_rate"]).timeseries
    first = ts["time_h"].to_numpy() <= 21 * 24.0
    t = ts["time_h"].to_numpy()[first]
    p = parameters.parameter_ids("crosstalk")
    dox = np.trapezoid(ts["doxorubicin_kill_rate"].to_numpy()[first], t) / fixed.get("tumour_kill_max",
                                                                                     p["tumour_kill_max"].value)
    cp = np.trapezoid(ts["cyclophosphamide_kill_rate"].to_numpy()[first], t) / fixed["cp_tumour_kill_max"]
    return float(dox), float(cp)


def thresholds(sim: Simulator, fixed: dict[str, float], n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per patient: the chemosensitivity quantile z (standard normal) and the PR and CR thresholds."""
    pop_scenario = ac_course(parameters=fixed, step_hours=ASSESS_DAYS * 24.0, population=POPULATION)
    values = sample_cohort(pop_scenario, n, seed=seed)
    sens = load_population(POPULATION).parameters
    median_sens = next(r.low for r in sens if r.name == "patient.chemosensitivity")
    spread = next(r.high for r in sens if r.name == "patient.chemosensitivity")
    z = np.log(values["patient.chemosensitivity"].to_numpy() / median_sens) / spread
    pr, cr = np.empty(n), np.empty(n)
    for i, row in enumerate(values.to_dict("records")):
        def response(log_c: float, row: dict[str, float] = row) -> str:
            sc = apply_values(pop_scenario, {**row, "patient.chemosensitivity": float(np.exp(log_c))})
            v = sim.run(sc).timeseries["tumour_volume_mm3"].to_numpy()
            return response_class(v[-1] / v[0])

        pr[i] = _threshold(lambda c: response(c) in ("PR", "CR"))
        cr[i] = _threshold(lambda c: response(c) == "CR")
        if i % 32 == 0:
            print(f"  patient {i}: PR above {np.exp(pr[i]):.3g}, CR above {np.exp(cr[i]):.3g}", flush=True)
    return z, pr, cr


def _threshold(above, lo: float = np.log(1e-3), hi: float = np.log(99.0), tol: float = 0.01) -> float:
    """Smallest log chemosensitivity for which ``above`` holds (monotone), by bisection."""
    if above(lo):
        return lo
    if not above(hi):
        return np.inf
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if above(mid) else (mid, hi)
    return 0.5 * (lo + hi)


def solve_population(z: np.ndarray, pr: np.ndarray, cr: np.ndarray) -> tuple[float, float]:
    """(log m, sigma) with mean(log m + sigma z > pr) = RESPONSE and mean(... > cr) = COMPLETE (smoothed)."""
    width = 0.02  # a smooth step, so that the equations have a root on a finite sample

    def rate(log_m: float, sigma: float, thr: np.ndarray) -> float:
        return float(np.mean(stats.norm.cdf((log_m + sigma * z - thr) / width)))

    def log_m_for(sigma: float) -> float:
        return brentq(lambda lm: rate(lm, sigma, pr) - RESPONSE, -10.0, 10.0)

    sigma = brentq(lambda s: rate(log_m_for(s), s, cr) - COMPLETE, 0.05, 5.0)
    return log_m_for(sigma), sigma


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=200, help="virtual patients of the fit (common random numbers)")
    ap.add_argument("--seed", type=int, default=2483, help="seed of the fit's sample")
    ap.add_argument("--write", action="store_true", help="write fitted values to the tables and rebuild")
    args = ap.parse_args()
    sim = Simulator("crosstalk")
    p = parameters.parameter_ids("crosstalk")
    lymph = fit_lymphotoxicity(sim)
    print(f"cp_lymphocyte_kill_max = {lymph:.4g} per day "
          f"(blood NK {NK_FRACTION} of baseline at day {NK_ASSESS_DAYS:g})")
    fixed = {"cp_lymphocyte_kill_max": lymph, "cp_tumour_kill_max": 1.0}
    dox, cp = kill_integrals(sim, fixed)
    cp_max = p["tumour_kill_max"].value * dox / cp
    print(f"first-cycle kill integrals per unit max: doxorubicin {dox:.4g} d, cyclophosphamide {cp:.4g} d "
          f"-> cp_tumour_kill_max = {cp_max:.4g} per day at tumour_kill_max = {p['tumour_kill_max'].value}")
    fixed["cp_tumour_kill_max"] = cp_max
    z, pr, cr = thresholds(sim, fixed, args.patients, args.seed)
    log_m, sigma = solve_population(z, pr, cr)
    m = float(np.exp(log_m))
    print(f"median chemosensitivity scale m = {m:.4g}, sigma = {sigma:.3g}; "
          f"never respond: {np.mean(~np.isfinite(pr)):.2f}, never CR: {np.mean(~np.isfinite(cr)):.2f}")
    dox_max, cp_max = p["tumour_kill_max"].value * m, cp_max * m
    print(f"tumour_kill_max = {dox_max:.4g}, cp_tumour_kill_max = {cp_max:.4g} per day")
    if args.write:
        write_table(table_path("cyclophosphamide"), {"cp_lymphocyte_kill_max": lymph, "cp_tumour_kill_max": cp_max})
        write_table(table_path("anthracycline"), {"tumour_kill_max": dox_max})
        print(f"wrote {write_population(POPULATION, 'patient.chemosensitivity', 'high', sigma)}")
        parameters.clear_cache()
        write_models()
        print("wrote the tables and rebuilt the SBML")


if __name__ == "__main__":
    main()
