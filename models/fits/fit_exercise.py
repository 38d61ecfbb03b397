"""Fit the exercise module's calibrated parameters to their targets (models/fits/fit_exercise.py).

Each fit simulates the published protocol through :mod:`crosstalk.calibration` (the same code the tests run)
and solves for the parameters marked ``fit = "<target>"`` in ``crosstalk/modules/exercise_parameters.toml``:

* ``il6_release_pg_per_ml_h``: IL-6 fold 25 at the end of 2.5 h at 75% VO2max (il6_prolonged_run);
* ``exev_release_max_per_ml_h``: plasma EV fold 2.7 at the end of incremental cycling (exev_release_cycling);
* NK mobilisation gain, egress rate, egress gain and signal rate: fold 6 at the end of 30 min at 85% VO2max,
  nadir 0.5 of baseline 1-3 h after, 1.0 at 24 h (nk_mobilisation).

Usage::

    python models/fits/fit_exercise.py            # print fitted values and the checks
    python models/fits/fit_exercise.py --write    # also write them into the parameter table, then rebuild SBML
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import brentq, least_squares

from crosstalk.calibration import CHECK_MODEL, exev_release_cycling, il6_prolonged_run, nk_mobilisation
from crosstalk.parameters import parameter_ids
from crosstalk.simulate import Simulator

from _common import MODULES_DIR, finish

TABLE = MODULES_DIR / "exercise_parameters.toml"


def fit_il6(sim: Simulator) -> dict[str, float]:
    def err(x: float) -> float:
        return il6_prolonged_run(sim, {"il6_release_pg_per_ml_h": x}).criteria["fold_at_end"][0] - 25.0

    return {"il6_release_pg_per_ml_h": brentq(err, 0.5, 100.0, xtol=1e-8)}


def fit_exev(sim: Simulator) -> dict[str, float]:
    def err(logx: float) -> float:
        return exev_release_cycling(sim, {"exev_release_max_per_ml_h": 10**logx}).criteria["fold_at_end"][0] - 2.7

    return {"exev_release_max_per_ml_h": 10 ** brentq(err, 9.0, 12.0, xtol=1e-10)}


NK_PARAMS = ("nk_mobilisation_gain", "k_nk_egress", "nk_egress_gain", "k_nk_egress_signal")


def fit_nk(sim: Simulator) -> dict[str, float]:
    x0 = np.log([parameter_ids("exercise")[p].value for p in NK_PARAMS])

    def residuals(logx: np.ndarray) -> np.ndarray:
        c = nk_mobilisation(sim, dict(zip(NK_PARAMS, np.exp(logx)))).criteria
        return np.array([
            np.log(c["fold_at_end"][0] / 6.0),
            np.log(c["nadir_fraction_1_to_3h"][0] / 0.5),
            4.0 * np.log(c["fraction_at_24h"][0]),
        ])

    sol = least_squares(residuals, x0, bounds=(np.log(1e-3), np.log(1e3)), xtol=1e-10, ftol=1e-10)
    return dict(zip(NK_PARAMS, (float(v) for v in np.exp(sol.x))))




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    sim = Simulator("exercise")
    values: dict[str, float] = {}
    for fit in (fit_il6, fit_exev, fit_nk):
        values.update(fit(sim))
    finish(sim, values, tuple(k for k, m in CHECK_MODEL.items() if m == "exercise"), TABLE, write=args.write)

if __name__ == "__main__":
    main()
