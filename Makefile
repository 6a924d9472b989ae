# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export PYTHONDONTWRITEBYTECODE := 1
# The operating system's certificate store, so that a company proxy or custom CA works as it does for pip.
export UV_NATIVE_TLS := 1

.PHONY: run test bench lint messages env clean-data

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

env: $(VENV)/.synced

run: env
	$(VENV)/bin/python -m guanxi_dev.run

test: env
	$(VENV)/bin/python -m guanxi_dev.test $(ARGS)

bench: env
	$(VENV)/bin/python -m guanxi_dev.test --bench $(ARGS)

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared/guanxi services/web/guanxi_web

messages: env
	$(VENV)/bin/pybabel extract -F services/web/babel.cfg -o services/web/guanxi_web/translations/messages.pot services/web/guanxi_web
	$(VENV)/bin/pybabel update -i services/web/guanxi_web/translations/messages.pot -d services/web/guanxi_web/translations

clean-data:
	$(VENV)/bin/python -m guanxi_dev.localservices clean
