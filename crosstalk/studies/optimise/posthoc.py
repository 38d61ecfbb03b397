"""After the search: what the front means, each step a function that ``run_optimisation`` calls explicitly.

* :func:`benefit_drivers`: which patients benefit (no new simulations).
* :func:`front_uncertainty` (:func:`with_uncertainty`): which uncertain model parameters could reorder the front.
* :func:`front_holdout` (:func:`with_holdout`): the chosen prescriptions on new virtual patients.

The front is chosen, and its intervals computed, on the same patients, so its benefits are optimistic: the
prescriptions that won were partly lucky on those patients (the winner's curse; selection bias). With
``holdout_patients > 0`` the chosen prescriptions and sedentary care are re-run on that many *new* virtual
patients (an independent seeded stream) and :func:`front_holdout` reports the benefit there (``holdout.csv``):
the estimate to quote.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from crosstalk.errors import InputError
from crosstalk.sim.simulator import endpoints_of
from crosstalk.spec.scenario import apply_values
from crosstalk.studies.cohort import cohort_scenario, sample_cohort
from crosstalk.studies.executors import RunFailure, run_many
from crosstalk.studies.optimise.search import (
    FloatArray,
    OptimisationResult,
    Prescribe,
    bootstrap_interval,
    chosen_prescriptions,
    run_stand_in,
)
from crosstalk.studies.optimise.spec import OptimisationSpec, prescribe

log = logging.getLogger(__name__)

__all__ = ["benefit_drivers", "front_holdout", "front_uncertainty", "holdout_cohort", "holdout_seed",
           "with_holdout", "with_uncertainty"]


def benefit_drivers(result: OptimisationResult) -> pd.DataFrame:
    """Which patients benefit: for each chosen prescription and objective, Spearman's rank correlation between
    each population parameter and the patients' benefit over sedentary care (their own outcome with sedentary
    care minus with the prescription, signed so that positive is better). No new simulations: the search already
    ran every prescription and sedentary care on the same patients.

    Returns
    -------
    DataFrame
        ``prescription, why, objective, parameter, spearman_rho, p_value, mean_benefit`` (empty for stand-ins).
    """
    from scipy.stats import spearmanr

    columns = ["prescription", "why", "objective", "parameter", "spearman_rho", "p_value", "mean_benefit"]
    if not len(result.sedentary_outputs):
        return pd.DataFrame(columns=columns)
    spec = result.spec
    params = [c for c in result.patients.columns if c != "patient" and result.patients[c].nunique() > 1]
    evaluations = result.evaluations
    rows: list[dict[str, Any]] = []
    for pick in chosen_prescriptions(result).to_dict("records"):
        mine = evaluations[evaluations.candidate == pick["candidate"]].sort_values("patient")
        for o in spec.objectives:
            sign = o.sign
            benefit = sign * (result.sedentary_outputs[o.output].to_numpy(dtype=float)
                              - mine[o.output].to_numpy(dtype=float))
            if np.ptp(benefit[np.isfinite(benefit)]) == 0:
                continue
            for prm in params:
                rho, p_value = spearmanr(result.patients[prm].to_numpy(dtype=float), benefit, nan_policy="omit")
                rows.append({"prescription": pick["prescription"], "why": pick["why"], "objective": o.label,
                             "parameter": prm, "spearman_rho": float(rho), "p_value": float(p_value),
                             "mean_benefit": float(np.nanmean(benefit))})
    return pd.DataFrame(rows, columns=columns)


def front_uncertainty(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                      progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which uncertain model parameters could reorder the front: the chosen prescriptions and sedentary care,
    re-run on the base scenario's patient for ``spec.uncertain_n`` seeded Latin-hypercube draws of the spec's
    ``[[uncertain]]`` ranges (the same draws for every prescription).

    Parameters
    ----------
    result : OptimisationResult
        A finished optimisation.
    executor : Executor, optional
        Where to run (a local pool or a Dask client).
    workers : int, optional
        Worker processes of the default executor.
    progress : bool
        Show a progress bar.

    Returns
    -------
    per_parameter, summary : DataFrame
        See :attr:`OptimisationResult.uncertainty` and :attr:`OptimisationResult.uncertainty_summary`.
    """
    import pydoe
    from scipy.stats import spearmanr

    spec = result.spec
    chosen = _chosen_exercising(result)
    if chosen.empty:
        return pd.DataFrame(), pd.DataFrame()
    unit = pydoe.lhs(len(spec.uncertain), samples=spec.uncertain_n, seed=spec.seed)
    draws = pd.DataFrame({r.name: r.from_unit(unit[:, j]) for j, r in enumerate(spec.uncertain)})
    arms = [replace(spec.base_scenario, exercise=())] + [
        prescribe(spec.base_scenario, {d.name: row[d.name] for d in spec.decisions})
        for row in chosen.to_dict("records")]
    nominal = [endpoints_of(arm) for arm in arms]
    jobs = [apply_values(arm, values) for arm in arms for values in draws.to_dict("records")]
    runs = run_many(jobs, endpoints_of, executor=executor, workers=workers, progress=progress,
                    desc=f"{spec.name} uncertain parameters")
    n = spec.uncertain_n

    def column(arm: int, output: str) -> FloatArray:
        return np.array([float("nan") if isinstance(r, RunFailure) else float(r[output])
                         for r in runs[arm * n:(arm + 1) * n]])

    per_parameter, summary = [], []
    for o in spec.objectives:
        sign = o.sign
        values = np.column_stack([column(k, o.output) for k in range(1, len(arms))])  # draws x prescriptions
        nominal_order = np.argsort([sign * float(nominal[k][o.output]) for k in range(1, len(arms))], kind="stable")
        kept = float(np.mean([np.array_equal(np.argsort(sign * row, kind="stable"), nominal_order)
                              for row in values if np.all(np.isfinite(row))])) if len(arms) > 2 else float("nan")
        sedentary = column(0, o.output)
        for k, row in enumerate(chosen.to_dict("records")):
            benefit = sign * (sedentary - values[:, k])
            nominal_benefit = sign * (float(nominal[0][o.output]) - float(nominal[k + 1][o.output]))
            finite = np.isfinite(benefit)
            summary.append({"why": row["why"], "prescription": row["prescription"], "objective": o.label,
                            "nominal_benefit": nominal_benefit, "median_benefit": float(np.median(benefit[finite])),
                            "benefit_p05": float(np.quantile(benefit[finite], 0.05)),
                            "benefit_p95": float(np.quantile(benefit[finite], 0.95)),
                            "fraction_benefit": float(np.mean(benefit[finite] > 0)), "order_kept": kept})
            if np.ptp(benefit[finite]) == 0:
                continue
            for r in spec.uncertain:
                rho, p_value = spearmanr(draws[r.name].to_numpy(dtype=float), benefit, nan_policy="omit")
                per_parameter.append({"why": row["why"], "prescription": row["prescription"], "objective": o.label,
                                      "parameter": r.name, "spearman_rho": float(rho), "p_value": float(p_value)})
    return pd.DataFrame(per_parameter), pd.DataFrame(summary)


