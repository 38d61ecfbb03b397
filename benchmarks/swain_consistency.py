"""Do an uncertainty ensemble's heart sets still reproduce Swain 2003's heart-failure incidences?

Each set of ``--uncertainty N`` that draws the spread of hearts re-fits its reserve with its loss rate: the loss
rate to its drawn Cardinale datum, the reserve inside the interval Swain's curve allows at the set's spread
(:mod:`crosstalk.validation.heart_conditioning`); the LVEF slope and the drug exposure are drawn. A set's reserve
sits anywhere in a 95 % region of the four points jointly, so a single point may still fall just outside its
own interval; the sets were selected on Swain's curve, so this checks the re-fit, not the model. This
script reads a finished run's ``ensemble_parameters.csv``
and computes, for every set that ran, the calibrated population's heart-failure incidence after 400, 500, 550
and 700 mg/m2 (doxorubicin 50 mg/m2 every 3 weeks, a year of follow-up), at the set's parameters and drawn population
quantities, and the share inside each observation's binomial 95 % interval. ~1-2 min for 150 sets on 1 core::

    python benchmarks/swain_consistency.py RUN_DIR

(``RUN_DIR`` from ``crosstalk compare ac_sedentary aerobic_during_ac --uncertainty 150 --seed 1 --out RUN_DIR``.)
Writes ``RUN_DIR/swain_consistency.csv`` and ``benchmarks/results_swain_consistency.json``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from crosstalk.calibrate.ensemble import POPULATION
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.result import versions
from crosstalk.sim.simulator import Simulator
from crosstalk.validation.cardiac import swain_course
from crosstalk.validation.heart_conditioning import HEART_FAILURE_LVEF, RESERVE_POSITION
from crosstalk.validation.heart_fit import SWAIN_DOSES, heart_data
from crosstalk.validation.population_heart import ECHO_SD, SENSITIVITY_SD, cardiac_population

REPO = Path(__file__).resolve().parent.parent
DOSES = (400.0, 500.0, 550.0, 700.0)


def incidences(row: pd.Series, sim: Simulator) -> dict[str, float]:
    """Heart-failure incidence at each of :data:`DOSES` for one set's values."""
    ids = parameter_ids(sim.model)
    parameters = {k: float(v) for k, v in row.items() if k in ids and math.isfinite(float(v))}
    spread, echo = (row.get(POPULATION + q, math.nan) for q in (SENSITIVITY_SD, ECHO_SD))
    population = cardiac_population(float(echo) if math.isfinite(echo) else None)
    return {f"heart_failure_{d:g}": population.incidence(
        population.courses(sim, swain_course(d, model=sim.model, parameters=parameters)), "heart_failure",
        sensitivity_sd=float(spread) if math.isfinite(spread) else None) for d in DOSES}


def main(argv: list[str]) -> int:
    run = Path(argv[0])
    warnings.simplefilter("ignore")  # Swain's doses exceed the label's cap on purpose
    values = pd.read_csv(run / "ensemble_parameters.csv")
    ran = values[values["k_cardiomyocyte_loss"].notna()] if "k_cardiomyocyte_loss" in values else values
    sim = Simulator("anthracycline")
    table = pd.DataFrame([{"member": int(r["member"]), **incidences(r, sim)} for _, r in ran.iterrows()])
    table.to_csv(run / "swain_consistency.csv", index=False)
    data = {p.name: p for p in heart_data()}
    per_dose = {}
    for d in DOSES:
        assert d in SWAIN_DOSES
        datum = data[f"heart_failure_swain_{d:g}"]
        lo, hi = datum.interval()
        x = table[f"heart_failure_{d:g}"].dropna()
        per_dose[f"{d:g}"] = {"observed": datum.observed, "lower95": lo, "upper95": hi, "sets": len(x),
                              "median": float(x.median()), "p2_5": float(x.quantile(0.025)),
                              "p97_5": float(x.quantile(0.975)), "inside": float(((x >= lo) & (x <= hi)).mean())}
    inside_all = table[[f"heart_failure_{d:g}" for d in DOSES]].apply(
        lambda col: col.between(*data[f"heart_failure_swain_{col.name.split('_')[-1]}"].interval())).all(axis=1)
    meta = json.loads((run / "uncertainty.json").read_text(encoding="utf-8"))
    # the sets left out because no reserve reproduces Swain's curve, and the LVEF slope each error names
    refusals = [e for errors in list(meta["errors"].values())[:1] for e in errors
                if e["stage"] == "calibration" and "reproduces Swain" in e["error"]]
    refused = [e["error"] for e in refusals]
    slopes = [float(m.group(1)) for m in (re.search(r"lvef_points_per_loss ([0-9.]+)", e) for e in refused) if m]
    # the heart-failure LVEF each set drew (absent from runs made before it was drawn)
    drawn_cut = values.set_index("member")[HEART_FAILURE_LVEF] if HEART_FAILURE_LVEF in values else None
    cuts = drawn_cut.loc[[e["member"] for e in refusals]] if drawn_cut is not None else pd.Series(dtype=float)
    kept = values.loc[values["member"].isin(table["member"]), "lvef_points_per_loss"]
    scenarios = sorted(set(pd.read_csv(run / "ensemble_endpoints.csv", usecols=["scenario"])["scenario"]))
    out = {"date": time.strftime("%Y-%m-%d"), "n": meta["n"], "seed": meta["seed"], "scenarios": scenarios,
           "sets": len(table),
           "population_quantities_drawn": any(c.startswith(POPULATION) for c in values.columns),
           "reserve_refitted": RESERVE_POSITION in values.columns,
           "inside_all": float(inside_all.mean()), "doses": per_dose,
           "left_out_for_swain": {"sets": len(refused),
                                  "lvef_slope_median": float(pd.Series(slopes).median()) if slopes else None,
                                  "lvef_slope_below_63": float((pd.Series(slopes) < 63).mean()) if slopes else None,
                                  "kept_lvef_slope_min": float(kept.min()) if len(kept) else None,
                                  "heart_failure_lvef_median": float(cuts.median()) if len(cuts) else None,
                                  "kept_heart_failure_lvef_median": float(drawn_cut.loc[table["member"]].median())
                                  if drawn_cut is not None else None},
           "versions": versions()}
    text = json.dumps(out, indent=2, allow_nan=False)
    (REPO / "benchmarks" / "results_swain_consistency.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
