"""Fit the human tumour growth rate (models/fits/fit_tumour_growth.py).

``tumour_growth_rate`` (human set, Gompertz): the untreated immune module (with its CD8 and NK kill) doubles a
2 cm3 tumour in 160 days (between the median volume-doubling times of Peer 1993, 157 d, and Zhang 2017, 164 d;
targets.toml human_breast_tumour_growth). Pure Gompertz growth gives the starting point in closed form: ``ln(K/V)``
decays as ``ln(K/V0) exp(-beta t)``, so V0 doubles after ``t2 = -ln(1 - ln 2 / ln(K/V0)) / beta``; the immune
kill slows growth a little, so beta is then solved by bisection on the simulated doubling time.

Usage: ``python models/fits/fit_tumour_growth.py [--write]``.
"""

from __future__ import annotations

import argparse
import math

from scipy.optimize import brentq

from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.validation.checks import doubling_time_days

from _common import finish, table_path, write_population

TABLE = table_path("immune")
#: Volume-doubling time (days) at 2 cm3, and that volume.
TVDT_DAYS = 160.0
VOLUME_CM3 = 2.0


def fit_growth_rate(sim: Simulator) -> float:
    p = {k: v.value for k, v in parameter_ids("immune").items()}
    cells = VOLUME_CM3 * 1e3 / p["tumour_cell_volume_mm3"]
    log_room = math.log(1.0 / (p["tumour_inverse_capacity"] * cells))
    pure = -math.log(1.0 - math.log(2.0) / log_room) / TVDT_DAYS

    def excess(beta: float) -> float:
        return doubling_time_days(sim, cells, parameters={"tumour_growth_rate": beta}, step_hours=1.0) - TVDT_DAYS

    return brentq(excess, pure, 3.0 * pure, xtol=1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    sim = Simulator("immune")
    rate = fit_growth_rate(sim)
    finish(sim, {"tumour_growth_rate": rate}, ("human_breast_tumour_growth",), TABLE, write=args.write)
    if args.write:  # the default population's median growth rate is the fitted one
        print(f"wrote {write_population('neoadjuvant_breast_ac', 'tumour_growth_rate', 'low', rate)}")


if __name__ == "__main__":
    main()
