"""Simulation: one compiled RoadRunner per process, reused across scenarios; results as pandas.

The schedule's breakpoints are applied between integration segments (``RoadRunner.oneStep`` with an
integrator restart after each change), parameters are set by index, and every run starts from
``reset()`` after all table parameters are restored, so a reused instance gives exactly what a fresh one
gives (tested). No roadrunner object leaves this module. :func:`simulator_for` keeps one simulator per model and
tolerance in each process; :func:`simulate` and the study executors share it.

Observables are amounts, concentrations, fractions or percentages, none of which can be negative; the solver can
leave a cleared amount a hair below zero (within its absolute tolerance). Results report the non-negative part,
and the provenance records the most negative raw value of each clipped observable (``clipped_below_zero``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import roadrunner

from crosstalk.errors import InputError, SimulationError
from crosstalk.model.introspect import (
    Expression,
    arithmetic_initial_states,
    evaluate,
    init_dependencies,
    rate_rule_count,
    read_document,
    species_kinds,
)
from crosstalk.model.observables import observables_for
from crosstalk.model.parameters import flat_id, model_path, parameter_table
from crosstalk.model.registry import models_root
from crosstalk.plan.planner import Plan, plan
from crosstalk.plan.schedule import Breakpoint
from crosstalk.sim.result import Result, endpoints_for, versions
from crosstalk.spec.scenario import DEFAULT_MODEL, Scenario

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_ATOL", "DEFAULT_RTOL", "Result", "Simulator", "endpoints_of", "quiet_solver", "simulate",
           "simulate_document", "simulator_for"]

DEFAULT_RTOL = 1e-8
#: Absolute tolerance of the dimensionless rate-rule states (glycogen depletion, training, PD-L1 density,
#: antioxidant capacity, mitochondrial damage, viable fraction).
DEFAULT_ATOL = 1e-10
#: Absolute tolerance of molecule and vesicle counts (items; 1e3 molecules ~ 1.7e-21 mol). With the global
#: 1e-10 a 1.2e20-molecule doxorubicin infusion made CVODE's error test demand steps below 1e-15 h.
MOLECULE_ATOL = 1e3
#: Absolute tolerance of cell counts (cells).
CELL_ATOL = 1e-6


class Simulator:
    """A compiled model that runs scenarios.

    Parameters
    ----------
    model : str
        ``"crosstalk"`` (the composed model, the default) or one of its modules (``"exercise"``, ``"immune"``,
        ``"anthracycline"``).
    rtol, atol : float
        CVODE relative tolerance and absolute tolerance of dimensionless states.
    atol_molecules, atol_cells : float
        Absolute tolerances (items) of molecule/vesicle and cell amounts; the defaults are
        :data:`MOLECULE_ATOL` and :data:`CELL_ATOL`.
    sbml : str, optional
        An SBML document to use instead of the packaged model (same ids and parameter table), e.g. an edited
        copy; its hash is recorded in the provenance.

    Notes
    -----
    Build one per process and reuse it: compilation takes ~0.2 s (a module) to ~1 s (the composed model); a
    180-day composed run ~0.13-0.2 s.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 atol_molecules: float = MOLECULE_ATOL, atol_cells: float = CELL_ATOL,
                 sbml: str | None = None) -> None:
        self.model = model
        self._atol_molecules, self._atol_cells = atol_molecules, atol_cells
        sbml = model_path(model).read_text(encoding="utf-8") if sbml is None else sbml
        self._rr = roadrunner.RoadRunner(sbml)
        # one libSBML parse answers every question below (and keeps the document alive while its model is read)
        doc = read_document(sbml)
        self._rtol, self._atol = rtol, atol
        self._kinds = species_kinds(doc)
        self._fids = list(self._rr.model.getFloatingSpeciesIds())
        self._gids = list(self._rr.model.getGlobalParameterIds())
        self._idset = frozenset(self._fids) | frozenset(self._gids)
        self._resolved: dict[str, str] = {}
        self._n_rate_states = rate_rule_count(doc)
        self._apply_tolerances()
        integ = self._rr.integrator
        integ.maximum_num_steps = 100_000
        # First step after each schedule change. CVODE's own estimate depends on the integrator's history, so a
        # reused instance then differs from a fresh one at round-off level; a fixed first step keeps runs
        # bit-identical. 1e-12 h passed every case (exercise bouts, antibody and doxorubicin infusions and
        # boluses); larger first steps failed the error test at some infusion starts (measured before the
        # tolerance-mapping fix in _apply_tolerances, not re-measured since).
        integ.initial_time_step = 1e-12
        m = self._rr.model
        table = parameter_table(model)
        self._param_ids = [p.id for p in table]
        self._param_idx = np.array([self._gids.index(p) for p in self._param_ids], dtype=np.int32)
        # defaults are the loaded document's values (the table's, for the packaged models: tested)
        self._defaults = np.array(m.getGlobalParameterValues(self._param_idx), dtype=float)
        computed = arithmetic_initial_states(doc, self._param_ids)
        deps = init_dependencies(doc, computed=set(computed))
        self._init_params = {i: pid for i, pid in enumerate(self._param_ids) if pid in deps}
        # (id, kind, compartment of a species in concentration units or "", value in the table's parameters),
        # kind: "compartment", "species" or "parameter" (incl. rate-rule states); compartments come first
        self._computed: list[tuple[str, str, str, Expression]] = []
        cids = list(self._rr.model.getCompartmentIds())
        self._cidx = {c: i for i, c in enumerate(cids)}
        for state, expr in computed.items():
            sp = doc.getModel().getSpecies(state)
            if sp is not None:
                self._computed.append((state, "species", "" if sp.getHasOnlySubstanceUnits()
                                       else sp.getCompartment(), expr))
            else:
                self._computed.append((state, "compartment" if state in self._cidx else "parameter", "", expr))
        self._init_current = {pid: float(self._defaults[i]) for i, pid in self._init_params.items()}
        self._observables = observables_for(model)
        # observables are assignment-rule parameters, or (e.g. tumour_cells) species amounts; in the composed
        # model species keep their submodel prefix ("im__tumour_cells"), resolved by name
        names = [self._resolve(o.name) for o in self._observables]
        self._obs_param = np.array([i for i, n in enumerate(names) if n in self._gids], dtype=np.int32)
        self._obs_param_idx = np.array([self._gids.index(names[i]) for i in self._obs_param], dtype=np.int32)
        self._obs_species = np.array([i for i, n in enumerate(names) if n in self._fids], dtype=np.int32)
        self._obs_species_idx = np.array([self._fids.index(names[i]) for i in self._obs_species], dtype=np.int32)
        missing = set(names) - set(self._gids) - set(self._fids)
        if missing:
            raise SimulationError(f"model {model!r} lacks observables {sorted(missing)}")

        self._hash = hashlib.sha256(sbml.encode()).hexdigest()
        self._settings = {"rtol": rtol, "atol": atol, "atol_molecules": atol_molecules, "atol_cells": atol_cells,
                          "initial_step_h": 1e-12, "integrator": "cvode"}

    def _resolve(self, name: str) -> str:
        """Model id of a contract name: itself, or the flattened id of a submodel element (``<alias>__name``);
        memoised, as every breakpoint of every run resolves its input species."""
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = flat_id(name, self._idset)
        return found

    @property
    def species_ids(self) -> list[str]:
        """Ids of the model's floating species (usable in ``run(..., extra=...)``)."""
        return list(self._fids)

    def absolute_tolerance(self, species: str) -> float:
        """Absolute tolerance the integrator uses for a species (items), e.g. to judge solver noise."""
        return self._state_atol(self._resolve(species)) or self._atol

    @property
    def provenance_hash(self) -> str:
        """SHA-256 of the SBML this simulator compiled."""
        return self._hash

    @property
    def regenerating_parameters(self) -> tuple[str, ...]:
        """Table parameters whose change makes roadrunner regenerate the model (``init()``, ~0.8 s on the composed
        model): those feeding an initial value that is not arithmetic in table parameters. None in the packaged
        models (tested); the others' initial values are computed here and set after ``reset()``."""
        return tuple(self._init_params.values())

    @property
    def observable_names(self) -> list[str]:
        """Observable columns of this model's results."""
        return [o.name for o in self._observables]

    def parameter_values(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """Table defaults with ``overrides`` applied, in table order."""
        values = self._defaults.copy()
        for pid, v in (overrides or {}).items():
            values[self._param_ids.index(pid)] = v
        return values

    def run(self, scenario: Scenario | Plan, *, extra: tuple[str, ...] | list[str] = ()) -> Result:
        """Simulate one scenario.

        Parameters
        ----------
        scenario : Scenario or Plan
            What to simulate: a scenario, or the :class:`~crosstalk.plan.Plan` it compiles to (a study that runs
            one scenario many times can compile it once).
        extra : sequence of str
            Further model quantities to record as columns after the observables: species ids (amounts, in
            items) or parameter ids (values in their table unit), e.g. for mass balances.

        Raises
        ------
        SimulationError
            If CVODE fails or produces non-finite values (the message names the scenario and time).
        """
        compiled = scenario if isinstance(scenario, Plan) else plan(scenario)
        scenario = compiled.scenario
        if scenario.model != self.model:
            raise InputError("model", scenario.model, f"{self.model!r} for this Simulator")
        rr = self._rr
        values = self.parameter_values(compiled.overrides)
        rebuilt = False
        for i, pid in self._init_params.items():  # see init_dependencies
            if values[i] != self._init_current[pid]:
                rr.setValue(f"init({pid})", float(values[i]))
                self._init_current[pid] = float(values[i])
                rebuilt = True
        if rebuilt:
            self._apply_tolerances()
        m = rr.model  # fetched after init() writes, which replace the underlying model object
        m.setGlobalParameterValues(self._param_idx, values)
        rr.reset()
        by_id = dict(zip(self._param_ids, values.tolist()))
        volumes: dict[str, float] = {}
        for state, kind, comp, expr in self._computed:  # see arithmetic_initial_states
            value = evaluate(expr, by_id)
            if kind == "compartment":
                m.setCompartmentVolumes([self._cidx[state]], [value])
                volumes[state] = value
            elif kind == "species":
                volume = 1.0 if not comp else volumes.get(comp, rr[comp])
                m.setFloatingSpeciesAmounts([self._fids.index(state)], [value * volume])
            else:
                m.setGlobalParameterValues([self._gids.index(state)], [value])
        grid = compiled.output_times
        points = compiled.breakpoints
        bp_times = np.array([bp.time_h for bp in points])
        times = np.union1d(np.union1d(grid, bp_times), compiled.event_times)
        extra = list(extra)
        resolved = [self._resolve(x) for x in extra]
        extra_species = [(j, self._fids.index(x)) for j, x in enumerate(resolved) if x in self._fids]
        extra_params = [(j, self._gids.index(x)) for j, x in enumerate(resolved)
                        if x in self._gids and x not in self._fids]
        unknown = [x for x, r in zip(extra, resolved) if r not in self._fids and r not in self._gids]
        if unknown:
            raise InputError("extra", unknown, f"species or parameter ids of the {self.model!r} model")
        n_obs = len(self._observables)
        rows = np.empty((times.size, n_obs + len(extra)))
        es_cols = np.array([n_obs + j for j, _ in extra_species], dtype=int)
        es_idx = np.array([i for _, i in extra_species], dtype=np.int32)
        ep_cols = np.array([n_obs + j for j, _ in extra_params], dtype=int)
        ep_idx = np.array([i for _, i in extra_params], dtype=np.int32)
        bp_iter = iter(points)
        next_bp = next(bp_iter, None)
        t = 0.0
        restart = True
        for k, tk in enumerate(times):
            if tk > t:
                try:
                    rr.oneStep(t, tk - t, restart)
                except RuntimeError as err:
                    raise SimulationError(
                        f"scenario {scenario.name!r}: integration failed near t = {t:g} h: {err}") from err
                restart = False
                t = tk
            rows[k, self._obs_param] = m.getGlobalParameterValues(self._obs_param_idx)
            if self._obs_species.size:
                rows[k, self._obs_species] = m.getFloatingSpeciesAmounts(self._obs_species_idx)
            if extra:
                if es_idx.size:
                    rows[k, es_cols] = m.getFloatingSpeciesAmounts(es_idx)
                if ep_idx.size:
                    rows[k, ep_cols] = m.getGlobalParameterValues(ep_idx)
            if next_bp is not None and abs(next_bp.time_h - tk) < 1e-9:
                self._apply(next_bp)
                restart = True
                next_bp = next(bp_iter, None)
        if not np.all(np.isfinite(rows)):
            raise SimulationError(f"scenario {scenario.name!r}: non-finite observable values")
        observed = rows[:, :n_obs]
        lowest = observed.min(axis=0)
        clipped = {self.observable_names[j]: float(lowest[j]) for j in np.flatnonzero(lowest < 0.0)}
        np.maximum(observed, 0.0, out=observed)
        full = pd.DataFrame(rows, columns=self.observable_names + extra)
        full.insert(0, "time_h", times)
        endpoints = endpoints_for(full, compiled)
        # the series holds the grid and the samples that resolve each event (the endpoints' peaks and dips);
        # breakpoints alone, without their windows, would draw a bout as a spike
        on_grid = np.isin(times, np.union1d(grid, compiled.event_times))
        ts = full.loc[on_grid].reset_index(drop=True)
        provenance = {
            "model": self.model,
            "model_sha256": self._hash,
            "solver": self._settings,
            "versions": versions(),
            "seed": scenario.seed,
            "clipped_below_zero": clipped,
        }
        return Result(scenario, ts, endpoints, provenance, plan=compiled)

    def _apply_tolerances(self) -> None:
        """Set scalar and per-state absolute tolerances (again after init() writes, which rebuild the vector).

        roadrunner 2.10 builds the absolute-tolerance vector in the order [floating species, rate-rule states]
        but CVODE's state vector is [rate-rule states, floating species], and ``setIndividualTolerance(id)``
        writes the vector at the id's species-first position: in a model with rate rules each tolerance lands
        on another state (measured on a two-state model, tests/test_simulate.py). We therefore address the
        vector position of each *CVODE* state through the id that roadrunner maps to that position.
        """
        integ = self._rr.integrator
        integ.relative_tolerance = self._rtol
        integ.absolute_tolerance = self._atol
        m = self._rr.model
        state_ids = [m.getStateVectorId(k) for k in range(m.getNumFloatingSpecies() + self._n_rate_states)]
        vector_order = list(self._fids) + [sid for sid in state_ids if sid not in self._fids]
        for position, state in enumerate(state_ids):
            atol = self._state_atol(state)
            if atol is not None:
                integ.setIndividualTolerance(vector_order[position], atol)

    def _state_atol(self, state: str) -> float | None:
        """Absolute tolerance of a CVODE state (None: keep roadrunner's scaled default)."""
        kind = self._kinds.get(state)
        if kind == "input":
            return None
        if kind == "molecule":
            return self._atol_molecules
        if kind == "cell":
            return self._atol_cells
        return self._atol

    def _apply(self, bp: Breakpoint) -> None:
        m = self._rr.model
        if bp.values:
            idx = [self._species_index(s) for s, _ in bp.values]
            m.setFloatingSpeciesAmounts(idx, [v for _, v in bp.values])
        if bp.increments:
            idx = [self._species_index(s) for s, _ in bp.increments]
            current = m.getFloatingSpeciesAmounts(idx)
            m.setFloatingSpeciesAmounts(idx, list(current + np.array([v for _, v in bp.increments])))

    def _species_index(self, species: str) -> int:
        try:
            return self._fids.index(self._resolve(species))
        except ValueError:
            raise SimulationError(f"model {self.model!r} has no input species {species!r}") from None


_SIMULATORS: dict[tuple[str, str, float], Simulator] = {}


def simulator_for(model: str, *, rtol: float | None = None) -> Simulator:
    """This process's simulator of ``model`` at relative tolerance ``rtol`` (default :data:`DEFAULT_RTOL`), built
    on first use and reused after (compiling the composed model takes ~1 s).

    Keyed by the models folder too, so inside :func:`crosstalk.model.registry.models_from` a model is compiled from that
    folder's SBML. Worker processes of a study read the package's models: ``models_from`` is for developing a model
    in one process.
    """
    tol = DEFAULT_RTOL if rtol is None else float(rtol)
    key = (str(models_root()), model, tol)
    sim = _SIMULATORS.get(key)
    if sim is None:
        sim = _SIMULATORS[key] = Simulator(model, rtol=tol)
    return sim


def simulate(scenario: Scenario | Plan) -> Result:
    """Simulate ``scenario`` (or its compiled :class:`~crosstalk.plan.Plan`) with this process's cached
    :class:`Simulator` for its model.

    Parameters
    ----------
    scenario : Scenario or Plan
        What to simulate.

    Returns
    -------
    Result
        The time series (every session and infusion resolved), the endpoints and the provenance.

    Examples
    --------
    >>> from crosstalk import ExerciseRegime, Scenario
    >>> bout = Scenario("bout", model="exercise", duration_days=1, output_step_hours=0.25,
    ...                 exercise=(ExerciseRegime(session_days=(0,)),))
    >>> result = simulate(bout)
    >>> 1.5 < result.endpoints["il6_peak_fold"] < 20
    True
    """
    return simulator_for(scenario.model).run(scenario)


def endpoints_of(scenario: Scenario | Plan) -> dict[str, float | bool | str]:
    """Endpoints of one scenario on this process's cached simulator: the task a cohort or an optimiser sends to
    its workers (module-level, so it pickles)."""
    return simulator_for(scenario.model).run(scenario).endpoints


def simulate_document(path: str, *, end: float, points: int, selections: list[str], rtol: float = 1e-10,
                      start: float = 0.0) -> np.ndarray:
    """Simulate an SBML document as it stands (e.g. a published BioModels file used as a reference), on a uniform
    grid of ``points`` from ``start`` to ``end`` in the document's time unit; columns are ``selections``.

    Parameters
    ----------
    path : str
        The SBML file.
    end : float
        End of the grid, in the document's time unit.
    points : int
        Number of grid points, ``start`` and ``end`` included.
    selections : list of str
        What to record (roadrunner selections: ``time``, species ids, ``[id]`` for concentrations).
    rtol : float
        CVODE's relative tolerance.
    start : float
        Start of the grid.
    """
    rr = roadrunner.RoadRunner(path)
    rr.integrator.relative_tolerance = rtol
    return np.asarray(rr.simulate(start, end, points, selections=selections), dtype=np.float64)


def quiet_solver() -> None:
    """Show roadrunner's errors only, whatever its default. For the command line, which owns its terminal: solver
    warnings a study may raise per sample (e.g. at a retried sample) would bury the progress bar. A library user
    keeps roadrunner's own setting (importing crosstalk changes no global setting)."""
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
