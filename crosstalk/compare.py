"""Side-by-side comparison of scenarios: overlaid key observables and an endpoint table with differences."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from crosstalk.observables import OBSERVABLES
from crosstalk.simulate import Result

__all__ = ["COMPARE_OBSERVABLES", "endpoint_table", "write_comparison"]

COMPARE_OBSERVABLES: tuple[str, ...] = ("tumour_volume_mm3", "lvef_percent", "il6_pg_per_ml", "exev_per_ml",
                                        "nk_blood_per_ul")


def endpoint_table(results: Sequence[Result]) -> pd.DataFrame:
    """Endpoints (rows) by scenario (columns), plus the numeric difference of each scenario from the first."""
    table = pd.DataFrame({r.scenario.name: r.endpoints for r in results})
    first = results[0].scenario.name
    for r in results[1:]:
        a = pd.to_numeric(table[r.scenario.name], errors="coerce")
        b = pd.to_numeric(table[first], errors="coerce")
        table[f"{r.scenario.name} - {first}"] = a - b
    table.index.name = "endpoint"
    return table


def write_comparison(results: Sequence[Result], outdir: str | Path) -> Path:
    """Write compare.png (overlaid observables), endpoints.csv and endpoints.md into ``outdir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    meta = {o.name: o for o in OBSERVABLES}
    panels = [c for c in COMPARE_OBSERVABLES if all(c in r.timeseries for r in results)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.3 * len(panels)), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], panels):
        for r in results:
            ts = r.timeseries
            ax.plot(ts["time_h"] / 24.0, ts[name], lw=1.3, label=r.scenario.name)
        ax.set_ylabel(f"{meta[name].description}\n[{meta[name].unit}]", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    axes[-1, 0].set_xlabel("time [days]")
    fig.tight_layout()
    fig.savefig(outdir / "compare.png", dpi=100)
    plt.close(fig)
    table = endpoint_table(results)
    table.to_csv(outdir / "endpoints.csv")
    (outdir / "endpoints.md").write_text(_markdown(table), encoding="utf-8")
    return outdir


def _markdown(table: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| endpoint | " + " | ".join(table.columns) + " |\n|---|" + "---|" * len(table.columns) + "\n"
    rows = "".join(f"| {k} | " + " | ".join(cell(v) for v in row) + " |\n" for k, row in table.iterrows())
    return head + rows
