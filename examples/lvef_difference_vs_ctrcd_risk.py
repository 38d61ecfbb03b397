"""How a mean LVEF difference becomes a CTRCD relative risk in the calibrated population.

Any cardioprotection (exercise, dexrazoxane) lowers myocyte injury by some fraction. This draws, for injury cut by
0-50 % on AC 4 x 60 mg/m2, the mean difference in true LVEF a year after the last dose against the relative risk
of CTRCD (Cardinale's definition), counted on the true LVEF and as 2D or 3D echocardiography would see it (reading
error sd 3.6 or 2.2 points), at the fitted spread of cardiac sensitivity and at half and twice it (the other
fitted values kept, not refitted to the spread: each curve is relative to its own sedentary incidence). It shows:
the relative risk of a given LVEF difference is set by how many patients sit near the threshold (the spread and
the reserve) and by how much reading error adds events that no injury cut removes.

Two hearts are drawn, the two ends of the family the calibration data leave open (an uncertainty ensemble draws
between them): the tables' values (a large reserve, heart failure below 40 %), and the heart re-fitted to the same
data with heart failure counted below 48 % (a small reserve: LVEF falls sooner;
:func:`crosstalk.validation.heart_conditioning.solve_heart`, the middle of its plausible reserves).

Usage::

    python examples/lvef_difference_vs_ctrcd_risk.py [OUTDIR]     # writes lvef_vs_ctrcd_risk.png (docs/figures)
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from crosstalk.model.echo import Surveillance
from crosstalk.sim.simulator import Simulator
from crosstalk.validation.cardiac import CardiacPopulation, cardinale_course, patient_lvef
from crosstalk.validation.heart_conditioning import HEART_FAILURE_LVEF_LIMITS, solve_heart

CUTS = np.linspace(0.0, 0.5, 11)
#: Mean LVEF benefit a year after AC that 3 x 45 min of aerobic exercise at 65 % VO2max gives at the tables' values
#: (the check ``exercise_trials_lvef``; the quick start's ensemble: 1.0-3.7).
EXERCISE_BENEFIT = 2.1


def mean_lvef_difference(population: CardiacPopulation, courses: tuple, cut: float, sd: float) -> float:
    """Mean true-LVEF difference (points) a year after the last dose between injury x (1 - cut) and x 1."""
    z = np.random.default_rng(3).standard_normal(4000)
    sensitivity = np.exp(sd * z)
    baseline = population.baselines[np.arange(4000) % len(population.baselines)]
    out = []
    for c in courses:
        before = patient_lvef(c, sensitivity, baseline)[:, -1]
        after = patient_lvef(c.with_rates(loss_factor=1.0 - cut), sensitivity, baseline)[:, -1]
        out.append(float(np.mean(after - before)))
    return float(np.mean(out))


def main(outdir: Path) -> Path:
    sim = Simulator("anthracycline")
    fitted = CardiacPopulation.load()
    cut = HEART_FAILURE_LVEF_LIMITS[1]
    graded = {**solve_heart(sim, {"heart_failure_lvef_percent": cut}, {}, ctrcd=fitted.incidence(
        fitted.courses(sim, cardinale_course()), "ctrcd_cardinale"), position=0.5).parameters(),
        "heart_failure_lvef_percent": cut}
    hearts = {"tables' values: LVEF held until a large loss (reserve {reserve:.2f}),\nheart failure below 40 %": {},
              f"re-fitted to the same data: LVEF falls sooner (reserve {{reserve:.2f}}),\nheart failure below "
              f"{cut:g} %": graded}
    readings = {"true LVEF": None, "3D echo (sd 2.2)": Surveillance(measurement_sd=2.2),
                "2D echo (sd 3.6)": Surveillance()}
    colours = {"true LVEF": "black", "3D echo (sd 2.2)": "tab:blue", "2D echo (sd 3.6)": "tab:orange"}
    styles = {1.0: "-", 0.5: ":", 2.0: "--"}
    fig, axes = plt.subplots(1, 2, figsize=(12.0, 5.8), sharex=True, sharey=True)
    for ax, (title, parameters) in zip(axes, hearts.items()):
        courses = fitted.courses(sim, cardinale_course(parameters=parameters))
        for factor, style in styles.items():
            sd = fitted.sensitivity_sd * factor
            x = [mean_lvef_difference(fitted, courses, c, sd) for c in CUTS]
            for label, surveillance in readings.items():
                population = replace(CardiacPopulation.load(surveillance=surveillance), sensitivity_sd=sd)
                base = population.incidence(courses, "ctrcd_cardinale")
                rr = [population.incidence(courses, "ctrcd_cardinale", loss_factor=1.0 - c) / base for c in CUTS]
                ax.plot(x, rr, style, color=colours[label])
        ax.axvline(EXERCISE_BENEFIT, color="grey", linewidth=0.8)
        ax.text(EXERCISE_BENEFIT + 0.05, 1.0, "exercise's predicted\nbenefit", fontsize=8, va="top", color="dimgrey")
        ax.set_title(title.format(reserve=courses[0].reserve), fontsize=10)
        ax.set_xlabel("mean LVEF difference a year after AC (points, protected - unprotected)")
        ax.set_ylim(0.0, 1.05)
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=c, label=f"CTRCD read on {name}") for name, c in colours.items()]
    handles += [Line2D([], [], color="grey", linestyle=st,
                       label=f"spread of sensitivity x{f:g} (sd of ln {fitted.sensitivity_sd * f:.2f})"
                       + (" = fitted" if f == 1.0 else "")) for f, st in styles.items()]
    fig.legend(handles=handles, fontsize=8, loc="lower center", ncol=3)
    axes[0].set_ylabel("relative risk of CTRCD (Cardinale definition)")
    fig.suptitle("The same mean LVEF benefit is worth a different CTRCD relative risk with the heart's spread, the "
                 "echo's error and the heart's structure\n(injury cut 0-50 % on AC 4 x 60 mg/m2; the two ends of the "
                 "structures the calibration data allow)", fontsize=10)
    fig.tight_layout(rect=(0.0, 0.09, 1.0, 1.0))
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "lvef_vs_ctrcd_risk.png"
    fig.savefig(path, dpi=130)
    return path


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/figures")))
