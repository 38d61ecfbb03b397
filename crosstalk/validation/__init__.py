"""Validation: the model against its calibration targets.

- :mod:`~crosstalk.validation.targets` reads the targets (``targets.toml``, a verbatim copy of the project's
  reference file, and ``assumed_targets.toml``) and the acceptance bands (``bands.toml``), once per process;
- :mod:`~crosstalk.validation.protocols` builds the published protocols as scenarios;
- :mod:`~crosstalk.validation.checks` holds the checks, registered by target id;
- :mod:`~crosstalk.validation.run` runs them all (:func:`run_validation`).

The HTML and CSV report is written by :mod:`crosstalk.report.validation`.

>>> from crosstalk.validation import run_check
>>> run_check("muscle_ev_share").passed
True
"""

from __future__ import annotations

from crosstalk.validation.checks import CHECKS, NOT_SIMULATED, NOT_YET_MODELLED, Check, Curve, Mark, register, run_check
from crosstalk.validation.run import Validation, run_validation
from crosstalk.validation.targets import Band, Target, all_targets, band, bands_for, target

__all__ = [
    "CHECKS",
    "NOT_SIMULATED",
    "NOT_YET_MODELLED",
    "Band",
    "Check",
    "Curve",
    "Mark",
    "Target",
    "Validation",
    "all_targets",
    "band",
    "bands_for",
    "register",
    "run_check",
    "run_validation",
    "target",
]
