"""The package's import graph beyond the layer contracts (which live in pyproject.toml and run as ``lint-imports``
in ``make lint``): every package is in a contract, no cycles inside a layer, imports at module level outside the
command line, and a cheap start (``import crosstalk``, ``crosstalk --help``).

Parsed with ``ast`` from the source files, so the test sees imports inside functions and behind
``TYPE_CHECKING`` as well as module-level ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crosstalk"
#: Not code of a layer: the package's public face (it re-exports from every layer, lazily), the aliases of moved
#: modules, and data packages.
OUTSIDE = frozenset({"__init__", "__main__", "_moved", "scenarios", "populations", "models"})

def _unit(module: str) -> str:
    """``crosstalk.report.plots`` -> ``report``: the first component under the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1] if len(parts) > 2 else parts
        out[".".join(parts)] = path
    return out


def _package_of(path: Path) -> str:
    """Dotted package that contains ``path`` (for resolving relative imports)."""
    return ".".join(path.resolve().parent.relative_to(PACKAGE.parent).parts)


def _imports(path: Path, package: str | None = None) -> list[tuple[str, bool, int]]:
    """(imported crosstalk module, inside a function?, line) for every import of the package in ``path``;
    relative imports (``from . import x``, ``from ..report import y``) are resolved against ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package_of(path) if package is None else package
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, in_function, child.lineno) for a in child.names if a.name.startswith("crosstalk"))
            elif isinstance(child, ast.ImportFrom) and child.level > 0:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (child.level - 1)])
                if child.module:
                    found.append((f"{base}.{child.module}", in_function, child.lineno))
                else:
                    found.extend((f"{base}.{a.name}", in_function, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("crosstalk"):
                found.append((child.module, in_function, child.lineno))
            visit(child, nested)

    visit(tree, False)
    return found


MODULES = _modules()
ROOT = PACKAGE.parent


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [m.strip() for layer in layers for m in layer.replace("|", ":").split(":")]


def test_every_code_unit_is_in_the_layer_contract() -> None:
    """A new package or top-level module cannot escape the layer rules by being left out of them."""
    listed = {m.removeprefix("crosstalk.") for m in _contract_layers()}
    units = {_unit(n) for n in MODULES} - OUTSIDE
    assert units <= listed, f"add {sorted(units - listed)} to [tool.importlinter] layers in pyproject.toml"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _unit(n) not in OUTSIDE))
def test_library_imports_at_module_level(name: str) -> None:
    """Only the command line imports inside functions (so its commands start fast); a library module that did
    would hide a dependency from the layer contracts' reader."""
    for target, in_function, line in _imports(MODULES[name]):
        assert not in_function or _unit(name) == "cli", f"{name}:{line} imports {target} inside a function"
        assert _unit(target) != "__init__", f"{name}:{line} imports the package facade 'crosstalk'"


@pytest.mark.parametrize("code", ["import crosstalk.errors", "import crosstalk", "import crosstalk.cli"])
def test_light_imports_load_no_heavy_dependency(code: str) -> None:
    """The facade, the errors and the command line's parser load neither roadrunner, pandas nor matplotlib."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in ('roadrunner', 'pandas', 'matplotlib') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"{code} loads {done.stdout.strip()}"


def test_help_answers_without_the_solver() -> None:
    code = ("import sys\nfrom crosstalk.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'roadrunner' not in sys.modules and 'pandas' not in sys.modules, sorted(sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert "simulate" in done.stdout


def test_no_cycles() -> None:
    graph = {n: {t for t, _, _ in _imports(p) if t in MODULES and t != n} for n, p in MODULES.items()
             if _unit(n) != "__init__"}
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                walk(nxt, [*trail, node])
        state[node] = 2

    for n in sorted(graph):
        if n not in state:
            walk(n, [])


def test_import_changes_no_global_setting() -> None:
    """Importing the package (and its report layer) leaves matplotlib's backend and roadrunner's log level alone."""
    code = (
        "import matplotlib, roadrunner\n"
        "matplotlib.use('svg')\n"
        "level = roadrunner.Logger.getLevel()\n"
        "import crosstalk, crosstalk.report.plots, crosstalk.report.html, crosstalk.sim.simulator\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "assert roadrunner.Logger.getLevel() == level\n"
        "import sys\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr


def test_the_design_page_lists_the_contract_layers_in_order() -> None:
    """The design page's architecture table is not a second copy of the rules that could drift from them."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = text[text.index("## Architecture"):]
    rows = [line for line in section.splitlines() if line.startswith("| `crosstalk.")]
    drawn = [m.strip(" `") for row in rows for m in row.split("|")[1].split(",")]
    assert drawn == _contract_layers()