def holdout_seed(spec: OptimisationSpec) -> int:
    """Seed of the holdout patients.

    Parameters
    ----------
    spec : OptimisationSpec

    Returns
    -------
    int
        A 32-bit seed drawn from ``SeedSequence([spec.seed, 3])``: a stream of its own, independent of the
        search's patients (drawn with ``spec.seed``) and of the bootstrap streams.
    """
    return int(np.random.SeedSequence([spec.seed, 3]).generate_state(1)[0])


def _require_holdout(spec: OptimisationSpec) -> None:
    if not spec.holdout_patients:
        raise InputError("holdout_patients", spec.holdout_patients, "an integer in [1, 10000] for a holdout")


def holdout_cohort(spec: OptimisationSpec) -> pd.DataFrame:
    """The new virtual patients of :func:`front_holdout`.

    Parameters
    ----------
    spec : OptimisationSpec

    Returns
    -------
    DataFrame
        ``spec.holdout_patients`` rows, one column per population parameter: a Latin hypercube over the base
        scenario's population (as the search's patients) seeded by :func:`holdout_seed`.

    Raises
    ------
    InputError
        If ``spec.holdout_patients`` is 0.
    """
    _require_holdout(spec)
    return sample_cohort(cohort_scenario(spec.base_scenario), spec.holdout_patients, seed=holdout_seed(spec))


