"""Atomic file writes: every result file is written to a temporary file beside it and renamed into place, so a
reader (or a resumed run) never sees a half-written file, whatever interrupts the writer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from crosstalk.errors import CrosstalkError

__all__ = ["write_atomic", "write_text_atomic"]


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
