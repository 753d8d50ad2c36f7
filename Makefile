# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= ahds-audit-demo

.PHONY: demo test install lint schemas clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo tenant is deliberately non-compliant: the gate's exit 1 is the expected outcome here.
demo: $(STAMP)
	@rc=0; $(BIN)/ahds-audit scan --demo --output-dir $(DEMO_DIR) || rc=$$?; \
	if [ $$rc -gt 1 ]; then echo "demo failed (exit $$rc)"; exit $$rc; fi; \
	echo "demo done: open $(DEMO_DIR)/report.html (exit code $$rc is the CI gate's verdict on the demo tenant)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ruff check scanner rules reports tests bench
	$(BIN)/python -m mypy

schemas: $(STAMP)
	$(BIN)/python -m scanner.schema

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache test-artifacts
