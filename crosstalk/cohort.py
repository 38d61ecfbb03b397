"""Virtual cohorts: a Latin hypercube (pydoe) over patient and biological parameters, one simulation each.

The ranges come from the scenario's ``[cohort]`` section (``[[cohort.parameter]]``: name, low, high,
distribution). The same scenario, n and seed give the same patients and the same endpoints.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pydoe

from crosstalk.errors import InputError
from crosstalk.runner import RunFailure, run_many
from crosstalk.scenario import Scenario, apply_values

__all__ = ["CohortResult", "run_cohort", "sample_cohort", "write_cohort"]

RESPONDERS = ("CR", "PR")


def sample_cohort(scenario: Scenario, n: int, *, seed: int) -> pd.DataFrame:
    """n patients' values (one column per cohort parameter) from a seeded Latin hypercube."""
    if not scenario.cohort:
        raise InputError("cohort", None, "a [cohort] section with [[cohort.parameter]] ranges in the scenario")
    if n < 1 or n > 1_000_000:
        raise InputError("--n", n, "an integer in [1, 1000000]")
    unit = pydoe.lhs(len(scenario.cohort), samples=n, seed=seed)
    return pd.DataFrame({r.name: r.from_unit(unit[:, j]) for j, r in enumerate(scenario.cohort)})


@dataclass(frozen=True)
class CohortResult:
    """Per-patient values and endpoints, failures, and provenance."""

    patients: pd.DataFrame
    failures: tuple[RunFailure, ...]
    provenance: dict

    def summary(self) -> pd.DataFrame:
        """Distribution of every numeric endpoint: mean, sd and quantiles."""
        numeric = self.patients.select_dtypes(include=[np.number, bool]).astype(float)
        q = numeric.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).T
        q.columns = ["p05", "p25", "median", "p75", "p95"]
        return pd.concat([numeric.mean().rename("mean"), numeric.std().rename("sd"), q], axis=1)

    def fractions(self) -> dict[str, float]:
        """Fraction of patients with CTRCD and with tumour response (CR or PR), where the model has them."""
        out = {}
        if "ctrcd" in self.patients:
            out["fraction_ctrcd"] = float(self.patients["ctrcd"].astype(bool).mean())
        if "tumour_response" in self.patients:
            out["fraction_tumour_response"] = float(self.patients["tumour_response"].isin(RESPONDERS).mean())
        return out


def run_cohort(scenario: Scenario, n: int, *, seed: int, workers: int | None = None,
               progress: bool = True) -> CohortResult:
    """Simulate a virtual cohort of ``n`` patients around ``scenario``."""
    t0 = time.perf_counter()
    values = sample_cohort(scenario, n, seed=seed)
    scenarios = [apply_values(scenario, row) for row in values.to_dict("records")]
    results = run_many(scenarios, workers=workers, progress=progress, desc="patients")
    failures = tuple(r for r in results if isinstance(r, RunFailure))
    rows = [({} if isinstance(r, RunFailure) else r) for r in results]
    patients = pd.concat([values, pd.DataFrame(rows)], axis=1)
    patients.insert(0, "patient", np.arange(n))
    patients["failed"] = [isinstance(r, RunFailure) for r in results]
    from crosstalk.simulate import versions

    provenance = {"scenario": scenario.name, "n": n, "seed": seed, "failures": len(failures),
                  "wall_time_s": round(time.perf_counter() - t0, 2), "versions": versions()}
    return CohortResult(patients, failures, provenance)


def write_cohort(result: CohortResult, outdir: str | Path) -> Path:
    """Write endpoints.csv, summary.csv, summary.md, cohort.json (fractions, provenance) and cohort.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    result.patients.to_csv(outdir / "endpoints.csv", index=False)
    summary = result.summary()
    summary.to_csv(outdir / "summary.csv")
    fractions = result.fractions()
    lines = ["| endpoint | mean | sd | p05 | median | p95 |", "|---|---|---|---|---|---|"]
    lines += [f"| {k} | {r['mean']:.4g} | {r['sd']:.4g} | {r['p05']:.4g} | {r['median']:.4g} | {r['p95']:.4g} |"
              for k, r in summary.iterrows()]
    lines += ["", *(f"- {k}: {v:.3f}" for k, v in fractions.items())]
    (outdir / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (outdir / "cohort.json").write_text(json.dumps({**fractions, "provenance": result.provenance}, indent=2),
                                        encoding="utf-8")
    cols = [c for c in ("tumour_volume_change_percent", "lvef_drop_points", "chf_risk_final", "il6_peak_fold",
                        "nk_tumour_cells_mean", "exev_auc_particles_h_per_ml") if c in result.patients]
    if cols:
        fig, axes = plt.subplots(1, len(cols) + 1, figsize=(3.2 * (len(cols) + 1), 3), squeeze=False)
        for ax, c in zip(axes[0], cols):
            ax.hist(result.patients[c].dropna(), bins=30, color="tab:blue", alpha=0.8)
            ax.set_title(c, fontsize=8)
        ax = axes[0][-1]
        ax.bar(list(fractions), list(fractions.values()), color="tab:orange")
        ax.set_ylim(0, 1)
        ax.set_title("fractions", fontsize=8)
        ax.tick_params(axis="x", labelsize=6)
        fig.tight_layout()
        fig.savefig(outdir / "cohort.png", dpi=100)
        plt.close(fig)
    return outdir
