"""`pip install .` (not editable) works and the installed package finds its SBML models and scenarios."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_models_and_runs_outside_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = wheels.glob("crosstalk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "crosstalk/sbml/exercise.xml" in names
    assert "crosstalk/scenarios/single_bout.toml" in names
    assert "crosstalk/modules/exercise_parameters.toml" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    code = (
        "import crosstalk, pathlib, importlib.resources as r;"
        f"assert pathlib.Path(crosstalk.__file__).is_relative_to({str(target)!r}), crosstalk.__file__;"
        "from crosstalk.cli import main;"
        "sc = r.files('crosstalk.scenarios') / 'single_bout.toml';"
        "raise SystemExit(main(['simulate', str(sc), '--out', 'out', '--no-plot']))"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=run_dir, env=env, capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert (run_dir / "out" / "timeseries.csv").exists()
