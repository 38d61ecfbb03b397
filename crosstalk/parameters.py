"""Parameter tables: the single truth for every model parameter's value, unit and source.

Reading a table needs no simulator or SBML library, so scenario validation can check parameter ids cheaply.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from crosstalk.errors import ModelBuildError

__all__ = ["FEATURES", "MODULES", "Parameter", "clear_cache", "model_hash", "model_path", "model_sbml", "module_file", "parameter_ids", "parameter_table"]

#: Modules in build order.
MODULES: tuple[str, ...] = ("exercise", "immune", "anthracycline")

#: What each model can simulate: "exercise" (bouts), drugs by name, "tumour".
FEATURES: dict[str, frozenset[str]] = {
    "exercise": frozenset({"exercise"}),
    "immune": frozenset({"tumour", "pembrolizumab"}),
    "anthracycline": frozenset({"doxorubicin"}),
}

_SOURCE_RE = re.compile(r"(doi:|PMID:|PMC\d|10\.\d{4,}|UniProt|ChEBI|DrugBank|BIOMD\d+|CODATA|ICRP|assumed: \S|fit: \S)", re.I)


@dataclass(frozen=True)
class Parameter:
    """One row of a module's parameter table.

    Attributes
    ----------
    id : str
        SBML id of the parameter.
    value : float
        Value in ``unit``.
    unit : str
        Unit id defined in ``units.ant``.
    description : str
        What the parameter means.
    source : str
        A citation (DOI, PMID, PMC, database accession) or ``assumed: <reason>`` or ``fit: <script>``.
    sbo : int
        SBO term (default 2, quantitative systems description parameter).
    fit : str | None
        The calibration target a fit script sets this value from, if any.
    """

    id: str
    value: float
    unit: str
    description: str
    source: str
    sbo: int = 2
    fit: str | None = None


def module_file(name: str) -> resources.abc.Traversable:
    return resources.files("crosstalk.modules") / name


def _defined_units() -> set[str]:
    text = module_file("units.ant").read_text()
    return set(re.findall(r"^\s*unit\s+(\w+)\s*=", text, flags=re.M)) | {"dimensionless", "item", "second"}


@cache
def _table(module: str) -> tuple[Parameter, ...]:
    """Read and check a module's parameter table.

    Raises
    ------
    ModelBuildError
        If an entry lacks a field, repeats an id, uses an undefined unit or has no usable source.
    """
    if module not in MODULES:
        raise ModelBuildError(f"module: unknown module {module!r}; allowed: {', '.join(MODULES)}")
    raw = tomllib.loads(module_file(f"{module}_parameters.toml").read_text())
    units = _defined_units()
    seen: set[str] = set()
    table: list[Parameter] = []
    for row in raw.get("parameter", []):
        missing = {"id", "value", "unit", "description", "source"} - row.keys()
        if missing:
            raise ModelBuildError(f"{module} parameter table: entry {row.get('id', '?')} lacks {sorted(missing)}")
        p = Parameter(
            id=row["id"],
            value=float(row["value"]),
            unit=row["unit"],
            description=row["description"],
            source=row["source"],
            sbo=int(row.get("sbo", 2)),
            fit=row.get("fit"),
        )
        if p.id in seen:
            raise ModelBuildError(f"{module} parameter table: id {p.id!r} appears twice")
        if p.unit not in units:
            raise ModelBuildError(f"{module} parameter table: {p.id} has unit {p.unit!r}, not defined in units.ant")
        if not _SOURCE_RE.search(p.source):
            raise ModelBuildError(
                f"{module} parameter table: {p.id} source {p.source!r} is neither a citation nor 'assumed: reason'"
            )
        seen.add(p.id)
        table.append(p)
    return tuple(table)



def parameter_table(module: str) -> list[Parameter]:
    """Read and check a module's parameter table (see :class:`Parameter`).

    Raises
    ------
    ModelBuildError
        If an entry lacks a field, repeats an id, uses an undefined unit or has no usable source.
    """
    return list(_table(module))


def parameter_ids(module: str) -> dict[str, Parameter]:
    """The table's parameters keyed by id."""
    return {p.id: p for p in _table(module)}


def model_path(module: str) -> Path:
    """Path of the packaged SBML file of ``module`` (``models/sbml/<module>.xml`` in the source tree)."""
    path = resources.files("crosstalk.sbml") / f"{module}.xml"
    return Path(str(path))


def model_sbml(module: str) -> str:
    """The packaged SBML of ``module`` as a string."""
    return model_path(module).read_text()


def model_hash(module: str) -> str:
    """SHA-256 of the packaged SBML of ``module`` (recorded in every result's provenance)."""
    return hashlib.sha256(model_sbml(module).encode()).hexdigest()


def clear_cache() -> None:
    """Forget tables read so far (after a table file was edited in this process)."""
    _table.cache_clear()
