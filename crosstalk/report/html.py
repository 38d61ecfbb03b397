"""Self-contained HTML pages: figures embedded as base64 PNG, tables as HTML (no external files)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable

from matplotlib.figure import Figure

__all__ = ["figure_tag", "page", "table_html"]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.4; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 3px 7px; text-align: left; }
th { background: #f3f3f3; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
.small { font-size: 0.85em; color: #555; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
img { max-width: 100%; }
"""


def figure_tag(fig: Figure, alt: str) -> str:
    """The figure as an embedded PNG <img>. Draw with :class:`matplotlib.figure.Figure` (not pyplot), so no
    backend or global figure registry is involved."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A plain HTML table; cells that are already HTML must be passed as ``Markup`` strings (str subclass)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if isinstance(c, Markup) else html.escape(_fmt(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


class Markup(str):
    """A string that is already HTML."""


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
