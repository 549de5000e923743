# Two commands: `make run` serves the sources, `make test` runs the tests.
# Both create the virtual environment and install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench loadtest evaluate install clean

$(STAMP): pyproject.toml scripts/install-system-packages.sh
	sh scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The service saves its index here on first start and loads it afterwards
# (rebuilt whenever the sources change).
run: export QA_INDEX ?= var/index.npz
run: $(STAMP)
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(STAMP)
	sh scripts/install-system-packages.sh test
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check qa tests bench wsgi.py gunicorn.conf.py

bench: $(STAMP)
	sh scripts/install-system-packages.sh bench
	$(BIN)/python bench/bench.py

# Answer quality on the dev set and eval/extra.jsonl, in process.
evaluate: $(STAMP)
	$(BIN)/python bench/evaluate.py

loadtest: $(STAMP)
	sh scripts/install-system-packages.sh bench
	$(BIN)/python bench/loadtest.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info var
