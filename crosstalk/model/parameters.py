"""Parameter tables: the single truth for every model parameter's value, unit and source.

Reading a table needs no simulator or SBML library, so scenario validation can check parameter ids cheaply.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from crosstalk.errors import ModelBuildError
from crosstalk.inputs import check_choice
from crosstalk.model.registry import model_dir, model_info, models_root, module_names, sbml_dir

__all__ = ["DEFAULT_SPECIES", "SPECIES", "UNCERTAINTY_DISTRIBUTIONS", "Parameter", "Uncertainty", "clear_cache",
           "flat_id", "model_hash", "model_path", "model_sbml", "parameter_ids", "parameter_set", "parameter_table",
           "species_overrides"]

#: Parameter sets every table may carry. The model's own values (the SBML defaults) are the human set; a row gives
#: another species' value in a sub-table named after it (``mouse = { value = ..., source = "..." }``) together with
#: a ``translation`` that says how the effect carries over between species. A row without one holds in every species.
SPECIES: tuple[str, ...] = ("human", "mouse")
DEFAULT_SPECIES = "human"

_SOURCE_RE = re.compile(
    r"(doi:|PMID:|PMC\d|10\.\d{4,}|UniProt|ChEBI|DrugBank|BIOMD\d+|CODATA|ICRP|label: \S|assumed: \S|fit: \S)", re.I)


#: Distributions a parameter's uncertainty may take. ``low``/``high`` mean what they mean in a cohort range
#: (:class:`crosstalk.spec.ranges.ParameterRange`): bounds for ``uniform``/``loguniform``, median and sd of ln for
#: ``lognormal``. No ``normal``: every biological quantity here is non-negative.
UNCERTAINTY_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "lognormal")
_BASIS_RE = re.compile(r"^(cited|assumed|fit): \S")


@dataclass(frozen=True)
class Uncertainty:
    """How uncertain a parameter's value is: a distribution and why, or why it has none.

    Attributes
    ----------
    distribution : str or None
        One of :data:`UNCERTAINTY_DISTRIBUTIONS`; None for a quantity that is not uncertain (``none`` says why).
    low, high : float
        The distribution's parameters in the row's unit (see :data:`UNCERTAINTY_DISTRIBUTIONS`).
    basis : str
        ``cited: <the source's reported range or dispersion>``, ``assumed: <why this range>`` or
        ``fit: <calibration problem and interval>``; for a quantity without uncertainty, why (a definition, a
        switch, a scenario input).

    Examples
    --------
    >>> Uncertainty("loguniform", 0.5, 2.0, "assumed: rate constants of this kind span ~4-fold").central_interval()
    (0.5, 2.0)
    """

    distribution: str | None
    low: float
    high: float
    basis: str

    @property
    def uncertain(self) -> bool:
        """Whether the value carries a distribution (False for definitions, switches and inputs)."""
        return self.distribution is not None

    def central_interval(self, mass: float = 0.95) -> tuple[float, float]:
        """The interval holding the central ``mass`` of the distribution (the whole support of a bounded one)."""
        if self.distribution == "lognormal":
            from statistics import NormalDist
            z = NormalDist().inv_cdf((1.0 + mass) / 2.0)
            return self.low * math.exp(-z * self.high), self.low * math.exp(z * self.high)
        return self.low, self.high


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
        A citation (DOI, PMID, PMC, database accession), ``label: <drug> prescribing information ...``,
        ``assumed: <reason>`` or ``fit: <script>``.
    sbo : int
        SBO term (default 2, quantitative systems description parameter).
    fit : str | None
        The calibration target a fit script sets this value from, if any.
    other_species : tuple of (species, value, source)
        The row's value in other species' parameter sets.
    translation : str or None
        How the effect carries over between species (required with another species' value).
    uncertainty : Uncertainty or None
        How uncertain the (human) value is (see :class:`Uncertainty`); another species' range is the same
        relative spread around its own value.
    """

    id: str
    value: float
    unit: str
    description: str
    source: str
    sbo: int = 2
    fit: str | None = None
    other_species: tuple[tuple[str, float, str], ...] = ()
    translation: str | None = None
    uncertainty: Uncertainty | None = None

    @property
    def basis(self) -> str:
        """Where the value comes from: ``fitted`` (a calibration), ``assumed`` (a stated reason) or ``cited``."""
        if self.fit or self.source.startswith("fit"):
            return "fitted"
        return "assumed" if self.source.startswith("assumed") else "cited"

    def value_for(self, species: str) -> float:
        """The value in ``species``' parameter set (the table's own value where the row names no other)."""
        for name, value, _ in self.other_species:
            if name == species:
                return value
        return self.value


