"""Sensitivity methods: one frozen object per method, each with the same verbs (``sample`` and ``analyse``).

A method knows how to lay out a design on the unit hypercube and how to read indices from the outputs at its rows;
it knows nothing of models, scenarios or files (:mod:`crosstalk.studies.engine` runs the single analysis loop over
outputs, times and convergence for every method). Each also says what the engine needs to treat it generically:

* ``group_size(d)``: the rows that stand or fall together (a Sobol group of one base sample, a Morris trajectory,
  a single Latin-hypercube row): a failed evaluation drops its whole group, so no NaN reaches the analysis;
* ``check_n(n, d)``: which design sizes are valid;
* ``supports_time_resolved``, ``supports_convergence`` and ``second_order``: what it can report (the engine
  refuses a study asking for more at spec time, never returns an empty table instead);
* ``columns``: its tidy index columns (``S1, S1_conf, ST, ST_conf`` or ``mu, mu_star, sigma, mu_star_conf``).

Sampling and analysis are SALib's for ``sobol`` (``sample.sobol`` scrambled and seeded, ``analyze.sobol`` with
bootstrap intervals) and ``morris`` (``sample.morris`` / ``analyze.morris``), never re-implemented; ``pce`` is a
seeded Latin hypercube and a sparse polynomial chaos expansion (:mod:`crosstalk.studies.pce`).

References
----------
Saltelli A et al. (2010) Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. Comput Phys Commun 181:259. doi:10.1016/j.cpc.2009.09.018
Campolongo F, Cariboni J, Saltelli A (2007) An effective screening design for sensitivity analysis of large models.
Environ Model Softw 22:1509. doi:10.1016/j.envsoft.2006.10.004
Sudret B (2008) Global sensitivity analysis using polynomial chaos expansions. Reliab Eng Syst Saf 93:964.
doi:10.1016/j.ress.2007.04.002
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from crosstalk.errors import InputError
from crosstalk.inputs import check_number
from crosstalk.studies.pce import pce_design, pce_indices

__all__ = ["CONF_LEVEL", "METHODS", "N_BOOT", "PCE", "PCE_FOLDS", "PCE_TIMES", "Indices", "Method", "Morris", "Sobol",
           "check_pce_options", "make_method"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Bootstrap replicates of the indices' confidence intervals (SALib's resamples; refits of the expansion for pce).
N_BOOT = 200
#: Level of every confidence interval.
CONF_LEVEL = 0.95
#: Output times at which ``pce`` analyses a time-resolved observable (evenly spread over the course, the last
#: included): each is a cross-validated expansion fit, where ``sobol``'s analysis of every time is nearly free.
PCE_TIMES = 25
#: Folds of ``pce``'s cross-validated Q2 (the default of :func:`crosstalk.studies.pce.pce_indices`).
PCE_FOLDS = 5


@dataclass(frozen=True)
class Indices:
    """What one analysis of one output gives.

    Attributes
    ----------
    values : dict of str to ndarray (d,)
        The method's tidy columns (:attr:`Method.columns`), one value per input, in input order.
    S2, S2_conf : ndarray (d, d), optional
        Second-order indices in the upper triangle and their interval half-widths (when asked for).
    q2 : float, optional
        Cross-validated fit quality of a surrogate-based method (None: the method fits no surrogate).
    fit : dict
        The surrogate's description (``pce``: ``degree``, ``terms``); empty without one.
    reliable : bool, optional
        Whether the surrogate may be trusted (``q2`` at or above the method's threshold); None without one.
    """

    values: dict[str, FloatArray]
    S2: FloatArray | None = None
    S2_conf: FloatArray | None = None
    q2: float | None = None
    fit: dict[str, int] = field(default_factory=dict)
    reliable: bool | None = None


@runtime_checkable
class Method(Protocol):
    """What the engine asks of a sensitivity method (:class:`Sobol`, :class:`Morris`, :class:`PCE`)."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    supports_time_resolved: ClassVar[bool]
    supports_convergence: ClassVar[bool]

    @property
    def second_order(self) -> bool:
        """Whether :meth:`analyse` returns second-order indices."""
        ...

    def group_size(self, d: int) -> int:
        """Rows of the design that stand or fall together (one failure drops them all)."""
        ...

    def check_n(self, n: int, d: int) -> None:
        """Raise :class:`~crosstalk.errors.InputError` (field ``n``) unless ``n`` suits this method."""
        ...

    def sample(self, d: int, n: int, *, seed: int) -> FloatArray:
        """The design on the unit hypercube of ``d`` dimensions (rows in the order :meth:`analyse` expects)."""
        ...

    def analyse(self, x_unit: FloatArray, y: FloatArray, *, names: Sequence[str], seed: int,
                quick: bool = False) -> Indices:
        """Indices of ``y`` at the design rows ``x_unit`` (whole groups); ``quick``: the point estimates only."""
        ...

    def convergence_sizes(self, keep_group: BoolArray, d: int) -> list[tuple[int, int]]:
        """``(label, rows)`` pairs: the indices are recomputed from the first ``rows`` kept rows, reported as
        ``n = label`` (empty when the method has no convergence check)."""
        ...

    def time_columns(self, columns: Sequence[str]) -> list[str]:
        """Which of an observable's ``obs@k`` columns to analyse."""
        ...

    def provenance(self) -> dict[str, Any]:
        """The method's settings worth recording beyond its name (empty when there are none)."""
        ...


def _problem(d: int, names: Sequence[str] | None = None) -> dict[str, Any]:
    """SALib's problem on the unit hypercube (each input's distribution is applied to the design afterwards)."""
    return {"num_vars": d, "names": list(names) if names is not None else [f"x{i + 1}" for i in range(d)],
            "bounds": [[0.0, 1.0]] * d}


def _base_sizes(n_base: int) -> list[int]:
    """The base-sample counts of a convergence check: n/8, n/4, n/2 and n (at least 2 each)."""
    return sorted({max(2, n_base // 8), max(2, n_base // 4), max(2, n_base // 2), n_base})


def _check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InputError(name, value, "true or false")


@dataclass(frozen=True)
class Sobol:
    """Saltelli-Sobol variance decomposition (SALib): S1, ST and optionally S2 with bootstrap intervals.

    Parameters
    ----------
    second_order : bool
        Also sample and analyse the second-order indices (2D + 2 rows per base sample instead of D + 2).
    """

    second_order: bool = False

    name: ClassVar[str] = "sobol"
    columns: ClassVar[tuple[str, ...]] = ("S1", "S1_conf", "ST", "ST_conf")
    supports_time_resolved: ClassVar[bool] = True
    supports_convergence: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_flag("second_order", self.second_order)

    def group_size(self, d: int) -> int:
        return 2 * d + 2 if self.second_order else d + 2

    def check_n(self, n: int, d: int) -> None:
        # Sobol' sequences keep their balance properties only at powers of two
        if n & (n - 1):
            raise InputError("n", n, "a power of 2 for Sobol sampling (e.g. 64, 128, 1024)")

    def sample(self, d: int, n: int, *, seed: int) -> FloatArray:
        return np.asarray(sobol_sample.sample(_problem(d), n, calc_second_order=self.second_order, scramble=True,
                                              seed=seed), dtype=float)

    def analyse(self, x_unit: FloatArray, y: FloatArray, *, names: Sequence[str], seed: int,
                quick: bool = False) -> Indices:
        # quick or not, the same call: the point estimates do not depend on the bootstrap, and one call keeps every
        # number equal to the full analysis of the same rows
        res = sobol_analyze.analyze(_problem(len(names), names), y, calc_second_order=self.second_order,
                                    num_resamples=N_BOOT, conf_level=CONF_LEVEL, seed=seed)
        values = {c: np.asarray(res[c], dtype=float) for c in self.columns}
        if not self.second_order:
            return Indices(values)
        return Indices(values, S2=np.asarray(res["S2"], dtype=float), S2_conf=np.asarray(res["S2_conf"], dtype=float))

    def convergence_sizes(self, keep_group: BoolArray, d: int) -> list[tuple[int, int]]:
        # the first m base samples' groups, less the dropped ones: always whole groups
        g = self.group_size(d)
        return [(m, g * int(keep_group[:m].sum())) for m in _base_sizes(len(keep_group))]

    def time_columns(self, columns: Sequence[str]) -> list[str]:
        return list(columns)

    def provenance(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Morris:
    """Morris elementary effects (SALib): a screening of mu, mu*, sigma from ``n`` trajectories.

    Parameters
    ----------
    num_levels : int
        Levels of the grid each input moves on (even; default 4).
    """

    num_levels: int = 4

    name: ClassVar[str] = "morris"
    columns: ClassVar[tuple[str, ...]] = ("mu", "mu_star", "sigma", "mu_star_conf")
    supports_time_resolved: ClassVar[bool] = False
    supports_convergence: ClassVar[bool] = False

    def __post_init__(self) -> None:
        # SALib only warns about an odd number of levels; its grid is then biased
        if (isinstance(self.num_levels, bool) or not isinstance(self.num_levels, int) or self.num_levels < 2
                or self.num_levels % 2 or self.num_levels > 100):
            raise InputError("num_levels", self.num_levels, "an even integer in [2, 100]")

    @property
    def second_order(self) -> bool:
        return False

    def group_size(self, d: int) -> int:
        return d + 1

    def check_n(self, n: int, d: int) -> None:
        return None  # any number of trajectories (the engine's range applies)

    def sample(self, d: int, n: int, *, seed: int) -> FloatArray:
        return np.asarray(morris_sample.sample(_problem(d), n, num_levels=self.num_levels, seed=seed), dtype=float)

    def analyse(self, x_unit: FloatArray, y: FloatArray, *, names: Sequence[str], seed: int,
                quick: bool = False) -> Indices:
        res = morris_analyze.analyze(_problem(len(names), names), x_unit, y, num_resamples=N_BOOT,
                                     conf_level=CONF_LEVEL, num_levels=self.num_levels, seed=seed)
        return Indices({c: np.asarray(res[c], dtype=float) for c in self.columns})

    def convergence_sizes(self, keep_group: BoolArray, d: int) -> list[tuple[int, int]]:
        return []

    def time_columns(self, columns: Sequence[str]) -> list[str]:
        return []

    def provenance(self) -> dict[str, Any]:
        return {}


def check_pce_options(degree: Any, q_norm: Any, q2_threshold: Any) -> None:
    """The expansion's options (shared by :class:`PCE` and the analysis spec, which checks them for any method).

    Parameters
    ----------
    degree : int
        Highest total degree of the expansion (1-12).
    q_norm : float
        Hyperbolic truncation norm, (0, 1] (1: every term up to ``degree``).
    q2_threshold : float
        Cross-validated Q2 below which the indices are flagged as unreliable, [0, 1].
    """
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= 12:
        raise InputError("degree", degree, "an integer in [1, 12]")
    check_number("q_norm", q_norm, low=0.0, high=1.0, low_open=True)
    check_number("q2_threshold", q2_threshold, low=0.0, high=1.0)


@dataclass(frozen=True)
class PCE:
    """Sobol indices from a sparse polynomial chaos expansion fitted to a seeded Latin hypercube of ``n`` rows.

    Parameters
    ----------
    degree : int
        Total degree of the candidate polynomial basis (1-12).
    q_norm : float
        Hyperbolic truncation of the candidate basis in (0, 1] (see :mod:`crosstalk.studies.pce`).
    q2_threshold : float
        An output whose cross-validated Q2 is below this is marked unreliable.
    second_order : bool
        Also report the second-order indices (read from the same expansion: no extra rows).
    """

    degree: int = 4
    q_norm: float = 0.5
    q2_threshold: float = 0.9
    second_order: bool = False

    name: ClassVar[str] = "pce"
    columns: ClassVar[tuple[str, ...]] = ("S1", "S1_conf", "ST", "ST_conf")
    supports_time_resolved: ClassVar[bool] = True
    supports_convergence: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_pce_options(self.degree, self.q_norm, self.q2_threshold)
        _check_flag("second_order", self.second_order)

    def group_size(self, d: int) -> int:
        return 1  # a Latin hypercube has no groups to keep whole

    def check_n(self, n: int, d: int) -> None:
        if n < max(10, d + 2):
            raise InputError("n", n, f"at least {max(10, d + 2)} simulations for pce with {d} parameters "
                             "(10-25 per parameter is typical)")

    def sample(self, d: int, n: int, *, seed: int) -> FloatArray:
        return pce_design(d, n, seed=seed)

    def analyse(self, x_unit: FloatArray, y: FloatArray, *, names: Sequence[str], seed: int,
                quick: bool = False) -> Indices:
        if quick:  # no bootstrap and no cross-validation: only the indices
            res = pce_indices(x_unit, y, degree=self.degree, q_norm=self.q_norm, folds=0, seed=seed)
        else:
            res = pce_indices(x_unit, y, degree=self.degree, q_norm=self.q_norm, n_boot=N_BOOT, seed=seed,
                              folds=PCE_FOLDS)
        values = {"S1": res.S1, "S1_conf": res.S1_conf, "ST": res.ST, "ST_conf": res.ST_conf}
        return Indices(values, S2=res.S2 if self.second_order else None,
                       S2_conf=res.S2_conf if self.second_order else None, q2=res.q2,
                       fit={"degree": res.degree, "terms": res.terms}, reliable=bool(res.q2 >= self.q2_threshold))

    def convergence_sizes(self, keep_group: BoolArray, d: int) -> list[tuple[int, int]]:
        kept = int(keep_group.sum())
        # an expansion needs a few more rows than inputs
        return [(m, m) for m in sorted({kept // 4, kept // 2, kept}) if m >= d + 2]

    def time_columns(self, columns: Sequence[str]) -> list[str]:
        # each time is a cross-validated fit: a spread of PCE_TIMES of them, the first and last included
        picks = np.unique(np.linspace(0, len(columns) - 1, min(PCE_TIMES, len(columns))).round())
        return [columns[int(i)] for i in picks]

    def provenance(self) -> dict[str, Any]:
        return {"degree": self.degree, "q_norm": self.q_norm, "q2_threshold": self.q2_threshold, "n_boot": N_BOOT,
                "folds": PCE_FOLDS}


#: The method that takes each option of :func:`make_method` (second_order aside).
_OWNER = {"num_levels": "morris", "degree": "pce", "q_norm": "pce", "q2_threshold": "pce"}

#: Every method by name, in the order error messages list them.
METHODS: dict[str, type[Sobol] | type[Morris] | type[PCE]] = {"sobol": Sobol, "morris": Morris, "pce": PCE}


def make_method(name: Any, *, second_order: bool = False, num_levels: int | None = None, degree: int | None = None,
                q_norm: float | None = None, q2_threshold: float | None = None) -> Method:
    """The method called ``name`` with its options; an option it does not take is refused, not ignored.

    Parameters
    ----------
    name : {"sobol", "morris", "pce"}
    second_order : bool
        ``sobol`` and ``pce``: second-order indices (``morris`` has none: refused).
    num_levels : int, optional
        ``morris`` only.
    degree, q_norm, q2_threshold : optional
        ``pce`` only (None: the method's defaults).

    Raises
    ------
    InputError
        An unknown name, an option the method does not take, or an invalid option.
    """
    if not isinstance(name, str) or name not in METHODS:
        raise InputError("method", name, "one of " + ", ".join(repr(m) for m in METHODS))
    given = {"num_levels": num_levels, "degree": degree, "q_norm": q_norm, "q2_threshold": q2_threshold}
    for key, value in given.items():
        if value is not None and _OWNER[key] != name:
            raise InputError(key, value, f"no {key} with method {name!r} (an option of {_OWNER[key]!r})")
    if name == "morris":
        if second_order is not False:
            raise InputError("second_order", second_order, "false with method 'morris' (elementary effects have no "
                             "second-order indices; use 'sobol' or 'pce')")
        return Morris() if num_levels is None else Morris(num_levels=num_levels)
    if name == "sobol":
        return Sobol(second_order=second_order)
    default = PCE()
    return PCE(degree=default.degree if degree is None else degree,
               q_norm=default.q_norm if q_norm is None else q_norm,
               q2_threshold=default.q2_threshold if q2_threshold is None else q2_threshold, second_order=second_order)
