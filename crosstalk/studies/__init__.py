"""Studies: many runs and what they mean (sensitivity, cohorts, comparisons, the prescription optimiser), the
executors that run them and the run directories that keep them.

The model-free engine's public face, loaded on first use (so that importing one study module does not load SALib
and OpenTURNS for the others):

>>> from crosstalk.studies import PCE, run_study  # doctest: +SKIP
>>> run_study({"x1": (0, 1), "x2": (0, 1)}, f, outputs=["y"], method=PCE(degree=6), n=200)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crosstalk.studies.engine import Study as Study
    from crosstalk.studies.engine import StudyTables as StudyTables
    from crosstalk.studies.engine import run_study as run_study
    from crosstalk.studies.methods import METHODS as METHODS
    from crosstalk.studies.methods import PCE as PCE
    from crosstalk.studies.methods import Method as Method
    from crosstalk.studies.methods import Morris as Morris
    from crosstalk.studies.methods import Sobol as Sobol

_WHERE: dict[str, str] = {
    **dict.fromkeys(("Study", "StudyTables", "run_study"), "crosstalk.studies.engine"),
    **dict.fromkeys(("METHODS", "PCE", "Method", "Morris", "Sobol"), "crosstalk.studies.methods"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'crosstalk.studies' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = ["METHODS", "PCE", "Method", "Morris", "Sobol", "Study", "StudyTables", "run_study"]
