"""Fit how much of a treated patient's LVEF fall heart-failure therapy restores (models/fits/fit_recovery.py).

``hf_therapy_recovery_fraction``, by binomial likelihood to Cardinale 2015's recoveries (25 full and 160 partial of
226 patients with cardiotoxicity; crosstalk.validation.heart_recovery), on the calibrated heart population after
AC 4 x 60 mg/m2 read by 2D echo. Two data, one unknown: a profile interval and a posterior-predictive table
(printed; the interval goes into the row's ``uncertainty``, the fit into crosstalk/validation/recovery_fit.toml).
Run it after ``fit_anthracycline.py``: it reads the heart at the tables' values.

Usage::

    python models/fits/fit_recovery.py            # print the estimate, its interval and the check
    python models/fits/fit_recovery.py --write    # write them into the table and rebuild the SBML
"""

from __future__ import annotations

import argparse
import re

import pandas as pd

from crosstalk.model import parameters
from crosstalk.model.build import write_models
from crosstalk.sim.simulator import Simulator
from crosstalk.validation.heart_calibration import fit_recovery
from crosstalk.validation.heart_recovery import RECOVERY_PARAMETER, write_recovery_fit

from _common import finish, table_path, write_table

TABLE = table_path("anthracycline")


def write_interval(lower: float, upper: float, identifiability: str) -> None:
    """Put the profile interval into the row's ``uncertainty``."""
    entry = (f'{{ distribution = "uniform", low = {lower:.4g}, high = {upper:.4g}, basis = "fit: binomial '
             "likelihood to Cardinale 2015's full (25 of 226) and partial (160 of the 201 not fully recovered) "
             f"recoveries, profile 95 % interval ({identifiability}), on the heart at the tables' values; an "
             "ensemble that re-fits the heart re-fits this with it (crosstalk.validation.heart_recovery."
             "solve_recovery), others draw this range\" }")
    text = TABLE.read_text(encoding="utf-8")
    text, n = re.subn(rf'(id = "{RECOVERY_PARAMETER}"\n(?:(?!\[\[parameter\]\])[^\n]*\n)*?uncertainty = )([^\n]+)',
                      lambda m: m.group(1) + entry, text)
    if n != 1:
        raise SystemExit(f"could not find the uncertainty of {RECOVERY_PARAMETER}")
    TABLE.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the fitted value to the parameter table")
    ap.add_argument("--samples", type=int, default=2000, help="adaptive Metropolis steps (posterior predictive)")
    args = ap.parse_args()
    fit = fit_recovery(samples=args.samples)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(fit.estimates)
        print(fit.observed)
    print(f"deviance {fit.deviance:.3f} on {len(fit.observed) - len(fit.best)} degree of freedom")
    row = fit.estimates.set_index("parameter").loc[RECOVERY_PARAMETER]
    values = {RECOVERY_PARAMETER: fit.best[RECOVERY_PARAMETER]}
    if args.write:
        write_table(TABLE, values)
        write_interval(float(row.lower95), float(row.upper95), str(row.identifiability))
        write_recovery_fit(fit)
        parameters.clear_cache()
        write_models()
    finish(Simulator("anthracycline"), values, ("ctrcd_recovery",), TABLE, write=False)


if __name__ == "__main__":
    main()
