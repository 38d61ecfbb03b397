"""Fit a PEtab problem with pyPESTO: multistart local optimisation from a Latin hypercube in the parameters' (log10)
scale, then a profile likelihood of every estimated parameter, its 95 % interval and what it says about
identifiability.

The objective is pyPESTO's RoadRunner route (``simulator_type="roadrunner"``: no compilation; gradients by central
finite differences, :class:`pypesto.objective.FD`). AMICI, with forward sensitivities, is not used yet. A
measurement table whose noise varies between time points is split into one observable per noise level by PEtab's
own ``flatten_timepoint_specific_output_overrides`` before the objective is built (pyPESTO's mapping needs it).

Profile intervals use the chi-square threshold: a parameter's 95 % interval is where the likelihood ratio to the
optimum stays above exp(-3.84/2) (Raue A et al. (2009) Bioinformatics 25:1923, doi:10.1093/bioinformatics/btp358).
Identifiability from the profile: ``structurally_non_identifiable`` when it is flat (-2 log ratio below 0.02)
over the whole search range or over more than a factor of 2 of the parameter (a valley along which another
parameter compensates, closed only by that parameter's bounds); else ``identifiable`` when it crosses the
threshold on both sides within the bounds, ``practically_non_identifiable`` when a side stays open.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import petab.v1 as petab
import pypesto
import pypesto.optimize
import pypesto.petab
import pypesto.profile
from pypesto.C import ROADRUNNER_SIMULATION
from pypesto.objective import FD
from pypesto.objective.roadrunner import SolverOptions
from pypesto.startpoint import LatinHypercubeStartpoints

from crosstalk.errors import InputError
from crosstalk.files import write_csv_atomic
from crosstalk.inputs import check_integer, check_number
from crosstalk.sim.result import versions
from crosstalk.studies.rundir import open_run, read_frame, read_provenance, read_run, write_provenance

__all__ = ["FILES", "IDENTIFIABILITY", "KIND", "FitResult", "fit_problem", "load_problem", "read_fit"]

KIND = "fit"
FILES = ("estimates.csv", "starts.csv", "profiles.csv", "fitted.csv", "provenance.json")
IDENTIFIABILITY = ("identifiable", "practically_non_identifiable", "structurally_non_identifiable")
#: Likelihood ratio to the optimum at the edge of the 95 % profile interval (chi-square, 1 degree of freedom).
THRESHOLD_RATIO = float(pypesto.profile.chi2_quantile_to_ratio(0.95))
#: A flat stretch of a profile wider than this (in the parameter's scale: log10(2), a factor of 2) is a valley
#: along which other parameters compensate.
FLAT_SPAN = math.log10(2.0)
#: CVODE settings of the objective: tight enough that finite-difference gradients are not solver noise.
RTOL = 1e-8
ATOL = 1e-12


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit_problem` found.

    Attributes
    ----------
    estimates : DataFrame
        ``parameter, estimate, lower95, upper95, identifiability, lower_open, upper_open, lower_bound,
        upper_bound, scale`` (values on the linear scale; a side the profile never closed is ``*_open`` and its
        value is where the profile stopped, the search bound at most).
    starts : DataFrame
        ``start, fval, converged`` and each parameter's value (linear scale), best first: the waterfall.
    profiles : DataFrame
        ``parameter, value, ratio``: each profile's path (likelihood ratio to the optimum).
    fitted : DataFrame
        The measurement table with the best fit's ``simulation`` beside each ``measurement``.
    provenance : dict
        Seed, starts, wall time, versions, the problem's hash.
    """

    estimates: pd.DataFrame
    starts: pd.DataFrame
    profiles: pd.DataFrame
    fitted: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)


def load_problem(path: str | Path) -> petab.Problem:
    """A PEtab problem from its YAML file, as pyPESTO's RoadRunner route takes it (time-point-specific noise
    flattened into observables)."""
    problem = _read_problem(path)
    _flatten(problem)
    return problem


def _problem_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError("problem", str(path), "a PEtab problem.yaml (crosstalk petab writes one)")
    return path