def _chosen_exercising(result: OptimisationResult) -> pd.DataFrame:
    """The chosen prescriptions without sedentary care (the reference arm, never a prescription to re-run)."""
    chosen = chosen_prescriptions(result)
    chosen = chosen[chosen.get("exercise.sessions_per_week", pd.Series(1, index=chosen.index)) != 0]
    return chosen.reset_index(drop=True)


def front_holdout(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                  progress: bool = True, prescribe_fn: Prescribe | None = None) -> pd.DataFrame:
    """The chosen prescriptions and sedentary care on ``spec.holdout_patients`` new virtual patients.

    The search picks the front on its own patients, and a prescription that looks best there was partly lucky on
    them, so its in-sample benefit is biased upwards (selection bias, the "winner's curse"; Cawley & Talbot
    2010). The same prescriptions on patients that took no part in the choice give estimates free of that
    selection bias, with bootstrap intervals over those patients.

    Parameters
    ----------
    result : OptimisationResult
        A finished search (:func:`~crosstalk.studies.optimise.run_optimisation`); its spec's ``holdout_patients``
        must be at least 1.
    executor, workers, progress
        As for :func:`~crosstalk.studies.optimise.run_optimisation`.
    prescribe_fn : callable, optional
        The search's stand-in (known-answer tests): the holdout patients are then ``{"patient": i}`` with
        ``i = spec.patients, ..., spec.patients + holdout_patients - 1``, and there is no sedentary arm.

    Returns
    -------
    DataFrame
        One row per chosen prescription (sedentary care excluded) and objective: ``why, prescription, candidate``,
        the decisions, ``objective, in_sample, holdout, holdout_low, holdout_high``; against sedentary care on
        the holdout patients (paired: the same patients in both arms), ``in_sample_vs_sedentary,
        holdout_sedentary, holdout_vs_sedentary, holdout_vs_sedentary_low, holdout_vs_sedentary_high,
        holdout_beats_sedentary``; ``in_sample_rank`` and ``holdout_rank`` (1 = best of the chosen prescriptions
        on that objective); ``patients`` and ``failed``. Statistics use the patients whose simulations
        succeeded in every arm (common patients, as in the search); ``failed`` counts the others.

    Raises
    ------
    InputError
        If ``spec.holdout_patients`` is 0.

    References
    ----------
    Cawley GC, Talbot NLC (2010) On over-fitting in model selection and subsequent selection bias in performance
    evaluation. J Mach Learn Res 11:2079-2107.
    """
    spec = result.spec
    _require_holdout(spec)
    chosen = _chosen_exercising(result)
    if chosen.empty:
        return pd.DataFrame()
    outputs = sorted({o.output for o in spec.objectives})
    decisions = [{d.name: row[d.name] for d in spec.decisions} for row in chosen.to_dict("records")]
    runs: list[Any]
    if prescribe_fn is not None:
        patients = [{"patient": float(spec.patients + i)} for i in range(spec.holdout_patients)]
        runs = run_many([(prescribe_fn, d, p) for d in decisions for p in patients], run_stand_in, executor=executor,
                        workers=workers, progress=progress, desc=f"{spec.name} holdout patients")
    else:
        records = holdout_cohort(spec).to_dict("records")
        arms = [replace(spec.base_scenario, exercise=())] + [prescribe(spec.base_scenario, d) for d in decisions]
        runs = run_many([apply_values(arm, p) for arm in arms for p in records], endpoints_of, executor=executor,
                        workers=workers, progress=progress, desc=f"{spec.name} holdout patients")
    n = spec.holdout_patients
    table = np.array([[float("nan")] * len(outputs) if isinstance(r, RunFailure) else
                      [float(r[o]) for o in outputs] for r in runs]).reshape(-1, n, len(outputs))
    sedentary = table[0] if prescribe_fn is None else None
    mine = table[1:] if prescribe_fn is None else table
    ok = np.isfinite(table).all(axis=(0, 2))  # patients complete in every arm and output: common patients
    if not ok.all():
        log.warning("%s: %d of %d holdout patients failed in some arm; left out of every holdout statistic",
                    spec.name, int(n - ok.sum()), n)
    rng = np.random.default_rng([spec.seed, 4])  # its own stream: resamples of the complete holdout patients
    keep = np.flatnonzero(ok)
    draws = keep[rng.integers(0, keep.size, size=(spec.n_boot, keep.size))] if spec.n_boot and keep.size \
        else np.empty((0, keep.size), dtype=int)
    rows: list[dict[str, Any]] = []
    for o in spec.objectives:
        j = outputs.index(o.output)
        for k, pick in enumerate(chosen.to_dict("records")):
            y = mine[k, :, j]
            row: dict[str, Any] = {"why": pick["why"], "prescription": pick["prescription"],
                                   "candidate": pick["candidate"], **{d.name: pick[d.name] for d in spec.decisions},
                                   "objective": o.label, "in_sample": float(pick[o.label]),
                                   "holdout": o.value(y[keep]) if keep.size else float("nan")}
            row["holdout_low"], row["holdout_high"] = bootstrap_interval(np.array([o.value(y[r]) for r in draws]))
            if sedentary is not None:
                ref = sedentary[:, j]
                row["in_sample_vs_sedentary"] = float(pick.get(f"{o.label}_vs_sedentary", float("nan")))
                row["holdout_sedentary"] = o.value(ref[keep]) if keep.size else float("nan")
                row["holdout_vs_sedentary"] = row["holdout"] - row["holdout_sedentary"]
                row["holdout_vs_sedentary_low"], row["holdout_vs_sedentary_high"] = bootstrap_interval(
                    np.array([o.value(y[r]) - o.value(ref[r]) for r in draws]))
                row["holdout_beats_sedentary"] = float(np.mean(o.sign * y[keep] < o.sign * ref[keep])) \
                    if keep.size else float("nan")
            row.update(patients=n, failed=int(n - keep.size))
            rows.append(row)
    out = pd.DataFrame(rows)
    for o in spec.objectives:
        part = out[out.objective == o.label]
        out.loc[part.index, "in_sample_rank"] = (o.sign * part.in_sample).rank(method="min").to_numpy()
        out.loc[part.index, "holdout_rank"] = (o.sign * part.holdout).rank(method="min").to_numpy()
    return out



