# recon: two commands do all set-up on a machine with python3, pip and make.
#   make demo   simulate an enterprise, reconcile it, start the scheduler and the dashboard
#   make test   lint, architecture contracts and the default test suite
VENV    := .venv
PY      := $(VENV)/bin/python
UV      := $(VENV)/bin/uv
STAMP   := $(VENV)/.installed-$(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.9
PYTEST  := $(PY) -m pytest

.PHONY: demo test test-slow test-browser test-spark test-postgres bench lint install clean

$(STAMP): pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --frozen --inexact --extra dev
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/recon demo

lint: $(STAMP)
	$(VENV)/bin/ruff check app connectors jobs tests
	$(VENV)/bin/lint-imports

test: lint
	$(PYTEST) -n 2 --timeout 600

test-slow: $(STAMP)
	$(PYTEST) -m slow --timeout 3000
	RECON_HYPOTHESIS_EXAMPLES=200 $(PYTEST) tests/test_jobs_matching_properties.py --timeout 3000

test-spark: $(STAMP)
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --frozen --inexact --extra dev --extra scale
	$(PYTEST) tests/test_engines_dialect.py --timeout 600
	$(PYTEST) -m spark --timeout 3000

test-postgres: $(STAMP)
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --frozen --inexact --extra dev --extra scale
	@url=$$(bash .ci/postgres.sh) && RECON_TEST_POSTGRES_URL="$$url" $(PYTEST) -rs -m postgres --timeout 900

test-browser: $(STAMP)
	$(PYTEST) -m browser --timeout 900

bench: $(STAMP)
	$(PY) -m tests.benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
