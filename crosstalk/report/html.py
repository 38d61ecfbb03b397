"""Self-contained HTML pages: figures embedded as base64 PNG, tables as HTML (no external files)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from crosstalk.files import strict_json
from crosstalk.report.numbers import format_value

__all__ = ["Markup", "breakable", "figure_tag", "page", "provenance_html", "schedule_html", "table_html",
           "warnings_html"]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; line-height: 1.4; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 3px 7px; text-align: left; }
th { background: #f3f3f3; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
.small { font-size: 0.85em; color: #555; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
img { max-width: 100%; } .warn { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.4em 0.8em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } pre { white-space: pre-wrap; }
"""


def figure_tag(fig: Figure, alt: str) -> str:
    """The figure as an embedded PNG <img>. Draw with :class:`matplotlib.figure.Figure` (not pyplot), so no
    backend or global figure registry is involved."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def breakable(text: object) -> Markup:
    """``text`` escaped, with a break opportunity after each underscore, for identifiers in narrow table cells.

    Examples
    --------
    >>> str(breakable("mean_lvef_drop"))
    'mean_<wbr>lvef_<wbr>drop'
    """
    return Markup(html.escape(str(text)).replace("_", "_<wbr>"))


def table_html(header: Iterable[str], rows: Iterable[Iterable[object]], *, table_id: str | None = None,
               css_class: str | None = None, row_attribute: str | None = None) -> str:
    """A plain HTML table; cells that are already HTML must be passed as ``Markup`` strings (str subclass).

    ``table_id`` and ``css_class`` go on the table; with ``row_attribute`` (e.g. ``data-endpoint``) each row
    carries its first cell's text in that attribute, so a page or a browser test can find it by name.
    """
    # a header is often an identifier (mean_tumour_volume_change_percent): let it break after its underscores
    head = "".join(f"<th>{breakable(h)}</th>" for h in header)

    def opening(row: list[object]) -> str:
        if row_attribute is None or not row:
            return "<tr>"
        return f'<tr {row_attribute}="{html.escape(str(row[0]))}">'

    body = "".join(
        opening(cells) + "".join(f"<td>{c if isinstance(c, Markup) else html.escape(_fmt(c))}</td>" for c in cells)
        + "</tr>" for cells in (list(row) for row in rows)
    )
    attributes = "".join(f' {k}="{html.escape(v)}"' for k, v in (("id", table_id), ("class", css_class)) if v)
    return f"<table{attributes}><tr>{head}</tr>{body}</table>"


class Markup(str):
    """A string that is already HTML."""


def _fmt(value: object) -> str:
    return format_value(value) if isinstance(value, (float, bool)) else str(value)


def warnings_html(messages: Sequence[str]) -> str:
    """Warnings a reader must see before the numbers (e.g. a heart endpoint read too early); empty without any."""
    if not messages:
        return ""
    items = "".join(f"<li>{html.escape(m)}</li>" for m in dict.fromkeys(messages))
    return f"<div class='warn'><b>Read with care:</b><ul>{items}</ul></div>"


def schedule_html(scenario: Any) -> str:
    """A scenario's prescription, drugs, patient and changes from the model's defaults, in words and a table."""
    parts = ["<ul>"]
    parts += [f"<li>Exercise: {html.escape(r.describe())}</li>" for r in scenario.exercise]
    if not scenario.exercise:
        parts.append("<li>No exercise (sedentary care).</li>")
    if scenario.blockade.active:
        parts.append(f"<li>Blocked: {html.escape(', '.join(sorted(scenario.blockade.active)))}</li>")
    p = scenario.patient
    parts.append(f"<li>Patient: {p.weight_kg:g} kg, {p.body_surface_area_m2:g} m²</li>")
    if scenario.parameters:
        changed = ", ".join(f"{k} = {format_value(v)}" for k, v in sorted(scenario.parameters.items()))
        parts.append(f"<li>Parameters changed from the {html.escape(scenario.species)} set: "
                     f"{html.escape(changed)}</li>")
    parts.append(f"<li>Model {html.escape(scenario.model)}, {html.escape(scenario.species)} parameters, "
                 f"{scenario.duration_days:g} days.</li></ul>")
    if scenario.dose:
        parts.append(table_html(["drug", "dose", "unit", "first day", "every (days)", "doses", "infusion (min)"],
                                [(d.drug, d.amount, d.unit.replace("m2", "m²"), d.start_day,
                                  d.interval_days if d.count > 1 else "", d.count, d.infusion_minutes)
                                 for d in scenario.dose]))
    return "".join(parts)


def provenance_html(provenance: Mapping[str, Any], *, spec_text: str | None = None) -> str:
    """What produced the numbers (versions, model hash, seed, solver settings) and, when given, the spec as written,
    so a reader can run it again."""
    parts = ["<h2>Provenance</h2>", f"<pre>{html.escape(strict_json(dict(provenance)))}</pre>"]
    if spec_text:
        parts += ["<h2>Input as run</h2>", f"<pre>{html.escape(spec_text)}</pre>"]
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