def with_uncertainty(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                     progress: bool = True) -> OptimisationResult:
    """``result`` with :func:`front_uncertainty`'s tables and its simulation count in the provenance.

    Parameters
    ----------
    result : OptimisationResult
        A finished search on the model (not a stand-in) whose spec has ``[[uncertain]]`` ranges.
    executor, workers, progress
        As for :func:`~crosstalk.studies.optimise.run_optimisation`.

    Returns
    -------
    OptimisationResult
    """
    per_parameter, summary = front_uncertainty(result, executor=executor, workers=workers, progress=progress)
    simulations = result.spec.uncertain_n * (len(_chosen_exercising(result)) + 1) if len(summary) else 0
    return replace(result, uncertainty=per_parameter, uncertainty_summary=summary,
                   provenance={**result.provenance, "uncertainty_simulations": simulations})


def with_holdout(result: OptimisationResult, *, executor: Executor | None = None, workers: int | None = None,
                 progress: bool = True, prescribe_fn: Prescribe | None = None) -> OptimisationResult:
    """``result`` with :func:`front_holdout`'s table, and the holdout's size, seed and simulation count in the
    provenance.

    Parameters
    ----------
    result : OptimisationResult
        A finished search whose spec's ``holdout_patients`` is at least 1.
    executor, workers, progress, prescribe_fn
        As for :func:`front_holdout`.

    Returns
    -------
    OptimisationResult

    Raises
    ------
    InputError
        If ``spec.holdout_patients`` is 0.
    """
    spec = result.spec
    holdout = front_holdout(result, executor=executor, workers=workers, progress=progress, prescribe_fn=prescribe_fn)
    simulations = spec.holdout_patients * (holdout.candidate.nunique() + (prescribe_fn is None)) if len(holdout) \
        else 0
    return replace(result, holdout=holdout, provenance={
        **result.provenance, "holdout_patients": spec.holdout_patients, "holdout_seed": holdout_seed(spec),
        "holdout_simulations": simulations})
