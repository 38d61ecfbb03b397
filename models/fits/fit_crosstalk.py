"""Fit the composed model's coupling strengths (models/fits/fit_crosstalk.py).

1. ``nk_homing_gain`` (mouse set): wheel-running-like exercise (aerobic 45 min at 65%, 5x/week) from the
   inoculation of 1e6 tumour cells reduces the tumour volume at 4 weeks by 60% against sedentary, no drugs
   (targets.toml exercise_tumour_growth, Pedersen 2016).
1b. ``cd8_training_gain`` (its mouse-set value): treadmill training (45 min at 60%, 5x/week) from a 100 mm3 tumour
   slows the tumour at 3 weeks, and CD8 depletion prevents it (Gomes-Santos 2021, targets.toml exercise_cd8_mouse):
   the smallest gain for which CD8 depletion leaves 45 % of the benefit (the check's bound is half). 1 and 1b are
   solved alternately (each arm acts in the other's protocol). The CD8 rise this needs, and the benefit of training
   with anti-PD-1, are predictions.

Exercise cardioprotection is not fitted: the training adaptations are bounded by the rodent data
(training_cardiac_antioxidants) and Hydock's rat ratio (exercise_cardioprotection_rat) is a prediction the script
reports.

Usage: ``python models/fits/fit_crosstalk.py [--write]``.
"""

from __future__ import annotations

import argparse

from scipy.optimize import brentq

from crosstalk.model.parameters import clear_cache, parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import Blockade
from crosstalk.validation import band
from crosstalk.validation.protocols import training_benefit, tumour_benefit

from _common import finish, table_path, write_table

TABLE = table_path("crosstalk")


def fit_homing(sim: Simulator, mouse_cd8: float) -> float:
    benefit = band("exercise_tumour_growth", "benefit").value  # Pedersen 2016: about 60%
    if benefit is None:
        raise SystemExit("bands.toml [exercise_tumour_growth] benefit has no value to fit")
    return brentq(lambda g: tumour_benefit(sim, parameters={"nk_homing_gain": g, "cd8_training_gain": mouse_cd8})
                  - benefit, 0.0, 200.0, xtol=1e-6)


#: Fraction of the training benefit left with CD8 depletion that the CD8 gain is fitted to (the check allows < 0.5).
CD8_DEPLETED_LEFT = 0.45


def fit_cd8(sim: Simulator, homing: float) -> float:
    def left(g: float) -> float:
        p = {"cd8_training_gain": g, "nk_homing_gain": homing}
        return training_benefit(sim, parameters=p, blockade=Blockade(cd8_depletion=True)) / training_benefit(
            sim, parameters=p) - CD8_DEPLETED_LEFT

    return brentq(left, 0.0, 200.0, xtol=1e-4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    sim = Simulator("crosstalk")
    homing = parameter_ids("crosstalk")["nk_homing_gain"].value
    for _ in range(3):  # alternate: each arm acts in the other's protocol
        mouse_cd8 = fit_cd8(sim, homing)
        homing = fit_homing(sim, mouse_cd8)
        print(f"cd8_training_gain (mouse set) = {mouse_cd8:.4g}, nk_homing_gain = {homing:.4g}")
    values = {"nk_homing_gain": homing}
    if args.write:
        write_table(TABLE, {"cd8_training_gain": mouse_cd8}, species="mouse")
        clear_cache()  # the checks below read the species' values from the rewritten table
    finish(sim, values, ("exercise_tumour_growth", "exercise_cd8_mouse", "exercise_cardioprotection_rat"), TABLE,
           write=args.write)

if __name__ == "__main__":
    main()
