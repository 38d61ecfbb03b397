"""The package's import graph: one-way layers (README "Architecture"), no cycles, no hidden imports.

Parsed with ``ast`` from the source files, so the test sees imports inside functions and behind
``TYPE_CHECKING`` as well as module-level ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crosstalk"

#: The documented layer order, lowest first: a module may import its own layer and the layers below it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("foundations", frozenset({"errors", "files", "inputs", "version"})),
    ("registry", frozenset({"registry"})),
    ("model data", frozenset({"parameters", "observables"})),
    ("build", frozenset({"introspect", "build"})),
    ("spec: ranges", frozenset({"ranges", "population"})),
    ("spec: scenario", frozenset({"scenario"})),
    ("timeline", frozenset({"timeline"})),
    ("schedule", frozenset({"schedule", "export"})),
    ("result", frozenset({"result"})),
    ("simulator", frozenset({"simulate"})),
    ("executors", frozenset({"executors"})),
    ("studies", frozenset({"cohort", "risk", "compare", "pce", "sensitivity", "optimise"})),
    ("validation", frozenset({"validation"})),
    ("report", frozenset({"report"})),
    ("cli", frozenset({"cli", "__main__"})),
)
#: Modules that hold no code of a layer: the package's public face re-exports from every layer; data packages.
OUTSIDE = frozenset({"__init__", "scenarios", "populations"})


def _unit(module: str) -> str:
    """``crosstalk.report.plots`` -> ``report``: the first component under the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(unit: str) -> int:
    for i, (_, units) in enumerate(LAYERS):
        if unit in units:
            return i
    raise AssertionError(f"crosstalk.{unit} is in no layer: add it to LAYERS here and to the README's Architecture")


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


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        unit = _unit(name)
        if unit not in OUTSIDE:
            _layer(unit)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _unit(n) not in OUTSIDE))
def test_imports_only_go_down(name: str) -> None:
    """No module imports a higher layer, and only the CLI imports inside functions (so commands start fast)."""
    mine = _layer(_unit(name))
    for target, in_function, line in _imports(MODULES[name]):
        unit = _unit(target)
        assert unit not in ("__init__",), f"{name}:{line} imports the package facade 'crosstalk'"
        if unit in OUTSIDE:
            continue
        theirs = _layer(unit)
        assert theirs <= mine, (f"{name}:{line} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]}), "
                                "a higher layer")
        if in_function:
            assert _unit(name) == "cli", f"{name}:{line} imports {target} inside a function"


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


def test_the_checker_finds_an_upward_import(tmp_path: Path) -> None:
    """The parser sees an upward import hidden in a function behind TYPE_CHECKING-style indirection."""
    src = tmp_path / "probe.py"
    src.write_text("def f():\n    from crosstalk.report.plots import summary_figure\n    return summary_figure\n"
                   "from ..report import plots\nfrom . import executors\n", encoding="utf-8")
    assert _imports(src, package="crosstalk.validation") == [
        ("crosstalk.report.plots", True, 2), ("crosstalk.report", False, 4),
        ("crosstalk.validation.executors", False, 5)]
    assert _layer(_unit("crosstalk.report.plots")) > _layer(_unit("crosstalk.simulate"))


def test_import_changes_no_global_setting() -> None:
    """Importing the package (and its report layer) leaves matplotlib's backend and roadrunner's log level alone."""
    code = (
        "import matplotlib, roadrunner\n"
        "matplotlib.use('svg')\n"
        "level = roadrunner.Logger.getLevel()\n"
        "import crosstalk, crosstalk.report.plots, crosstalk.report.html, crosstalk.simulate\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "assert roadrunner.Logger.getLevel() == level\n"
        "import sys\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
