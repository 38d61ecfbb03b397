"""Module paths that moved in 0.7.0, kept importable with a :class:`DeprecationWarning` until 0.8.0.

0.7.0 put the flat modules into packages that show the layers (``crosstalk.scenario`` is now
``crosstalk.spec.scenario``, and so on; the CHANGELOG lists every move). ``import crosstalk.scenario`` and
``from crosstalk.sensitivity import run_sensitivity`` still work: a finder on ``sys.meta_path`` that answers
only for the old names below gives a small module that warns once with the name to use and hands out the new
module's objects (the same objects, so ``isinstance`` and identity hold). ``crosstalk.simulate`` is not among
them: it is the function :func:`crosstalk.simulate`; the module is :mod:`crosstalk.sim.simulator`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

__all__ = ["MOVED", "install"]

#: Old module -> new module.
MOVED: dict[str, str] = {
    "crosstalk.registry": "crosstalk.model.registry",
    "crosstalk.parameters": "crosstalk.model.parameters",
    "crosstalk.observables": "crosstalk.model.observables",
    "crosstalk.introspect": "crosstalk.model.introspect",
    "crosstalk.build": "crosstalk.model.build",
    "crosstalk.ranges": "crosstalk.spec.ranges",
    "crosstalk.population": "crosstalk.spec.population",
    "crosstalk.scenario": "crosstalk.spec.scenario",
    "crosstalk.timeline": "crosstalk.plan.timeline",
    "crosstalk.schedule": "crosstalk.plan.schedule",
    "crosstalk.result": "crosstalk.sim.result",
    "crosstalk.executors": "crosstalk.studies.executors",
    "crosstalk.cohort": "crosstalk.studies.cohort",
    "crosstalk.compare": "crosstalk.studies.compare",
    "crosstalk.risk": "crosstalk.studies.risk",
    "crosstalk.pce": "crosstalk.studies.pce",
    "crosstalk.sensitivity": "crosstalk.studies.sensitivity",
    "crosstalk.optimise": "crosstalk.studies.optimise",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default: a new, empty module

    def exec_module(self, module: ModuleType) -> None:
        warnings.warn(f"{module.__name__} moved to {self.target} in crosstalk 0.7.0; the old name goes in 0.8.0",
                      DeprecationWarning, stacklevel=2)
        target = importlib.import_module(self.target)
        module.__doc__ = f"Moved to :mod:`{self.target}` (this alias goes in crosstalk 0.8.0)."
        module.__all__ = list(getattr(target, "__all__", ()))  # type: ignore[attr-defined]
        module.__getattr__ = lambda name: getattr(target, name)  # type: ignore[method-assign]
        module.__dir__ = lambda: dir(target)  # type: ignore[method-assign]


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    """Add the finder once (importing :mod:`crosstalk` calls this)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
