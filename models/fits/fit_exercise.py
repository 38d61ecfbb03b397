"""Fit the exercise module's calibrated parameters to their targets (models/fits/fit_exercise.py).

Each fit simulates the published protocol through :mod:`crosstalk.validation` (the same checks the tests run)
and solves for the parameters marked ``fit = "<target>"`` in ``crosstalk/models/exercise/parameters.toml``:

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

from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import CHECKS, band
from crosstalk.validation.checks import exev_release_cycling, il6_prolonged_run, nk_mobilisation

from _common import finish, table_path

TABLE = table_path("exercise")


def aim(target_id: str, criterion: str) -> float:
    """The published value a fit aims at (``value`` of the criterion's band in bands.toml)."""
    value = band(target_id, criterion).value
    if value is None:
        raise SystemExit(f"bands.toml [{target_id}] {criterion} has no value to fit")
    return value


def fit_il6(sim: Simulator) -> dict[str, float]:
    fold = aim("il6_prolonged_run", "fold_at_end")  # 25

    def err(x: float) -> float:
        return il6_prolonged_run(sim, parameters={"il6_release_pg_per_ml_h": x}).value("fold_at_end") - fold

    return {"il6_release_pg_per_ml_h": brentq(err, 0.5, 100.0, xtol=1e-8)}


def fit_exev(sim: Simulator) -> dict[str, float]:
    fold = aim("exev_release_cycling", "fold_at_end")  # 2.7

    def err(logx: float) -> float:
        return exev_release_cycling(sim, parameters={"exev_release_max_per_ml_h": 10**logx}).value("fold_at_end") - fold

    return {"exev_release_max_per_ml_h": 10 ** brentq(err, 9.0, 12.0, xtol=1e-10)}


NK_PARAMS = ("nk_mobilisation_gain", "k_nk_egress", "nk_egress_gain", "k_nk_egress_signal")


def fit_nk(sim: Simulator) -> dict[str, float]:
    x0 = np.log([parameter_ids("exercise")[p].value for p in NK_PARAMS])
    fold, nadir, recovered = (aim("nk_mobilisation", c) for c in ("fold_at_end", "nadir_fraction_1_to_3h",
                                                                  "fraction_at_24h"))  # 6, 0.5, 1

    def residuals(logx: np.ndarray) -> np.ndarray:
        c = nk_mobilisation(sim, parameters={k: float(v) for k, v in zip(NK_PARAMS, np.exp(logx))})
        return np.array([
            np.log(c.value("fold_at_end") / fold),
            np.log(c.value("nadir_fraction_1_to_3h") / nadir),
            4.0 * np.log(c.value("fraction_at_24h") / recovered),
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
    finish(sim, values, tuple(k for k, c in CHECKS.items() if c.model == "exercise"), TABLE, write=args.write)

if __name__ == "__main__":
    main()
