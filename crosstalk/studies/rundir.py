"""One run directory for every study: manifest, chunk store, provenance, resume and read back.

A study (sensitivity, optimisation, cohort, later calibration) that writes to disk opens its directory with
:func:`open_run`. The directory holds:

``manifest.json``
    What the run is: its ``kind`` (``"sensitivity"``, ``"optimise"``, ...), the hash of the spec that determines its
    simulations, and what the study adds (seed, n, model hash, versions). Written first, atomically.
``chunks/``
    Completed pieces of work as Parquet files, each written atomically: an interrupted run keeps every finished
    chunk, and a resumed run reads them back instead of simulating again.
``spec.json``, the study's result files, then ``provenance.json``
    Written when the run finishes; ``spec.json`` holds the whole spec (its base scenario included, and the text it
    was read from) and ``provenance.json`` is written last, so its presence says the run finished.

Opening is where a directory is judged, the same way for every study: a new or empty directory is taken; one that
holds a run is only continued with ``resume`` (the same kind and spec hash) or replaced with ``force``; a corrupt or
foreign manifest is one :class:`~crosstalk.errors.InputError` naming the directory and what is allowed.

Reading back is judged here too: :func:`read_run` opens a finished run without writing anything, naming what is
missing from one that is not (an interrupted run has its manifest and chunks but no result files), so a report can
be rebuilt from the files alone (:func:`read_spec`, :func:`read_frame`, :func:`read_result`).
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.files import write_atomic, write_json_atomic
from crosstalk.sim.result import Result
from crosstalk.spec.scenario import Scenario

log = logging.getLogger(__name__)

__all__ = ["CHUNKS", "MANIFEST", "PROVENANCE", "SPEC", "RunDirectory", "open_run", "read_frame", "read_manifest",
           "read_provenance", "read_result", "read_results", "read_run", "read_spec", "run_kind", "write_provenance",
           "write_result", "write_results", "write_spec"]

MANIFEST = "manifest.json"
PROVENANCE = "provenance.json"
CHUNKS = "chunks"
SPEC = "spec.json"
#: Where :func:`write_results` keeps the names of the results it wrote (in their order).
NAMES = "names.json"

#: The kind of a run whose manifest predates the ``kind`` key, told by the fields each study recorded then.
_LEGACY_KINDS = (("population_size", "optimise"), ("method", "sensitivity"))


def read_manifest(path: str | Path, *, kind: str | None = None) -> dict[str, Any]:
    """The manifest of the run in ``path``.

    Parameters
    ----------
    path : path
        A run directory.
    kind : str, optional
        The kind of run expected; a manifest of another kind is refused.

    Raises
    ------
    InputError
        If there is no manifest, it is not a JSON object with a ``spec_hash``, or it is of another kind.
    """
    path = Path(path)
    file = path / MANIFEST
    if not file.is_file():
        raise InputError("outdir", str(path), f"a crosstalk run directory (it has no {MANIFEST})")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError("outdir", str(path), f"a run directory whose {MANIFEST} is readable JSON ({err}); "
                         "remove the directory or use force=True to replace it") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("spec_hash"), str):
        raise InputError("outdir", str(path), f"a run directory whose {MANIFEST} is a JSON object with a spec_hash; "
                         "remove the directory or use force=True to replace it")
    found = manifest.get("kind")
    if kind is not None and found is not None and found != kind:
        raise InputError("outdir", str(path), f"a directory of {_a(kind)} run (it holds {_a(str(found))} run); "
                         "another directory, or force=True to replace it")
    return manifest


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def run_kind(manifest: Mapping[str, Any], path: str | Path = "") -> str:
    """The kind of run a manifest describes (``"sensitivity"``, ``"optimise"``, ``"cohort"``, ...).

    A manifest written before runs recorded their kind is told by its fields (an optimisation's
    ``population_size``, a sensitivity analysis's ``method``).

    Raises
    ------
    InputError
        If neither the ``kind`` nor those fields are there.
    """
    kind = manifest.get("kind")
    if isinstance(kind, str):
        return kind
    for key, legacy in _LEGACY_KINDS:
        if key in manifest:
            return legacy
    raise InputError("outdir", str(path), f"a run directory whose {MANIFEST} names the kind of run")


@dataclass(frozen=True)
class RunDirectory:
    """An opened run directory (see the module docstring).

    Attributes
    ----------
    path : Path
        The directory.
    manifest : Mapping
        Its manifest, as written by this run.
    resumed : bool
        True when a run of the same spec was already there (its chunks are kept).
    """

    path: Path
    manifest: Mapping[str, Any]
    resumed: bool

    @property
    def chunks(self) -> Path:
        """The chunk store (created on open, unless opened with ``chunks=False``)."""
        return self.path / CHUNKS

    def chunk_path(self, name: str) -> Path:
        """Path of chunk ``name`` (a file name such as ``chunk_00003.parquet``)."""
        return self.chunks / name

    def write_chunk(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as chunk ``name`` (Parquet), atomically."""
        return write_atomic(self.chunk_path(name), lambda tmp: frame.to_parquet(tmp, index=False))

    def read_chunk(self, name: str) -> pd.DataFrame | None:
        """Chunk ``name`` as written, or None when it is missing or unreadable (then it is simulated again)."""
        path = self.chunk_path(name)
        if not path.exists():
            return None
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):
            return None

    def completed_chunks(self) -> list[str]:
        """Names of the chunks on disk, sorted."""
        return sorted(p.name for p in self.chunks.glob("*.parquet"))

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as ``name`` (Parquet) in the directory itself (a store of the run's work kept under the
        name it always had, such as an optimisation's ``evaluations.parquet``), atomically."""
        return write_atomic(self.path / name, lambda tmp: frame.to_parquet(tmp, index=False))

    def read_table(self, name: str) -> pd.DataFrame | None:
        """Table ``name`` as written by :meth:`write_table`, or None when it is missing or unreadable (its work is
        then done again)."""
        path = self.path / name
        if not path.exists():
            return None
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):
            log.warning("%s is unreadable: its work is done again", path)
            return None

    def write_provenance(self, provenance: Mapping[str, Any]) -> Path:
        """Write ``provenance.json`` (strict JSON), atomically."""
        return write_provenance(self.path, provenance)


