#!/bin/sh
# Debian packages the service reads at run time: the FreeDict English-Dutch and
# Dutch-English dictionaries, for English questions over Dutch sources.
# With the argument "bench", also what `make bench` needs: Debian's Dutch word
# list (wdutch) for the synthetic corpora and wrk for HTTP load. With "test",
# also Debian's Chromium for the browser tests (no browser is downloaded) and
# wdutch, from which the tests generate archives above the size thresholds.
# Installs only what is missing; without root it says what to install instead.
set -eu
missing=""
[ -f /usr/share/dictd/freedict-eng-nld.index ] || missing="$missing dict-freedict-eng-nld"
[ -f /usr/share/dictd/freedict-nld-eng.index ] || missing="$missing dict-freedict-nld-eng"
if [ "${1:-}" = test ]; then
    [ -x /usr/bin/chromium ] || missing="$missing chromium fonts-dejavu-core"
    [ -f /usr/share/dict/dutch ] || missing="$missing wdutch"
fi
if [ "${1:-}" = bench ]; then
    [ -f /usr/share/dict/dutch ] || missing="$missing wdutch"
    command -v wrk >/dev/null || missing="$missing wrk"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing$missing"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "warning: cannot install$missing (no root): without the dictionaries English questions are not" \
         "translated; without chromium the browser tests are skipped" >&2
fi
