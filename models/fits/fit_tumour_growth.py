"""Fit the human tumour growth rate (models/fits/fit_tumour_growth.py).

``tumour_growth_rate`` (human set, Gompertz): untreated, ``ln(K/V)`` decays as ``ln(K/V0) exp(-beta t)``, so a
tumour of volume V0 doubles after ``t2 = -ln(1 - ln 2 / ln(K/V0)) / beta``. Solved in closed form for beta with
t2 = 160 days at V0 = 2 cm3 (between the median volume-doubling times of Peer 1993, 157 d, and Zhang 2017, 164 d;
targets.toml human_breast_tumour_growth) and the plateau K = 1 / tumour_inverse_capacity.

Usage: ``python models/fits/fit_tumour_growth.py [--write]``.
"""

from __future__ import annotations

import argparse
import math

from crosstalk.parameters import parameter_ids
from crosstalk.simulate import Simulator

from _common import finish, table_path

TABLE = table_path("immune")
#: Volume-doubling time (days) at 2 cm3, and that volume.
TVDT_DAYS = 160.0
VOLUME_CM3 = 2.0


def fit_growth_rate() -> float:
    p = {k: v.value for k, v in parameter_ids("immune").items()}
    cells = VOLUME_CM3 * 1e3 / p["tumour_cell_volume_mm3"]
    log_room = math.log(1.0 / (p["tumour_inverse_capacity"] * cells))
    return -math.log(1.0 - math.log(2.0) / log_room) / TVDT_DAYS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    finish(Simulator("immune"), {"tumour_growth_rate": fit_growth_rate()}, ("human_breast_tumour_growth",), TABLE,
           write=args.write)


if __name__ == "__main__":
    main()
