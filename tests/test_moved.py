"""Module paths that moved in 0.7.0 keep working, with a warning, until 0.8.0."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from crosstalk._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_warns_and_gives_the_new_objects(old):
    code = (f"import warnings\nwarnings.simplefilter('error', DeprecationWarning)\nimport crosstalk\n"
            f"try:\n    import {old}\nexcept DeprecationWarning as w:\n    print(w)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert f"{old} moved to {MOVED[old]}" in done.stdout and "0.8.0" in done.stdout
    new = importlib.import_module(MOVED[old])
    with pytest.warns(DeprecationWarning):
        sys.modules.pop(old, None)
        alias = importlib.import_module(old)
    for name in getattr(new, "__all__", ()):
        assert getattr(alias, name) is getattr(new, name)


def test_simulate_is_the_function_not_a_module():
    import crosstalk

    assert callable(crosstalk.simulate) and "crosstalk.simulate" not in MOVED
