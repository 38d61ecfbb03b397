"""Every check, and the coverage of the targets.

A check is registered by target id with :func:`~crosstalk.validation.check.register` and returns a
:class:`~crosstalk.validation.check.Check`: the model's value of each criterion with the criterion's band from
``bands.toml``, and the curves and published points a report plots. The checks live in one module per theme
(``checks_exercise``, ``checks_heart``, ``checks_tumour``, ``checks_reference``), imported here so that every one is
registered. Every target of ``targets.toml`` is either checked, listed in :data:`NOT_SIMULATED` with how the model
uses it, or listed in :data:`NOT_YET_MODELLED` with what it waits for.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import crosstalk.validation.checks_exercise as checks_exercise
import crosstalk.validation.checks_heart as checks_heart
import crosstalk.validation.checks_reference as checks_reference
import crosstalk.validation.checks_tumour as checks_tumour
from crosstalk.validation.check import CHECKS, Check, CheckFunction, Curve, Mark, RegisteredCheck, register, run_check
from crosstalk.validation.checks_reference import kuznetsov_reference

__all__ = [
    "CHECKS", "NOT_SIMULATED", "NOT_YET_MODELLED", "Check", "CheckFunction", "Curve", "Mark", "RegisteredCheck",
    "kuznetsov_reference", "register", "run_check",
]

#: The modules whose import registers the checks (one per theme).
MODULES = (checks_exercise, checks_heart, checks_tumour, checks_reference)


# ------------------------------------------------------------------------------------------ coverage
#: Targets that are not reproduced by a simulation, and what the model does with them.
NOT_SIMULATED: Mapping[str, str] = MappingProxyType({
    "ac_regimen": "scenario input (dose, interval, cycles), not a fit target",
    "ctrcd_definition": "defines the ctrcd endpoint (drop > 10 points to < 53%; tested in tests/test_anthracycline.py)",
    "pd1_binding": ("parameter values of the checkpoint (PD-1/PD-L1 Kd, Hill, half-maximal density) and "
                    "pembrolizumab's picomolar affinity (Kd 27 pM); not separately reproduced (the clinical "
                    "engagement they imply is checked in pembrolizumab_pk)"),
    "exev_hsp70_content": ("parameter: per-vesicle HSP70 enrichment 5.2 / 2.7 = 1.9 (hsp70_molecules_per_exev; "
                           "more vesicles, not more HSP70 per vesicle)"),
})

#: Targets of the reference file that no model covers yet, with what they wait for.
NOT_YET_MODELLED: Mapping[str, str] = MappingProxyType({
})

