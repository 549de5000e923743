#!/bin/sh
# make test-cluster: start a real three-node Elasticsearch 7.9 OSS cluster on
# 127.0.0.1 (the es-fixture tool, built from Debian's jars on first use), run
# the cluster backend's tests against it (tests/index/cluster), stop it.
# ES_FIXTURE: the fixture's `cluster` command (default: ../shared/tools/es-fixture/cluster).
set -eu
fixture="${ES_FIXTURE:-../shared/tools/es-fixture/cluster}"
if [ ! -x "$fixture" ]; then
    echo "test-cluster: no cluster fixture at $fixture (set ES_FIXTURE to its 'cluster' command)" >&2
    exit 2
fi
fixture="$(cd "$(dirname "$fixture")" && pwd)/$(basename "$fixture")"
python="${PYTHON:-.venv/bin/python}"
started=$(date +%s)
"$fixture" stop >/dev/null 2>&1 || true  # a fresh, empty cluster each run
urls=$("$fixture" start 3)
trap '"$fixture" stop >/dev/null' EXIT
echo "test-cluster: cluster $urls up after $(( $(date +%s) - started )) s"
ES_URLS="$urls" ES_FIXTURE="$fixture" "$python" -m pytest tests/index/cluster "$@"
echo "test-cluster: $(( $(date +%s) - started )) s in all"
