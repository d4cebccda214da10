# Bihuan: `make up` runs the whole system with the demo district; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PACKAGES := -e shared -e services/planning -e services/execution -e services/supervision -e services/assessment -e deploy/local -e bench
STAMP := $(VENV)/.installed-stamp
ROLE ?= target_office
UNIT ?=
SCOPE ?= demo

.PHONY: install up demo-year test token bench clean-venv

install: $(STAMP)

$(STAMP): requirements.txt shared/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml bench/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt $(PACKAGES)
	touch $(STAMP)

up: install  ## create databases + vhost, migrate, start 4 APIs + workers, seed the demo district; Ctrl-C stops all
	$(PY) -m bihuan_local.launcher

demo-year: install  ## like `make up`, and replay the rest of the demo year, then publish the assessment
	$(PY) -m bihuan_local.launcher --demo-year

test: install  ## the whole test suite against the real PostgreSQL, RabbitMQ and Redis
	$(PY) -m pytest

token: install  ## mint a dev token: make token ROLE=unit_reporter UNIT=U-HM
	@BIHUAN_ENV=development $(PY) -m bihuan_shared.auth.cli --role $(ROLE) $(if $(UNIT),--unit $(UNIT)) --scope $(SCOPE)

bench: install  ## benchmarks with baselines measured in the same run
	$(PY) -m bihuan_bench

clean-venv:
	rm -rf $(VENV)

.PHONY: asyncapi
asyncapi: install  ## regenerate docs/asyncapi.yaml (the event catalogue) from the contracts in shared/
	$(PY) -m bihuan_shared.events.asyncapi --output docs/asyncapi.yaml
