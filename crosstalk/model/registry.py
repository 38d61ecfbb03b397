"""The model registry: the one place that knows which model has which drug, patient field, blockade, coupling
and observable.

Each model lives in its own folder of the package, ``crosstalk/models/<model>/``:

* ``model.ant``: the equations (Antimony);
* ``parameters.toml``: every parameter's value, unit and source;
* ``manifest.toml``: what the rest of the package needs to know about the model (read here).

A composed model (one with ``submodels``) inherits the drugs, patient fields, blockades and observables of its
submodels and adds its own. Adding a drug is one ``[[drug]]`` entry in a manifest plus the model source that
gives it an infusion input and dosed species; every other layer (scenario validation, timeline, schedule,
export, simulator) reads it from here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from crosstalk.errors import ModelBuildError

__all__ = [
    "BlockadeSwitch", "Drug", "ModelInfo", "Observable", "PatientField", "all_blockades", "all_drugs",
    "all_patient_fields", "clear_cache", "composed_models", "model_dir", "model_ids", "model_info", "model_names",
    "models_from", "models_root", "module_names", "sbml_dir",
]


@dataclass(frozen=True)
class Observable:
    """A model output: ``name`` is its SBML id and its column in ``timeseries.csv``.

    Attributes
    ----------
    name : str
        SBML id and column name (a contract name: extend, never rename).
    unit : str
        Unit as shown to users.
    description : str
        What it is.
    module : str
        The model whose manifest declares it.
    log_scale : bool
        Whether plots show it on a log axis.
    label : str
        A short name for an axis or a table column (``label`` in the manifest; default: the description).
    """

    name: str
    unit: str
    description: str
    module: str
    log_scale: bool = False
    label: str = ""

    @property
    def short_label(self) -> str:
        """The label, or the description when the manifest gives none."""
        return self.label or self.description


@dataclass(frozen=True)
class Drug:
    """Where a drug enters a model and how a dose becomes an amount.

    Attributes
    ----------
    name : str
        The ``drug`` of a ``[[dose]]`` block.
    units : tuple of str
        Dose units the drug accepts (``mg``, ``mg/kg``, ``mg/m2``, ``particles``).
    infusion_input : str
        Species holding the infusion rate (amount per hour) while an infusion runs.
    bolus_species : tuple of str
        Species a bolus adds its amount to.
    mw_parameter : str or None
        Parameter holding the molecular weight (g/mol) that converts mg to molecules; None for particle counts.
    cumulative_cap_mg_per_m2 : float or None
        Labelled lifetime cumulative dose; regimens above it warn.
    description : str
        What the drug is.
    model : str
        The model whose manifest declares it.
    """

    name: str
    units: tuple[str, ...]
    infusion_input: str
    bolus_species: tuple[str, ...]
    mw_parameter: str | None
    cumulative_cap_mg_per_m2: float | None
    description: str
    model: str


@dataclass(frozen=True)
class PatientField:
    """A ``[patient]`` field and the model parameter it sets."""

    field: str
    parameter: str


@dataclass(frozen=True)
class BlockadeSwitch:
    """A ``[blockade]`` switch and the parameter values it sets when on."""

    name: str
    values: Mapping[str, float]
    description: str


@dataclass(frozen=True)
class ModelInfo:
    """Everything the package knows about one model besides its equations and parameter values.

    Attributes
    ----------
    name : str
        Model id (``exercise``, ``immune``, ``anthracycline``, ``crosstalk``).
    description : str
        Notes written into the SBML model element.
    alias : str or None
        Submodel instance name in a composed model (flattened ids of unlifted elements start ``<alias>__``).
    submodels : tuple of str
        Models this one composes (empty for a module).
    exercise_inputs : mapping of str to str
        Input species set by the exercise schedule, by role: ``on``, ``intensity`` and one flag per modality other
        than aerobic (``resistance``, ``hiit``). Empty: the model has no exercise.
    tumour : bool
        Whether the model simulates a tumour.
    drugs : mapping of str to Drug
        Drugs that can be dosed.
    patient_fields : tuple of PatientField
        ``[patient]`` fields that set model parameters.
    blockades : mapping of str to BlockadeSwitch
        Mechanism blockades.
    coupled_inputs : frozenset of str
        Submodel inputs a composed model defines by couplings.
    coupling_sources : tuple of str
        Quantities (besides parameters and observables) that couplings read, lifted to top-level ids.
    observables : tuple of Observable
        Outputs, in display order.
    """

    name: str
    description: str
    alias: str | None
    submodels: tuple[str, ...]
    exercise_inputs: Mapping[str, str]
    tumour: bool
    drugs: Mapping[str, Drug]
    patient_fields: tuple[PatientField, ...]
    blockades: Mapping[str, BlockadeSwitch]
    coupled_inputs: frozenset[str]
    coupling_sources: tuple[str, ...]
    observables: tuple[Observable, ...]

    @property
    def composed(self) -> bool:
        """Whether this model is composed of submodels (SBML comp, simulated flattened)."""
        return bool(self.submodels)

    @property
    def features(self) -> frozenset[str]:
        """What the model can simulate: ``exercise``, ``tumour`` and the names of its drugs."""
        out = set(self.drugs)
        if self.exercise_inputs:
            out.add("exercise")
        if self.tumour:
            out.add("tumour")
        return frozenset(out)

    @property
    def patient_parameters(self) -> dict[str, str]:
        """``[patient]`` field -> model parameter."""
        return {p.field: p.parameter for p in self.patient_fields}


_ROOT: list[Path] = []


def models_root() -> Path:
    """The folder holding one subfolder per model, ``units.ant`` and the generated ``sbml/``: the package's
    ``crosstalk/models`` unless :func:`models_from` points elsewhere."""
    return _ROOT[-1] if _ROOT else _package_models()


@cache
def _package_models() -> Path:
    # importlib.resources.files costs ~50 us; the simulator's hot path asks for the root on every lookup
    return Path(str(resources.files("crosstalk") / "models"))


@contextmanager
def models_from(root: str | Path) -> Iterator[Path]:
    """Read models from ``root`` (a copy of ``crosstalk/models`` with edits) inside the ``with`` block.

    For developing a model without touching the installed package, e.g. adding a drug: edit the copy's manifest
    and model source, then :func:`crosstalk.model.build.build_sbml` and ``Simulator(model, sbml=...)`` inside the block.
    Caches are cleared on entry and exit.
    """
    path = Path(root)
    if not (path / "units.ant").is_file():
        raise ModelBuildError(f"models root {path}: no units.ant (expected a copy of crosstalk/models)")
    _ROOT.append(path)
    clear_cache()
    try:
        yield path
    finally:
        _ROOT.pop()
        clear_cache()


def model_dir(name: str) -> Path:
    """Folder of one model (``model.ant``, ``parameters.toml``, ``manifest.toml``)."""
    if name not in model_names():
        raise ModelBuildError(f"model: unknown model {name!r}; allowed: {', '.join(model_names())}")
    return models_root() / name


def sbml_dir() -> Path:
    """Folder of the generated SBML documents that ship with the package."""
    return models_root() / "sbml"


@cache
def _read_manifests(root: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        manifest = entry / "manifest.toml"
        if entry.is_dir() and manifest.is_file():
            try:
                raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as err:
                raise ModelBuildError(f"{entry.name}/manifest.toml: not valid TOML ({err})") from None
            name = raw.get("model", {}).get("name")
            if name != entry.name:
                raise ModelBuildError(f"{entry.name}/manifest.toml: [model] name = {name!r}, not the folder name")
            out[name] = raw
    return out


def model_names() -> tuple[str, ...]:
    """Every model, modules first (in the build order their composed model gives) and composed models last."""
    return _model_names(models_root())


@cache
def _model_names(root: Path) -> tuple[str, ...]:
    raw = _read_manifests(root)
    composed = [n for n, m in raw.items() if m["model"].get("submodels")]
    ordered: list[str] = []
    for c in composed:
        ordered += [s for s in raw[c]["model"]["submodels"] if s not in ordered]
    ordered += [n for n in raw if n not in ordered and n not in composed]
    return tuple(ordered + composed)


def module_names() -> tuple[str, ...]:
    """Models without submodels (biological modules), in build order."""
    return tuple(n for n in model_names() if not model_info(n).composed)


def composed_models() -> tuple[str, ...]:
    """Models composed of submodels."""
    return tuple(n for n in model_names() if model_info(n).composed)


#: Roles of the exercise input species (see ModelInfo.exercise_inputs).
EXERCISE_ROLES: frozenset[str] = frozenset({"on", "intensity", "resistance", "hiit"})


def _roles(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ModelBuildError(f"{where}: expected a table of role = species id, got {value!r}")
    if value and set(value) != EXERCISE_ROLES:
        raise ModelBuildError(f"{where}: roles {sorted(value)}; expected {sorted(EXERCISE_ROLES)}")
    return dict(value)


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelBuildError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


#: Keys each kind of manifest entry must have (a missing one is a ModelBuildError naming the file and entry).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "drug": ("name", "units", "infusion_input", "bolus_species"),
    "patient": ("field", "parameter"),
    "blockade": ("name", "set"),
    "observable": ("name", "unit", "description"),
}
#: Dose units that are masses: a drug dosed in them needs a molecular weight to become molecules.
MASS_UNITS: frozenset[str] = frozenset({"mg", "mg/kg", "mg/m2"})
#: Dose units the timeline knows how to convert.
DOSE_UNITS: frozenset[str] = MASS_UNITS | {"particles"}


def _entries(where: str, raw: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    rows = raw.get(kind, [])
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise ModelBuildError(f"{where}: [[{kind}]] must be an array of tables")
    for i, row in enumerate(rows):
        missing = [k for k in _REQUIRED[kind] if k not in row]
        if missing:
            raise ModelBuildError(f"{where}: [[{kind}]] entry {row.get('name', row.get('field', i))!r} "
                                  f"lacks {', '.join(missing)}")
    return rows


def _own(name: str, raw: Mapping[str, Any]) -> ModelInfo:
    """A model's own entries (before inheriting from submodels), checked for missing keys and unit sense."""
    head = raw["model"]
    where = f"{name}/manifest.toml"
    drugs: dict[str, Drug] = {}
    for d in _entries(where, raw, "drug"):
        cap = d.get("cumulative_cap_mg_per_m2")
        units = _strings(f"{where} drug {d['name']} units", d["units"])
        unknown = set(units) - DOSE_UNITS
        if unknown:
            raise ModelBuildError(f"{where}: drug {d['name']!r} has units {sorted(unknown)}; allowed: "
                                  f"{', '.join(sorted(DOSE_UNITS))}")
        mw = d.get("mw_parameter") or None
        if mw is None and set(units) & MASS_UNITS:
            raise ModelBuildError(f"{where}: drug {d['name']!r} is dosed by mass but has no mw_parameter")
        drugs[d["name"]] = Drug(
            name=d["name"], units=units, infusion_input=d["infusion_input"],
            bolus_species=_strings(f"{where} drug {d['name']} bolus_species", d["bolus_species"]),
            mw_parameter=mw, cumulative_cap_mg_per_m2=None if cap is None else float(cap),
            description=d.get("description", ""), model=name,
        )
    blockades = {
        b["name"]: BlockadeSwitch(b["name"], {k: float(v) for k, v in b["set"].items()}, b.get("description", ""))
        for b in _entries(where, raw, "blockade")
    }
    return ModelInfo(
        name=name,
        description=head.get("description", ""),
        alias=head.get("alias"),
        submodels=_strings(f"{where} submodels", head.get("submodels", [])),
        exercise_inputs=_roles(f"{where} exercise_inputs", head.get("exercise_inputs", {})),
        tumour=bool(head.get("tumour", False)),
        drugs=drugs,
        patient_fields=tuple(PatientField(p["field"], p["parameter"]) for p in _entries(where, raw, "patient")),
        blockades=blockades,
        coupled_inputs=frozenset(_strings(f"{where} coupled_inputs", head.get("coupled_inputs", []))),
        coupling_sources=_strings(f"{where} coupling_sources", head.get("coupling_sources", [])),
        observables=tuple(
            Observable(o["name"], o["unit"], o["description"], name, bool(o.get("log_scale", False)),
                       str(o.get("label", "")))
            for o in _entries(where, raw, "observable")
        ),
    )


