#!/usr/bin/env bash
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang and run each
# for SECONDS (default 10), starting from the seed corpus in
# tests/fuzz/corpus/<name>/. New inputs go to BUILD/corpus/<name>/ (kept
# between runs, never written into the repository); a crash leaves its input
# in BUILD/artifacts/ and fails the run.
#
#   tests/fuzz/run.sh              # 10 s each (what `make test` runs)
#   tests/fuzz/run.sh 600          # a longer run: 10 minutes each
#   tests/fuzz/run.sh 60 json_report multipart   # some targets only
#
# Environment: MELDPUNT_FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (build
# parallelism, default nproc).
set -euo pipefail

secs=${1:-10}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${MELDPUNT_FUZZ_BUILD:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

echo "fuzz: building in $build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DMELDPUNT_FUZZ=ON \
    -DMELDPUNT_WERROR=OFF -DBUILD_TESTING=OFF >"$build.cmake.log" 2>&1 ||
    { cat "$build.cmake.log" >&2; exit 1; }
rm -f "$build.cmake.log"
targets=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    targets+=("$t")
done
cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1 ||
    { tail -50 "$build/fuzz-build.log" >&2; exit 1; }

# Inputs larger than these gain nothing: every format has smaller bounds or
# shows its structure in the first bytes.
max_len() {
    case $1 in
        photo|multipart|import) echo 65536 ;;
        csv|json_report|open311_form) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

want=("$@")
passed=0
failed=0
mkdir -p "$build/corpus" "$build/artifacts" "$build/logs"
printf '%-22s %12s %10s %8s  %s\n' target executions "exec/s" corpus result
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    if ((${#want[@]})) && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
        continue
    fi
    seeds="$root/tests/fuzz/corpus/$name"
    work="$build/corpus/$name"
    log="$build/logs/$name.log"
    mkdir -p "$work"
    args=(-max_total_time="$secs" -max_len="$(max_len "$name")" -timeout=25
          -rss_limit_mb=3072 -print_final_stats=1
          -artifact_prefix="$build/artifacts/$name-")
    [ -f "$root/tests/fuzz/$name.dict" ] && args+=(-dict="$root/tests/fuzz/$name.dict")
    dirs=("$work")
    [ -d "$seeds" ] && dirs+=("$seeds")
    rm -rf "$build/tmp"
    mkdir -p "$build/tmp"
    set +e
    MELDPUNT_FUZZ_TMP="$build/tmp" MELDPUNT_SOURCE_DIR="$root" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz/$t" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    files=$(find "$work" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        result=ok
        passed=$((passed + 1))
    else
        result="FAILED (exit $rc, log $log)"
        failed=$((failed + 1))
    fi
    printf '%-22s %12s %10s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$files" "$result"
    if [ $rc -ne 0 ]; then
        grep -E "ERROR|check failed|SUMMARY|artifact|Test unit written" "$log" | head -20 >&2 || true
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
