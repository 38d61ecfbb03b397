"""Does a longer doxorubicin infusion spare the heart? Same cumulative dose, infusions of 15 min to 96 h.

Usage: python examples/infusion_length.py [OUTDIR]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from crosstalk import DoseSchedule, Scenario, Simulator


def main(outdir: Path) -> None:
    sim = Simulator("crosstalk")
    base = Scenario("ac", model="crosstalk", duration_days=126, output_step_hours=6.0,
                    dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", interval_days=21, count=4),))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for minutes in (15, 360, 2880, 5760):
        dose = replace(base.dose[0], infusion_minutes=float(minutes))
        result = sim.run(replace(base, name=f"{minutes} min", dose=(dose,)))
        ts = result.timeseries
        ax.plot(ts["time_h"] / 24, ts["lvef_percent"], label=f"{minutes / 60:g} h infusion")
        print(f"infusion {minutes / 60:5.2f} h: LVEF drop {result.endpoints['lvef_drop_points']:.2f} points, "
              f"tumour {result.endpoints['tumour_volume_change_percent']:+.1f}%")
    ax.set_xlabel("days")
    ax.set_ylabel("LVEF [%]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    outdir.mkdir(parents=True, exist_ok=True)
    fig.savefig(outdir / "infusion_length.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/scripts"))
