"""Fit the anthracycline module's calibrated parameters (models/fits/fit_anthracycline.py).

1. ``k_cardiomyocyte_loss``: AC 4x60 mg/m2 q21d gives a mean LVEF decline of 3 points three weeks after the
   last dose (an assumed calibration point: crosstalk/validation/assumed_targets.toml, ac_lvef_decline).
2. ``chf_loss_half`` and ``chf_hill``: heart-failure risk = L^h / (L^h + L50^h) of the cardiomyocyte loss L the
   model produces at 400 and 700 mg/m2 (Swain protocol, 50 mg/m2 q21d) equals Swain 2003's 0.05 and 0.48.
   Two points, two unknowns: solved in closed form on the logit scale.

Usage::

    python models/fits/fit_anthracycline.py            # print values and checks
    python models/fits/fit_anthracycline.py --write    # write them into the table and rebuild the SBML
"""

from __future__ import annotations

import argparse
import math

from scipy.optimize import brentq

from crosstalk.simulate import Simulator
from crosstalk.validation import target
from crosstalk.validation.checks import ac_lvef_decline
from crosstalk.validation.protocols import swain_loss

from _common import finish, table_path

TABLE = table_path("anthracycline")


def fit_loss_rate(sim: Simulator) -> float:
    decline = target("ac_lvef_decline").number("lvef_drop_points")

    def err(log_k: float) -> float:
        drop = ac_lvef_decline(sim, parameters={"k_cardiomyocyte_loss": 10**log_k}).value("lvef_drop_points")
        return drop - decline

    return 10 ** brentq(err, -6.0, 2.0, xtol=1e-12)


def fit_chf(sim: Simulator, k_loss: float) -> tuple[float, float]:
    swain = target("swain_chf_dose_response")
    p400, p700 = swain.number("at_400_mg_per_m2"), swain.number("at_700_mg_per_m2")
    l400 = swain_loss(sim, 400.0, parameters={"k_cardiomyocyte_loss": k_loss})[0]
    l700 = swain_loss(sim, 700.0, parameters={"k_cardiomyocyte_loss": k_loss})[0]

    def logit(p: float) -> float:
        return math.log(p / (1.0 - p))

    hill = (logit(p700) - logit(p400)) / math.log(l700 / l400)
    half = l700 / math.exp(logit(p700) / hill)
    print(f"cardiomyocyte loss: {l400:.4f} at 400 mg/m2, {l700:.4f} at 700 mg/m2")
    return half, hill




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    sim = Simulator("anthracycline")
    k_loss = fit_loss_rate(sim)
    half, hill = fit_chf(sim, k_loss)
    values = {"k_cardiomyocyte_loss": k_loss, "chf_loss_half": half, "chf_hill": hill}
    finish(sim, values, ("ac_lvef_decline", "swain_chf_dose_response"), TABLE, write=args.write)

if __name__ == "__main__":
    main()
