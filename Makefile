# The two commands: `make demo` and `make test`. Both are re-runnable.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HMS    := $(BIN)/hms
export HMS_HOME ?= $(CURDIR)/.hms
# About a minute of loading on a 2-core machine; the demo re-run resumes or finds it done.
DEMO_SCALE ?= 0.05

.PHONY: help install demo test clean

help:
	@echo "make demo   install, start the embedded server, migrate, seed a demo dataset, serve the console"
	@echo "make test   install, then run the whole test suite against a real throwaway server"

# What running needs (make demo); the test packages come only with `make test`.
# Re-installed when the dependencies or the set of top-level packages change.
$(BIN)/.installed: pyproject.toml $(wildcard */__init__.py)
	scripts/system-packages.sh venv server backup
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(BIN)/.installed

# The console admin 'admin' is made once; a re-run keeps it and its password.
# RESET_ADMIN=1 make demo gives it a new one (printed once).
RESET_ADMIN ?=

demo: install
	$(HMS) server start
	$(HMS) db migrate
	$(HMS) db verify
	$(HMS) seed --scale $(DEMO_SCALE) --resume
	@if [ -n "$(RESET_ADMIN)" ]; then \
		echo "giving the console admin 'admin' a new password (printed once, below)"; \
		$(HMS) console create-admin admin --reset; \
	elif $(HMS) console list-admins --json | $(BIN)/python -c 'import json,sys; sys.exit(0 if any(a["username"] == "admin" for a in json.load(sys.stdin)) else 1)'; then \
		echo "the console admin 'admin' exists: log in with its password (RESET_ADMIN=1 make demo gives it a new one)"; \
	else \
		echo "creating the console admin 'admin' (its password is printed once, below)"; \
		$(HMS) console create-admin admin; \
	fi
	@HMS_SECRET_KEY="$${HMS_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')}" \
		$(HMS) console run --host 127.0.0.1 --port 5000

# Two workers (pytest-xdist), each with its own server; tests/conftest.py keeps together
# what shares a server or a cluster. TEST_WORKERS=0 runs everything in one process, as a
# server named by HMS_TEST_DATABASE_URL needs (the workers would share it).
TEST_WORKERS ?= $(if $(HMS_TEST_DATABASE_URL),0,2)

test: $(BIN)/.installed-test
	scripts/system-packages.sh browser cluster tools
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

clean:
	-$(HMS) server stop
	rm -rf $(VENV) .pytest_cache
