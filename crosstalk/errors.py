"""The package's own exception types."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["CrosstalkError", "InputError", "ModelBuildError", "SimulationError", "show_warning_line"]


class CrosstalkError(Exception):
    """Base class of every error crosstalk raises on purpose."""


class InputError(CrosstalkError, ValueError):
    """Bad user input: the message names the field, the value and what is allowed.

    Parameters
    ----------
    field : str
        The key as the user wrote it (``exercise.intensity``, ``--cohort``).
    value : object
        The value given.
    allowed : str
        What would have been accepted.
    source : str, optional
        The file it came from.

    Examples
    --------
    >>> print(InputError("exercise.intensity", 1.7, "a number from 0 to 1 (fraction of VO2max)"))
    exercise.intensity: got 1.7; allowed: a number from 0 to 1 (fraction of VO2max)
    """

    def __init__(self, field: str, value: object, allowed: str, *, source: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: got {value!r}; allowed: {allowed}")

    def at(self, source: str | None, *, field: str | None = None) -> InputError:
        """The same error, said of file ``source`` (and of ``field`` instead of this one's), e.g. when a loader
        passes on an error raised while building a spec from that file."""
        return InputError(self.field if field is None else field, self.value, self.allowed, source=source)


class ModelBuildError(CrosstalkError):
    """A model source or parameter table is inconsistent, or the SBML does not validate."""


class SimulationError(CrosstalkError):
    """The integrator failed for a run (CVODE error or non-finite values)."""


def show_warning_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: TextIO | None = None, line: str | None = None) -> None:
    """A :func:`warnings.showwarning` for processes the package owns (the command line, its worker processes): one
    line with the warning's kind and message, no source file or code, each distinct line once per process (a study
    plans every candidate alike, and ``warnings.catch_warnings`` anywhere resets Python's own once-only registry, so
    without this one warning would fill the terminal once per simulation)."""
    text = f"crosstalk: warning ({category.__name__}): {message}"
    if text in _SHOWN:
        return
    _SHOWN.add(text)
    print(text, file=sys.stderr if file is None else file)


#: Warning lines this process has shown.
_SHOWN: set[str] = set()
