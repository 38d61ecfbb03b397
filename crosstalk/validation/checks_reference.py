"""Known answers: the published Kuznetsov 1994 model (BIOMD0000000762) and the labelled pharmacokinetics of
pembrolizumab, doxorubicin and cyclophosphamide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources

import numpy as np
import numpy.typing as npt

from crosstalk.model.parameters import parameter_ids
from crosstalk.sim.simulator import Simulator, simulate_document
from crosstalk.spec.scenario import DoseSchedule, Patient, Scenario
from crosstalk.validation.check import Check, Curve, Mark, _judge, register
from crosstalk.validation.targets import band, target

FloatArray = npt.NDArray[np.float64]


# ------------------------------------------------------------------------------------------ known answers
@register("kuznetsov_1994", model="immune")
def kuznetsov_1994(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """Mouse set, NK, checkpoint and drugs off: tumour and effector cells equal BIOMD0000000762 (as published)."""
    t = target("kuznetsov_1994")
    off = {"nk_kill_on": 0.0, "checkpoint_active": 0.0, **(parameters or {})}
    if sim.model == "immune":
        off["nk_blood_input"] = 0.0
    sc = Scenario("kuznetsov", model=sim.model, species="mouse", duration_days=100, output_step_hours=24.0,
                  patient=Patient(tumour_cells=t.number("T0_cells")), parameters=off)
    ours = sim.run(sc).timeseries
    out = kuznetsov_reference()
    rel_t = float(np.max(np.abs(ours["tumour_cells"].to_numpy() - out[:, 2]) / out[:, 2]))
    rel_e = float(np.max(np.abs(ours["cd8_tumour_cells"].to_numpy() - out[:, 1]) / out[:, 1]))
    days = out[:, 0]
    tol = band(t.id, "max_relative_error_tumour").limits()[1]
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "max_relative_error_tumour": rel_t,
        "max_relative_error_effector": rel_e,
    }), curves=(Curve("crosstalk tumour cells", days, ours["tumour_cells"].to_numpy()),
                Curve("crosstalk effector cells", days, ours["cd8_tumour_cells"].to_numpy())),
        marks=tuple(Mark("BIOMD0000000762" if k == 0 else "", float(days[k]), float(out[k, 2]),
                         float(out[k, 2]) * (1.0 - tol), float(out[k, 2]) * (1.0 + tol)) for k in range(0, 101, 10)),
        x_label="days", y_label="cells")


def kuznetsov_reference() -> FloatArray:
    """BIOMD0000000762 as published, days 0-100 daily: columns time (days), effector cells E, tumour cells T."""
    return simulate_document(str(resources.files("crosstalk.validation") / "BIOMD0000000762.xml"), end=100.0,
                             points=101, selections=["time", "[E]", "[T]"], rtol=1e-10)


@register("pembrolizumab_pk", model="immune")
def pembrolizumab_pk(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """200 mg every 3 weeks for 12 doses at the reference weight, then 4 months without: clearance after the first
    dose and at steady state (label, set from), steady-state terminal half-life (label, predicted; and the known
    answer ln 2 / beta of the two-compartment parameters at steady-state clearance), AUC accumulation (label,
    predicted), and blood PD-1 occupancy at the steady-state trough of 1 mg/kg every 3 weeks (Patnaik 2015,
    predicted)."""
    t = target("pembrolizumab_pk")
    p = {k: v.value for k, v in parameter_ids(sim.model).items()}
    p.update(parameters or {})
    weight = p["pembrolizumab_reference_weight_kg"]
    cycles, tau = 12, 21.0
    sc = Scenario("pembro-pk", model=sim.model, duration_days=cycles * tau + 120.0, output_step_hours=6.0,
                  patient=Patient(weight_kg=weight), parameters=parameters or {},
                  dose=(DoseSchedule("pembrolizumab", t.number("dose_mg"), "mg", count=cycles, interval_days=tau,
                                     infusion_minutes=30.0),))
    ts = sim.run(sc, extra=("pembrolizumab_cl_ml_h",)).timeseries
    days = ts["time_h"].to_numpy() / 24.0
    conc = ts["pembrolizumab_plasma_ug_per_ml"].to_numpy()
    cl = ts["pembrolizumab_cl_ml_h"].to_numpy() * 24.0  # mL/day
    first = days <= tau
    last_cycle = (days >= (cycles - 1) * tau) & (days <= cycles * tau)
    accumulation = float(np.trapezoid(conc[last_cycle], days[last_cycle]) / np.trapezoid(conc[first], days[first]))
    washout = days >= cycles * tau + 30.0
    slope = -np.polyfit(days[washout], np.log(conc[washout]), 1)[0]
    cl_ss = float(cl[-1])
    k10 = cl_ss / 1000.0 / p["pembrolizumab_vc_l"]  # the model's volumes are Ahamadi's at the reference weight
    k12 = p["pembrolizumab_q_l_per_day"] / p["pembrolizumab_vc_l"]
    k21 = p["pembrolizumab_q_l_per_day"] / p["pembrolizumab_vp_l"]
    beta = 0.5 * (k10 + k12 + k21 - math.sqrt((k10 + k12 + k21) ** 2 - 4 * k10 * k21))
    engagement = Scenario("pembro-1mgkg", model=sim.model, duration_days=8 * tau, output_step_hours=6.0,
                          patient=Patient(weight_kg=weight), parameters=parameters or {},
                          dose=(DoseSchedule("pembrolizumab", 1.0, "mg/kg", count=8, interval_days=tau,
                                             infusion_minutes=30.0),))
    occ = sim.run(engagement).timeseries
    trough = float(np.interp(7 * tau * 24.0, occ["time_h"].to_numpy(), occ["pd1_occupancy_blood"].to_numpy()))
    measured = {
        "clearance_first_dose_ml_per_day": float(cl[1]),
        "clearance_steady_state_ml_per_day": cl_ss,
        "terminal_half_life_days": float(math.log(2) / slope),
        "terminal_half_life_vs_two_compartment_days": float(math.log(2) / slope),
        "auc_accumulation": accumulation,
        "blood_occupancy_trough_1_mg_per_kg": trough,
    }
    return Check(t.id, t.source, sim.model,
                 _judge(t.id, measured, {"terminal_half_life_vs_two_compartment_days": math.log(2) / beta}),
                 curves=(Curve("plasma pembrolizumab, 200 mg q3w x12", days, conc),),
                 x_label="days", y_label="ug/mL",
                 note=("Clearance after the first dose and its fall to steady state are set from the label; the "
                       "half-life, accumulation and blood engagement are predictions (volumes from Ahamadi 2017, "
                       "Kd 27 pM). Binding occupancy saturates at lower doses than the ex vivo IL-2 engagement "
                       "assay of Patnaik 2015 / Elassaiss-Schaap 2017, which needed 2 mg/kg q3w for 95 %."))


@register("dox_pk_3cmt", model="anthracycline")
def dox_pk_3cmt(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """AUC(0-inf) of a 60 mg/m2, 15-min infusion equals dose / CL (known answer)."""
    t = target("dox_pk_3cmt")
    cl = parameter_ids(sim.model)["dox_cl_l_per_h"].value
    sc = Scenario("dox-pk", model=sim.model, duration_days=30, output_step_hours=0.01, parameters=parameters or {},
                  dose=(DoseSchedule("doxorubicin", 60.0, "mg/m2", count=1, infusion_minutes=15.0),))
    ts = sim.run(sc).timeseries
    tt, c = ts["time_h"].to_numpy(), ts["doxorubicin_plasma_ng_per_ml"].to_numpy()
    k = -np.polyfit(tt[-5000:], np.log(c[-5000:]), 1)[0]
    auc = float(np.trapezoid(c, tt) + c[-1] / k)
    expected = 60.0 * sc.patient.body_surface_area_m2 * 1e6 / (cl * 1000.0)
    keep = tt <= 96
    return Check(t.id, t.source, sim.model, _judge(t.id, {"auc_ng_h_per_ml": auc}, {"auc_ng_h_per_ml": expected}),
                 curves=(Curve("plasma doxorubicin", tt[keep], c[keep]),), x_label="hours after 60 mg/m2",
                 y_label="ng/mL")


@register("cyclophosphamide_pk", model="cyclophosphamide")
def cyclophosphamide_pk(sim: Simulator, *, parameters: Mapping[str, float] | None = None) -> Check:
    """600 mg/m2 over 15 minutes (the C of AC): elimination half-life in the published range (predicted from
    Ahmed 2020's CL and V), AUC(0-inf) = dose / CL (known answer), and the 4-hydroxycyclophosphamide /
    cyclophosphamide AUC ratio (Joy 2012; the metabolite's clearance is fitted to it)."""
    t = target("cyclophosphamide_pk")
    p = {k: v.value for k, v in parameter_ids(sim.model).items()}
    p.update(parameters or {})
    dose = t.number("ac_dose_mg_per_m2")
    sc = Scenario("cyclo-pk", model=sim.model, duration_days=3.0, output_step_hours=0.05,
                  parameters=parameters or {},
                  dose=(DoseSchedule("cyclophosphamide", dose, "mg/m2", count=1, infusion_minutes=15.0),))
    ts = sim.run(sc).timeseries
    hours = ts["time_h"].to_numpy()
    parent = ts["cyclophosphamide_plasma_ug_per_ml"].to_numpy()
    metabolite = ts["hydroxycyclophosphamide_plasma_ng_per_ml"].to_numpy() * 1e-3  # ug/mL
    late = (hours >= 12.0) & (hours <= 48.0)
    k = -np.polyfit(hours[late], np.log(parent[late]), 1)[0]
    auc = float(np.trapezoid(parent, hours) + parent[-1] / k)  # ug h / mL
    expected = dose * sc.patient.body_surface_area_m2 * 1e3 / (p["cyclophosphamide_cl_l_per_h"] * 1e3)
    ratio = float(np.trapezoid(metabolite, hours) / np.trapezoid(parent, hours))
    keep = hours <= 36.0
    return Check(t.id, t.source, sim.model, _judge(t.id, {
        "elimination_half_life_h": float(math.log(2) / k),
        "auc_ug_h_per_ml": auc,
        "metabolite_auc_ratio": ratio,
    }, {"auc_ug_h_per_ml": expected}),
        curves=(Curve("plasma cyclophosphamide (ug/mL)", hours[keep], parent[keep]),
                Curve("plasma 4-hydroxycyclophosphamide (ug/mL)", hours[keep], metabolite[keep])),
        x_label="hours after 600 mg/m2", y_label="ug/mL",
        note=("Pharmacokinetics only: cyclophosphamide's effects on tumour cells and NK cells are judged in the "
              "composed model (neoadjuvant_ac_response, chemotherapy_nk_depletion). Half-life predicted from "
              "Ahmed 2020 (6.0 h; Busse 1997 4.8 h, Juma 1984 7.6 h)."))