def _row(module: str, row: Mapping[str, Any], units: set[str]) -> Parameter:
    """One checked table row (see :class:`Parameter`)."""
    missing = {"id", "value", "unit", "description", "source"} - row.keys()
    if missing:
        raise ModelBuildError(f"{module} parameter table: entry {row.get('id', '?')} lacks {sorted(missing)}")
    pid = str(row["id"])
    others: list[tuple[str, float, str]] = []
    for species in SPECIES[1:]:
        alt = row.get(species)
        if alt is None:
            continue
        if not isinstance(alt, dict) or set(alt) != {"value", "source"}:
            raise ModelBuildError(f"{module} parameter table: {pid}.{species} must be {{ value = ..., source = ... }}")
        if not _SOURCE_RE.search(str(alt["source"])):
            raise ModelBuildError(f"{module} parameter table: {pid}.{species} source {alt['source']!r} is neither a "
                                  "citation nor 'assumed: reason'")
        others.append((species, float(alt["value"]), str(alt["source"])))
    unknown = set(row) - {"id", "value", "unit", "description", "source", "sbo", "fit", "translation", "uncertainty",
                          *SPECIES[1:]}
    if unknown:
        raise ModelBuildError(f"{module} parameter table: {pid} has unknown keys {sorted(unknown)}")
    if others and not row.get("translation"):
        raise ModelBuildError(f"{module} parameter table: {pid} has a {others[0][0]} value but no 'translation' "
                              "(how the effect carries over between species)")
    p = Parameter(id=pid, value=float(row["value"]), unit=str(row["unit"]), description=str(row["description"]),
                  source=str(row["source"]), sbo=int(row.get("sbo", 2)), fit=row.get("fit"),
                  other_species=tuple(others), translation=row.get("translation"),
                  uncertainty=_uncertainty(module, pid, float(row["value"]), row.get("uncertainty")))
    if p.unit not in units:
        raise ModelBuildError(f"{module} parameter table: {p.id} has unit {p.unit!r}, not defined in units.ant")
    if not _SOURCE_RE.search(p.source):
        raise ModelBuildError(
            f"{module} parameter table: {p.id} source {p.source!r} is neither a citation nor 'assumed: reason'"
        )
    return p


def _uncertainty(module: str, pid: str, value: float, raw: Any) -> Uncertainty | None:
    """A row's ``uncertainty``: ``{ distribution, low, high, basis }`` or ``{ none = "<why>" }``, checked."""
    if raw is None:
        return None
    where = f"{module} parameter table: {pid}.uncertainty"
    if isinstance(raw, dict) and set(raw) == {"none"} and str(raw["none"]).strip():
        return Uncertainty(None, value, value, str(raw["none"]))
    if not isinstance(raw, dict) or set(raw) != {"distribution", "low", "high", "basis"}:
        raise ModelBuildError(f"{where} must be {{ distribution, low, high, basis }} or {{ none = \"<why>\" }}")
    dist, basis = raw["distribution"], str(raw["basis"])
    if dist not in UNCERTAINTY_DISTRIBUTIONS:
        raise ModelBuildError(f"{where}.distribution is {dist!r}; allowed: {', '.join(UNCERTAINTY_DISTRIBUTIONS)}")
    if not _BASIS_RE.match(basis):
        raise ModelBuildError(f"{where}.basis {basis!r} must start with 'cited: ', 'assumed: ' or 'fit: '")
    try:
        low, high = float(raw["low"]), float(raw["high"])
    except (TypeError, ValueError):
        raise ModelBuildError(f"{where}: low and high must be numbers") from None
    u = Uncertainty(dist, low, high, basis)
    if dist == "lognormal":
        ok = low > 0 and high > 0
    else:
        ok = high > low and (low > 0 if dist == "loguniform" else low >= 0 or value < 0)
    lo, hi = u.central_interval()
    if not ok or not lo <= value <= hi or not all(map(math.isfinite, (low, high))):
        raise ModelBuildError(f"{where} ({dist}, low {low:g}, high {high:g}) must be a valid {dist} distribution "
                              f"whose central 95 % holds the value {value:g}")
    return u


