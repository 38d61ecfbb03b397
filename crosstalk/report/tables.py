"""Tables formatted for reading (Markdown), written beside the data the studies write as CSV and JSON.

The studies write data only; the command line writes these next to it, so ``crosstalk compare`` and
``crosstalk cohort`` give ``endpoints.md``, ``risk_differences.md`` and ``summary.md`` as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from crosstalk.files import write_text_atomic
from crosstalk.report.numbers import denoise, format_difference, format_nnt, format_number, format_value, pretty_unit
from crosstalk.studies.cohort import CohortResult

__all__ = ["cohort_cells", "cohort_markdown", "endpoint_cells", "endpoint_markdown", "risk_markdown",
           "write_cohort_table", "write_endpoint_table", "write_risk_table"]


def endpoint_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """An endpoint table (:func:`crosstalk.studies.compare.endpoint_table`) as header and rows of text for reading:
    endpoint, unit, one column per scenario (:func:`~crosstalk.report.numbers.format_value`), then the differences
    from the first (:func:`~crosstalk.report.numbers.format_difference`)."""
    units = table["unit"] if "unit" in table else pd.Series("", index=table.index)
    columns = [c for c in table.columns if c != "unit"]
    rows = []
    for endpoint, row in table.iterrows():
        unit = str(units[endpoint])
        cells = [format_difference(_denoised(row, str(c)), unit) if " - " in str(c) else format_value(row[c], unit)
                 for c in columns]
        rows.append([str(endpoint), pretty_unit(unit), *cells])
    return ["endpoint", "unit", *map(str, columns)], rows


def _denoised(row: pd.Series, column: str) -> object:
    """The difference in ``column`` (``"<arm> - <first>"``), 0 where it is solver noise on the arms' size (240 -
    240 mg/m² computed as -2e-11)."""
    value = row[column]
    arm, first = column.split(" - ", 1)
    try:
        scale = max(abs(float(row[arm])), abs(float(row[first])))
        return denoise(float(value), scale)
    except (TypeError, ValueError, KeyError):
        return value


def endpoint_markdown(table: pd.DataFrame) -> str:
    """:func:`endpoint_cells` of ``table`` as Markdown."""
    header, rows = endpoint_cells(table)
    return _markdown(header, rows)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_endpoint_table(table: pd.DataFrame, outdir: str | Path) -> Path:
    """Write :func:`endpoint_markdown` of ``table`` to ``outdir/endpoints.md``, atomically."""
    return write_text_atomic(Path(outdir) / "endpoints.md", endpoint_markdown(table))


def risk_markdown(risks: pd.DataFrame, *, n: int, seed: int, n_boot: int) -> str:
    """Absolute risk differences (:func:`crosstalk.studies.risk.risk_differences`) as Markdown, with what their
    intervals are."""
    lines = [f"Absolute risk differences over {n} virtual patients (seed {seed}; 95 % percentile bootstrap over "
             f"patients, {n_boot} resamples; paired = the same patients in both arms). The intervals are Monte "
             "Carlo intervals of this cohort with the model's parameters fixed, not the uncertainty of the effect.",
             "",
             "| outcome | scenario | risk | reference | difference (95 % MC interval) | NNT | NNT interval | paired |",
             "|---|---|---|---|---|---|---|---|"]
    for r in risks.to_dict("records"):
        lines.append(f"| {r['outcome']} | {r['scenario']} | {r['risk']:.3f} | {r['reference_risk']:.3f} | "
                     f"{r['risk_difference']:+.3f} ({r['ci_low']:+.3f} to {r['ci_high']:+.3f}) | "
                     f"{format_nnt(r['nnt'], r['nnt_kind'])} | {r['nnt_ci']} | {r['paired']} |")
    return "\n".join(lines) + "\n"


def write_risk_table(risks: pd.DataFrame, outdir: str | Path, *, n: int, seed: int, n_boot: int) -> Path:
    """Write :func:`risk_markdown` to ``outdir/risk_differences.md``, atomically."""
    return write_text_atomic(Path(outdir) / "risk_differences.md", risk_markdown(risks, n=n, seed=seed, n_boot=n_boot))


def cohort_cells(summary: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """A cohort's endpoint distributions (:func:`crosstalk.studies.cohort.cohort_summary`) as header and rows of
    text: a true/false endpoint as its risk (the fraction of patients), a number to 3 significant figures."""
    rows = []
    for r in summary.to_dict("records"):
        unit = r["unit"] if isinstance(r.get("unit"), str) else ""  # CSV reads an empty unit back as NaN
        if unit == "true/false":
            rows.append([str(r["endpoint"]), "risk", format_number(r["mean"]), "", "", "", ""])
        else:
            sd = denoise(float(r["sd"]), float(r["mean"]))
            rows.append([str(r["endpoint"]), pretty_unit(unit), format_number(float(r["mean"])), format_number(sd),
                         *(format_number(float(r[k])) for k in ("p05", "median", "p95"))])
    return ["endpoint", "unit", "mean", "sd", "p05", "median", "p95"], rows


def cohort_markdown(summary: pd.DataFrame, fractions: Mapping[str, float]) -> str:
    """:func:`cohort_cells` of a cohort's summary as Markdown, then its fractions (``{"fraction_<outcome>":
    value}``)."""
    header, rows = cohort_cells(summary)
    lines = [_markdown(header, rows), *(f"- {k}: {v:.3f}" for k, v in fractions.items())]
    return "\n".join(lines) + "\n"


def write_cohort_table(result: CohortResult, outdir: str | Path) -> Path:
    """Write :func:`cohort_markdown` of ``result`` to ``outdir/summary.md``, atomically."""
    return write_text_atomic(Path(outdir) / "summary.md", cohort_markdown(result.summary, result.fractions_dict()))
