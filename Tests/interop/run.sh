#!/usr/bin/env bash
# Interop suite: procstreamd against third-party SSE clients and nginx (see README.md here).
# Usage: Tests/interop/run.sh path/to/procstreamd
# Installs what is missing (Debian: nginx-light, node-eventsource; PyPI: requirements.txt into a
# throw-away venv), runs interop.py, and ends with 'N passed, M failed'; exit status 1 on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PROCSTREAMD" >&2
    exit 2
fi
binary=$(realpath "$1")
work=$(mktemp -d /tmp/procstream-interop.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PYTHONDONTWRITEBYTECODE=1 DEBIAN_FRONTEND=noninteractive
give_up() { echo "interop: $1" >&2; echo "0 passed, 1 failed"; exit 1; }

need=()
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -f /usr/share/nodejs/eventsource/package.json ] || need+=(node-eventsource)
command -v node >/dev/null || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
    # The nginx package would start its own service on port 80: policy-rc.d says no.
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get install -y -q --no-install-recommends "${need[@]}"
    rc=$?
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || give_up "apt-get install ${need[*]} failed"
fi

python=${PYTHON:-python3}
pip_args=(-q --disable-pip-version-check --no-input --only-binary=:all: -r "$here/requirements.txt")
if "$python" -m venv "$work/venv" >/dev/null 2>&1; then
    py="$work/venv/bin/python"
    "$py" -m pip install "${pip_args[@]}" || give_up "pip install into a venv failed"
else  # a Python without venv: a --target dir on PYTHONPATH instead
    py=$python
    "$py" -m pip install --target "$work/site" "${pip_args[@]}" || give_up "pip install --target failed"
    export PYTHONPATH="$work/site"
fi
"$py" -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(sseclient-py|requests-sse|httpx-sse|requests|urllib3|httpx) '
echo "node $(node --version), eventsource $(sed -n 's/^ *"version": "\(.*\)",/\1/p' /usr/share/nodejs/eventsource/package.json), $(/usr/sbin/nginx -v 2>&1)"

"$py" "$here/interop.py" "$binary" | tee "$work/out.txt"
rc=${PIPESTATUS[0]}
tail -n 1 "$work/out.txt" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || give_up "interop.py ended without its summary (status $rc)"
exit "$rc"
