# tarjama: `make demo` brings up the review loop on the sample item, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install demo drafts test bench clean

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

test: $(STAMP)
	./scripts/system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_mt
	$(BIN)/python -m benchmarks.bench_desk

clean:
	rm -rf $(VENV) .prefect .pytest_cache
