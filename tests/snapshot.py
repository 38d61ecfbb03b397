"""A stored snapshot of what the package computes, to prove that restructuring changes no number.

``python tests/snapshot.py`` rewrites ``tests/data/snapshot.json``: the endpoints of every built-in scenario, and
the indices of each built-in sensitivity spec scaled down (n and outputs) so the test takes seconds. The test in
``test_snapshot.py`` recomputes them with the current code and compares.

Retake it only for a change meant to move numbers, and say in the CHANGELOG which endpoints moved and why (the
0.7.0 entry is an example).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SNAPSHOT = HERE / "data" / "snapshot.json"
#: the built-in sensitivity specs scaled down (file, method, n); the first two outputs of each are kept
SPECS = (("regimes_during_ac.toml", "sobol", 8), ("regimes_during_ac.toml", "morris", 4),
         ("bench_20_parameters.toml", "sobol", 4), ("bench_20_parameters_pce.toml", "pce", 24))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


#: the built-in scenarios, whose endpoints the snapshot keeps by file stem
SCENARIOS = tuple(sorted((ROOT / "crosstalk" / "scenarios").glob("*.toml")))


def scenario_endpoint(path: Path) -> dict[str, Any]:
    """The endpoints of one scenario file, as the snapshot stores them (non-finite floats as strings)."""
    from crosstalk import load_scenario, simulate

    return {k: _clean(v) for k, v in simulate(load_scenario(path)).endpoints.items()}


def scenario_endpoints() -> dict[str, dict[str, Any]]:
    return {path.stem: scenario_endpoint(path) for path in SCENARIOS}


def spec_key(name: str, method: str) -> str:
    return f"{name}:{method}"


def spec_index(name: str, method: str, n: int) -> list[dict[str, Any]]:
    """The indices of one built-in sensitivity spec scaled down (``n``, the first two outputs), as stored."""
    from crosstalk import load_analysis, run_sensitivity

    spec = load_analysis(ROOT / "analysis" / name)
    spec = replace(spec, method=method, n=n, outputs=spec.outputs[:2], time_resolved=())
    res = run_sensitivity(spec, workers=1, progress=False)
    table = res.indices.sort_values(list(res.indices.columns[:2])).reset_index(drop=True)
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_dict("records")]


def spec_indices() -> dict[str, list[dict[str, Any]]]:
    return {spec_key(name, method): spec_index(name, method, n) for name, method, n in SPECS}


def compute() -> dict[str, Any]:
    return {"endpoints": scenario_endpoints(), "indices": spec_indices()}


if __name__ == "__main__":
    data = compute()
    SNAPSHOT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
