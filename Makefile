# make demo  — install, ingest knowledge/, serve the demo app on http://127.0.0.1:8000
# make test  — install, lint, and run every test
# Each install step leaves a stamp, so a second run skips what is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
# The CPU build of torch, installed before sentence-transformers so pip never pulls a CUDA
# build (see DEVELOPERS.md to pick another build).
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=
export HF_HUB_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test install widget browser lint bench clean

demo: install widget
	$(BIN)/pageguide demo

test: install widget browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMPS)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/python: pyproject.toml | $(BIN)/python
	@mkdir -p $(STAMPS)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(STAMPS)/npm: widget/package.json widget/package-lock.json
	@mkdir -p $(STAMPS)
	cd widget && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Always rebuilt (esbuild takes milliseconds): the size budget is checked on every run.
widget: $(STAMPS)/npm
	cd widget && node build.mjs

# Headless Chromium for the browser tests, from Debian's packages.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .

bench: install widget
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(STAMPS) widget/node_modules widget/dist data
