"""Uncertain quantities of cohorts and sensitivity studies: ranges with distributions, read from TOML.

A range names what it varies (``patient.<field>``, ``exercise.<field>`` or a model parameter id); the scenario
layer checks the name against a scenario (:func:`crosstalk.spec.scenario.check_range_names`) and applies sampled values
(:func:`crosstalk.spec.scenario.apply_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from crosstalk.errors import InputError
from crosstalk.inputs import check_choice, check_keys, check_number, check_text

__all__ = ["DISTRIBUTIONS", "INTEGER_FIELDS", "ParameterRange", "parse_ranges"]

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "normal", "lognormal", "triangular")


def parse_ranges(section: Any, *, where: str, source: str | None) -> tuple[ParameterRange, ...]:
    """``[[<where>.parameter]]`` tables (or a top-level ``[[parameter]]`` list) -> ParameterRange objects.

    Parameters
    ----------
    section : list of tables
        The TOML array of tables as read.
    where : str
        Its key, for messages (``cohort``, ``uncertain``).
    source : str or None
        The file it came from, for messages.
    """
    if isinstance(section, list):
        rows = section
    elif isinstance(section, Mapping):
        check_keys(f"{where}.", section, {"parameter"}, source=source)
        rows = section.get("parameter", [])
    else:
        raise InputError(where, section, "a table with [[parameter]] entries", source=source)
    if not isinstance(rows, list):
        raise InputError(f"{where}.parameter", rows, "an array of [[parameter]] tables", source=source)
    out = []
    allowed = {"name", "low", "high", "distribution", "mode", "minimum", "maximum"}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InputError(f"{where}.parameter[{i}]", row, "a table", source=source)
        check_keys(f"{where}.parameter[{i}].", row, allowed, source=source)
        for req in ("name", "low", "high"):
            if req not in row:
                raise InputError(f"{where}.parameter[{i}].{req}", None, "a value (required)", source=source)
        try:
            out.append(ParameterRange(**row))
        except InputError as err:
            raise err.at(source) from None
    names = [r.name for r in out]
    if len(set(names)) != len(names):
        raise InputError(f"{where}.parameter", names, "each name once", source=source)
    return tuple(out)


@dataclass(frozen=True)
class ParameterRange:
    """An uncertain quantity of a cohort or a sensitivity analysis.

    Parameters
    ----------
    name : str
        ``patient.<field>``, ``exercise.<field>`` (every exercise block) or ``exercise[i].<field>``, or a
        model parameter id.
    low, high : float
        Bounds (for ``normal``: mean and standard deviation; for ``lognormal``: median and the standard
        deviation of the logarithm; for ``triangular``: bounds, ``mode`` the peak).
    distribution : {"uniform", "loguniform", "normal", "lognormal", "triangular"}
    mode : float, optional
        Peak of a triangular distribution (default the middle).
    minimum, maximum : float, optional
        Truncation bounds of a ``normal`` distribution (e.g. an eligibility limit); either may be omitted.
    """

    name: str
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        check_text("parameter.name", self.name)
        check_choice(f"parameter[{self.name}].distribution", self.distribution, DISTRIBUTIONS)
        check_number(f"parameter[{self.name}].low", self.low, low=-1e300, high=1e300)
        if self.distribution in ("normal", "lognormal"):
            check_number(f"parameter[{self.name}].high", self.high, low=0.0, high=1e300, low_open=True)
        else:
            check_number(f"parameter[{self.name}].high", self.high, low=self.low, high=1e300, low_open=True)
        if self.distribution in ("loguniform", "lognormal") and self.low <= 0:
            raise InputError(f"parameter[{self.name}].low", self.low, f"> 0 for a {self.distribution} distribution")
        if self.mode is not None:
            check_number(f"parameter[{self.name}].mode", self.mode, low=self.low, high=self.high)
        for key in ("minimum", "maximum"):
            bound = getattr(self, key)
            if bound is None:
                continue
            if self.distribution != "normal":
                raise InputError(f"parameter[{self.name}].{key}", bound, "only with distribution = \"normal\"")
            check_number(f"parameter[{self.name}].{key}", bound, low=-1e300, high=1e300)
            object.__setattr__(self, key, float(bound))
        if self.minimum is not None and self.maximum is not None and self.maximum <= self.minimum:
            raise InputError(f"parameter[{self.name}].maximum", self.maximum, f"> minimum ({self.minimum:g})")
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))

    def from_unit(self, u: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Map uniform [0, 1] samples to this distribution (inverse CDF)."""
        x = np.asarray(u, dtype=np.float64)
        if self.distribution == "uniform":
            out = self.low + x * (self.high - self.low)
        elif self.distribution == "loguniform":
            out = np.exp(np.log(self.low) + x * (np.log(self.high) - np.log(self.low)))
        elif self.distribution == "normal" and (self.minimum is not None or self.maximum is not None):
            a = -np.inf if self.minimum is None else (self.minimum - self.low) / self.high
            b = np.inf if self.maximum is None else (self.maximum - self.low) / self.high
            out = stats.truncnorm.ppf(np.clip(x, 1e-12, 1 - 1e-12), a, b, loc=self.low, scale=self.high)
        elif self.distribution == "normal":
            out = stats.norm.ppf(np.clip(x, 1e-12, 1 - 1e-12), loc=self.low, scale=self.high)
        elif self.distribution == "lognormal":
            out = self.low * np.exp(self.high * stats.norm.ppf(np.clip(x, 1e-12, 1 - 1e-12)))
        else:
            mode = (self.low + self.high) / 2 if self.mode is None else self.mode
            c = (mode - self.low) / (self.high - self.low)
            out = stats.triang.ppf(x, c, loc=self.low, scale=self.high - self.low)
        return np.asarray(out, dtype=np.float64)

    def describe(self) -> str:
        """The distribution with its own parameters, as a reader would write it (``low``/``high`` mean different
        things per distribution).

        Examples
        --------
        >>> ParameterRange("x", 1.0, 0.225, distribution="lognormal").describe()
        'lognormal: median 1, sd of ln 0.225'
        >>> ParameterRange("x", 20.0, 150.0, distribution="loguniform").describe()
        'log-uniform on [20, 150]'
        """
        lo, hi = f"{self.low:.4g}", f"{self.high:.4g}"
        if self.distribution == "normal":
            cut = "" if self.minimum is None and self.maximum is None else (
                f", truncated to [{'-∞' if self.minimum is None else f'{self.minimum:.4g}'}, "
                f"{'∞' if self.maximum is None else f'{self.maximum:.4g}'}]")
            return f"normal: mean {lo}, sd {hi}{cut}"
        if self.distribution == "lognormal":
            return f"lognormal: median {lo}, sd of ln {hi}"
        if self.distribution == "triangular":
            mode = (self.low + self.high) / 2 if self.mode is None else self.mode
            return f"triangular on [{lo}, {hi}], mode {mode:.4g}"
        return f"{'log-uniform' if self.distribution == 'loguniform' else 'uniform'} on [{lo}, {hi}]"

    def central_interval(self, mass: float = 0.9) -> tuple[float, float]:
        """The interval holding the central ``mass`` of the distribution (5th to 95th percentile by default)."""
        q = self.from_unit([(1.0 - mass) / 2.0, (1.0 + mass) / 2.0])
        return float(q[0]), float(q[1])

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


#: Exercise fields that take whole numbers (sampled values are rounded to the nearest allowed integer).
INTEGER_FIELDS: frozenset[str] = frozenset({"sessions_per_week"})