def _read_problem(path: str | Path) -> petab.Problem:
    path = _problem_file(path)
    try:
        problem = petab.Problem.from_yaml(str(path))
    except (OSError, ValueError, KeyError) as err:
        raise InputError("problem", str(path), f"a readable PEtab problem ({err})") from None
    if petab.lint.lint_problem(problem):
        raise InputError("problem", str(path), "a problem petablint accepts (run petablint on it for the errors)")
    if "objectivePriorType" in problem.parameter_df and problem.parameter_df["objectivePriorType"].notna().any():
        raise InputError("problem", str(path), "a problem without objective priors (not supported yet)")
    return problem


def _flatten(problem: petab.Problem) -> None:
    petab.flatten_timepoint_specific_output_overrides(problem)
    _safe_observable_ids(problem)


def _safe_observable_ids(problem: petab.Problem) -> None:
    """Rename the observables flattening made (``obs_x__5e-05__cond`` is no identifier: ``str`` of the noise
    value) to ``<observable>__<k>``, in the observable and measurement tables alike."""
    renames: dict[str, str] = {}
    for k, old in enumerate(problem.observable_df.index):
        if "__" in str(old):
            renames[str(old)] = f"{str(old).split('__')[0]}__{k}"
    if not renames:
        return
    table = problem.observable_df.reset_index()
    for column in ("observableFormula", "noiseFormula"):
        table[column] = [_replace_all(str(f), renames) for f in table[column]]
    table["observableId"] = table["observableId"].map(lambda o: renames.get(o, o))
    problem.observable_df = table.set_index("observableId")
    problem.measurement_df["observableId"] = problem.measurement_df["observableId"].map(lambda o: renames.get(o, o))


def _replace_all(text: str, renames: Mapping[str, str]) -> str:
    for old in sorted(renames, key=len, reverse=True):  # longest first: no id is a prefix of a longer one's rename
        text = text.replace(old, renames[old])
    return text


def problem_hash(path: str | Path) -> str:
    """Hash of a PEtab problem: its YAML and every file the YAML names, and the versions that compute the fit."""
    path = Path(path)
    config = petab.yaml.load_yaml(str(path))
    names = [config.get("parameter_file")]
    for part in config.get("problems", []):
        for key in ("sbml_files", "condition_files", "measurement_files", "observable_files"):
            names += part.get(key, [])
    digest = hashlib.sha256(path.read_bytes())
    for name in (n for n in names if n):
        file = path.parent / str(name)
        digest.update(str(name).encode() + b"\0" + (file.read_bytes() if file.exists() else b""))
    digest.update(repr(sorted(versions().items())).encode() + pypesto.__version__.encode())
    return digest.hexdigest()


def objective_problem(problem: petab.Problem) -> pypesto.Problem:
    """pyPESTO's problem of a PEtab problem, on RoadRunner with :data:`RTOL` and finite-difference gradients."""
    importer = pypesto.petab.PetabImporter(problem, simulator_type="roadrunner")
    pproblem = importer.create_problem()
    base = pproblem.objective
    base.solver_options = SolverOptions(relative_tolerance=RTOL, absolute_tolerance=ATOL, maximum_num_steps=100_000)
    pproblem.objective = FD(base, grad=True, hess=False, method="central")
    return pproblem


