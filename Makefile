# Bihuan: `make up` runs the whole system with the demo district; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PACKAGES := -e shared -e services/planning -e services/execution -e services/supervision -e services/assessment -e deploy/local -e bench
STAMP := $(VENV)/.installed-stamp
ROLE ?= target_office
UNIT ?=
SCOPE ?= demo

.PHONY: install up demo-year test token bench clean-venv lock vulnerabilities

install: $(STAMP)

$(STAMP): requirements.lock requirements.txt shared/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml bench/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps $(PACKAGES)
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

lock: install  ## after changing requirements.txt: re-pin the whole tree with hashes into requirements.lock
	$(PY) -m pip install -q pip-tools==7.5.2
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip freeze --exclude-editable | grep -v -E '^(bihuan|pip-tools|build|pyproject-hooks)==' > .lock.in
	$(PY) -m piptools compile -q --generate-hashes --allow-unsafe --no-header --strip-extras --no-annotate -o requirements.lock.new .lock.in
	(sed -n '1,3p' requirements.lock; echo; grep -v -E '^--(extra-index-url|find-links)' requirements.lock.new) > requirements.lock
	rm -f .lock.in requirements.lock.new

vulnerabilities: install  ## known vulnerabilities of the locked tree, against an OSV mirror (BIHUAN_ADVISORY_DB)
	$(PY) -m bihuan_local.advisories --lock requirements.lock