def write_provenance(path: str | Path, provenance: Mapping[str, Any]) -> Path:
    """Write ``path/provenance.json`` (strict JSON), atomically: the last file a finished run writes."""
    return write_json_atomic(Path(path) / PROVENANCE, dict(provenance))


def open_run(path: str | Path, *, kind: str, spec_hash: str, manifest: Mapping[str, Any] | None = None,
             resume: bool = False, force: bool = False, chunks: bool = True,
             resumable: bool = True) -> RunDirectory:
    """Open ``path`` for a run of ``kind`` whose simulations are determined by ``spec_hash``.

    Parameters
    ----------
    path : path
        The run directory: new, empty, a run of the same spec (with ``resume``), or anything (with ``force``).
    kind : str
        What study this is (``"sensitivity"``, ``"optimise"``, ``"cohort"``, ...), recorded in the manifest.
    spec_hash : str
        Hash of everything that determines the run's simulations; a resumed run must have the same.
    manifest : Mapping, optional
        What the study records beside kind and hash (seed, n, model hash, versions...).
    resume : bool
        Continue a run of the same kind and spec found in ``path``.
    force : bool
        Replace whatever ``path`` holds (ignored with ``resume``, which never deletes).
    chunks : bool
        Make the chunk store ``chunks/`` (a study that keeps its work elsewhere, or keeps none, passes False).
    resumable : bool
        False for a study that cannot continue a run: ``resume`` is refused and not offered in the messages.

    Raises
    ------
    InputError
        If ``path`` holds a run and neither ``resume`` nor ``force`` is given, if it holds another spec's or
        another kind's run, or if its manifest is corrupt (each named as such, with or without ``resume``); or if
        ``path`` is a file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = open_run(f"{tmp}/run", kind="demo", spec_hash="abc", manifest={"seed": 1})
    ...     again = open_run(f"{tmp}/run", kind="demo", spec_hash="abc", resume=True)
    ...     (run.resumed, again.resumed, again.manifest["seed"])
    (False, True, 1)
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("outdir", str(path), "a directory (this is a file)")
    if resume and not resumable:
        raise InputError("resume", True, f"False: a {kind} run is not resumed (force=True replaces it)")
    record = {"kind": kind, "spec_hash": spec_hash, **dict(manifest or {})}
    resumed = False
    if force and not resume and path.exists():
        shutil.rmtree(path)
    if (path / MANIFEST).exists():
        # read first: a corrupt or foreign manifest is named as such, not answered with "resume it"
        old = read_manifest(path, kind=kind)
        if not resume:
            offer = "resume=True to continue the run in it, or " if resumable else ""
            raise InputError("outdir", str(path), f"a new directory, or {offer}force=True to replace it")
        if old["spec_hash"] != spec_hash:
            raise InputError("resume", str(path), "a directory holding a run of the same spec (spec hash differs: "
                             "it holds another spec's run)")
        resumed = True
        record = {**old, **record}
    elif path.exists() and any(path.iterdir()) and not resume:
        raise InputError("outdir", str(path), "a new or empty directory, or force=True to replace what it holds")
    (path / CHUNKS if chunks else path).mkdir(parents=True, exist_ok=True)
    write_json_atomic(path / MANIFEST, record)
    return RunDirectory(path, record, resumed)


# ---------------------------------------------------------------------------------------------- reading back
def read_run(path: str | Path, *, kind: str, files: tuple[str, ...] = ()) -> RunDirectory:
    """The finished run of ``kind`` in ``path``, opened for reading (nothing is written).

    Parameters
    ----------
    path : path
        A run directory.
    kind : str
        The kind of run expected (a manifest without a kind is taken as this kind).
    files : tuple of str
        The result files a finished run of this kind has.

    Raises
    ------
    InputError
        If there is no manifest, it is corrupt or of another kind, or one of ``files`` is missing (all the missing
        ones are named: an interrupted run has none of its result files yet).
    """
    path = Path(path)
    manifest = read_manifest(path, kind=kind)
    missing = [name for name in files if not (path / name).exists()]
    if missing:
        if missing == [SPEC]:
            why = (f"it has no {SPEC}: runs written before the spec was saved with them have none; resume the run "
                   "once to add it")
        else:
            why = (f"it has no {', '.join(missing)}: the run was interrupted or has not finished; resume it to "
                   "finish it")
        raise InputError("run", str(path), f"a finished {kind} run directory ({why})")
    return RunDirectory(path, manifest, resumed=False)


def write_spec(path: str | Path, spec: Mapping[str, Any], *, source_text: str = "") -> Path:
    """Write ``path/spec.json``, atomically: the whole spec as plain data (what :func:`read_spec` gives back) and
    the text it was read from (empty for a spec made in Python).

    Parameters
    ----------
    path : str or Path
        The run directory.
    spec : mapping
        The spec as plain data.
    source_text : str
        The text it was read from.
    """
    return write_json_atomic(Path(path) / SPEC, {"spec": dict(spec), "source_text": source_text})


def read_spec(path: str | Path) -> tuple[dict[str, Any], str]:
    """The spec data and source text that :func:`write_spec` wrote into ``path``.

    Raises
    ------
    InputError
        If ``spec.json`` is missing or is not what :func:`write_spec` writes.
    """
    file = Path(path) / SPEC
    data = _read_json(file)
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        raise InputError("run", str(file), 'a spec file written by a crosstalk run ({"spec": {...}, ...})')
    text = data.get("source_text", "")
    return data["spec"], text if isinstance(text, str) else ""


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The ``provenance.json`` of the run in ``path`` (a NaN it held reads back as None: strict JSON wrote null).

    Raises
    ------
    InputError
        If it is missing, unreadable or not a JSON object.
    """
    value = _read_json(Path(path) / PROVENANCE)
    if not isinstance(value, dict):
        raise InputError("run", str(Path(path) / PROVENANCE), "a JSON object (the run's provenance)")
    return value


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError("run", str(file), f"a readable JSON file ({err})") from None


