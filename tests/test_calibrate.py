"""From data to parameters: measurement tables checked cell by cell, scenarios with different schedules in one
PEtab problem that petablint accepts and whose likelihood equals our engine's, synthetic data recovered within
profile intervals from the command line, and a non-identifiable pair flagged."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crosstalk.calibrate.fit import classify, fit_problem, load_problem, objective_problem
from crosstalk.calibrate.measurements import check_measurements, synthetic_measurements
from crosstalk.calibrate.problem import build_problem, write_problem
from crosstalk.cli import main
from crosstalk.errors import InputError
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import load_scenario

#: Two scenarios with different schedules: an hour at 70 % at 08:00, and a 2.5-hour run at 75 %.
SCENARIOS = {"single_bout": load_scenario("single_bout"), "prolonged_run": load_scenario("prolonged_run")}
TIMES = np.arange(0.0, 24.0 + 1e-9, 1.0)
#: The values the synthetic data are simulated with (the tables' are 0.693 and 9.44).
TRUTH = {"k_il6_clearance": 0.55, "il6_release_pg_per_ml_h": 12.0}


def _data(seed: int = 3, truth: dict[str, float] | None = None) -> pd.DataFrame:
    sim = Simulator("exercise", rtol=1e-10)
    runs = {cid: sim.run(replace(sc, parameters={**sc.parameters, **(truth or TRUTH)}))
            for cid, sc in SCENARIOS.items()}
    return synthetic_measurements(runs, "il6_pg_per_ml", TIMES, cv=0.05, floor=0.1, seed=seed)


def _nll(measurements: pd.DataFrame, values: dict[str, float]) -> float:
    """The normal negative log-likelihood of the measurements, from our own engine (not the exported model)."""
    sim = Simulator("exercise", rtol=1e-10)
    total = 0.0
    for cid, sc in SCENARIOS.items():
        ts = sim.run(replace(sc, parameters={**sc.parameters, **values})).timeseries
        rows = measurements[measurements["simulationConditionId"] == cid]
        predicted = np.interp(rows["time"], ts["time_h"], ts["il6_pg_per_ml"])
        sd = rows["noiseParameters"].to_numpy()
        total += float(np.sum(0.5 * np.log(2 * math.pi * sd**2) + (rows["measurement"] - predicted) ** 2 / (2 * sd**2)))
    return total


@pytest.mark.parametrize(("change", "column"), [
    ({"observableId": "il6_pg_per_mll"}, "observableId"),
    ({"simulationConditionId": "single_bot"}, "simulationConditionId"),
    ({"time": -1.0}, "time"),
    ({"time": float("nan")}, "time"),
    ({"noiseParameters": 0.0}, "noiseParameters"),
    ({"measurement": "high"}, "measurement"),
])
def test_a_bad_measurement_cell_is_named_by_row_and_column(change, column):
    table = pd.DataFrame([{"observableId": "il6_pg_per_ml", "simulationConditionId": "single_bout", "time": 1.0,
                           "measurement": 2.0, "noiseParameters": 0.1}] * 3)
    table = table.astype(object)
    for key, value in change.items():
        table.loc[1, key] = value
    with pytest.raises(InputError) as info:
        check_measurements(table, conditions=list(SCENARIOS), observables={"il6_pg_per_ml", "nk_blood_per_ul"},
                           source="data.tsv")
    assert info.value.field == f"row 2 column {column}" and info.value.source == "data.tsv"


def test_estimating_an_unknown_or_per_condition_parameter_or_with_inverted_bounds_is_refused():
    data = _data()
    with pytest.raises(InputError, match="did you mean 'k_il6_clearance'"):
        build_problem(SCENARIOS, data, ["k_il6_clearence"])
    with pytest.raises(InputError, match="0 < lower < upper"):
        build_problem(SCENARIOS, data, ["k_il6_clearance"], bounds={"k_il6_clearance": (2.0, 1.0)})
    varied = {**SCENARIOS, "single_bout": replace(SCENARIOS["single_bout"], parameters={"k_il6_clearance": 0.5})}
    with pytest.raises(InputError, match="set per condition"):
        build_problem(varied, data, ["k_il6_clearance"])
    with pytest.raises(InputError, match="bounds of an estimated parameter"):
        build_problem(SCENARIOS, data, ["k_il6_clearance"], bounds={"k_il6_clearence": (0.1, 1.0)})
    with pytest.raises(InputError, match="average replicates"):
        build_problem(SCENARIOS, pd.concat([data, data.iloc[:1]]), ["k_il6_clearance"])
    partial = data.copy()
    partial.loc[0, "noiseParameters"] = np.nan
    with pytest.raises(InputError, match="on every row of an observable, or on none"):
        build_problem(SCENARIOS, partial, ["k_il6_clearance"])


def test_a_tiny_noise_level_and_two_observables_at_one_time_keep_their_rows(tmp_path):
    """PEtab's flattening names observables after str(noise) (5e-05 is no identifier) and reorders rows: the
    objective still builds, and each fitted value is its own row's."""
    data = _data()
    data["noiseParameters"] = data["noiseParameters"] * 1e-4
    nk = data.copy()
    nk["observableId"] = "nk_blood_per_ul"
    both = pd.concat([data, nk], ignore_index=True)
    path = write_problem(build_problem(SCENARIOS, both, ["k_il6_clearance"]), tmp_path / "p")
    result = fit_problem(path, starts=1, seed=1, profiles=False)
    fitted = result.fitted
    assert list(fitted["observableId"]) == list("obs_" + both["observableId"])
    il6 = fitted[fitted["observableId"] == "obs_il6_pg_per_ml"]
    assert il6["simulation"].between(1.0, 60.0).all()  # IL-6, not NK cells (hundreds per uL)
    assert fitted[fitted["observableId"] == "obs_nk_blood_per_ul"]["simulation"].median() > 100.0


