"""How many aerobic sessions a week during AC? Vary one thing, simulate, plot.

Usage: python examples/vary_sessions_per_week.py [OUTDIR]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from crosstalk import Simulator, load_scenario


def main(outdir: Path) -> None:
    base = load_scenario(resources.files("crosstalk.scenarios") / "aerobic_during_ac.toml")
    sim = Simulator(base.model)  # compiled once, reused for every variant
    rows = []
    for n in range(1, 8):
        regime = replace(base.exercise[0], sessions_per_week=n)
        result = sim.run(replace(base, name=f"{n}x/week", exercise=(regime,)))
        rows.append((n, result.endpoints["tumour_volume_change_percent"], result.endpoints["lvef_drop_points"]))
    fig, ax1 = plt.subplots(figsize=(6, 3.5))
    ax1.plot([r[0] for r in rows], [r[1] for r in rows], "o-", color="tab:purple", label="tumour volume change")
    ax1.set_xlabel("aerobic sessions per week during AC")
    ax1.set_ylabel("tumour volume change [%]")
    ax2 = ax1.twinx()
    ax2.plot([r[0] for r in rows], [r[2] for r in rows], "s--", color="tab:red", label="LVEF drop")
    ax2.set_ylabel("LVEF drop [points]")
    fig.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    outdir.mkdir(parents=True, exist_ok=True)
    fig.savefig(outdir / "sessions_per_week.png", dpi=100)
    for n, tumour, lvef in rows:
        print(f"{n} sessions/week: tumour {tumour:+.1f}%, LVEF drop {lvef:.2f} points")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/scripts"))
