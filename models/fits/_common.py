"""Shared by the fit scripts: report the checks, write fitted values into a parameter table, rebuild the SBML."""

from __future__ import annotations

import re
from pathlib import Path

from crosstalk.model import parameters
from crosstalk.model.build import write_models
from crosstalk.model.registry import model_dir
from crosstalk.sim.simulator import Simulator
from crosstalk.validation import run_check


def table_path(model: str) -> Path:
    """The parameter table of ``model`` (``crosstalk/models/<model>/parameters.toml`` in a checkout)."""
    return Path(str(model_dir(model))) / "parameters.toml"


def write_table(table: Path, values: dict[str, float], *, species: str = "human") -> None:
    """Replace the ``value =`` line of each fitted parameter, or for another species the value of its
    ``<species> = { value = ..., source = ... }`` entry (4 significant digits; comments and order kept)."""
    text = table.read_text(encoding="utf-8")
    for pid, v in values.items():
        rounded = repr(float(f"{v:.4g}"))
        if species == "human":
            pattern = rf'(id = "{pid}"\nvalue = )([^\n]+)'
        else:
            pattern = rf'(id = "{pid}"\n(?:(?!\[\[parameter\]\])[^\n]*\n)*?{species} = {{ value = )([^,]+)'
        text, n = re.subn(pattern, rf"\g<1>{rounded}", text)
        if n != 1:
            raise SystemExit(f"could not find {pid} ({species}) in {table}")
    table.write_text(text, encoding="utf-8")


def finish(sim: Simulator, values: dict[str, float], target_ids: tuple[str, ...], table: Path, *,
           write: bool) -> None:
    """Print the values and the checks at the rounded values; with ``write``, update the table and rebuild."""
    for k, v in values.items():
        print(f"{k} = {v:.4g}")
    rounded = {k: float(f"{v:.4g}") for k, v in values.items()}
    for target_id in target_ids:
        print(run_check(target_id, sim, parameters=rounded).describe())
    if write:
        write_table(table, values)
        parameters.clear_cache()  # the table was read before it was rewritten
        write_models()
        print(f"wrote {table} and rebuilt the SBML")


def write_population(population: str, name: str, field: str, value: float) -> Path:
    """Replace ``field`` (``low`` or ``high``) of the row ``name`` of a built-in population (3 significant digits
    for a spread, 4 for a median)."""
    path = Path(str(parameters.models_root())).parent / "populations" / f"{population}.toml"
    text = path.read_text(encoding="utf-8")
    digits = 4 if field == "low" else 3
    pattern = rf'(name = "{re.escape(name)}"\nlow = )([^\n]+)(\nhigh = )([^\n]+)'
    group = 2 if field == "low" else 4
    def sub(m: re.Match[str]) -> str:
        parts = [m.group(1), m.group(2), m.group(3), m.group(4)]
        parts[group - 1] = repr(float(f"{value:.{digits}g}"))
        return "".join(parts)
    text, n = re.subn(pattern, sub, text)
    if n != 1:
        raise SystemExit(f"could not find {name} in {path}")
    path.write_text(text, encoding="utf-8")
    return path
