"""The immune-surveillance module: Kuznetsov reduction, antibody PK, checkpoint pharmacology, mechanism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from crosstalk.errors import InputError
from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator
from crosstalk.spec.scenario import DoseSchedule, Patient, Scenario
from crosstalk.validation import run_check
from crosstalk.validation.checks import kuznetsov_reference

PEMBRO_Q3W = (DoseSchedule("pembrolizumab", 200.0, "mg", interval_days=21, count=6, infusion_minutes=30),)


@pytest.fixture(scope="module")
def isim() -> Simulator:
    return Simulator("immune")


def test_reduces_to_kuznetsov_1994_biomodels(isim):
    """NK, checkpoint and drugs off: E and T equal BIOMD0000000762 within 1% over 100 days (dormancy included)."""
    check = run_check("kuznetsov_1994", isim)
    assert check.passed, check.describe()
    t = kuznetsov_reference()[:, 2]
    # the trajectory shows the dormancy oscillation: growth to a peak, regression, then regrowth
    peak = int(t.argmax())
    assert 0 < peak < 100 and t[peak:].min() < t[peak] / 10 and t[-1] > t[peak:].min()


def _pk(weight_kg: float = 76.8) -> dict[str, float]:
    p = {k: v.value for k, v in parameter_ids("immune").items()}
    r = weight_kg / p["pembrolizumab_reference_weight_kg"]
    return {
        "cl": p["pembrolizumab_cl_l_per_day"] * r ** p["pembrolizumab_cl_exponent"],
        "q": p["pembrolizumab_q_l_per_day"] * r ** p["pembrolizumab_cl_exponent"],
        "vc": p["pembrolizumab_vc_l"] * r ** p["pembrolizumab_v_exponent"],
        "vp": p["pembrolizumab_vp_l"] * r ** p["pembrolizumab_v_exponent"],
    }


#: Clearance held at its first-dose value: the two-compartment structure alone has closed-form answers.
CONSTANT_CLEARANCE = {"pembrolizumab_cl_max_fall": 0.0}


def _single_dose(isim, days: float, step_h: float, weight_kg: float = 76.8, parameters=CONSTANT_CLEARANCE):
    sc = Scenario("pk", model="immune", duration_days=days, output_step_hours=step_h,
                  patient=Patient(weight_kg=weight_kg), parameters=parameters,
                  dose=(DoseSchedule("pembrolizumab", 200.0, "mg", count=1, infusion_minutes=30),))
    return isim.run(sc, extra=("pembrolizumab_cl_ml_h",)).timeseries


def test_pembrolizumab_terminal_half_life_follows_from_pk_parameters(isim):
    pk = _pk()
    k10, k12, k21 = pk["cl"] / pk["vc"], pk["q"] / pk["vc"], pk["q"] / pk["vp"]
    s = k10 + k12 + k21
    beta = 0.5 * (s - math.sqrt(s * s - 4 * k10 * k21))  # per day
    ts = _single_dose(isim, 160, 24.0)
    late = ts[ts["time_h"] >= 80 * 24]
    slope = np.polyfit(late["time_h"] / 24.0, np.log(late["pembrolizumab_plasma_ug_per_ml"]), 1)[0]
    assert -slope == pytest.approx(beta, rel=1e-3)
    assert 20 < math.log(2) / beta < 30  # published terminal half-life ~ 22-26 days


def test_clearance_falls_with_time_on_treatment_to_the_label_steady_state(isim):
    """Clearance is the label's 252 mL/day until the first dose, then falls monotonically (sigmoid in time on
    treatment, half of the fall at pembrolizumab_cl_t50_days) towards 252 x (1 - 0.2262) = 195 mL/day."""
    p = {k: v.value for k, v in parameter_ids("immune").items()}
    sc = Scenario("tv", model="immune", duration_days=400, output_step_hours=24.0, patient=Patient(weight_kg=76.8),
                  dose=(DoseSchedule("pembrolizumab", 200.0, "mg", start_day=10.0, count=1),))
    ts = isim.run(sc, extra=("pembrolizumab_cl_ml_h",)).timeseries
    cl = ts["pembrolizumab_cl_ml_h"].to_numpy() * 24.0
    days = ts["time_h"].to_numpy() / 24.0
    assert cl[days <= 10] == pytest.approx(252.0, rel=1e-9)  # no treatment yet: no fall
    assert np.all(np.diff(cl) <= 1e-9)
    t50 = p["pembrolizumab_cl_t50_days"]
    half = 252.0 * (1.0 - p["pembrolizumab_cl_max_fall"] / 2.0)
    assert np.interp(10.0 + t50, days, cl) == pytest.approx(half, rel=1e-3)
    assert cl[-1] == pytest.approx(195.0, rel=0.01)


def test_blood_occupancy_is_the_binding_equilibrium_at_27_pm(isim):
    """Known answer: occupancy = C / (C + Kd) with C the molar plasma concentration (MW 146,286 g/mol)."""
    ts = _single_dose(isim, 120, 24.0, parameters={})
    p = {k: v.value for k, v in parameter_ids("immune").items()}
    c_nm = ts["pembrolizumab_plasma_ug_per_ml"].to_numpy() * 1e-3 / p["pembrolizumab_mw"] * 1e9  # ug/mL -> nM
    expected = c_nm / (c_nm + p["anti_pd1_kd_nm"])
    assert ts["pd1_occupancy_blood"].to_numpy()[1:] == pytest.approx(expected[1:], rel=1e-6)
    assert p["anti_pd1_kd_nm"] == pytest.approx(0.027)
    day60 = ts.loc[ts["time_h"] == 60 * 24]
    assert float(day60["pd1_occupancy_blood"].iloc[0]) > 0.99  # picomolar binding: still saturated at 2 months


def test_pembrolizumab_auc_equals_dose_over_clearance(isim):
    """Known answer: AUC(0-inf) = dose / CL (the tail after 300 days is extrapolated with the terminal slope)."""
    ts = _single_dose(isim, 300, 0.25, weight_kg=70.0)
    t, c = ts["time_h"].to_numpy(), ts["pembrolizumab_plasma_ug_per_ml"].to_numpy()
    k = -np.polyfit(t[-2000:], np.log(c[-2000:]), 1)[0]
    auc = np.trapezoid(c, t) + c[-1] / k  # ug h / mL
    cl_ml_per_h = _pk(70.0)["cl"] * 1000.0 / 24.0
    assert auc == pytest.approx(200.0e3 / cl_ml_per_h, rel=2e-3)


def test_occupancy_rises_with_dose_and_stays_in_0_1(isim):
    troughs = []
    for mg in (0.2, 2.0, 20.0, 200.0):
        sc = Scenario("ro", model="immune", duration_days=63, output_step_hours=6.0,
                      dose=(DoseSchedule("pembrolizumab", mg, "mg", interval_days=21, count=3),))
        res = isim.run(sc)
        occ = res.timeseries["pd1_occupancy"]
        assert occ.between(0.0, 1.0).all()
        troughs.append(res.endpoints["pd1_occupancy_trough"])
    assert all(b > a for a, b in itertools.pairwise(troughs)), troughs


def test_anti_pd1_slows_growth_through_cd8_killing(isim):
    """Label dose 200 mg q3w slows an immunogenic (mouse-set) tumour; with CD8 kill off the antibody does nothing."""
    def change(doses, **params):
        sc = Scenario("a", model="immune", species="mouse", duration_days=126, output_step_hours=24.0, dose=doses,
                      parameters=params, patient=Patient(tumour_cells=1e8))
        return isim.run(sc).endpoints["tumour_volume_change_percent"]

    untreated, treated = change(()), change(PEMBRO_Q3W)
    assert treated < untreated - 50.0, (treated, untreated)
    no_cd8_untreated, no_cd8_treated = change((), cd8_kill_on=0.0), change(PEMBRO_Q3W, cd8_kill_on=0.0)
    assert no_cd8_treated == pytest.approx(no_cd8_untreated, rel=1e-6)  # identical up to solver noise


def test_checkpoint_inhibition_rises_with_pdl1_induction(isim):
    ts = isim.run(Scenario("c", model="immune", duration_days=30, output_step_hours=24.0)).timeseries
    ck = ts["checkpoint_inhibition"].to_numpy()
    assert ck.min() >= 0.0 and ck.max() <= 1.0 and ck[-1] > ck[0]


def test_mg_per_kg_scales_with_weight(isim):
    a = Scenario("w", model="immune", duration_days=1, output_step_hours=1.0, patient=Patient(weight_kg=50.0),
                 dose=(DoseSchedule("pembrolizumab", 2.0, "mg/kg", count=1),))
    b = Scenario("w", model="immune", duration_days=1, output_step_hours=1.0, patient=Patient(weight_kg=50.0),
                 dose=(DoseSchedule("pembrolizumab", 100.0, "mg", count=1),))
    pd_a = isim.run(a).timeseries["pembrolizumab_plasma_ug_per_ml"]
    pd_b = isim.run(b).timeseries["pembrolizumab_plasma_ug_per_ml"]
    np.testing.assert_allclose(pd_a, pd_b, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": -1.0}, "dose.amount"),
        ({"drug": "aspirin"}, "dose.drug"),
        ({"unit": "particles"}, "dose.unit"),
        ({"count": 0}, "dose.count"),
        ({"infusion_minutes": -5}, "dose.infusion_minutes"),
    ],
)
def test_bad_dosing_input(kwargs, field):
    args = {"drug": "pembrolizumab", "amount": 200.0, "unit": "mg", **kwargs}
    with pytest.raises(InputError) as info:
        DoseSchedule(**args)
    assert info.value.field == field


def test_drug_needs_a_model_that_has_it():
    with pytest.raises(InputError, match="model"):
        Scenario("x", model="exercise", dose=PEMBRO_Q3W)


def test_dose_toml_errors_name_the_block():
    text = 'name = "x"\nmodel = "immune"\n[[dose]]\ndrug = "pembrolizumab"\namount = 200\nunit = "mg"\ncount = 0\n'
    with pytest.raises(InputError) as info:
        Scenario.from_toml(text)
    assert info.value.field == "dose[0].count"