def fit_problem(path: str | Path, *, starts: int = 20, seed: int = 1, profiles: bool = True,
                profile_step: float | None = None, outdir: str | Path | None = None, force: bool = False) -> FitResult:
    """Fit the PEtab problem at ``path`` (its ``problem.yaml``).

    Parameters
    ----------
    path : str or Path
        The problem's YAML file.
    starts : int
        Local optimisations (L-BFGS-B), each from a point of a Latin hypercube over the bounds (scaled).
    seed : int
        Seed of the start points.
    profiles : bool
        Profile every estimated parameter (intervals and identifiability); without, intervals are NaN.
    profile_step : float, optional
        A fixed profile step in the parameters' scale (0.05: a twentieth of a decade). Default: pyPESTO's adaptive
        step, which resolves narrow intervals but can take hundreds of steps along a flat (non-identifiable)
        profile (measured: 139 steps, 114 s, for a release rate and its reference intensity; 32 steps, 37 s, with
        0.05).
    outdir : str or Path, optional
        A run directory to write (``manifest.json``, ``estimates.csv``, ``starts.csv``, ``profiles.csv``,
        ``fitted.csv``, ``provenance.json``); a finished fit of the same problem, seed and starts there is read
        back instead of fitted again.
    force : bool
        Replace what ``outdir`` holds.

    Raises
    ------
    InputError
        An unreadable problem, a bad ``starts`` or ``seed``, or an ``outdir`` holding something else.
    """
    path = _problem_file(path)
    check_integer("starts", starts, low=1, high=100_000)
    check_integer("seed", seed, low=0, high=2**32 - 1)
    if profile_step is not None:
        check_number("profile_step", profile_step, low=0.0, high=0.2, low_open=True)
    if "libsedml" in sys.modules:
        return _fit_elsewhere(path, starts=starts, seed=seed, profiles=profiles, profile_step=profile_step,
                              outdir=outdir, force=force)
    t0 = time.perf_counter()
    spec_hash = hashlib.sha256(f"{problem_hash(path)}|{starts}|{seed}|{profiles}|{profile_step}".encode()).hexdigest()
    run = None
    if outdir is not None:
        if not force and (Path(outdir) / "estimates.csv").exists():
            try:
                done = read_fit(outdir)
            except InputError:
                done = None
            if done is not None and done.provenance.get("spec_hash") == spec_hash:
                return done
        run = open_run(outdir, kind=KIND, spec_hash=spec_hash, force=force,
                       manifest={"problem": str(Path(path).resolve()), "starts": starts, "seed": seed,
                                 "profiles": profiles, "versions": versions()}, chunks=False, resumable=False)
    problem = _read_problem(path)
    measurements = problem.measurement_df.copy()  # the problem's own table, before flattening renames its rows
    _flatten(problem)
    pproblem = objective_problem(problem)
    optimizer = pypesto.optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxiter": 500})
    np.random.seed(seed)  # pyPESTO's start points draw from numpy's global generator
    pproblem.startpoint_method = LatinHypercubeStartpoints(use_guesses=False)
    with _solver_log_hidden():
        result = pypesto.optimize.minimize(pproblem, optimizer=optimizer, n_starts=starts, progress_bar=False)
        if profiles:
            if profile_step is None:
                options, guess = pypesto.profile.ProfileOptions(whole_path=False), "adaptive_step_order_1"
            else:
                options = pypesto.profile.ProfileOptions(whole_path=False, default_step_size=profile_step)
                guess = "fixed_step"
            pypesto.profile.parameter_profile(pproblem, result, optimizer, progress_bar=False,
                                              profile_options=options, next_guess_method=guess)
        fitted = _fitted(measurements, problem, pproblem, result)
    out = FitResult(_estimates(pproblem, result, profiles), _starts(pproblem, result),
                    _profiles(pproblem, result) if profiles else pd.DataFrame(columns=["parameter", "value", "ratio"]),
                    fitted,
                    {"seed": seed, "starts": starts, "profiles": profiles, "spec_hash": spec_hash,
                     "optimizer": "scipy L-BFGS-B, central finite differences", "simulator": "roadrunner",
                     "rtol": RTOL, "atol": ATOL, "best_fval": float(result.optimize_result.list[0]["fval"]),
                     "wall_time_s": round(time.perf_counter() - t0, 2), "versions": versions()})
    if run is not None:
        write_fit(out, run.path)
    return out


