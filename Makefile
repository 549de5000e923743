# Two commands: `make run` serves the sources, `make test` runs the tests.
# Both create the virtual environment and install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-cluster lint bench loadtest evaluate train install kit clean

$(STAMP): pyproject.toml scripts/install-system-packages.sh
	sh scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The team's evaluation kit (scorer, dev set, XQuAD-nl, archive generator), copied into eval/kit/ from
# EVAL_KIT (default ../shared); without it make evaluate says what is missing and the archive tests skip.
EVAL_KIT ?= ../shared
kit:
	sh scripts/copy-eval-kit.sh "$(EVAL_KIT)"

# The service saves its index here on first start and loads it afterwards
# (rebuilt whenever the sources change).
run: export QA_INDEX ?= var/index.npz
run: $(STAMP)
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(STAMP) kit
	sh scripts/install-system-packages.sh test
	$(BIN)/python -m pytest

# The search-cluster backend against a real three-node Elasticsearch cluster, started and stopped
# for the run (../shared/tools/es-fixture, or ES_FIXTURE; as root: it installs a JDK from Debian).
test-cluster: $(STAMP)
	sh scripts/test-cluster.sh

lint: $(STAMP)
	$(BIN)/ruff check qa tests bench wsgi.py gunicorn.conf.py

# The index alone (bench.py), then folder -> answering at 10k, 100k and 1M
# sentences (archive.py; about 20 minutes more, the encoder path at 10k and 100k: the answers while the
# vectors are made, a restart, every vector in place),
# then questions while articles are added at 10k and 100k (changes.py; about 5 minutes), then the
# timeline and the disagreements (timeline.py; about a minute).
bench: $(STAMP) kit
	sh scripts/install-system-packages.sh bench
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/archive.py
	$(BIN)/python bench/changes.py
	$(BIN)/python bench/timeline.py

# Answer quality on every question set, in process: ours, the dev set and XQuAD-nl (en, nl).
evaluate: $(STAMP) kit
	$(BIN)/python bench/evaluate.py

# Refit the ranking and abstention models (qa/data/model*.json) and print their
# cross-validated figures per set, with and without the encoder and the dictionaries (about 2 min).
train: $(STAMP) kit
	$(BIN)/python -m qa.training

loadtest: $(STAMP) kit
	sh scripts/install-system-packages.sh bench
	$(BIN)/python bench/loadtest.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info var
