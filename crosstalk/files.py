"""Atomic file writes and strict JSON.

Every result file is written to a temporary file beside it and renamed into place, so a reader (or a resumed run)
never sees a half-written file, whatever interrupts the writer. JSON is strict (RFC 8259): a NaN or infinite
number is written as ``null``, never as the ``NaN`` literal that ``jq`` and ``JSON.parse`` reject.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crosstalk.errors import CrosstalkError

__all__ = ["strict_json", "to_jsonable", "write_atomic", "write_csv_atomic", "write_json_atomic",
           "write_text_atomic"]


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside ``path``, then rename it to ``path``.

    ``write`` returning ``False`` (as libcombine's writers do on failure) raises ``CrosstalkError``; the temporary file
    is removed whatever happens. The file gets the usual permissions (``mkstemp`` creates it 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if write(Path(tmp)) is False:
            raise CrosstalkError(f"could not write {path}")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8, atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv_atomic(path: str | Path, frame: pd.DataFrame, **to_csv: Any) -> Path:
    """Write ``frame`` as UTF-8 CSV to ``path`` atomically; keyword arguments go to :meth:`DataFrame.to_csv`."""
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, encoding="utf-8", **to_csv))


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain and every non-finite float made ``None``."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def strict_json(value: Any, *, indent: int | None = 2) -> str:
    """Serialise ``value`` as strict JSON (``null`` for NaN and infinities); raises on anything not JSON."""
    return json.dumps(to_jsonable(value), indent=indent, allow_nan=False)


def write_json_atomic(path: str | Path, value: Any, *, indent: int | None = 2) -> Path:
    """Write ``value`` to ``path`` as strict JSON (see :func:`strict_json`), atomically."""
    return write_text_atomic(path, strict_json(value, indent=indent) + "\n")