def test_the_problem_lints_and_its_likelihood_is_our_engines(tmp_path):
    """Known answer: pyPESTO's negative log-likelihood of the exported problem (RoadRunner on the model with both
    schedules as gated events) equals the one computed from our own engine's runs, within 1e-6 relative."""
    data = _data()
    calibration = build_problem(SCENARIOS, data, list(TRUTH))
    path = write_problem(calibration, tmp_path / "problem")
    lint = shutil.which("petablint") or str(Path(sys.executable).parent / "petablint")
    done = subprocess.run([lint, str(path)], capture_output=True, encoding="utf-8")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(calibration.problem.condition_df.columns) >= {"gate_single_bout", "gate_prolonged_run"}
    problem = load_problem(path)
    pproblem = objective_problem(problem)
    for values in ({k: float(calibration.problem.parameter_df.loc[k, "nominalValue"]) for k in TRUTH}, TRUTH):
        x = np.log10([values[n] for n in (pproblem.x_names[i] for i in pproblem.x_free_indices)])
        ours = _nll(data, values)
        assert float(pproblem.objective.obj(x)) == pytest.approx(ours, rel=1e-6)


@pytest.mark.slow  # a multistart fit with profiles (about 20 s)
def test_synthetic_data_are_recovered_within_their_intervals_from_the_command_line(tmp_path, capsys):
    """The round trip a modeller runs: data simulated with known parameters, `crosstalk petab`, petablint,
    `crosstalk fit`; each known value lies inside its 95 % profile interval and both are identifiable."""
    _data().to_csv(tmp_path / "il6.tsv", sep="\t", index=False)
    assert main(["petab", "single_bout", "prolonged_run", "--measurements", str(tmp_path / "il6.tsv"),
                 "--estimate", ",".join(TRUTH), "--out", str(tmp_path / "problem")]) == 0
    assert main(["fit", str(tmp_path / "problem" / "problem.yaml"), "--starts", "4", "--seed", "2",
                 "--out", str(tmp_path / "fit")]) == 0
    estimates = pd.read_csv(tmp_path / "fit" / "estimates.csv").set_index("parameter")
    for name, value in TRUTH.items():
        row = estimates.loc[name]
        assert row["lower95"] < value < row["upper95"], (name, value, row.to_dict())
        assert row["identifiability"] == "identifiable"
        assert row["upper95"] / row["lower95"] < 1.5  # 5 % noise on 50 points: a narrow interval
    assert (tmp_path / "fit" / "report.html").stat().st_size > 20_000
    capsys.readouterr()
    assert main(["fit", str(tmp_path / "problem" / "problem.yaml"), "--starts", "4", "--seed", "2",
                 "--out", str(tmp_path / "fit")]) == 0  # a finished fit of the same problem is read back
    assert "identifiable" in capsys.readouterr().out


@pytest.mark.slow  # a fit with profiles along two flat valleys (about 40 s)
def test_a_release_rate_and_its_reference_intensity_are_flagged_non_identifiable(tmp_path):
    """IL-6 release enters as release * (intensity / reference)^2: the data fix the ratio only. The reference's
    profile stays flat within its bounds (structurally non-identifiable); the release rate's is not closed on
    both sides either."""
    data = _data(truth={})
    calibration = build_problem(SCENARIOS, data, ["il6_release_pg_per_ml_h", "il6_reference_intensity"],
                                bounds={"il6_reference_intensity": (0.3, 1.5)})
    path = write_problem(calibration, tmp_path / "problem")
    result = fit_problem(path, starts=3, seed=1, profile_step=0.05)
    flags = result.estimates.set_index("parameter")["identifiability"]
    assert flags["il6_reference_intensity"] == "structurally_non_identifiable", flags.to_dict()
    assert flags["il6_release_pg_per_ml_h"] != "identifiable", flags.to_dict()


def test_identifiability_is_read_from_the_profile():
    x = np.linspace(-1.0, 1.0, 41)
    closed = np.exp(-0.5 * (x / 0.2) ** 2)
    assert classify(x, closed, 0.0) == "identifiable"
    assert classify(x, np.where(x > 0, 0.95, closed), 0.0) == "practically_non_identifiable"
    assert classify(x, np.full_like(x, 0.999), 0.0) == "structurally_non_identifiable"
    valley = np.where(np.abs(x) < 0.4, 1.0, np.exp(-0.5 * ((np.abs(x) - 0.4) / 0.1) ** 2))  # flat over 0.8 decades
    assert classify(x, valley, 0.0) == "structurally_non_identifiable"


@pytest.mark.slow  # a fit in a fresh interpreter
def test_a_fit_works_in_a_process_that_imported_libsedml(tmp_path):
    """Once python-libsedml is imported (tellurium does; so does a SED-ML export), libSBML hands out libSEDML's
    classes and petab's parameter mapping fails; the fit then runs in a fresh interpreter and is read back."""
    import libsedml  # noqa: F401  (the import is the point)

    path = write_problem(build_problem(SCENARIOS, _data(), ["k_il6_clearance"]), tmp_path / "p")
    result = fit_problem(path, starts=1, seed=1, profiles=False, outdir=tmp_path / "fit")
    assert result.estimates.loc[0, "parameter"] == "k_il6_clearance"
    assert 0.4 < result.estimates.loc[0, "estimate"] < 0.7  # the data's 0.55
    assert (tmp_path / "fit" / "report.html").exists()  # written by the fresh `crosstalk fit`
