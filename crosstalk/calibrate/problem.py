"""Scenarios and measurements as one PEtab problem (format version 1): the model, one condition per scenario, the
observables measured, the measurements and the parameters to estimate.

PEtab v1 ties one SBML model to every condition, and a condition may only set parameters and initial values; the
scenarios' schedules (sessions, infusions) differ. The encoding: every scenario's schedule is in the model as
SBML events that fire only while the scenario's **gate** parameter (``gate_<condition>``) is 1, and each condition
sets its own gate to 1 and the others to 0. Parameters a scenario changes (its species set, its patient) are set
in the model when every scenario changes them alike, else per condition in the condition table.

Observables are crosstalk's (assignment rules of the model, ``il6_pg_per_ml``); the observable table names them
``obs_<id>`` (PEtab ids may not repeat model ids). Noise is normal with the standard deviation of the
measurement's ``noiseParameters``; an observable measured without one gets an estimated ``sd_<id>``.

References
----------
Schmiester L et al. (2021) PEtab. PLoS Comput Biol 17:e1008646. doi:10.1371/journal.pcbi.1008646
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
import petab.v1 as petab
from petab.v1.models.sbml_model import SbmlModel

from crosstalk.calibrate.measurements import check_measurements
from crosstalk.errors import InputError
from crosstalk.export import schedule_breakpoints
from crosstalk.files import write_text_atomic
from crosstalk.inputs import did_you_mean
from crosstalk.model.observables import observables_for
from crosstalk.model.parameters import model_path, parameter_ids
from crosstalk.plan.schedule import add_sbml_events
from crosstalk.spec.scenario import Scenario

__all__ = ["Calibration", "build_problem", "condition_id", "write_problem"]

#: Default search range of an estimated parameter: this factor below and above its nominal value.
BOUND_FACTOR = 10.0


@dataclass(frozen=True)
class Calibration:
    """A PEtab problem built from scenarios (:func:`build_problem`).

    Attributes
    ----------
    problem : petab.v1.Problem
        The problem (model, conditions, observables, measurements, parameters).
    conditions : dict of str to Scenario
        Condition id -> the scenario it simulates.
    estimated : tuple of str
        Model parameters estimated (noise parameters ``sd_<observable>`` come after them in the parameter table).
    """

    problem: petab.Problem
    conditions: dict[str, Scenario]
    estimated: tuple[str, ...]


def condition_id(name: str) -> str:
    """A PEtab id from a scenario's name or file stem (``single-bout`` -> ``single_bout``).

    Examples
    --------
    >>> condition_id("single-bout"), condition_id("2 weeks")
    ('single_bout', 'c_2_weeks')
    """
    out = re.sub(r"\W", "_", name)
    return out if re.match(r"[A-Za-z_]", out) else f"c_{out}"


def build_problem(scenarios: Mapping[str, Scenario], measurements: pd.DataFrame, estimate: Sequence[str], *,
                  bounds: Mapping[str, tuple[float, float]] | None = None) -> Calibration:
    """The PEtab problem of fitting ``estimate`` to ``measurements`` taken under ``scenarios``.

    Parameters
    ----------
    scenarios : mapping of str to Scenario
        Condition id (a PEtab id, :func:`condition_id`) -> scenario. All share one model and species set.
    measurements : DataFrame
        PEtab measurement table (:mod:`crosstalk.calibrate.measurements`); ``observableId`` are crosstalk
        observable ids, ``time`` hours.
    estimate : sequence of str
        Parameter ids of the model's table to estimate, on a log10 scale.
    bounds : mapping of str to (float, float), optional
        Search range per estimated parameter (default: a factor :data:`BOUND_FACTOR` around its nominal value).

    Raises
    ------
    InputError
        Scenarios of different models or species; an unknown parameter, one a scenario sets, or one with
        inverted bounds; a measurement naming an unknown observable or condition, or after its scenario's end.
    """
    if not scenarios:
        raise InputError("scenarios", [], "at least one scenario")
    first = next(iter(scenarios.values()))
    for cid, sc in scenarios.items():
        if (sc.model, sc.species) != (first.model, first.species):
            raise InputError("scenarios", cid, f"scenarios of one model and species ({first.model}, {first.species})")
        if condition_id(cid) != cid:
            raise InputError("scenarios", cid, "a PEtab id: letters, digits and _, not starting with a digit")
    observables = {o.name for o in observables_for(first.model)}
    table = check_measurements(measurements, conditions=list(scenarios), observables=observables)
    for cid, sc in scenarios.items():
        late = table[(table["simulationConditionId"] == cid) & (table["time"] > sc.duration_hours)]
        if len(late):
            raise InputError("measurements.time", float(late["time"].iloc[0]),
                             f"a time within {cid}'s {sc.duration_hours:g} h")
    repeated = table[table.duplicated(["observableId", "simulationConditionId", "time"], keep=False)]
    if len(repeated):
        r = repeated.iloc[0]
        raise InputError("measurements", f"{r['observableId']} in {r['simulationConditionId']} at {r['time']:g} h",
                         "one row per observable, condition and time (average replicates, giving their standard "
                         "error as noiseParameters: pyPESTO's RoadRunner route cannot simulate one time twice)")
    known = parameter_ids(first.model)
    doc = libsbml.readSBMLFromString(model_path(first.model).read_text(encoding="utf-8"))
    model = doc.getModel()
    varying = _apply_overrides(model, scenarios)
    estimated = tuple(dict.fromkeys(estimate))
    for pid in estimated:
        if pid not in known:
            raise InputError("estimate", pid, did_you_mean(pid, known) + f"a parameter id of the {first.model} model")
        if pid in varying:
            raise InputError("estimate", pid, "a parameter no scenario sets differently (this one is set per "
                                              "condition)")
    species = {sp.getId() for sp in model.getListOfSpecies()}
    gates = {cid: f"gate_{cid}" for cid in scenarios}
    for cid, sc in scenarios.items():
        gate = model.createParameter()
        gate.setId(gates[cid])
        gate.setConstant(True)
        gate.setValue(0.0)
        gate.setUnits("dimensionless")
        add_sbml_events(model, schedule_breakpoints(sc, species), gate=gates[cid], prefix=f"{cid}_event")
    model.setId(condition_id(f"crosstalk_{first.model}_calibration"))
    sbml_model = SbmlModel.from_string(libsbml.writeSBMLToString(doc))
    conditions = pd.DataFrame([{"conditionId": cid, "conditionName": sc.name,
                                **{g: float(c == cid) for c, g in gates.items()},
                                **{pid: values[cid] for pid, values in varying.items()}}
                               for cid, sc in scenarios.items()]).set_index("conditionId")
    observed = list(dict.fromkeys(table["observableId"]))
    given = {o: int(table.loc[table["observableId"] == o, "noiseParameters"].notna().sum())
             if "noiseParameters" in table else 0 for o in observed}
    for o in observed:
        n = int((table["observableId"] == o).sum())
        if 0 < given[o] < n:
            raise InputError("measurements.noiseParameters", f"{o}: {given[o]} of {n} rows",
                             "a standard deviation on every row of an observable, or on none (then estimated)")
    has_sd = {o: given[o] > 0 for o in observed}
    observable_df = pd.DataFrame([{
        "observableId": f"obs_{o}", "observableFormula": o,
        "noiseFormula": f"noiseParameter1_obs_{o}" if has_sd[o] else f"sd_{o}",
        "observableTransformation": "lin", "noiseDistribution": "normal"} for o in observed]).set_index("observableId")
    measurement_df = table.copy()
    measurement_df["observableId"] = "obs_" + measurement_df["observableId"]
    if "noiseParameters" in measurement_df:
        measurement_df.loc[~measurement_df["observableId"].str[4:].map(has_sd), "noiseParameters"] = np.nan
        if measurement_df["noiseParameters"].isna().all():
            measurement_df = measurement_df.drop(columns="noiseParameters")
    for pid in bounds or {}:
        if pid not in estimated:
            raise InputError("bounds", pid, "bounds of an estimated parameter: " + ", ".join(estimated))
    rows = []
    for pid in estimated:
        nominal = float(model.getParameter(pid).getValue())
        low, high = (bounds or {}).get(pid, (nominal / BOUND_FACTOR, nominal * BOUND_FACTOR))
        if not 0.0 < low < high:
            raise InputError(f"bounds.{pid}", (low, high), "0 < lower < upper (the search is on a log10 scale; a "
                                                           "parameter at 0 needs explicit bounds)")
        rows.append(_parameter_row(pid, nominal, low, high))
    for o in observed:
        if not has_sd[o]:
            scale = float(np.nanmax(np.abs(table.loc[table["observableId"] == o, "measurement"]))) or 1.0
            rows.append(_parameter_row(f"sd_{o}", 0.1 * scale, 1e-3 * scale, 10.0 * scale))
    parameter_df = pd.DataFrame(rows).set_index("parameterId")
    problem = petab.Problem(model=sbml_model, condition_df=conditions, measurement_df=measurement_df,
                            observable_df=observable_df, parameter_df=parameter_df)
    return Calibration(problem, dict(scenarios), estimated)


def _parameter_row(pid: str, nominal: float, low: float, high: float) -> dict[str, object]:
    return {"parameterId": pid, "parameterScale": "log10", "lowerBound": low, "upperBound": high,
            "nominalValue": nominal, "estimate": 1}


def _apply_overrides(model: libsbml.Model, scenarios: Mapping[str, Scenario]) -> dict[str, dict[str, float]]:
    """Set in the model the parameter values every scenario sets alike; return the others, per condition."""
    overrides = {cid: sc.parameter_overrides() for cid, sc in scenarios.items()}
    varying: dict[str, dict[str, float]] = {}
    for pid in sorted({k for o in overrides.values() for k in o}):
        p = model.getParameter(pid)
        if p is None:
            raise InputError("parameters", pid, "a global parameter of the model")
        values = {cid: float(o.get(pid, p.getValue())) for cid, o in overrides.items()}
        if len(set(values.values())) == 1:
            p.setValue(next(iter(values.values())))
        else:
            varying[pid] = values
    return varying


def write_problem(calibration: Calibration, outdir: str | Path) -> Path:
    """Write the problem's files (``problem.yaml``, ``model.xml``, ``conditions.tsv``, ``observables.tsv``,
    ``measurements.tsv``, ``parameters.tsv``) into ``outdir``; returns the YAML's path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    p = calibration.problem
    files = {"model.xml": libsbml.writeSBMLToString(p.model.sbml_document),
             "conditions.tsv": p.condition_df.reset_index().to_csv(sep="\t", index=False),
             "observables.tsv": p.observable_df.reset_index().to_csv(sep="\t", index=False),
             "measurements.tsv": p.measurement_df.to_csv(sep="\t", index=False),
             "parameters.tsv": p.parameter_df.reset_index().to_csv(sep="\t", index=False)}
    for name, text in files.items():
        write_text_atomic(outdir / name, text)
    yaml_text = ("format_version: 1\nparameter_file: parameters.tsv\nproblems:\n- sbml_files: [model.xml]\n"
                 "  condition_files: [conditions.tsv]\n  measurement_files: [measurements.tsv]\n"
                 "  observable_files: [observables.tsv]\n")
    return write_text_atomic(outdir / "problem.yaml", yaml_text)
