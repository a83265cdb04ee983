#!/usr/bin/env bash
# The live page's scripts under Node: `node --check` on every served script, then the unit tests
# (`node --test Tests/page/`, Node's built-in runner, no npm). Prints the runner's output, then
# "N passed, M failed"; exits non-zero if a script does not parse or a test fails.
# Needs node >= 18 (Debian 12: apt-get install nodejs).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v node >/dev/null || { echo "node not found (apt-get install nodejs)"; echo "0 passed, 1 failed"; exit 1; }
echo "node $(node --version)"

bad=0
for f in "$root"/Sources/LivePage/web/*.js; do
    if node --check "$f"; then echo "PASS node --check ${f#"$root"/}"; else echo "FAIL node --check ${f#"$root"/}"; bad=$((bad + 1)); fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
node --test "$root/Tests/page/" >"$log" 2>&1
status=$?
cat "$log"
# The TAP reporter says "# pass N", the spec reporter "ℹ pass N".
count() { sed -nE "s/^(# |ℹ )$1 ([0-9]+)$/\2/p" "$log" | tail -1; }
pass=$(count pass) fail=$(count fail)
[ "$status" = 0 ] || [ "${fail:-0}" != 0 ] || fail=1  # the runner failed without counting a test
echo "$(( ${pass:-0} )) passed, $(( ${fail:-0} + bad )) failed"
[ "$status" = 0 ] && [ "$bad" = 0 ]
