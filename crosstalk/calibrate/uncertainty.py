"""Every answer with its interval, and the uncertainties that decide it: scenarios run over one ensemble.

:func:`run_uncertainty` draws an :class:`~crosstalk.calibrate.ensemble.Ensemble` for the scenarios of some point
runs, conditions its members on the calibration data when asked, runs every scenario over it and summarises:
intervals of every endpoint, of each difference from the first scenario, and :func:`deciding_parameters`, the
uncertain quantities that decide each answer: Sobol indices from a sparse polynomial chaos expansion fitted on the
ensemble itself (its Latin hypercube is the design; :func:`crosstalk.studies.pce.pce_indices`), after a rank
screen, with the expansion's cross-validated Q2 saying whether to trust them. :func:`write_uncertainty` writes the
data files.

References
----------
Sudret B (2008) Global sensitivity analysis using polynomial chaos expansions. Reliab Eng Syst Saf 93:964.
doi:10.1016/j.ress.2007.04.002
Saltelli A et al. (2008) Global Sensitivity Analysis: The Primer. Wiley (screening before variance-based
analysis, ch. 3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from crosstalk.calibrate.ensemble import (
    Conditioning,
    Ensemble,
    EnsembleRun,
    ExtraOutputs,
    condition_members,
    draw_ensemble,
    endpoint_intervals,
    paired_intervals,
    run_ensemble,
)
from crosstalk.files import write_csv_atomic, write_json_atomic
from crosstalk.inputs import check_integer
from crosstalk.sim.result import Result
from crosstalk.studies.executors import RunFailure, local_executor
from crosstalk.studies.paired import BETTER
from crosstalk.studies.pce import pce_indices

__all__ = ["DECIDING_COLUMNS", "MIN_DECIDING", "MIN_INDEX", "Q2_TRUST", "UncertaintyResult", "answer_outputs",
           "deciding_parameters", "ranked", "run_uncertainty", "screen", "write_uncertainty"]

FloatArray = npt.NDArray[np.float64]
#: Fewest members for which the deciding parameters are ranked (with fewer, a 12-candidate expansion's
#: cross-validated Q2 can pass by chance: at 27 members one ranked a tumour-kill rate first for a heart risk).
MIN_DECIDING = 50

#: Below this cross-validated Q2 an expansion's ranking is not shown (:func:`ranked`).
Q2_TRUST = 0.5
#: Total-order indices below this are under the expansion's resolution and not shown (:func:`ranked`).
MIN_INDEX = 0.01


def ranked(deciding: pd.DataFrame, output: str) -> list[str] | None:
    """The deciding quantities of ``output`` worth showing, in order (None: its expansion is not to be trusted, Q2
    below :data:`Q2_TRUST`; the first is always kept, the others from a total-order index of :data:`MIN_INDEX`)."""
    rows = deciding[deciding["output"] == output].sort_values("rank")
    if rows.empty or not float(rows["q2"].iloc[0]) >= Q2_TRUST:
        return None
    return [str(r["parameter"]) for r in rows.to_dict("records") if r["rank"] == 1 or r["total_order"] >= MIN_INDEX]


#: Columns of :func:`deciding_parameters`.
DECIDING_COLUMNS = ("output", "rank", "parameter", "first_order", "total_order", "q2", "basis")


def screen(unit: FloatArray, y: FloatArray, keep: int) -> npt.NDArray[np.int64]:
    """The ``keep`` inputs most associated with ``y``: by the larger of the absolute Spearman correlations of ``y``
    with the input and with its distance from the middle of its range (which catches a U-shaped effect).

    Parameters
    ----------
    unit : ndarray
        The members' inputs on the unit hypercube, one row per member and one column per input.
    y : ndarray
        The output, one value per member.
    keep : int
        How many inputs to return.
    """
    ry = stats.rankdata(y)
    score = np.zeros(unit.shape[1])
    for j in range(unit.shape[1]):
        for x in (unit[:, j], np.abs(unit[:, j] - 0.5)):
            rho = np.corrcoef(stats.rankdata(x), ry)[0, 1]
            score[j] = max(score[j], abs(rho) if np.isfinite(rho) else 0.0)
    return np.asarray(np.argsort(-score)[:keep], dtype=np.int64)


def deciding_parameters(ensemble: Ensemble, outputs: Mapping[str, npt.ArrayLike], *, top: int = 3,
                        degree: int = 2, seed: int = 1) -> pd.DataFrame:
    """The ``top`` uncertain parameters that decide each output, by total-order Sobol index.

    A sparse expansion over every uncertain parameter would need more members than a report can afford (least-angle
    regression over ~150 inputs takes minutes even at degree 1), so the inputs are first screened (:func:`screen`:
    rank correlations on the ensemble's own Latin hypercube) to at most 12, or an eighth of the members, and the
    expansion is fitted on those. Its cross-validated Q2 is then the share of the output's variance the screened
    parameters explain: a low Q2 says the answer is spread over many parameters or decided by interactions.

    Parameters
    ----------
    ensemble : Ensemble
        The ensemble the outputs were computed on (its Latin hypercube is the expansion's design).
    outputs : mapping of str to array
        Output name -> one value per member (NaN for a failed member: left out).
    top : int
        Parameters kept per output.
    degree : int
        Total degree of the candidate basis (q-norm 0.5).
    seed : int
        Seed of the cross-validation folds.

    Returns
    -------
    DataFrame
        :data:`DECIDING_COLUMNS`, ``top`` rows per output that varies.

    Examples
    --------
    A known answer: of three uniform inputs, ``y = 4 x1 + x2`` is decided by x1, then x2.

    >>> import numpy as np
    >>> from crosstalk.spec.ranges import ParameterRange
    >>> unit = np.random.default_rng(0).random((80, 3))
    >>> e = Ensemble(tuple(ParameterRange(f"x{i}", 0, 1) for i in range(3)), {f"x{i}": "assumed: test" for i in
    ...              range(3)}, unit, 0)
    >>> deciding_parameters(e, {"y": 4 * unit[:, 0] + unit[:, 1]}, top=2)["parameter"].tolist()
    ['x0', 'x1']
    """
    check_integer("top", top, low=1, high=len(ensemble.ranges))
    rows = []
    for name, y in outputs.items():
        yy = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(yy)
        if ok.sum() < MIN_DECIDING or np.ptp(yy[ok]) == 0:
            continue
        kept = screen(ensemble.unit[ok], yy[ok], max(top, min(12, int(ok.sum()) // 8)))
        idx = pce_indices(ensemble.unit[ok][:, kept], yy[ok], degree=degree, q_norm=0.5, seed=seed)
        for rank, j in enumerate(np.argsort(-idx.ST)[:top], start=1):
            pid = ensemble.names[int(kept[j])]
            rows.append({"output": name, "rank": rank, "parameter": pid, "first_order": float(idx.S1[j]),
                         "total_order": float(idx.ST[j]), "q2": float(idx.q2), "basis": ensemble.bases[pid]})
    return pd.DataFrame(rows, columns=list(DECIDING_COLUMNS))



def answer_outputs(runs: Mapping[str, EnsembleRun], *, reference: str | None = None,
                   better: Mapping[str, str] | None = None) -> dict[str, FloatArray]:
    """The answers whose deciding parameters a report shows, one value per member: each continuous endpoint with
    a better direction (:data:`crosstalk.studies.paired.BETTER`) of a single run, or with a ``reference``, each
    other run's paired difference from it (``<endpoint> (<scenario> - <reference>)``).

    Parameters
    ----------
    runs : mapping of str to EnsembleRun
        Each scenario's run over the same ensemble, by scenario name.
    reference : str, optional
        The scenario the others are compared with (paired differences); none: each run's own endpoints.
    better : mapping of str to str, optional
        Further endpoints and their better direction (``"lower"`` or ``"higher"``) beside
        :data:`crosstalk.studies.paired.BETTER`.
    """
    out: dict[str, FloatArray] = {}
    for name, run in runs.items():
        m = run.members
        for endpoint in (e for e in {**BETTER, **(better or {})} if e in m.columns):
            y = m[endpoint].astype(float).to_numpy()
            if reference is None:
                out[endpoint] = y
            elif name != reference:
                out[f"{endpoint} ({name} - {reference})"] = y - runs[reference].members[endpoint].astype(float)\
                    .to_numpy()
    return out


@dataclass(frozen=True)
class UncertaintyResult:
    """Scenarios run over one ensemble, summarised (what ``--uncertainty`` writes and reports show).

    Attributes
    ----------
    ensemble : Ensemble
        The parameter sets.
    runs : mapping of str to EnsembleRun
        Each scenario's run over the ensemble, by scenario name (the first is the reference).
    intervals : DataFrame
        ``scenario`` then :data:`INTERVAL_COLUMNS`.
    differences : DataFrame or None
        :data:`PAIRED_INTERVAL_COLUMNS` of every other scenario against the first; None for one scenario.
    deciding : DataFrame
        :data:`DECIDING_COLUMNS` of each answer (:func:`answer_outputs`); empty below :data:`MIN_DECIDING` members.
    provenance : mapping
        Model, model hash and versions of the point run.
    values : DataFrame
        ``member``, every member's drawn quantities and, with conditioning, the re-solved parameters (NaN where
        conditioning failed).
    solved : tuple of str
        The parameters re-solved per member (none without conditioning).
    solved_along : tuple of str
        Those of ``solved`` re-fitted along with another quantity's re-fit rather than to a datum of their own
        (their quantity goes with another: :attr:`Conditioning.with_datum`).
    better : mapping of str to str
        The direction of benefit of the extra answers (e.g. ``ctrcd_incidence``: ``lower``).
    """

    ensemble: Ensemble
    runs: Mapping[str, EnsembleRun]
    intervals: pd.DataFrame
    differences: pd.DataFrame | None
    deciding: pd.DataFrame
    provenance: Mapping[str, Any]
    values: pd.DataFrame
    solved: tuple[str, ...] = ()
    better: Mapping[str, str] = field(default_factory=dict)
    solved_along: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        """Failed simulations over every scenario and member (members that could not be calibrated not counted)."""
        return sum(int((r.failures["stage"] == "simulation").sum()) for r in self.runs.values())

    @property
    def uncalibrated(self) -> int:
        """Members that could not be made consistent with the calibration data (left out of every scenario)."""
        first = next(iter(self.runs.values()))
        return int((first.failures["stage"] == "calibration").sum())

    def uncalibrated_by(self) -> dict[str, int]:
        """How many members each re-solved parameter could not be solved for, most first (read from the error's
        first field, which names the parameter; ``other`` for an error that names none)."""
        first = next(iter(self.runs.values()))
        errors = first.failures.loc[first.failures["stage"] == "calibration", "error"].astype(str)
        named = [next((f for f in e.split(": ")[:2] if f in self.solved), "other") for e in errors]
        return dict(Counter(named).most_common())


def run_uncertainty(results: Sequence[Result], n: int, *, seed: int, series: Sequence[str] = (),
                    conditioning: Conditioning | None = None, extra: ExtraOutputs | None = None,
                    workers: int | None = None, executor: Executor | None = None,
                    progress: bool = True) -> UncertaintyResult:
    """Run the scenarios of ``results`` (their point runs; the first is the reference) over one ensemble of ``n``
    parameter sets, and summarise: intervals, paired differences from the first, deciding parameters.

    Parameters
    ----------
    results : sequence of Result
        The runs at the tables' values (their endpoints are the point values).
    n : int
        Ensemble members (2-100000; the deciding parameters need at least :data:`MIN_DECIDING`).
    seed : int
        Seed of the ensemble's Latin hypercube and of the expansion's cross-validation.
    series : sequence of str
        Observables to keep for prediction bands.
    conditioning : Conditioning, optional
        Re-solves fitted parameters per member so each stays consistent with its calibration data (the
        command line passes :func:`crosstalk.validation.anchors.anchor_conditioning`).
    extra : ExtraOutputs, optional
        Answers computed per member beside the endpoints, and for the point runs (the command line passes the
        virtual population's heart incidences, :func:`crosstalk.validation.population_heart.heart_incidences`).
    workers, executor, progress
        As for :func:`run_ensemble`; without an executor, one local pool serves every scenario.
    """
    if executor is None:
        with local_executor(workers) as pool:
            return run_uncertainty(results, n, seed=seed, series=series, conditioning=conditioning, extra=extra,
                                   executor=pool, progress=progress)
    scenarios = [r.scenario for r in results]
    ensemble = draw_ensemble(scenarios[0], n, seed=seed, also=scenarios[1:], conditioning=conditioning)
    # what every scenario sets alike is part of the model each member is re-calibrated on
    given = {k: v for k, v in scenarios[0].parameters.items() if all(s.parameters.get(k) == v for s in scenarios)}
    member_values = None if conditioning is None else condition_members(ensemble, conditioning,
                                                                         executor=executor, progress=progress,
                                                                         given=given)
    runs = {s.name: run_ensemble(s, ensemble, series=series, values=member_values, extra=extra,
                                 executor=executor, progress=progress) for s in scenarios}
    units, better = (extra.units, extra.better) if extra is not None else ({}, {})
    points = [{**r.endpoints, **(extra.of(r.scenario, {}) if extra is not None else {})} for r in results]
    intervals = pd.concat([endpoint_intervals(runs[r.scenario.name], p, units=units).assign(scenario=r.scenario.name)
                           for r, p in zip(results, points)], ignore_index=True)
    intervals.insert(0, "scenario", intervals.pop("scenario"))
    reference = scenarios[0].name if len(scenarios) > 1 else None
    differences = None if reference is None else pd.concat(
        [paired_intervals(runs[reference], runs[r.scenario.name], point_reference=points[0], point_arm=p,
                          units=units, better=better) for r, p in zip(results[1:], points[1:])], ignore_index=True)
    outputs = answer_outputs(runs, reference=reference, better=better)
    provenance: dict[str, Any] = {k: results[0].provenance[k] for k in ("model", "model_sha256", "versions")
                  if k in results[0].provenance}
    values = ensemble.values()
    solved = sorted({conditioning.solves[r.name] for r in ensemble.ranges if r.name in conditioning.solves}
                    if conditioning is not None else set())
    along = sorted({conditioning.solves[r.name] for r in ensemble.ranges
                    if r.name in conditioning.solves and r.name in conditioning.with_datum}
                   if conditioning is not None else set())
    if member_values is not None:
        for pid in solved:
            values[pid] = [np.nan if isinstance(v, RunFailure) else v.get(pid, np.nan) for v in member_values]
    values.insert(0, "member", np.arange(ensemble.n))
    return UncertaintyResult(ensemble=ensemble, runs=runs, intervals=intervals, differences=differences,
                             deciding=deciding_parameters(ensemble, outputs, seed=seed), provenance=provenance,
                             values=values, solved=tuple(solved), better=dict(better), solved_along=tuple(along))


def write_uncertainty(outdir: str | Path, result: UncertaintyResult) -> list[Path]:
    """Write an ensemble's data beside a run's files (each atomically): ``endpoints_uncertainty.csv``
    (:data:`INTERVAL_COLUMNS`, with a ``scenario`` column first), ``differences_uncertainty.csv`` (with more than one
    scenario), ``deciding_parameters.csv``, ``ensemble_parameters.csv`` (member, drawn values and re-solved parameters),
    ``ensemble_endpoints.csv`` (scenario, member and endpoints) and ``uncertainty.json`` (n, seed, failed members,
    every uncertain parameter's distribution and basis, and the provenance)."""
    out = Path(outdir)
    ensemble, runs = result.ensemble, result.runs
    written = [write_csv_atomic(out / "endpoints_uncertainty.csv", result.intervals, index=False)]
    if result.differences is not None:
        written.append(write_csv_atomic(out / "differences_uncertainty.csv", result.differences, index=False))
    written.append(write_csv_atomic(out / "deciding_parameters.csv", result.deciding, index=False))
    written.append(write_csv_atomic(out / "ensemble_parameters.csv", result.values, index=False))
    endpoints = pd.concat([r.members.assign(scenario=name) for name, r in runs.items()], ignore_index=True)
    endpoints.insert(0, "scenario", endpoints.pop("scenario"))
    written.append(write_csv_atomic(out / "ensemble_endpoints.csv", endpoints, index=False))
    meta = {"n": ensemble.n, "seed": ensemble.seed,
            "failed": {name: int(r.members["failed"].sum()) for name, r in runs.items()},
            "errors": {name: r.failures.to_dict("records") for name, r in runs.items() if len(r.failures)},
            "parameters": [{"id": r.name, "distribution": r.describe(), "basis": ensemble.bases[r.name]}
                           for r in ensemble.ranges],
            "solved_per_member": list(result.solved),
            "provenance": dict(result.provenance)}
    written.append(write_json_atomic(out / "uncertainty.json", meta))
    return written
