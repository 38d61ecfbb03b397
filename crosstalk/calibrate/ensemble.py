"""The parameter uncertainty behind every answer: an ensemble of parameter sets, run and summarised as intervals.

Every row of the parameter tables says how well its value is known (:class:`crosstalk.model.parameters.Uncertainty`:
a distribution with its basis, or why it has none). An :class:`Ensemble` is a seeded Latin hypercube over the
uncertain rows of a scenario's model (:func:`latin_hypercube`: a column per quantity from its own seeded stream, so
adding a row leaves the others' draws unchanged; each column mapped through its row's inverse CDF), leaving out what
the scenario itself sets: the patient's fields, blockades and its explicit ``[parameters]``. A scenario runs once
per member (:func:`run_ensemble`, through the study executors); :func:`endpoint_intervals` gives each endpoint's
median and central 95 % interval beside the point value, and :func:`paired_intervals` the interval of a
difference between two scenarios run on the same members (each member its own control). A :class:`Conditioning`
re-solves fitted parameters per member so each member stays consistent with the calibration data
(:func:`condition_members`). :mod:`crosstalk.calibrate.uncertainty` puts it together and finds the uncertainties
that decide each answer.

The ensemble is about the typical patient's biology (epistemic uncertainty), not about how patients differ (the
virtual populations hold that). What the data leave open about a population itself (how widely patients differ)
can be drawn too, as a quantity named ``population:<name>`` (:data:`POPULATION`): it is not applied to the
scenario, but a conditioning and the :class:`ExtraOutputs` that name it read it. Another species' range is its
row's relative spread around that species' value.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import qmc

from crosstalk.errors import InputError
from crosstalk.inputs import check_integer, check_number
from crosstalk.model.observables import ENDPOINTS
from crosstalk.model.parameters import parameter_ids, parameter_table
from crosstalk.model.registry import model_info
from crosstalk.sim.simulator import simulator_for
from crosstalk.spec.ranges import ParameterRange
from crosstalk.spec.scenario import Scenario, apply_values
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.paired import BETTER

__all__ = ["INTERVAL_COLUMNS", "MAX_MEMBERS", "PAIRED_INTERVAL_COLUMNS", "POPULATION", "Conditioning", "Ensemble",
           "EnsembleRun", "ExtraOutputs", "condition_members", "draw_ensemble", "endpoint_intervals", "fixed_ids",
           "latin_hypercube", "paired_intervals", "population_quantities", "run_ensemble", "uncertain_ranges"]

MAX_MEMBERS = 100_000
#: Columns of :func:`endpoint_intervals` (``endpoints_uncertainty.csv``).
INTERVAL_COLUMNS = ("endpoint", "unit", "point", "median", "lower95", "upper95", "mean", "n", "failed")
FloatArray = npt.NDArray[np.float64]
#: Prefix of a drawn population quantity (``population:cardiac_sensitivity_sd``): never a parameter id.
POPULATION = "population:"


@dataclass(frozen=True)
class Ensemble:
    """Parameter sets drawn from the tables' uncertainty for one scenario's model.

    Attributes
    ----------
    ranges : tuple of ParameterRange
        One per uncertain parameter (the name is the parameter id).
    bases : mapping of str to str
        Why each range is what it is (the row's ``uncertainty.basis``), by id.
    unit : ndarray, shape (n, len(ranges))
        The seeded Latin hypercube on the unit cube (the design the Sobol indices are read from).
    seed : int
        Seed of the hypercube.
    """

    ranges: tuple[ParameterRange, ...]
    bases: Mapping[str, str]
    unit: FloatArray
    seed: int

    @property
    def n(self) -> int:
        """Number of members."""
        return int(self.unit.shape[0])

    @property
    def names(self) -> list[str]:
        """The uncertain parameters' ids, in column order."""
        return [r.name for r in self.ranges]

    def values(self) -> pd.DataFrame:
        """Every member's parameter values: one row per member, one column per uncertain parameter."""
        return pd.DataFrame({r.name: r.from_unit(self.unit[:, j]) for j, r in enumerate(self.ranges)})

    def members(self) -> list[dict[str, float]]:
        """Every member's drawn values as a mapping (what a scenario or a conditioning takes)."""
        return [{str(k): float(v) for k, v in row.items()} for row in self.values().to_dict("records")]


def fixed_ids(scenario: Scenario, *, also: Sequence[Scenario] = ()) -> set[str]:
    """Parameter ids the scenarios set themselves (patient fields, blockades, ``[parameters]``): never drawn."""
    fixed = set(model_info(scenario.model).patient_parameters.values())
    for s in (scenario, *also):
        fixed |= {*s.blockade.parameter_overrides(s.model), *s.parameters}
    return fixed


def uncertain_ranges(scenario: Scenario, *, also: Sequence[Scenario] = ()
                     ) -> tuple[tuple[ParameterRange, ...], dict[str, str]]:
    """The uncertain parameters of ``scenario``'s model as ranges (in its species' values), and their bases.

    Rows without a distribution are left out, and so is whatever the scenario, or any scenario in ``also`` (the
    other arms of a comparison), sets itself: the patient's fields (whether given or left to the default: their
    spread is the population's), blockades and ``[parameters]``.
    """
    fixed = fixed_ids(scenario, also=also)
    ranges: list[ParameterRange] = []
    bases: dict[str, str] = {}
    for p in parameter_table(scenario.model):
        u = p.uncertainty
        if u is None or not u.uncertain or p.id in fixed:
            continue
        own = p.value_for(scenario.species)
        if (own == 0) != (p.value == 0):
            continue  # a term this species' set switches off (or on, with no stated range): not uncertain here
        scale = own / p.value if p.value else 1.0
        high = u.high if u.distribution == "lognormal" else u.high * scale
        ranges.append(ParameterRange(p.id, u.low * scale, high, distribution=str(u.distribution)))
        bases[p.id] = u.basis if scale == 1.0 else (f"{u.basis} [the human range, scaled to the "
                                                      f"{scenario.species} value]")
    return tuple(ranges), bases


@dataclass(frozen=True)
class Conditioning:
    """How each member is made consistent with the calibration data before it runs.

    A fitted parameter sampled independently of the others would break the fit it came from (an IL-6 release rate
    fitted at one clearance, drawn with another, no longer gives the measured IL-6 rise). Conditioning re-solves
    such parameters per member instead of drawing them.

    Attributes
    ----------
    ranges : tuple of ParameterRange
        Further quantities drawn with the parameters: the value a calibration summary is re-solved to, drawn
        from that datum's plausible range, or a population quantity (:data:`POPULATION`) the re-solving reads;
        their names must not be parameter ids.
    bases : mapping of str to str
        Why each of those ranges is what it is.
    solves : mapping of str to str
        Which parameter id each datum of ``ranges`` decides (re-solved per member, so not drawn); a scenario that
        sets that parameter itself keeps its value, and the range is then not drawn either.
    condition : callable
        Module level (it travels to workers): a member's drawn values (parameters and ``ranges``) -> the parameter
        values to run, with the solved ones set; raises when a member cannot be made consistent (that member is
        recorded as failed); population quantities are passed through.
    with_datum : mapping of str to str
        Population quantity (or a datum solved jointly with another) -> the datum of ``ranges`` whose re-solving
        reads it: drawn only when that datum is (a population drawn without re-solving would no longer match the
        data).
    """

    ranges: tuple[ParameterRange, ...]
    bases: Mapping[str, str]
    solves: Mapping[str, str]
    condition: Callable[[dict[str, float]], dict[str, float]]
    with_datum: Mapping[str, str] = field(default_factory=dict)

    def keeping(self, fixed: set[str]) -> Conditioning:
        """This conditioning without what re-solves a parameter in ``fixed`` (and the population quantities that
        go with it)."""
        names = {r.name for r in self.ranges if r.name not in self.solves or self.solves[r.name] not in fixed}
        # a quantity goes with its datum, which may itself go with another: drop until none is left without its own
        while dropped := {n for n in names if n in self.with_datum and self.with_datum[n] not in names}:
            names -= dropped
        ranges = tuple(r for r in self.ranges if r.name in names)
        return Conditioning(ranges=ranges, bases={r.name: self.bases[r.name] for r in ranges},
                            solves={k: v for k, v in self.solves.items() if k in names},
                            condition=self.condition,
                            with_datum={k: v for k, v in self.with_datum.items() if k in names})


@dataclass(frozen=True)
class ExtraOutputs:
    """Answers computed per member beside the endpoints (e.g. a virtual population's incidences).

    Attributes
    ----------
    compute : callable
        Module level (it travels to workers): a member's scenario -> output name -> value; it also takes each
        quantity of ``population`` the member drew, as a keyword argument (the point run passes none).
    units : mapping of str to str
        Each output's unit.
    better : mapping of str to str
        ``"lower"`` or ``"higher"`` per output whose direction of benefit is known.
    population : tuple of str
        Population quantities ``compute`` reads, by name without :data:`POPULATION`.
    """

    compute: Callable[..., Mapping[str, float]]
    units: Mapping[str, str]
    better: Mapping[str, str]
    population: tuple[str, ...] = ()

    def of(self, scenario: Scenario, drawn: Mapping[str, float]) -> dict[str, float]:
        """The outputs for one member.

        Parameters
        ----------
        scenario : Scenario
            The member's scenario (its parameter values applied).
        drawn : mapping of str to float
            The member's drawn values; the ``population:`` quantities this output reads are passed to
            ``compute``, anything else is ignored (empty for the point run: ``compute``'s defaults).

        Returns
        -------
        dict
            Output name -> value.
        """
        kwargs = {name: drawn[POPULATION + name] for name in self.population if POPULATION + name in drawn}
        return dict(self.compute(scenario, **kwargs))


def draw_ensemble(scenario: Scenario, n: int, *, seed: int, also: Sequence[Scenario] = (),
                  conditioning: Conditioning | None = None) -> Ensemble:
    """``n`` parameter sets from a seeded Latin hypercube over :func:`uncertain_ranges` of ``scenario`` (and
    ``also``: the other scenarios the same members will run); with ``conditioning``, its solved parameters are
    not drawn and its own quantities are.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose model's uncertain parameters are drawn (its own overrides are not drawn).
    n : int
        Members (2-100000).
    seed : int
        Seed of the Latin hypercube.
    also : sequence of Scenario
        Other scenarios of the same model and species the members will run (their overrides are not drawn either).
    conditioning : Conditioning, optional
        Calibrations re-solved per member instead of drawn.

    Examples
    --------
    >>> from crosstalk import load_scenario
    >>> e = draw_ensemble(load_scenario("aerobic_during_ac"), 8, seed=1)
    >>> e.n, e.values().shape[1] == len(e.ranges) > 20
    (8, True)
    """
    check_integer("uncertainty", n, low=2, high=MAX_MEMBERS)
    check_integer("seed", seed)
    for other in also:
        if (other.model, other.species) != (scenario.model, scenario.species):
            raise InputError("scenarios", f"{other.name}: {other.model}/{other.species}",
                             f"the model and species of {scenario.name} ({scenario.model}/{scenario.species}): "
                             "one ensemble runs scenarios of one model and species")
    ranges, bases = uncertain_ranges(scenario, also=also)
    if conditioning is not None:
        kept = conditioning.keeping(fixed_ids(scenario, also=also))
        solved = set(kept.solves.values())
        ranges = (*(r for r in ranges if r.name not in solved), *kept.ranges)
        bases = {**{k: v for k, v in bases.items() if k not in solved}, **kept.bases}
    return Ensemble(ranges=ranges, bases=bases, unit=latin_hypercube([r.name for r in ranges], n, seed=seed), seed=seed)


def latin_hypercube(names: Sequence[str], n: int, *, seed: int) -> FloatArray:
    """A Latin hypercube of ``n`` points on the unit cube whose column for each name depends only on ``seed``, ``n``
    and that name, so a quantity added to (or left out of) the tables leaves every other quantity's draws as they
    were. Each column is a one-dimensional Latin hypercube (scipy.stats.qmc) from its own stream; the columns are
    independent, as in any Latin hypercube without optimised correlations.

    Parameters
    ----------
    names : sequence of str
        The quantities, one column each, in this order.
    n : int
        Points (rows).
    seed : int
        Seed shared by every column's stream.

    Returns
    -------
    ndarray, shape (n, len(names))
        Each column a stratified sample of the unit interval: one point in each of its ``n`` equal parts.

    Examples
    --------
    >>> a = latin_hypercube(["k_a", "k_b"], 5, seed=1)
    >>> b = latin_hypercube(["k_b", "new_parameter", "k_a"], 5, seed=1)
    >>> bool(np.array_equal(a[:, 0], b[:, 2]) and np.array_equal(a[:, 1], b[:, 0]))
    True
    >>> sorted((np.floor(a[:, 0] * 5)).astype(int).tolist())  # one point in each fifth
    [0, 1, 2, 3, 4]
    """
    columns = [qmc.LatinHypercube(d=1, seed=np.random.default_rng([seed, zlib.crc32(name.encode())])).random(n)[:, 0]
               for name in names]
    return np.asarray(np.column_stack(columns) if columns else np.empty((n, 0)), dtype=np.float64)


@dataclass(frozen=True)
class EnsembleRun:
    """One scenario run over every member of an ensemble.

    Attributes
    ----------
    scenario : Scenario
        What every member received.
    members : DataFrame
        ``member``, the endpoints (NaN for a failed member) and ``failed``: one row per member.
    failures : DataFrame
        ``member, stage, error`` for each failed member: ``stage`` is ``calibration`` when the member could not
        be made consistent with the calibration data (it did not run), ``simulation`` when its simulation failed.
    time_h : ndarray
        The output grid of the series (the scenario's; it does not depend on parameter values).
    series : mapping of str to ndarray
        Observable -> array of shape (members, times) (NaN rows for failed members), for prediction bands.
    """

    scenario: Scenario
    members: pd.DataFrame
    failures: pd.DataFrame
    time_h: FloatArray
    series: Mapping[str, FloatArray]

    def band(self, observable: str, mass: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """The pointwise central ``mass`` band of an observable over the members that ran."""
        y = self.series[observable]
        lo, hi = np.nanquantile(y, [(1 - mass) / 2, (1 + mass) / 2], axis=0)
        return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def _member(item: tuple[Scenario, tuple[str, ...], ExtraOutputs | None, Mapping[str, float]]
            ) -> tuple[dict[str, Any], FloatArray, dict[str, npt.NDArray[np.float32]]]:
    """Endpoints (and extra outputs) and the chosen series of one member (module level: it travels to workers)."""
    scenario, columns, extra, population = item
    with warnings.catch_warnings():  # the point run showed the planning warnings; one per member would bury them
        warnings.simplefilter("ignore")
        result = simulator_for(scenario.model).run(scenario)
        found = {} if extra is None else extra.of(scenario, population)
    ts = result.timeseries
    return ({**result.endpoints, **found}, ts["time_h"].to_numpy(dtype=np.float64),
            {c: ts[c].to_numpy(dtype=np.float32) for c in columns if c in ts.columns})


def _parameters(values: Mapping[str, float]) -> dict[str, float]:
    return {k: v for k, v in values.items() if not k.startswith(POPULATION)}


def population_quantities(values: Mapping[str, float]) -> dict[str, float]:
    """The drawn population quantities among a member's ``values`` (names starting with :data:`POPULATION`, kept
    whole): what re-solving and the extra outputs read, never applied to the model.

    >>> population_quantities({"k_cardiomyocyte_loss": 1.0, "population:patient.cardiac_sensitivity": 0.3})
    {'population:patient.cardiac_sensitivity': 0.3}
    """
    return {k: v for k, v in values.items() if k.startswith(POPULATION)}


def run_ensemble(scenario: Scenario, ensemble: Ensemble, *, series: Sequence[str] = (),
                 values: Sequence[Mapping[str, float] | RunFailure] | None = None,
                 extra: ExtraOutputs | None = None, executor: Executor | None = None, workers: int | None = None,
                 progress: bool = True) -> EnsembleRun:
    """Simulate ``scenario`` once per ensemble member (a failed member is recorded, not fatal).

    Parameters
    ----------
    scenario : Scenario
        The scenario; each member's parameter values are applied to it.
    ensemble : Ensemble
        From :func:`draw_ensemble` (on this scenario or one of the same model, species and patient).
    series : sequence of str
        Observables to keep as time series for prediction bands (only those the model has are kept).
    values : sequence, optional
        Each member's parameter values (:func:`condition_members`; a :class:`RunFailure` for a member that could
        not be conditioned: recorded as failed). Default: the ensemble's drawn values.
    extra : ExtraOutputs, optional
        Further answers computed for each member beside its endpoints (columns of ``members``).
    executor, workers, progress
        As for :func:`crosstalk.studies.executors.run_many`.
    """
    if values is None:
        known = parameter_ids(scenario.model)
        drawn = [name for name in ensemble.names if name not in known and not name.startswith(POPULATION)]
        if drawn:
            raise InputError("values", f"none, with {drawn[0]} drawn", "each member's conditioned values "
                             "(condition_members) for an ensemble drawn with a conditioning")
        values = ensemble.members()
    columns = tuple(series)
    ready = {i for i, v in enumerate(values) if not isinstance(v, RunFailure)}
    order = sorted(ready)
    ready_values = [v for v in values if not isinstance(v, RunFailure)]  # in the order of ``order``
    items = [(apply_values(scenario, _parameters(v)), columns, extra, population_quantities(v)) for v in ready_values]
    done = run_many(items, _member, executor=executor, workers=workers, progress=progress, desc="ensemble")
    results: list[Any] = list(values)
    for i, r in zip(order, done):
        results[i] = RunFailure(i, r.scenario, r.error) if isinstance(r, RunFailure) else r
    ok = [r for r in results if not isinstance(r, RunFailure)]
    time_h = ok[0][1] if ok else np.zeros(0)
    kept = [c for c in columns if ok and c in ok[0][2]]
    series_out = {c: np.full((len(results), len(time_h)), np.nan, dtype=np.float32) for c in kept}
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(results):
        if isinstance(r, RunFailure):
            rows.append({})
            continue
        rows.append(dict(r[0]))
        for c in kept:
            series_out[c][i] = r[2][c]
    members = pd.DataFrame(rows)
    members.insert(0, "member", np.arange(len(results)))
    members["failed"] = [isinstance(r, RunFailure) for r in results]
    failures = pd.DataFrame([{"member": r.index, "stage": "simulation" if i in ready else "calibration",
                               "error": r.error} for i, r in enumerate(results) if isinstance(r, RunFailure)],
                            columns=["member", "stage", "error"])
    return EnsembleRun(scenario=scenario, members=members, failures=failures, time_h=time_h,
                       series={c: v.astype(np.float64) for c, v in series_out.items()})


def condition_members(ensemble: Ensemble, conditioning: Conditioning, *, executor: Executor | None = None,
                      workers: int | None = None, progress: bool = True,
                      given: Mapping[str, float] | None = None) -> list[Mapping[str, float] | RunFailure]:
    """Each member's parameter values after ``conditioning`` (a :class:`RunFailure` where it could not be done).

    Parameters
    ----------
    ensemble : Ensemble
        The members.
    conditioning : Conditioning
        The calibrations to re-solve for each.
    executor : Executor, optional
        Where to run (a local pool or a Dask client).
    workers : int, optional
        Worker processes of the default executor.
    progress : bool
        Show a progress bar.
    given : mapping of str to float, optional
        Parameter values the scenarios set themselves (not drawn): each member is re-calibrated with them, so a
        calibration reads the model the member will run; they are not part of the returned values.
    """
    fixed = dict(given or {})
    members = [{**fixed, **m} for m in ensemble.members()]
    found = run_many(members, conditioning.condition, executor=executor, workers=workers,
                     progress=progress, desc="calibrating members")
    return [r if isinstance(r, RunFailure) else {k: v for k, v in r.items() if k not in fixed or k in m}
            for r, m in zip(found, ensemble.members())]


def _numeric_endpoints(members: pd.DataFrame) -> list[str]:
    skip = {"member", "failed"}
    return [c for c in members.columns if c not in skip and (pd.api.types.is_numeric_dtype(members[c])
                                                              or pd.api.types.is_bool_dtype(members[c]))]


def _quantiles(x: FloatArray, mass: float) -> tuple[float, float, float]:
    lo, med, hi = np.quantile(x, [(1 - mass) / 2, 0.5, (1 + mass) / 2])
    return float(med), float(lo), float(hi)


def endpoint_intervals(run: EnsembleRun, point: Mapping[str, Any], *, mass: float = 0.95,
                       units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Each numeric endpoint's point value (the table's values), median and central ``mass`` interval over the
    members that ran: :data:`INTERVAL_COLUMNS` (``mean`` of a true/false endpoint is the share of members where
    it holds).

    Parameters
    ----------
    run : EnsembleRun
        From :func:`run_ensemble`.
    point : mapping
        The endpoints of the run at the tables' values (``Result.endpoints``).
    mass : float
        Probability mass of the interval (0.5-0.999; the column names say 95 % because that is the default).
    units : mapping of str to str, optional
        Units of endpoints the registry does not know (:data:`crosstalk.model.observables.ENDPOINTS`).
    """
    check_number("mass", mass, low=0.5, high=0.999)
    ok = run.members[~run.members["failed"]]
    rows = []
    for name in _numeric_endpoints(run.members):
        x = ok[name].astype(float).dropna().to_numpy()
        if not len(x):
            continue
        med, lo, hi = _quantiles(x, mass)
        rows.append({"endpoint": name, "unit": _unit(name, units), "point": _as_float(point.get(name)),
                     "median": med, "lower95": lo, "upper95": hi, "mean": float(x.mean()), "n": len(x),
                     "failed": int(run.members["failed"].sum())})
    return pd.DataFrame(rows, columns=list(INTERVAL_COLUMNS))


def _point_ratio(reference: Any, arm: Any) -> float:
    ref, value = _as_float(reference), _as_float(arm)
    return value / ref if ref > 0 and value >= 0 else math.nan


def _unit(name: str, units: Mapping[str, str] | None) -> str:
    return (units or {}).get(name, ENDPOINTS.get(name, ("", ""))[0])


def _as_float(v: Any) -> float:
    return float(v) if isinstance(v, (int, float, bool, np.number)) else float("nan")


#: Columns of :func:`paired_intervals`.
PAIRED_INTERVAL_COLUMNS = ("endpoint", "unit", "scenario", "reference", "point", "median", "lower95", "upper95",
                           "probability_better", "better", "n", "ratio_point", "ratio_median", "ratio_lower95",
                           "ratio_upper95")


def _ratio(reference: npt.NDArray[np.float64], arm: npt.NDArray[np.float64], mass: float
           ) -> tuple[float, float, float]:
    """Median and central interval of ``arm / reference`` member by member (a relative risk for incidences); NaN
    unless every reference value is positive and every arm value non-negative (a ratio of signed changes means
    nothing)."""
    ok = np.isfinite(reference) & np.isfinite(arm)
    if not ok.any() or (reference[ok] <= 0).any() or (arm[ok] < 0).any():
        return (math.nan, math.nan, math.nan)
    return _quantiles(arm[ok] / reference[ok], mass)


def paired_intervals(reference: EnsembleRun, arm: EnsembleRun, *, point_reference: Mapping[str, Any],
                     point_arm: Mapping[str, Any], mass: float = 0.95, units: Mapping[str, str] | None = None,
                     better: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The difference ``arm - reference`` of each numeric endpoint, member by member (the same parameter sets:
    each member its own control): the point difference, median and central interval, and the probability over
    the parameter uncertainty that the arm is better (in the direction of
    :data:`crosstalk.studies.paired.BETTER`; NaN where none is defined); and the ratio ``arm / reference`` the
    same way where both are non-negative and the reference positive (the relative risk of an incidence).

    Parameters
    ----------
    reference, arm : EnsembleRun
        The two scenarios' runs over the same members.
    point_reference, point_arm : mapping
        Their endpoints at the tables' values.
    mass : float
        Probability mass of the interval (0.5-0.999).
    units : mapping of str to str, optional
        Units of endpoints the registry does not know.
    better : mapping of str to str, optional
        Better directions (``"lower"`` or ``"higher"``) beside :data:`crosstalk.studies.paired.BETTER`.
    """
    check_number("mass", mass, low=0.5, high=0.999)
    a, b = reference.members, arm.members
    directions = {**BETTER, **(better or {})}
    keep = ~(a["failed"].to_numpy() | b["failed"].to_numpy())
    rows = []
    for name in _numeric_endpoints(a):
        if name not in b.columns:
            continue
        ref_values = a[name].astype(float).to_numpy()[keep]
        arm_values = b[name].astype(float).to_numpy()[keep]
        diff = arm_values - ref_values
        ratio = _ratio(ref_values, arm_values, mass)
        diff = diff[np.isfinite(diff)]
        if not len(diff):
            continue
        med, lo, hi = _quantiles(diff, mass)
        direction = directions.get(name, "")
        wins = (diff < 0) if direction == "lower" else (diff > 0)
        rows.append({"endpoint": name, "unit": _unit(name, units), "scenario": arm.scenario.name,
                     "reference": reference.scenario.name,
                     "point": _as_float(point_arm.get(name)) - _as_float(point_reference.get(name)),
                     "median": med, "lower95": lo, "upper95": hi,
                     "probability_better": float(wins.mean()) if direction else float("nan"),
                     "better": direction, "n": len(diff),
                     "ratio_point": _point_ratio(point_reference.get(name), point_arm.get(name)),
                     "ratio_median": ratio[0], "ratio_lower95": ratio[1], "ratio_upper95": ratio[2]})
    return pd.DataFrame(rows, columns=list(PAIRED_INTERVAL_COLUMNS))
