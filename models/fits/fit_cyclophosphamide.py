"""Fit the cyclophosphamide module (models/fits/fit_cyclophosphamide.py).

``hydroxycyclophosphamide_cl_l_per_h``: with linear kinetics the molar AUC of the metabolite is
f_act x dose / CL_m and the parent's is dose / CL, so the mass AUC ratio R = f_act x (CL / CL_m) x (MW_m / MW)
gives CL_m = f_act x CL x (MW_m / MW) / R in closed form, with R = 0.06 (Joy 2012; targets.toml
cyclophosphamide_pk). The check run afterwards simulates the AC dose and reports the ratio.

Usage: ``python models/fits/fit_cyclophosphamide.py [--write]``.
"""

from __future__ import annotations

import argparse

from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import target

from _common import finish, table_path

TABLE = table_path("cyclophosphamide")


def fit_metabolite_clearance() -> float:
    p = {k: v.value for k, v in parameter_ids("cyclophosphamide").items()}
    ratio = target("cyclophosphamide_pk").number("metabolite_4oh_auc_fraction_of_parent")
    return (p["cyclophosphamide_fraction_activated"] * p["cyclophosphamide_cl_l_per_h"]
            * p["mw_hydroxycyclophosphamide"] / p["mw_cyclophosphamide"] / ratio)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write fitted values to the parameter table")
    args = ap.parse_args()
    values = {"hydroxycyclophosphamide_cl_l_per_h": fit_metabolite_clearance()}
    finish(Simulator("cyclophosphamide"), values, ("cyclophosphamide_pk",), TABLE, write=args.write)


if __name__ == "__main__":
    main()