def _fit_elsewhere(path: str | Path, *, starts: int, seed: int, profiles: bool, profile_step: float | None,
                   outdir: str | Path | None, force: bool) -> FitResult:
    """The fit in a fresh interpreter (``crosstalk fit``), read back from its run directory. Once python-libsedml is
    imported (tellurium, crosstalk.export's SED-ML), libSBML hands out libSEDML's classes for some objects and
    petab's parameter mapping fails ('ASTNode' object has no attribute 'getMath'); a process without it fits."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(outdir) if outdir is not None else Path(tmp) / "fit"
        command = [sys.executable, "-m", "crosstalk", "fit", str(path), "--starts", str(starts), "--seed", str(seed),
                   "--out", str(target), *(["--no-profiles"] if not profiles else []),
                   *(["--profile-step", repr(profile_step)] if profile_step is not None else []),
                   *(["--force"] if force else [])]
        done = subprocess.run(command, capture_output=True, encoding="utf-8")
        if done.returncode != 0:
            raise InputError("problem", str(path), "a problem a fresh `crosstalk fit` can fit; it said: "
                             + (done.stderr.strip().splitlines() or ["nothing"])[-1])
        return read_fit(target)


@contextlib.contextmanager
def _solver_log_hidden() -> Iterator[None]:
    """CVODE's 't + h = t' notices at every schedule event go to the process's stdout from C (roadrunner's log
    level does not reach them); hide that file descriptor while the objective runs, restore it after."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w", encoding="utf-8") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _names(pproblem: pypesto.Problem) -> list[str]:
    return [pproblem.x_names[i] for i in pproblem.x_free_indices]


def _scales(pproblem: pypesto.Problem) -> list[str]:
    return [pproblem.x_scales[i] for i in pproblem.x_free_indices]


def _linear(value: float, scale: str) -> float:
    return float(10.0**value if scale == "log10" else math.exp(value) if scale == "log" else value)


def _starts(pproblem: pypesto.Problem, result: pypesto.Result) -> pd.DataFrame:
    names, scales = _names(pproblem), _scales(pproblem)
    rows = []
    for r in result.optimize_result.list:
        x = np.asarray(r["x"])[pproblem.x_free_indices] if r["x"] is not None else [np.nan] * len(names)
        rows.append({"start": r["id"], "fval": float(r["fval"]), "converged": r["exitflag"] == 0,
                     **{n: _linear(float(v), s) for n, v, s in zip(names, x, scales)}})
    return pd.DataFrame(rows)


def _profiles(pproblem: pypesto.Problem, result: pypesto.Result) -> pd.DataFrame:
    rows = []
    for k, (name, scale) in enumerate(zip(_names(pproblem), _scales(pproblem))):
        prof = result.profile_result.list[0][pproblem.x_free_indices[k]]
        if prof is None:
            continue
        path = np.asarray(prof.x_path)[pproblem.x_free_indices[k]]
        rows += [{"parameter": name, "value": _linear(float(v), scale), "ratio": float(r)}
                 for v, r in sorted(zip(path, prof.ratio_path))]
    return pd.DataFrame(rows, columns=["parameter", "value", "ratio"])


def _estimates(pproblem: pypesto.Problem, result: pypesto.Result, profiled: bool) -> pd.DataFrame:
    best = np.asarray(result.optimize_result.list[0]["x"])
    rows = []
    for k, (name, scale) in enumerate(zip(_names(pproblem), _scales(pproblem))):
        i = pproblem.x_free_indices[k]
        lb, ub = float(pproblem.lb_full[i]), float(pproblem.ub_full[i])
        row = {"parameter": name, "estimate": _linear(float(best[i]), scale), "lower95": np.nan, "upper95": np.nan,
               "identifiability": "", "lower_open": False, "upper_open": False,
               "lower_bound": _linear(lb, scale), "upper_bound": _linear(ub, scale), "scale": scale}
        prof = result.profile_result.list[0][i] if profiled and result.profile_result.list else None
        if prof is not None:
            xs = np.asarray(prof.x_path)[i]
            ratios = np.asarray(prof.ratio_path)
            low, high = pypesto.profile.calculate_approximate_ci(xs, ratios, THRESHOLD_RATIO)
            row["lower95"], row["upper95"] = _linear(low, scale), _linear(high, scale)
            below = ratios < THRESHOLD_RATIO  # a side the profile never crossed the threshold on is open
            row["lower_open"] = not bool(np.any(below & (xs < best[i])))
            row["upper_open"] = not bool(np.any(below & (xs > best[i])))
            row["identifiability"] = classify(xs, ratios, best[i], log_scale=scale in ("log10", "log"))
            if ratios.max() > 1.0 + 1e-6:
                warnings.warn(f"{name}: the profile found a likelihood {ratios.max():.4g} times the best start's: "
                              "the multistart missed the optimum; run more starts", RuntimeWarning, stacklevel=2)
        rows.append(row)
    return pd.DataFrame(rows)


