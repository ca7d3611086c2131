# tarjama: `make demo` brings up the review loop on the sample item, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
# Python's bytecode cache for the project's own modules: a shell that sets PYTHONDONTWRITEBYTECODE makes every
# process (each CLI command, flow run and pytest worker) compile them again and pytest rewrite its test modules
# again (about 2 s per pytest process); __pycache__/ is git-ignored
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo drafts lint test test-fast test-weblate weblate weblate-down bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tarjama demo

drafts: $(STAMP)
	$(BIN)/tarjama translate content/inbox/000_220f3de444a27c17.txt --to fr,en

# ruff, then the layer contracts (cli > operations > flows > tarjama; the domain in layers, never Prefect)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# two processes: the Prefect-server tier in one, the PostgreSQL topology test in the other, unit tests around them
test: $(STAMP) lint
	./scripts/system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not weblate"

# the unit tier: no Prefect server, no subprocess stack, no browser, no corpus-wide rates (about 20 s quiet); three
# processes on two cores, a module each at a time (the modules that import Prefect together, in one): part of the
# tier is waiting on a subprocess or a timeout, which a third process fills (2026-12-07, 455 tests: 16.6 s quiet,
# 21.1 s with a core kept busy; 23.2 s quiet when each of those modules imported Prefect in its own process; later
# that day 17.7-18.9 s quiet, and 466 tests 19.2-20.4 s quiet, 24.7 s with a core busy)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not corpus and not weblate" -q -n 3 --dist loadgroup

# a local Weblate for the translators (README: Weblate): PostgreSQL, Redis and Weblate on 127.0.0.1, state in .weblate/
weblate: $(STAMP)
	./scripts/weblate/up

weblate-down:
	./scripts/weblate/down

# the Weblate round trip against that Weblate (after `make weblate`)
test-weblate: $(STAMP)
	$(BIN)/python -m pytest -m weblate -v

bench: $(STAMP)
	-$(BIN)/python -m benchmarks.bench_mt  # each prints PASS or FAIL; all run
	-$(BIN)/python -m benchmarks.bench_desk  # each prints PASS or FAIL; all run
	-$(BIN)/python -m benchmarks.bench_engines  # each prints PASS or FAIL; all run
	-$(BIN)/python -m benchmarks.bench_workbench  # each prints PASS or FAIL; all run
	-$(BIN)/python -m benchmarks.bench_qa  # the QA gate on NTREX-128 (../shared): false alarms and recall
	-$(BIN)/python -m benchmarks.bench_risk  # the risk bands on NTREX-128: clean segments low, damaged ones flagged
	-$(BIN)/python -m benchmarks.bench_start --items 20  # runs start and wake: serve and the PostgreSQL topology side by side
	-$(BIN)/python -m benchmarks.bench_takeover  # a worker's machine dies: its runs running again elsewhere (about 3 min)
	-$(BIN)/python -m benchmarks.bench_flash --items 20  # breaking news: inbox to its unreviewed versions published
	-$(BIN)/python -m benchmarks.bench_workers --items 20  # the README's figures: --items 200 (about an hour)

clean:
	rm -rf $(VENV) .prefect .tarjama .pytest_cache  # .weblate/ stays: `make weblate-down`, then remove it by hand
