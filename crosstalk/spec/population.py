"""Built-in virtual populations: named sets of sourced distributions of patient and biological parameters.

A population is data (``crosstalk/populations/<name>.toml``): a ``[population]`` table (``name``, ``species``,
``model``, ``description``) and ``[[parameter]]`` rows with the fields of a cohort range (``name``, ``low``, ``high``,
``distribution``, ``mode``) plus a ``source`` for each (a citation, ``assumed: <reason>`` or ``fit: <script>``).
A scenario uses one with ``[cohort] population = "<name>"``; its own ``[[cohort.parameter]]`` ranges add to it or
replace a row of the same name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from crosstalk.errors import InputError, ModelBuildError
from crosstalk.inputs import check_choice
from crosstalk.model.parameters import SPECIES
from crosstalk.spec.ranges import ParameterRange, parse_ranges

__all__ = ["DEFAULT_POPULATION", "Population", "load_population", "population_names"]

#: The population ``crosstalk cohort`` uses for a scenario of this species without a ``[cohort]`` section.
DEFAULT_POPULATION: Mapping[str, str] = MappingProxyType({"human": "neoadjuvant_breast_ac"})


@dataclass(frozen=True)
class Population:
    """A named virtual population.

    Attributes
    ----------
    name : str
        Identifier (the file's stem).
    species : str
        Parameter set the population is defined for (``human`` or ``mouse``).
    model : str
        Model whose parameters it varies.
    description : str
        Who the patients are and what the population was calibrated to.
    parameters : tuple of ParameterRange
        The varied quantities.
    sources : mapping of str to str
        Source of each quantity's distribution, by name.
    """

    name: str
    species: str
    model: str
    description: str
    parameters: tuple[ParameterRange, ...]
    sources: Mapping[str, str]


@cache
def population_names() -> tuple[str, ...]:
    """Names of the built-in populations (packaged data: listed once per process, as every scenario built for a
    cohort's patient checks its population)."""
    root = resources.files("crosstalk") / "populations"
    return tuple(sorted(f.name[:-5] for f in root.iterdir() if f.name.endswith(".toml")))


def load_population(name: str) -> Population:
    """The built-in population ``name``.

    Raises
    ------
    InputError
        If there is no such population.
    ModelBuildError
        If its file is malformed (a row without a source, an unknown species).
    """
    check_choice("cohort.population", name, population_names())
    return _load(name)


@cache
def _load(name: str) -> Population:
    where = f"populations/{name}.toml"
    text = (resources.files("crosstalk") / "populations" / f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    head = data.get("population", {})
    if (head.get("name") != name or head.get("species") not in SPECIES or not head.get("description")
            or not isinstance(head.get("model"), str)):
        raise ModelBuildError(f"{where}: [population] needs name = {name!r}, species in {SPECIES}, a model and a "
                              "description")
    rows = data.get("parameter", [])
    sources: dict[str, str] = {}
    for row in rows:
        if not str(row.get("source", "")).strip():
            raise ModelBuildError(f"{where}: parameter {row.get('name', '?')} has no source")
        sources[row["name"]] = row["source"]
    try:
        ranges = parse_ranges([{k: v for k, v in r.items() if k != "source"} for r in rows], where="population",
                              source=where)
    except InputError as err:
        raise ModelBuildError(f"{where}: {err}") from None
    return Population(name=name, species=head["species"], model=head["model"], description=head["description"],
                      parameters=ranges,
                      sources=MappingProxyType(sources))
