"""The anthracycline module: doxorubicin PK known answers, mass balance, cardiotoxicity calibration, schedules."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from crosstalk.model.observables import compute_endpoints
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import CumulativeDoseWarning, DoseSchedule, Patient, Scenario
from crosstalk.validation import run_check
from crosstalk.validation.protocols import doxorubicin_course

AVOGADRO = 6.02214076e23


@pytest.fixture(scope="module")
def asim() -> Simulator:
    return Simulator("anthracycline")


def _pk_matrix():
    p = {k: v.value for k, v in parameter_ids("anthracycline").items()}
    v1, v2, v3 = p["dox_v1_l"], p["dox_v2_l"], p["dox_v3_l"]
    k10, k12, k21 = p["dox_cl_l_per_h"] / v1, p["dox_q2_l_per_h"] / v1, p["dox_q2_l_per_h"] / v2
    k13, k31 = p["dox_q3_l_per_h"] / v1, p["dox_q3_l_per_h"] / v3
    m = np.array([[-(k10 + k12 + k13), k21, k31], [k12, -k21, 0.0], [k13, 0.0, -k31]])
    return m, v1, p["dox_cl_l_per_h"]


def _bolus(asim, days: float, step_h: float, infusion_minutes: float = 0.0):
    sc = Scenario("pk", model="anthracycline", duration_days=days, output_step_hours=step_h,
                  patient=Patient(body_surface_area_m2=1.8),
                  dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", count=1, infusion_minutes=infusion_minutes),))
    return asim.run(sc).timeseries


def test_plasma_curve_is_the_analytic_triexponential(asim):
    """60 mg/m2 bolus: the simulated curve equals expm(M t) of the 3-compartment matrix (1e-5 relative)."""
    m, v1, _ = _pk_matrix()
    dose_ng = 60.0 * 1.8 * 1e6
    ts = _bolus(asim, 10, 0.05)
    t = ts["time_h"].to_numpy()[1:]
    analytic = np.array([expm(m * ti)[0, 0] * dose_ng / (v1 * 1000.0) for ti in t])  # ng/mL
    np.testing.assert_allclose(ts["doxorubicin_plasma_ng_per_ml"].to_numpy()[1:], analytic, rtol=1e-5)


def test_three_phases_have_published_half_lives(asim):
    m, _, _ = _pk_matrix()
    half_lives = sorted(math.log(2) / -ev for ev in np.linalg.eigvals(m).real)  # hours
    distribution, intermediate, terminal = half_lives
    assert distribution < 0.25          # minutes
    assert 0.5 < intermediate < 10.0    # hours
    assert 20.0 < terminal < 60.0       # published terminal half-life 20-48 h
    ts = _bolus(asim, 20, 1.0)
    late = ts[ts["time_h"] > 200]
    slope = np.polyfit(late["time_h"], np.log(late["doxorubicin_plasma_ng_per_ml"]), 1)[0]
    assert math.log(2) / -slope == pytest.approx(terminal, rel=1e-3)


def test_auc_equals_dose_over_clearance(asim):
    """Known answer AUC(0-inf) = dose / CL for a 15-min infusion (the registered dox_pk_3cmt check; band in
    crosstalk/validation/bands.toml)."""
    check = run_check("dox_pk_3cmt", asim)
    assert check.passed, check.describe()


def test_mass_balance_through_repeated_doses(asim):
    """dosed = in body + eliminated (relative error < 1e-6) at every time through 4 infusions."""
    sc = doxorubicin_course(60.0, 4, infusion_minutes=30)
    ts = asim.run(sc, extra=("doxorubicin_plasma", "doxorubicin_deep", "doxorubicin_shallow",
                             "doxorubicin_dosed", "doxorubicin_eliminated")).timeseries
    dosed = ts["doxorubicin_dosed"].to_numpy()
    body = ts[["doxorubicin_plasma", "doxorubicin_deep", "doxorubicin_shallow"]].sum(axis=1).to_numpy()
    given = dosed > 0
    rel = np.abs(dosed - body - ts["doxorubicin_eliminated"].to_numpy())[given] / dosed[given]
    assert rel.max() < 1e-6
    total_mg = 4 * 60.0 * 1.8
    mw = parameter_ids("anthracycline")["mw_doxorubicin"].value
    assert dosed[-1] == pytest.approx(total_mg * 1e-3 / mw * AVOGADRO, rel=1e-9)


def test_ac_mean_lvef_decline_is_judged_against_placebo_arms(asim):
    check = run_check("ac_lvef_decline", asim)
    assert check.passed, check.describe()


def test_swain_heart_failure_risk(asim):
    """Risk follows from cardiomyocyte loss and matches Swain 2003 within +/- 0.03 at 400 and 700 mg/m2."""
    check = run_check("swain_chf_dose_response", asim)
    assert check.passed, check.describe()


def test_risk_follows_the_state_not_the_dose(asim):
    """Same cumulative dose, less cardiomyocyte loss (more antioxidant capacity) -> lower risk."""
    base = asim.run(doxorubicin_course(50.0, 14)).endpoints
    protected = asim.run(doxorubicin_course(50.0, 14, parameters={"antioxidant_boost": 0.5})).endpoints
    assert protected["cumulative_doxorubicin_mg_per_m2"] == pytest.approx(base["cumulative_doxorubicin_mg_per_m2"])
    assert protected["chf_risk_final"] < base["chf_risk_final"]
    assert protected["lvef_drop_points"] < base["lvef_drop_points"]


def test_ctrcd_definition():
    """Flagged only for a drop of more than 10 points to below 53% (Plana 2014)."""
    def ctrcd(lvef):
        t = np.arange(len(lvef), dtype=float)
        traj = pd.DataFrame({"time_h": t, "lvef_percent": lvef})
        return compute_endpoints(traj, first_start_h=None, first_end_h=None, minutes_total=0,
                                 sessions_total=0)["ctrcd"]
    assert ctrcd([62.0, 51.5]) is True       # -10.5 points, below 53
    assert ctrcd([62.0, 53.5]) is False      # below threshold drop, above 53
    assert ctrcd([70.0, 59.0]) is False      # -11 points but still >= 53
    assert ctrcd([60.0, 51.0]) is False      # below 53 but only -9 points


def test_ctrcd_cardinale_definition():
    """Cardinale 2015's second endpoint: a drop of more than 10 points to below 50%."""
    def events(lvef):
        traj = pd.DataFrame({"time_h": np.arange(len(lvef), dtype=float), "lvef_percent": lvef})
        e = compute_endpoints(traj, first_start_h=None, first_end_h=None, minutes_total=0, sessions_total=0)
        return e["ctrcd"], e["ctrcd_cardinale"]
    assert events([62.0, 51.5]) == (True, False)   # below 53 but not below 50
    assert events([62.0, 49.5]) == (True, True)
    assert events([58.0, 49.0]) == (False, False)  # below 50 but only -9 points


