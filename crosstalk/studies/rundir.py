"""One run directory for every study: manifest, chunk store, provenance, resume and read back.

A study (sensitivity, optimisation, cohort, later calibration) that writes to disk opens its directory with
:func:`open_run`. The directory holds:

``manifest.json``
    What the run is: its ``kind`` (``"sensitivity"``, ``"optimise"``, ...), the hash of the spec that determines its
    simulations, and what the study adds (seed, n, model hash, versions). Written first, atomically.
``chunks/``
    Completed pieces of work as Parquet files, each written atomically: an interrupted run keeps every finished
    chunk, and a resumed run reads them back instead of simulating again.
``provenance.json`` and the study's result files
    Written when the run finishes.

Opening is where a directory is judged, the same way for every study: a new or empty directory is taken; one that
holds a run is only continued with ``resume`` (the same kind and spec hash) or replaced with ``force``; a corrupt or
foreign manifest is one :class:`~crosstalk.errors.InputError` naming the directory and what is allowed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from crosstalk.errors import InputError
from crosstalk.files import write_atomic, write_json_atomic

__all__ = ["CHUNKS", "MANIFEST", "PROVENANCE", "RunDirectory", "open_run", "read_manifest"]

MANIFEST = "manifest.json"
PROVENANCE = "provenance.json"
CHUNKS = "chunks"


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
                         "remove the directory or use force to replace it") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("spec_hash"), str):
        raise InputError("outdir", str(path), f"a run directory whose {MANIFEST} is a JSON object with a spec_hash; "
                         "remove the directory or use force to replace it")
    found = manifest.get("kind")
    if kind is not None and found is not None and found != kind:
        raise InputError("outdir", str(path), f"a directory of a {kind} run (it holds a {found} run)")
    return manifest


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
        """The chunk store (created on open)."""
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

    def write_provenance(self, provenance: Mapping[str, Any]) -> Path:
        """Write ``provenance.json`` (strict JSON), atomically."""
        return write_json_atomic(self.path / PROVENANCE, dict(provenance))


def open_run(path: str | Path, *, kind: str, spec_hash: str, manifest: Mapping[str, Any] | None = None,
             resume: bool = False, force: bool = False) -> RunDirectory:
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

    Raises
    ------
    InputError
        If ``path`` holds a run and neither ``resume`` nor ``force`` is given, if it holds another spec's or
        another kind's run, or if its manifest is corrupt; or if ``path`` is a file.

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
    record = {"kind": kind, "spec_hash": spec_hash, **dict(manifest or {})}
    resumed = False
    if force and not resume and path.exists():
        shutil.rmtree(path)
    if (path / MANIFEST).exists():
        if not resume:
            raise InputError("outdir", str(path), "a new directory, or resume=True to continue the run in it, "
                             "or force=True to replace it")
        old = read_manifest(path, kind=kind)
        if old["spec_hash"] != spec_hash:
            raise InputError("resume", str(path), "a directory holding a run of the same spec (spec hash differs: "
                             "it holds another spec's run)")
        resumed = True
        record = {**old, **record}
    elif path.exists() and any(path.iterdir()) and not resume:
        raise InputError("outdir", str(path), "a new or empty directory, or force=True to replace what it holds")
    (path / CHUNKS).mkdir(parents=True, exist_ok=True)
    write_json_atomic(path / MANIFEST, record)
    return RunDirectory(path, record, resumed)
