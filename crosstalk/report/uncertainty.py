"""What a reader sees of ``--uncertainty``: prediction bands, endpoint intervals, the interval of each difference and
the parameters that decide each answer (from :class:`crosstalk.calibrate.ensemble.UncertaintyResult`; nothing here
simulates)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from crosstalk.calibrate.uncertainty import MIN_DECIDING, MIN_INDEX, Q2_TRUST, UncertaintyResult, ranked
from crosstalk.report.html import table_html
from crosstalk.report.numbers import denoise, format_number, pretty_unit
from crosstalk.report.plots import Band
from crosstalk.studies.paired import BETTER

__all__ = ["bands_of", "clean", "uncertainty_html"]


def bands_of(result: UncertaintyResult, scenario: str) -> dict[str, Band]:
    """The pointwise 95 % band of every kept series of one scenario's ensemble run, by observable."""
    run = result.runs[scenario]
    return {name: (run.time_h, *run.band(name)) for name in run.series}


def clean(row: Mapping[str, Any], keys: Sequence[str] = ("point", "median", "lower95", "upper95")) -> dict[str, Any]:
    """``row`` with the solver's noise in ``keys`` zeroed relative to the largest of them (``-2e-34`` -> ``0``)."""
    scale = max(abs(float(row[k])) for k in keys if math.isfinite(float(row[k])))
    return {**row, **{k: denoise(float(row[k]), scale) for k in keys}}


def _interval(lo: float, hi: float, unit: str) -> str:
    return f"{format_number(lo)} to {format_number(hi)}"


def _relative_risk(row: Mapping[str, Any]) -> str:
    """``point (lower to upper)`` of an incidence's ratio; empty for other endpoints."""
    if not str(row["unit"]).startswith("fraction of patients") or not math.isfinite(float(row["ratio_point"])):
        return ""
    return (f"{format_number(row['ratio_point'])} ({format_number(row['ratio_lower95'])} to "
            f"{format_number(row['ratio_upper95'])})")