def _defined_units() -> set[str]:
    text = (models_root() / "units.ant").read_text(encoding="utf-8")
    return set(re.findall(r"^\s*unit\s+(\w+)\s*=", text, flags=re.M)) | {"dimensionless", "item", "second"}


def _table(module: str) -> tuple[Parameter, ...]:
    return _read_table(str(models_root()), module)


@cache
def _read_table(root: str, module: str) -> tuple[Parameter, ...]:
    """Read and check a module's parameter table.

    Raises
    ------
    ModelBuildError
        If an entry lacks a field, repeats an id, uses an undefined unit or has no usable source.
    """
    if model_info(module).composed:
        return _composed_table(module)
    raw = tomllib.loads((model_dir(module) / "parameters.toml").read_text(encoding="utf-8"))
    units = _defined_units()
    seen: set[str] = set()
    table: list[Parameter] = []
    for row in raw.get("parameter", []):
        p = _row(module, row, units)
        if p.id in seen:
            raise ModelBuildError(f"{module} parameter table: id {p.id!r} appears twice")
        seen.add(p.id)
        table.append(p)
    return tuple(table)



def _composed_table(composed: str) -> tuple[Parameter, ...]:
    """Submodel tables (coupled inputs left out, shared constants once) plus the coupling table."""
    info = model_info(composed)
    merged: dict[str, Parameter] = {}
    for module in info.submodels:
        for p in _table(module):
            if p.id in info.coupled_inputs:
                continue
            if p.id in merged and (merged[p.id].value, merged[p.id].unit) != (p.value, p.unit):
                raise ModelBuildError(f"parameter {p.id} differs between modules: {merged[p.id]} vs {p}")
            merged.setdefault(p.id, p)
    raw = tomllib.loads((model_dir(composed) / "parameters.toml").read_text(encoding="utf-8"))
    units = _defined_units()
    for row in raw.get("parameter", []):
        p = _row(composed, row, units)
        if p.id in merged:
            raise ModelBuildError(f"coupling parameter {p.id} repeats a module parameter")
        merged[p.id] = p
    return tuple(merged.values())


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


def species_overrides(module: str, species: str) -> dict[str, float]:
    """Parameter values of ``species`` that differ from the model's own (human) values, by id.

    Raises
    ------
    InputError
        If ``species`` is not one of :data:`SPECIES`.
    """
    check_choice("species", species, SPECIES)
    return dict(_species_overrides(str(models_root()), module, species))


@cache
def _species_overrides(root: str, module: str, species: str) -> tuple[tuple[str, float], ...]:
    # every simulation asks (Scenario.parameter_overrides), so the table is walked once per model and species
    return tuple((p.id, p.value_for(species)) for p in _read_table(root, module) if p.value_for(species) != p.value)


def parameter_set(module: str, species: str = DEFAULT_SPECIES) -> dict[str, float]:
    """Every parameter of ``module`` in ``species``' set: value by id (a complete set, not a difference)."""
    check_choice("species", species, SPECIES)
    return {p.id: p.value_for(species) for p in _table(module)}


def flat_id(name: str, ids: Collection[str]) -> str:
    """Model id of a contract name in a model whose ids are ``ids``: the name itself, or the flattened id of a
    submodel element (``<alias>__name`` from libSBML's flattening, then ``<alias>_name`` from antimony's: the two
    flatteners spell them differently); ``name`` unchanged when neither exists."""
    if name in ids:
        return name
    aliases = [a for a in (model_info(m).alias for m in module_names()) if a]
    for alias in aliases:
        for sep in ("__", "_"):
            flat = f"{alias}{sep}{name}"
            if flat in ids:
                return flat
    return name


def model_path(module: str) -> Path:
    """Path of the packaged SBML file that simulates ``module`` (``crosstalk/models/sbml/<module>.xml``; for a
    composed model its flattened form ``<module>_flat.xml``)."""
    name = f"{module}_flat" if model_info(module).composed else module
    return sbml_dir() / f"{name}.xml"


def model_sbml(module: str) -> str:
    """The packaged SBML of ``module`` as a string."""
    return model_path(module).read_text(encoding="utf-8")


def model_hash(module: str) -> str:
    """SHA-256 of the packaged SBML of ``module`` (recorded in every result's provenance)."""
    return hashlib.sha256(model_sbml(module).encode()).hexdigest()


def clear_cache() -> None:
    """Forget tables read so far (after a table file was edited in this process)."""
    _read_table.cache_clear()
    _species_overrides.cache_clear()
