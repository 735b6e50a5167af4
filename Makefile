# Riftcast: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lock run test lint unit bench browser postgres redis wrk clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,fast]'
	touch $(STAMP)

install: $(STAMP)

# constraints.txt again from the newest releases pyproject.toml allows (then run `make test`).
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install -q -e '.[dev,fast]'
	{ sed -n '/^#/p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf $(LOCK_VENV)

run: install
	$(BIN)/riftcast db upgrade
	$(BIN)/riftcast demo
	$(BIN)/riftcast serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

# Debian's chromium for the browser tests, a running PostgreSQL for the storage tests and
# Redis for the shared rate limit's.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi; }

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || bash .ci/postgres.sh

redis:
	@bash .ci/redis.sh

unit: install
	$(BIN)/pytest -q

test: install browser postgres redis lint
	$(BIN)/pytest -q -n 2 --durations=15

# wrk (Debian's package) generates the read load.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else echo "install Debian's wrk package (sudo apt-get install wrk)"; exit 1; fi; }

bench: install wrk postgres
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(LOCK_VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
