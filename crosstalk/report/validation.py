"""The validation report: a table and a plot per target (model curve, published point and band)."""

from __future__ import annotations

import html
from pathlib import Path

from matplotlib.figure import Figure

from crosstalk.files import strict_json, write_csv_atomic, write_text_atomic
from crosstalk.report.html import Markup, figure_tag, page, table_html
from crosstalk.validation import Check, Validation, bands_for

__all__ = ["write_validation"]


def _plot(check: Check) -> str:
    fig = Figure(figsize=(6.5, 3.4))
    ax = fig.subplots()
    for label, x, y in check.curves:
        ax.plot(x, y, lw=1.6, label=label)
    for m in check.marks:
        ax.errorbar([m.x], [m.value], yerr=[[max(m.value - m.low, 0)], [max(m.high - m.value, 0)]], fmt="o",
                    color="black", capsize=4, ms=5, label=m.label or None)
    ax.set_xlabel(check.x_label)
    ax.set_ylabel(check.y_label)
    ax.grid(alpha=0.3)
    if check.curves or check.marks:  # beside the axes: a legend inside can hide a curve or a mark
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_title(check.target_id, fontsize=10)
    return figure_tag(fig, check.target_id)


def _verdict(ok: bool, text: str) -> Markup:
    return Markup(f'<span class="{"pass" if ok else "fail"}">{html.escape(text)}</span>')


def write_validation(validation: Validation, outdir: str | Path) -> tuple[Path, Path]:
    """Write ``validation.csv`` (one row per criterion) and ``validation.html`` into ``outdir`` (created if needed).

    Both files are written atomically. Returns their paths.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    table = validation.table()
    csv_path = write_csv_atomic(outdir / "validation.csv", table, index=False)
    n_pass = sum(c.passed for c in validation.checks)
    parts = [
        f"<p>{n_pass} of {len(validation.checks)} checked targets pass every criterion. "
        f"Each target's published protocol is simulated; values and sources come from <code>targets.toml</code> "
        f"(and <code>assumed_targets.toml</code> for assumed calibration points), acceptance bands from "
        f"<code>bands.toml</code>.</p>",
        "<h2>Summary</h2>",
        table_html(["target", "model", "criteria passed", "source"], [
            (c.target_id, c.model,
             _verdict(c.passed, f"{sum(lo <= v <= hi for v, lo, hi in c.criteria.values())}/{len(c.criteria)}"),
             c.source) for c in validation.checks]),
        "<h2>Targets not reproduced by a simulation</h2>",
        table_html(["target", "how the model uses it"], sorted(validation.not_simulated.items())),
        "<h2>Targets not yet modelled</h2>",
        table_html(["target", "status"], sorted(validation.not_yet_modelled.items())),
    ]
    if validation.uncovered:
        parts.append(f"<p class='fail'>Not covered: {html.escape(', '.join(validation.uncovered))}</p>")
    for c in validation.checks:
        bands = bands_for(c.target_id)
        known = c.known_deviations
        rows = [(k, v, lo, hi, bands[k].unit,
                 _verdict(lo <= v <= hi, "pass" if lo <= v <= hi else
                          ("known deviation: " + known[k] if k in known else "FAIL")),
                 bands[k].why)
                for k, (v, lo, hi) in c.criteria.items()]
        parts += [f"<h2>{html.escape(c.target_id)}</h2>", f"<p class='small'>{html.escape(c.source)}</p>",
                  table_html(["criterion", "model", "low", "high", "unit", "result", "band from"], rows)]
        if c.note:
            parts.append(f"<p class='small'>{html.escape(c.note)}</p>")
        parts.append(_plot(c))
    parts += ["<h2>Provenance</h2>", f"<pre>{html.escape(strict_json(validation.provenance))}</pre>"]
    html_path = write_text_atomic(outdir / "validation.html", page("crosstalk validation report", "\n".join(parts)))
    return csv_path, html_path
