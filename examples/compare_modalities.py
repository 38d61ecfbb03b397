"""Aerobic, HIIT and resistance training during AC against sedentary AC, through the public API.

Usage: python examples/compare_modalities.py [OUTDIR]
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from crosstalk import load_scenario, simulate
from crosstalk.report.compare import write_compare_figure
from crosstalk.studies.compare import write_comparison


def main(outdir: Path) -> None:
    names = ("ac_sedentary", "aerobic_during_ac", "hiit_during_ac", "resistance_during_ac")
    results = [simulate(load_scenario(resources.files("crosstalk.scenarios") / f"{n}.toml")) for n in names]
    write_comparison(results, outdir)
    write_compare_figure(results, outdir)
    for r in results:
        e = r.endpoints
        print(f"{r.scenario.name:22s} tumour {e['tumour_volume_change_percent']:+7.1f}%  "
              f"LVEF drop {e['lvef_drop_points']:.2f}  CHF risk {e['chf_risk_final']:.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/scripts/modalities"))
