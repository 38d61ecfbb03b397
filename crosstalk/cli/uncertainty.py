"""``--uncertainty N`` of ``simulate`` and ``compare``: the same scenarios over an ensemble of parameter sets drawn
from the tables' uncertainty, with intervals, prediction bands and the parameters that decide each answer."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crosstalk.calibrate.uncertainty import UncertaintyResult
    from crosstalk.sim.result import Result


def add_options(s: argparse.ArgumentParser, *, seed: bool) -> None:
    """``--uncertainty N`` (and ``--seed`` where the command has none)."""
    s.add_argument("--uncertainty", type=int, default=None, metavar="N",
                   help="also run an ensemble of N parameter sets drawn from the parameter tables' uncertainty: "
                        "95 %% intervals, prediction bands and the parameters that decide each answer (default: "
                        "the scenario's own uncertainty = N, if any; with compare, the first scenario's)")
    if seed:
        s.add_argument("--seed", type=int, default=1, help="seed of the ensemble (default 1)")


def run(results: Sequence[Result], n: int, *, seed: int, workers: int | None, progress: bool) -> UncertaintyResult:
    """:func:`crosstalk.calibrate.uncertainty.run_uncertainty` with each member re-calibrated to the data of the
    anchored fits (:mod:`crosstalk.validation.anchors`) and, where the scenario has doxorubicin, the virtual
    population's heart incidences (:mod:`crosstalk.validation.population_heart`), keeping the series the report's
    figure draws."""
    from crosstalk.calibrate.uncertainty import run_uncertainty
    from crosstalk.report.plots import SUMMARY_PANELS
    from crosstalk.validation.anchors import anchor_conditioning
    from crosstalk.validation.population_heart import heart_outputs

    first = results[0].scenario
    return run_uncertainty(results, n, seed=seed, series=SUMMARY_PANELS, workers=workers, progress=progress,
                           conditioning=anchor_conditioning(first.model, first.species),
                           extra=heart_outputs(first))


def _by(result: UncertaintyResult) -> str:
    by = result.uncalibrated_by()
    return f" ({', '.join(f'{p} {n}' for p, n in by.items())})" if by else ""


def print_summary(result: UncertaintyResult) -> None:
    """The answers with their intervals and deciding parameters, on stdout."""
    from crosstalk.calibrate.uncertainty import ranked
    from crosstalk.report.numbers import format_number, pretty_unit
    from crosstalk.report.uncertainty import clean
    from crosstalk.studies.paired import BETTER

    e = result.ensemble
    print(f"uncertainty: {e.n} parameter sets over {len(e.ranges)} uncertain quantities (seed {e.seed}); "
          + (f"{len(result.solved)} fitted parameters re-solved per set to their calibration data, "
             f"{result.uncalibrated} sets could not be and are left out{_by(result)}; " if result.solved else "")
          + f"{result.failed} failed simulations")
    paired = result.differences is not None
    table = result.differences if result.differences is not None else result.intervals
    answers = {*BETTER, *result.better}
    for r in map(clean, table.to_dict("records")):
        if r["endpoint"] not in answers:
            continue
        label = f"{r['endpoint']} ({r['scenario']} - {r['reference']})" if paired else r["endpoint"]
        top = ranked(result.deciding, label)
        some = (result.deciding["output"] == label).any()
        relative = ""
        if paired and str(r["unit"]).startswith("fraction of patients") and r.get("ratio_point") is not None:
            relative = (f"; relative risk {format_number(r['ratio_point'])} (95 % {format_number(r['ratio_lower95'])}"
                        f" to {format_number(r['ratio_upper95'])})")
        print(f"  {label}: {format_number(r['point'])} {pretty_unit(r['unit'])} (95 % "
              f"{format_number(r['lower95'])} to {format_number(r['upper95'])}){relative}"
              + (f"; decided by {', '.join(top)}" if top else "; not ranked (Q2 < 0.5)" if some else ""))