def uncertainty_html(result: UncertaintyResult) -> str:
    """The report section: what the ensemble is, the intervals (of each difference for a comparison), and the
    parameters that decide each answer with the basis of their ranges."""
    e = result.ensemble
    paired = result.differences is not None
    # what is re-fitted along with another re-fit (the heart's reserve, cut and recovery) has no datum of its own:
    # the heart's clause below names it
    solved = ", ".join(f"<code>{html.escape(p)}</code>" for p in result.solved if p not in result.solved_along)
    parts = ["<h2>With parameter uncertainty</h2>",
             f"<p>The same scenario{'s' if paired else ''} run over {e.n} parameter sets (seed {e.seed}) drawn by "
             f"Latin hypercube from the uncertainty every parameter row states ({len(e.ranges)} uncertain "
             "quantities, each with its distribution and basis: a cited dispersion, an assumed plausible range with "
             "its reason, or a provisional range for a fitted value). The intervals are about how well the typical "
             "patient's biology is known, not about how patients differ (a cohort shows that); where the data do "
             "not settle a property of the population itself (how widely patients' hearts differ, how noisy the "
             "echo that counts CTRCD is), it is drawn too (<code>population:</code> rows below) and the "
             "population's incidences are read at it.</p>"]
    if result.solved:
        parts.append(f"<p>Each set is re-calibrated before it runs: {solved} are re-solved so that their "
                     "calibration summaries (IL-6 and EV rise with exercise, tumour doubling time, CTRCD incidence, "
                     "...) take a value drawn from the published datum's range (<code>target:</code> rows below), "
                     "given the set's other values"
                     + ("; the heart's reserve (<code>myocardial_reserve</code>) is re-fitted with its loss rate "
                        "to Swain's heart-failure curve as well, at the LVEF below which the set counts heart failure "
                        "(<code>heart_failure_lvef_percent</code>, drawn: the heart's structure, which the data leave "
                        "open), and a set with which no reserve reproduces that curve is left out"
                        + ("; on that heart and the set's echo error, what heart-failure therapy restores "
                           "(<code>hf_therapy_recovery_fraction</code>) is re-fitted to Cardinale's recoveries"
                           if "hf_therapy_recovery_fraction" in result.solved else "")
                        if "myocardial_reserve" in result.solved else "")
                     + ". Drawn independently instead, almost no set would still match the data the fits came from."
                     + (f" <b>{result.uncalibrated} set{'s' if result.uncalibrated != 1 else ''} could not be "
                        f"re-calibrated</b> and {'are' if result.uncalibrated != 1 else 'is'} left out ("
                        + ", ".join(f"<code>{html.escape(p)}</code>: {n}" for p, n in result.uncalibrated_by().items())
                        + "; <code>uncertainty.json</code> says why)." if result.uncalibrated else "") + "</p>")
    if result.failed:
        parts.append(f"<p><b>{result.failed} simulations failed</b> and are left out "
                     "(<code>uncertainty.json</code> lists them).</p>")
    answers = {*BETTER, *result.better}
    if paired:
        assert result.differences is not None
        arms = list(dict.fromkeys(result.differences["scenario"]))
        reference = str(result.differences["reference"].iloc[0]) if len(result.differences) else ""
        rows = [(r["endpoint"], *([r["scenario"]] if len(arms) > 1 else []), format_number(r["point"]),
                 format_number(r["median"]), _interval(r["lower95"], r["upper95"], r["unit"]), pretty_unit(r["unit"]),
                 "" if math.isnan(r["probability_better"]) else f"{r['probability_better']:.0%}", _relative_risk(r))
                for r in map(clean, result.differences.to_dict("records")) if r["endpoint"] in answers]
        parts += [f"<p class='small'>Differences {html.escape(arms[0]) + ' − ' if len(arms) == 1 else ''}"
                  f"{html.escape(reference)}, taken parameter set by parameter set (each its own control). "
                  "<i>P(better)</i>: the share of parameter sets in which the scenario is better than the "
                  "reference. <i>Relative risk</i>: of an incidence, at the tables' values and its 95 % interval over "
                  "the same sets.</p>",
                  table_html(["endpoint", *(["scenario"] if len(arms) > 1 else []), "at the tables' values", "median",
                              "95 % interval", "unit", "P(better)", "relative risk"], rows)]
    varying = [r for r in map(clean, result.intervals.to_dict("records"))
               if r["upper95"] - r["lower95"] > 1e-9 * max(abs(r["upper95"]), abs(r["lower95"]))]
    fixed = sorted({r["endpoint"] for r in result.intervals.to_dict("records")} - {r["endpoint"] for r in varying})
    rows = [(r["endpoint"], *([r["scenario"]] if paired else []), format_number(r["point"]),
             format_number(r["median"]), _interval(r["lower95"], r["upper95"], r["unit"]),
             pretty_unit(r["unit"])) for r in varying]
    parts += ["<h3>Every endpoint</h3>" if paired else "",
              table_html(["endpoint", *(["scenario"] if paired else []), "at the tables' values", "median",
                          "95 % interval", "unit"], rows),
              (f"<p class='small'>Not shown, the same in every parameter set: {html.escape(', '.join(fixed))}.</p>"
               if fixed else "")]
    parts.append(_deciding_html(result))
    parts.append("<p class='small'>Files: <code>endpoints_uncertainty.csv</code>"
                 + (", <code>differences_uncertainty.csv</code>" if paired else "")
                 + ", <code>deciding_parameters.csv</code>, <code>ensemble_parameters.csv</code>, "
                   "<code>ensemble_endpoints.csv</code>, <code>uncertainty.json</code> (every uncertain parameter "
                   "with its distribution and basis).</p>")
    return "".join(p for p in parts if p)


def _deciding_html(result: UncertaintyResult) -> str:
    d = result.deciding
    if d.empty:
        return ("<h3>Which uncertainties decide the answer</h3><p class='small'>Not estimated: run at least "
                f"{MIN_DECIDING} parameter sets (a few hundred for a trustworthy ranking).</p>")
    rows: list[tuple[object, ...]] = []
    for output in dict.fromkeys(d["output"]):
        mine = d[d["output"] == output].set_index("parameter")
        shown = ranked(d, output)
        if shown is None:
            rows.append((output, "", "not ranked", "", "", f"{float(mine['q2'].iloc[0]):.2f}",
                         "the screened parameters explain little of this answer's spread"))
            continue
        for k, pid in enumerate(shown):
            r = mine.loc[pid]
            rows.append((output if k == 0 else "", int(r["rank"]), pid, f"{r['total_order']:.2f}",
                         f"{r['first_order']:.2f}", f"{r['q2']:.2f}" if k == 0 else "", r["basis"]))
    return ("<h3>Which uncertainties decide the answer</h3>"
            "<p class='small'>Total-order Sobol indices (the share of the answer's variance a parameter's "
            "uncertainty accounts for, alone and with others) from a sparse polynomial chaos expansion fitted on "
            "the ensemble itself, after a rank screen to at most 12 candidates. Q2 is the expansion's "
            f"cross-validated accuracy: below {Q2_TRUST:g} no ranking is shown (too few sets for the number of "
            "uncertain quantities, an answer many quantities share, or one that is zero in most sets), and "
            f"quantities with an index below {MIN_INDEX:g} are left out. Sets that could not be re-calibrated are "
            "left out, so the inputs are no longer quite independent: read the indices as approximate.</p>"
            + table_html(["answer", "rank", "parameter", "total", "first order", "Q2", "basis of its range"], rows)
            + f"<p class='small'>{len(result.ensemble.ranges)} uncertain quantities were drawn.</p>")
