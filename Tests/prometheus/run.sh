#!/usr/bin/env bash
# procstreamd's /metrics against the real Prometheus tools (Debian's `prometheus` package):
# `promtool check metrics` on the body, then a live Prometheus server scraping it every second.
# Usage: Tests/prometheus/run.sh path/to/procstreamd
# Installs the package if missing (its service is kept from starting), runs check.py, and ends
# with 'N passed, M failed'; exit status 1 on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PROCSTREAMD" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1
give_up() { echo "prometheus: $1" >&2; echo "0 passed, 1 failed"; exit 1; }

if ! command -v promtool >/dev/null || [ ! -x /usr/bin/prometheus ]; then
    # The package would start its own server on :9090: policy-rc.d says no.
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get install -y -q --no-install-recommends prometheus
    rc=$?
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || give_up "apt-get install prometheus failed"
fi
/usr/bin/prometheus --version 2>&1 | head -n 1

python3 "$here/check.py" "$(realpath "$1")" "$(cd "$here/../.." && pwd)/Tests/ProcFSTests/Fixtures/cgroup-v2"