def model_ids(info: ModelInfo) -> dict[str, tuple[str, ...]]:
    """Every id the manifest of ``info`` names, by role: the build checks each exists in the model."""
    return {
        "species": tuple(info.exercise_inputs.values()) + tuple(
            x for d in info.drugs.values() for x in (d.infusion_input, *d.bolus_species)),
        "parameter": tuple(d.mw_parameter for d in info.drugs.values() if d.mw_parameter)
        + tuple(f.parameter for f in info.patient_fields)
        + tuple(k for b in info.blockades.values() for k in b.values),
        "observable": tuple(o.name for o in info.observables),
    }


def model_info(name: str) -> ModelInfo:
    """What the package knows about model ``name`` (a composed model includes its submodels' entries).

    Raises
    ------
    ModelBuildError
        If the model is unknown or its manifest is inconsistent (a drug or blockade declared twice).
    """
    return _model_info(models_root(), name)


@cache
def _model_info(root: Path, name: str) -> ModelInfo:
    raw = _read_manifests(root)
    if name not in raw:
        raise ModelBuildError(f"model: unknown model {name!r}; allowed: {', '.join(model_names())}")
    own = _own(name, raw[name])
    if not own.submodels:
        return own
    parts = [_model_info(root, s) for s in own.submodels] + [own]
    drugs: dict[str, Drug] = {}
    blockades: dict[str, BlockadeSwitch] = {}
    for part in parts:
        for key, drug in part.drugs.items():
            if key in drugs:
                raise ModelBuildError(f"drug {key!r} is declared by two models of {name!r}")
            drugs[key] = drug
        for key, switch in part.blockades.items():
            if key in blockades:
                raise ModelBuildError(f"blockade {key!r} is declared by two models of {name!r}")
            blockades[key] = switch
    return ModelInfo(
        name=name, description=own.description, alias=None, submodels=own.submodels,
        exercise_inputs={role: x for p in parts for role, x in p.exercise_inputs.items()},
        tumour=any(p.tumour for p in parts), drugs=drugs,
        patient_fields=tuple(f for p in parts for f in p.patient_fields),
        blockades=blockades, coupled_inputs=own.coupled_inputs,
        coupling_sources=tuple(x for p in parts for x in p.coupling_sources),
        observables=tuple(o for p in parts for o in p.observables),
    )


def all_drugs() -> dict[str, Drug]:
    """Every drug any model declares."""
    out: dict[str, Drug] = {}
    for name in model_names():
        out.update(model_info(name).drugs)
    return out


def all_blockades() -> dict[str, BlockadeSwitch]:
    """Every blockade switch any model declares."""
    out: dict[str, BlockadeSwitch] = {}
    for name in model_names():
        out.update(model_info(name).blockades)
    return out


def all_patient_fields() -> dict[str, str]:
    """Every ``[patient]`` field that some model maps to a parameter -> that parameter."""
    out: dict[str, str] = {}
    for name in model_names():
        out.update(model_info(name).patient_parameters)
    return out


def clear_cache() -> None:
    """Forget manifests read so far (after a manifest was edited or a model folder added in this process)."""
    _read_manifests.cache_clear()
    _model_names.cache_clear()
    _model_info.cache_clear()