def classify(xs: np.ndarray, ratios: np.ndarray, optimum: float, *, log_scale: bool = True) -> str:
    """Identifiability from a profile (see the module docstring).

    Examples
    --------
    ``xs`` are in the parameter's (log10) scale.

    >>> x = np.linspace(-1, 1, 21)
    >>> classify(x, np.exp(-0.5 * (x / 0.2) ** 2), 0.0), classify(x, np.ones(21), 0.0)
    ('identifiable', 'structurally_non_identifiable')
    >>> classify(x, np.where(x < 0, np.exp(-0.5 * (x / 0.2) ** 2), 0.9), 0.0)
    'practically_non_identifiable'
    """
    order = np.argsort(xs)
    xs, ratios = np.asarray(xs, dtype=float)[order], np.asarray(ratios, dtype=float)[order]
    flat = -2.0 * np.log(np.clip(ratios, 1e-300, None)) < 0.02
    if flat.all():
        return "structurally_non_identifiable"
    # the flat stretch that holds the optimum (another optimum elsewhere is not a valley)
    at = int(np.argmin(np.abs(xs - optimum)))
    lo = hi = at
    while lo > 0 and flat[lo - 1]:
        lo -= 1
    while hi < len(xs) - 1 and flat[hi + 1]:
        hi += 1
    if log_scale and flat[at] and xs[hi] - xs[lo] > FLAT_SPAN:
        return "structurally_non_identifiable"
    below = ratios < THRESHOLD_RATIO
    closed_low = bool(np.any(below & (xs < optimum)))
    closed_high = bool(np.any(below & (xs > optimum)))
    return "identifiable" if closed_low and closed_high else "practically_non_identifiable"


def _fitted(measurements: pd.DataFrame, problem: petab.Problem, pproblem: pypesto.Problem,
            result: pypesto.Result) -> pd.DataFrame:
    """The problem's own measurement table (its observable ids, before flattening) with the best fit's
    simulation at each measured time."""
    best = np.asarray(result.optimize_result.list[0]["x"])[pproblem.x_free_indices]
    returned = pproblem.objective.obj(best, return_dict=True)  # the RoadRunner objective under the FD wrapper
    sims = returned[ROADRUNNER_SIMULATION]  # condition -> array: time, then one column per observable
    found: dict[object, float] = {}
    for index, row in problem.measurement_df.iterrows():  # flattening renamed and reordered rows, kept the index
        sim = sims[row["simulationConditionId"]]
        data = np.asarray(sim)
        at = int(np.argmin(np.abs(data[:, 0] - float(row["time"]))))
        found[index] = float(data[at, list(sim.colnames).index(row["observableId"])])
    out = measurements.copy()
    out["simulation"] = [found[i] for i in out.index]
    return out.reset_index(drop=True)


def write_fit(result: FitResult, path: str | Path) -> None:
    """Write a fit's tables and provenance into its run directory, each atomically."""
    path = Path(path)
    write_csv_atomic(path / "estimates.csv", result.estimates, index=False)
    write_csv_atomic(path / "starts.csv", result.starts, index=False)
    write_csv_atomic(path / "profiles.csv", result.profiles, index=False)
    write_csv_atomic(path / "fitted.csv", result.fitted, index=False)
    write_provenance(path, result.provenance)


def read_fit(path: str | Path) -> FitResult:
    """A finished fit read back from its run directory (no fitting).

    Raises
    ------
    InputError
        If ``path`` is not a finished fit (naming what is missing).
    """
    run = read_run(path, kind=KIND, files=FILES)
    estimates = read_frame(run.path / "estimates.csv")
    estimates["identifiability"] = estimates["identifiability"].fillna("")
    return FitResult(estimates, read_frame(run.path / "starts.csv"), read_frame(run.path / "profiles.csv"),
                     read_frame(run.path / "fitted.csv"), read_provenance(run.path))
