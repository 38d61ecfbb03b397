# Two entry points for a fresh machine with Python 3.11+ and make:
#   make demo   set up .venv, install crosstalk, run the built-in scenarios into out/
#   make test   set up .venv, install crosstalk with test extras, lint (ruff), type-check (mypy --strict on the
#               package), build the documentation site and run the whole test suite
#   make docs   build the documentation site into site/ (open site/index.html)
#   (make bench runs the benchmarks in benchmarks/, writing benchmarks/results*.json)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint docs models check-models clean bench figures

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip setuptools wheel

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/crosstalk demo --out out --force --analysis analysis/regimes_during_ac.toml

lint: $(STAMP)
	$(PY) -m ruff check crosstalk tests examples benchmarks models docs/hooks
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# both run tests/ and the package's docstring examples (testpaths and --doctest-modules in pyproject.toml);
# make test builds the documentation site first (its tutorials executed) and opens it in a browser (tests marked docs)
test: lint docs
	$(PY) -m pytest -n auto --maxprocesses=4

test-fast: lint
	$(PY) -m pytest -m "not slow and not docs" -n auto --maxprocesses=4

# the documentation site (mkdocs.yml): site/index.html; --strict turns every warning (a broken link, a tutorial
# that raises, a docstring griffe cannot read) into a failure
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --clean

# the README's figures, drawn by the package's own commands
figures: $(STAMP)
	$(VENV)/bin/crosstalk compare ac_sedentary aerobic_during_ac --out build/figures/compare --force --quiet
	cp build/figures/compare/compare.png docs/figures/aerobic_vs_sedentary_ac.png
	$(PY) examples/cardioprotection_dose_response.py docs/figures
	$(PY) examples/lvef_difference_vs_ctrcd_risk.py docs/figures

models: $(STAMP)
	$(PY) -m crosstalk.model.build

clean:
	rm -rf $(VENV) out build dist site *.egg-info

bench: $(STAMP)
	$(PY) benchmarks/bench_schedule.py
	$(PY) benchmarks/bench_throughput.py
	$(PY) benchmarks/bench_fast_ceiling.py
	$(PY) benchmarks/bench_pce.py
	$(PY) benchmarks/bench_explorer.py
	$(PY) benchmarks/bench_uncertainty.py
	$(PY) benchmarks/bench_optimise.py
	$(PY) benchmarks/results_report.py