def test_high_cumulative_dose_gives_ctrcd(asim):
    with pytest.warns(CumulativeDoseWarning):
        sc = Scenario("high", model="anthracycline", duration_days=270, output_step_hours=24.0,
                      dose=(DoseSchedule("doxorubicin", 75.0, "mg/m2", interval_days=21, count=12),))
    e = asim.run(sc).endpoints
    assert e["ctrcd"] is True and e["lvef_nadir_percent"] < 53.0
    assert asim.run(doxorubicin_course(60.0, 4)).endpoints["ctrcd"] is False


def test_longer_infusions_are_less_cardiotoxic(asim):
    """Same cumulative dose (4x60 mg/m2): injury falls with infusion length (Legha 1982: 48-96 h infusions)."""
    def loss(minutes, interval=21.0):
        course = doxorubicin_course(60.0, 4, infusion_minutes=minutes, interval_days=interval, follow_days=84)
        ts = asim.run(course).timeseries
        return 1.0 - ts["cardiomyocyte_viable_fraction"].iloc[-1]
    losses = [loss(m) for m in (15.0, 360.0, 2880.0, 5760.0)]
    assert all(b < a for a, b in itertools.pairwise(losses)), losses
    assert losses[-1] < 0.7 * losses[0]
    dose_dense = loss(15.0, interval=14.0)
    assert dose_dense != pytest.approx(losses[0], rel=1e-3)  # schedule matters (peak-driven, slow repair)


def test_label_cap_warns():
    with pytest.warns(CumulativeDoseWarning, match="550"):
        Scenario("cap", model="anthracycline", duration_days=200,
                 dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", interval_days=21, count=10),))


def test_mg_per_m2_scales_with_body_surface_area(asim):
    def peak(bsa, amount, unit):
        sc = Scenario("b", model="anthracycline", duration_days=1, output_step_hours=0.25,
                      patient=Patient(body_surface_area_m2=bsa),
                      dose=(DoseSchedule("doxorubicin", amount, unit, count=1),))
        return asim.run(sc).timeseries["doxorubicin_plasma_ng_per_ml"].to_numpy()
    np.testing.assert_allclose(peak(2.0, 60.0, "mg/m2"), peak(2.0, 120.0, "mg"), rtol=1e-10)


def test_kill_rates_follow_exposure(asim):
    rates = ("doxorubicin_kill_rate", "doxorubicin_lymphocyte_kill_rate")
    ts = asim.run(doxorubicin_course(60.0, 1), extra=rates).timeseries
    k = ts["doxorubicin_kill_rate"].to_numpy()
    lymph = ts["doxorubicin_lymphocyte_kill_rate"].to_numpy()
    assert k.max() > 0 and k[0] == 0.0 and lymph.max() > 0 and lymph[0] == 0.0
    assert k.max() <= 0.8 / 24.0 + 1e-12 and lymph.max() <= 0.6 / 24.0 + 1e-12  # Emax = K_T, K_N of de Pillis
    # tumour kill follows the retained tissue exposure: it outlasts the plasma-driven lymphotoxicity
    late = ts["time_h"].to_numpy() > 72
    assert (k[late] / k.max()).mean() > (lymph[late] / lymph.max()).mean()