def read_frame(path: str | Path, *, required: bool = True) -> pd.DataFrame:
    """A result table written as CSV (floats read back exactly; an empty table as an empty DataFrame).

    Raises
    ------
    InputError
        If the file is missing (with ``required``; else an empty DataFrame) or unreadable.
    """
    path = Path(path)
    if not path.exists() and not required:
        return pd.DataFrame()
    kwargs: dict[str, Any] = {}
    if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 reads floats exactly by default (and warns on this)
        kwargs["float_precision"] = "round_trip"
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:  # a table with no rows and no columns is written as an empty line
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError("run", str(path), f"a readable CSV table ({err})") from None


def write_result(path: str | Path, result: Result) -> Path:
    """Write one scenario's result into ``path`` (``timeseries.csv``, ``endpoints.json``, ``scenario.toml``;
    :meth:`crosstalk.sim.result.Result.write`), replacing what was there: what a report draws, kept with the run."""
    return result.write(path, force=True)


def read_result(path: str | Path) -> Result:
    """The result :func:`write_result` wrote into ``path``, without simulating (no plan: it is compiled from the
    scenario if a figure asks for it). The time series is as written: to 10 significant digits.

    Raises
    ------
    InputError
        If one of its files is missing or unreadable.
    """
    path = Path(path)
    with warnings.catch_warnings():  # the scenario warned (cumulative dose...) when it was run, not again now
        warnings.simplefilter("ignore")
        try:
            scenario = Scenario.from_toml((path / "scenario.toml").read_text(encoding="utf-8"),
                                          source=str(path / "scenario.toml"))
        except (OSError, UnicodeDecodeError) as err:
            raise InputError("run", str(path / "scenario.toml"), f"a readable scenario file ({err})") from None
    payload = _read_json(path / "endpoints.json")
    if not isinstance(payload, dict) or not isinstance(payload.get("endpoints"), dict):
        raise InputError("run", str(path / "endpoints.json"), "the endpoints a crosstalk result wrote")
    # strict JSON wrote NaN as null
    endpoints = {str(k): float("nan") if v is None else v for k, v in payload["endpoints"].items()}
    # every column is a float (a time grid of whole hours reads back as integers), to 10 significant digits
    timeseries = read_frame(path / "timeseries.csv").astype(float)
    return Result(scenario, timeseries, endpoints, dict(payload.get("provenance") or {}))


def write_results(path: str | Path, results: Mapping[str, Result]) -> Path:
    """Write named results into ``path``: each with :func:`write_result` in ``path/00``, ``path/01``, ... and their
    names, in order, in ``path/names.json`` (written last)."""
    path = Path(path)
    for k, result in enumerate(results.values()):
        write_result(path / f"{k:02d}", result)
    return write_json_atomic(path / NAMES, list(results))


def read_results(path: str | Path) -> dict[str, Result]:
    """The named results :func:`write_results` wrote into ``path``, in order; empty when there are none."""
    path = Path(path)
    if not (path / NAMES).exists():
        return {}
    names = _read_json(path / NAMES)
    if not isinstance(names, list):
        raise InputError("run", str(path / NAMES), "a list of names")
    return {str(name): read_result(path / f"{k:02d}") for k, name in enumerate(names)}
