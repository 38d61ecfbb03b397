"""The validation report: a table and a plot per target (model curve, published point and band)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

from crosstalk.files import write_text_atomic
from crosstalk.report.html import Markup, figure_tag, page, table_html

if TYPE_CHECKING:
    from crosstalk.calibration import Check
    from crosstalk.validate import Validation

__all__ = ["write_validation"]


def _plot(check: Check) -> str:
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for label, x, y in check.curves:
        ax.plot(x, y, lw=1.6, label=label)
    for m in check.marks:
        ax.errorbar([m.x], [m.value], yerr=[[max(m.value - m.low, 0)], [max(m.high - m.value, 0)]], fmt="o",
                    color="black", capsize=4, ms=5, label=m.label or None)
    ax.set_xlabel(check.x_label)
    ax.set_ylabel(check.y_label)
    ax.grid(alpha=0.3)
    if check.curves or check.marks:
        ax.legend(fontsize=7)
    ax.set_title(check.target_id, fontsize=10)
    return figure_tag(fig, check.target_id)


def write_validation(validation: Validation, outdir: str | Path) -> tuple[Path, Path]:
    """Write ``validation.csv`` and ``validation.html`` into ``outdir`` (created if needed)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    table = validation.table()
    csv_path = outdir / "validation.csv"
    write_text_atomic(csv_path, table.to_csv(index=False))
    n_pass = sum(c.passed for c in validation.checks)
    parts = [
        f"<p>{n_pass} of {len(validation.checks)} covered targets pass every criterion. "
        f"Each target's published protocol is simulated; values, bands and sources come from "
        f"<code>targets.toml</code> (and, where marked, assumed calibration points).</p>",
        "<h2>Summary</h2>",
        table_html(["target", "model", "criteria passed", "source"], [
            (c.target_id, table.loc[table.target == c.target_id, "model"].iloc[0],
             Markup(f'<span class="{"pass" if c.passed else "fail"}">'
                    f'{sum(lo <= v <= hi for v, lo, hi in c.criteria.values())}/{len(c.criteria)}</span>'),
             c.source) for c in validation.checks]),
        "<h2>Targets not reproduced by a simulation</h2>",
        table_html(["target", "how the model uses it"], sorted(validation.not_simulated.items())),
    ]
    if validation.uncovered:
        parts.append(f"<p class='fail'>Not covered: {html.escape(', '.join(validation.uncovered))}</p>")
    for c in validation.checks:
        rows = [(k, v, lo, hi, Markup(f'<span class="{"pass" if lo <= v <= hi else "fail"}">'
                                      f'{"pass" if lo <= v <= hi else "FAIL"}</span>'))
                for k, (v, lo, hi) in c.criteria.items()]
        parts += [f"<h2>{html.escape(c.target_id)}</h2>", f"<p class='small'>{html.escape(c.source)}</p>",
                  table_html(["criterion", "model", "low", "high", "result"], rows), _plot(c)]
    parts += ["<h2>Provenance</h2>", f"<pre>{html.escape(json.dumps(validation.provenance, indent=2))}</pre>"]
    html_path = outdir / "validation.html"
    write_text_atomic(html_path, page("crosstalk validation report", "\n".join(parts)))
    return csv_path, html_path
