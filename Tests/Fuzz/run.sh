#!/usr/bin/env bash
# Builds the libFuzzer targets (with AddressSanitizer) and fuzzes each for a bounded time, starting
# from a copy of the committed seed corpus so that the corpus in git does not grow.
#
#   Tests/Fuzz/run.sh [SECONDS]      SECONDS per target, default 30
#
# Environment:
#   FUZZ_SCRATCH   SwiftPM scratch path (default: <repo>/.build-fuzz, never the normal .build)
#   FUZZ_TARGETS   targets to run (default: "FuzzHTTP FuzzProc")
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-seed=1" or "-use_value_profile=1"
#   FUZZ_KEEP=1    keep the work directory (corpus grown by the run, logs) even when all pass
#
# A target passes when it ran for the whole time without a crash, leak, timeout or OOM. On a
# failure the input that caused it is kept and its path printed; the script exits non-zero.
# See Tests/Fuzz/README.md for longer runs and for reproducing a crash.
set -uo pipefail

seconds=${1:-30}
case $seconds in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz}
targets=${FUZZ_TARGETS:-FuzzHTTP FuzzProc}

# Per target: corpus directory, dictionary, longest input. HTTP: the fuzzer also parses with
# small limits (16...271 bytes) derived from the input, so 1 KiB reaches every limit path and
# leaves room for a few pipelined requests. /proc: the largest seed file is about 3 KiB.
corpus_of() { case $1 in FuzzHTTP) echo http ;; FuzzProc) echo proc ;; esac; }
max_len_of() { case $1 in FuzzHTTP) echo 1024 ;; FuzzProc) echo 4096 ;; esac; }

# --sanitize fuzzer makes SwiftPM compile the fuzz executables as libraries and link libFuzzer's
# main (with only -Xswiftc flags it renames the entry point to <Target>_main, which then either
# shadows libFuzzer's main or, with -parse-as-library, is undefined). The -Xswiftc flag is needed
# as well: SwiftPM passes one -sanitize= per sanitizer, in no fixed order, and swiftc applies
# only the last one, so without it the Swift code gets either no coverage or no ASan.
# Release (-O) runs about 5 times as many inputs per second as debug and keeps every trap the
# fuzzers rely on (bounds, overflow, precondition, fatalError).
echo "== building fuzz targets (scratch: $scratch)"
build_log=$(mktemp)
build_start=$(date +%s)
if ! swift build -c release --package-path "$here" --scratch-path "$scratch" \
        --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address >"$build_log" 2>&1; then
    # ld.gold warns about every ASan helper symbol; those lines are noise.
    grep -v "Cannot export local symbol" "$build_log" | tail -40
    rm -f "$build_log"
    echo "build failed"
    echo "0 passed, $(wc -w <<<"$targets") failed"
    exit 1
fi
rm -f "$build_log"
echo "built in $(( $(date +%s) - build_start )) s"
bin=$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)

work=$(mktemp -d "${TMPDIR:-/tmp}/procstream-fuzz.XXXXXX")
passed=0
failed=0
for target in $targets; do
    name=$(corpus_of "$target")
    if [ -z "$name" ]; then echo "unknown target $target" >&2; failed=$((failed + 1)); continue; fi
    mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
    cp -R "$here/Corpus/$name/." "$work/$name/corpus/"
    log="$work/$name/fuzz.log"
    echo "== $target: ${seconds}s, corpus $(ls "$work/$name/corpus" | wc -l) files"
    start=$(date +%s)
    # The Swift runtime's own crash backtracer would take the crash signal before libFuzzer and
    # can take tens of seconds to symbolicate; libFuzzer and ASan print the stack themselves.
    # -timeout: one input taking longer than 10 s is a hang; -rss_limit_mb: above 2 GiB is an OOM.
    # shellcheck disable=SC2086
    (cd "$work/$name" && SWIFT_BACKTRACE=enable=no "$bin/$target" \
        -max_total_time="$seconds" -max_len="$(max_len_of "$target")" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -dict="$here/$name.dict" -artifact_prefix="$work/$name/artifacts/" \
        ${FUZZ_ARGS:-} corpus) >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    # The last status line carries coverage (cov: edges, ft: features) and corpus size.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ $status -eq 0 ] && [ -z "$artifact" ] && grep -q '^Done [0-9]* runs' "$log"; then
        passed=$((passed + 1))
        echo "$target: PASS  runs=${runs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} peak_rss=${rss:-?}MB time=${elapsed}s"
    else
        failed=$((failed + 1))
        FUZZ_KEEP=1
        echo "---- $target log (tail) ----"
        grep -v '# Uses: ' "$log" | tail -60
        echo "----"
        echo "$target: FAIL (exit $status) runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} time=${elapsed}s"
        if [ -n "$artifact" ]; then
            echo "$target: crashing input: $artifact ($(wc -c <"$artifact") bytes)"
            echo "$target: input in hex (first 512 bytes):"
            od -An -tx1 -v "$artifact" | head -32
            echo "$target: reproduce with: SWIFT_BACKTRACE=enable=no $bin/$target $artifact"
        fi
        echo "$target: full log: $log"
    fi
done

if [ "${FUZZ_KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
