"""Tables formatted for reading (Markdown), written beside the data the studies write as CSV and JSON.

The studies write data only; the command line writes these next to it, so ``crosstalk compare`` and
``crosstalk cohort`` give ``endpoints.md``, ``risk_differences.md`` and ``summary.md`` as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from crosstalk.files import write_text_atomic
from crosstalk.studies.cohort import CohortResult

__all__ = ["cohort_markdown", "endpoint_markdown", "risk_markdown", "write_cohort_table", "write_endpoint_table",
           "write_risk_table"]


def endpoint_markdown(table: pd.DataFrame) -> str:
    """An endpoint table (:func:`crosstalk.studies.compare.endpoint_table`: endpoints by scenario, with the
    differences from the first) as Markdown; floats to 4 significant digits."""
    def cell(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| endpoint | " + " | ".join(table.columns) + " |\n|---|" + "---|" * len(table.columns) + "\n"
    rows = "".join(f"| {k} | " + " | ".join(cell(v) for v in row) + " |\n" for k, row in table.iterrows())
    return head + rows


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
                     f"{r['nnt']:.3g} ({r['nnt_kind']}) | {r['nnt_ci']} | {r['paired']} |")
    return "\n".join(lines) + "\n"


def write_risk_table(risks: pd.DataFrame, outdir: str | Path, *, n: int, seed: int, n_boot: int) -> Path:
    """Write :func:`risk_markdown` to ``outdir/risk_differences.md``, atomically."""
    return write_text_atomic(Path(outdir) / "risk_differences.md", risk_markdown(risks, n=n, seed=seed, n_boot=n_boot))


def cohort_markdown(summary: pd.DataFrame, fractions: Mapping[str, float]) -> str:
    """A cohort's endpoint distributions (:func:`crosstalk.studies.cohort.cohort_summary`) and its fractions
    (``{"fraction_<outcome>": value}``) as Markdown."""
    lines = ["| endpoint | mean | sd | p05 | median | p95 |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['endpoint']} | {r['mean']:.4g} | {r['sd']:.4g} | {r['p05']:.4g} | {r['median']:.4g} | "
              f"{r['p95']:.4g} |" for r in summary.to_dict("records")]
    lines += ["", *(f"- {k}: {v:.3f}" for k, v in fractions.items())]
    return "\n".join(lines) + "\n"


def write_cohort_table(result: CohortResult, outdir: str | Path) -> Path:
    """Write :func:`cohort_markdown` of ``result`` to ``outdir/summary.md``, atomically."""
    return write_text_atomic(Path(outdir) / "summary.md", cohort_markdown(result.summary, result.fractions_dict()))
