"""`pip install .` (not editable) works and the installed package finds its SBML models and scenarios."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO


@pytest.mark.slow  # builds and installs a wheel, then runs the CLI from it (~30 s)
def test_wheel_ships_models_and_runs_outside_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = wheels.glob("crosstalk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("crosstalk/models/sbml/exercise.xml", "crosstalk/models/sbml/crosstalk_flat.xml",
                 "crosstalk/models/exercise/model.ant", "crosstalk/models/exercise/parameters.toml",
                 "crosstalk/models/exercise/manifest.toml", "crosstalk/models/units.ant",
                 "crosstalk/scenarios/single_bout.toml", "crosstalk/py.typed"):
        assert name in names, name
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
    # the installed package can check (and rebuild) its own models: sources and SBML are one shipped tree
    check = "from crosstalk.cli import main; raise SystemExit(main(['build', '--check']))"
    proc = subprocess.run([sys.executable, "-c", check], cwd=run_dir, env=env, capture_output=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 documents current and valid" in proc.stdout
