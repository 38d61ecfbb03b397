"""Shared by the fit scripts: report the checks, write fitted values into a parameter table, rebuild the SBML."""

from __future__ import annotations

import re
from pathlib import Path

from crosstalk.calibration import run_check
from crosstalk.simulate import Simulator

MODULES_DIR = Path(__file__).resolve().parents[2] / "crosstalk" / "modules"


def write_table(table: Path, values: dict[str, float]) -> None:
    """Replace the ``value =`` line of each fitted parameter (4 significant digits; comments and order kept)."""
    text = table.read_text(encoding="utf-8")
    for pid, v in values.items():
        text, n = re.subn(rf'(id = "{pid}"\nvalue = )([^\n]+)', lambda m: f"{m.group(1)}{float(f'{v:.4g}')!r}", text)
        if n != 1:
            raise SystemExit(f"could not find {pid} in {table}")
    table.write_text(text, encoding="utf-8")


def finish(sim: Simulator, values: dict[str, float], target_ids: tuple[str, ...], table: Path, *,
           write: bool) -> None:
    """Print the values and the checks at the rounded values; with ``write``, update the table and rebuild."""
    for k, v in values.items():
        print(f"{k} = {v:.4g}")
    rounded = {k: float(f"{v:.4g}") for k, v in values.items()}
    for target_id in target_ids:
        print(run_check(target_id, sim, rounded).describe())
    if write:
        write_table(table, values)
        from crosstalk import parameters
        from crosstalk.build import write_models

        parameters.clear_cache()  # the table was read before it was rewritten
        write_models()
        print(f"wrote {table} and rebuilt models/sbml")
