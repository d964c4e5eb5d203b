#!/usr/bin/env bash
# `make lint`: clang-tidy (.clang-tidy) over server/*.c with the compile
# commands of build-asan (or build, configured here when neither exists), and
# clang-format --dry-run --Werror (.clang-format) over the C files of server/,
# include/ and tests/ (not tests/e2e/).
#
# What predates the two configs is listed, reported and not failed:
# - .clang-format-ignore: files not formatted yet (one path a line). Take a
#   file off the list once it is formatted; lint says when one already is.
# - .clang-tidy-baseline: "COUNT FILE CHECK" lines, the findings each file
#   had. More findings than listed fail (a new finding anywhere fails);
#   fewer are reported so that the list can shrink.
# LINT_UPDATE_BASELINE=1 rewrites .clang-tidy-baseline from this run instead.
#
# Environment: JOBS (parallel clang-tidy runs, default nproc), CLANG_TIDY,
# CLANG_FORMAT (default the Debian 12 names, clang-tidy-14, clang-format-14).
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
tidy=${CLANG_TIDY:-clang-tidy-14}
format=${CLANG_FORMAT:-clang-format-14}
for t in "$tidy" "$format"; do
    command -v "$t" >/dev/null 2>&1 ||
        { echo "lint: $t not found (scripts/setup.sh test installs clang-tidy and clang-format)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# ---- clang-format ----
listed() { grep -v '^#' .clang-format-ignore 2>/dev/null | grep -v '^$' | sort -u; }
listed >"$tmp/ignored"
find server include tests -name '*.[ch]' -not -path 'tests/e2e/*' | sort >"$tmp/files"
bad=0 old=0 clean_listed=()
while read -r f; do
    if grep -qxF "$f" "$tmp/ignored"; then
        n=$("$format" "$f" | diff "$f" - | grep -c '^>')
        if [ "$n" -eq 0 ]; then clean_listed+=("$f"); else old=$((old + 1)); fi
    elif ! "$format" --dry-run --Werror "$f" 2>"$tmp/fmt.err"; then
        head -20 "$tmp/fmt.err" >&2
        bad=$((bad + 1))
    fi
done <"$tmp/files"
for f in $(comm -23 "$tmp/ignored" "$tmp/files"); do
    echo "lint: .clang-format-ignore lists $f, which does not exist" >&2
done
echo "lint: clang-format: $(wc -l <"$tmp/files") files, $bad not formatted, $old listed in .clang-format-ignore and not formatted yet"
((${#clean_listed[@]})) &&
    echo "lint: formatted now, take off .clang-format-ignore: ${clean_listed[*]}"
((bad)) && failed=1

# ---- clang-tidy ----
db=
for d in build-asan build; do
    [ -f "$d/compile_commands.json" ] && { db=$d; break; }
done
if [ -z "$db" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >"$tmp/cmake.log" 2>&1 ||
        { cat "$tmp/cmake.log" >&2; exit 2; }
    db=build
fi
echo "lint: clang-tidy over server/*.c with $db/compile_commands.json ($jobs at a time)"
# The compile commands may come from gcc: clang need not know all its flags.
printf '%s\n' server/*.c | xargs -P"$jobs" -n2 "$tidy" -p "$db" --quiet \
    --extra-arg=-Wno-unknown-warning-option >"$tmp/tidy.out" 2>"$tmp/tidy.err"
root=$(pwd)/
# One finding a line: file line:col check. Header findings repeat per
# translation unit: count each place once.
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$tmp/tidy.out" |
    sed -E "s#^$root##; s#^([^:]+):([0-9]+):([0-9]+): (warning|error): .* \[([^]]+)\]\$#\1 \2:\3 \5#" |
    sort -u >"$tmp/findings"
if grep -qE '^[^ ]+:[0-9]+:[0-9]+: error: ' "$tmp/tidy.out"; then
    echo "lint: clang-tidy could not compile some files:" >&2
    grep -E ': error: ' "$tmp/tidy.out" | head -20 >&2
    failed=1
fi
awk '{n[$1 " " $3]++} END {for (k in n) print n[k], k}' "$tmp/findings" | sort -k2 >"$tmp/counts"
if [ "${LINT_UPDATE_BASELINE:-}" = 1 ]; then
    { echo "# clang-tidy findings that predate .clang-tidy: COUNT FILE CHECK (scripts/lint.sh)"
      cat "$tmp/counts"; } >.clang-tidy-baseline
    echo "lint: wrote .clang-tidy-baseline ($(wc -l <"$tmp/findings") findings)"
fi
grep -v '^#' .clang-tidy-baseline 2>/dev/null | grep -v '^$' >"$tmp/baseline" || true
# Per file and check: now vs baseline.
awk 'NR == FNR {base[$2 " " $3] = $1; next}
     {k = $2 " " $3; b = (k in base) ? base[k] : 0; seen[k] = 1
      if ($1 > b) print "new", $1 - b, k; else if ($1 < b) print "fixed", b - $1, k}
     END {for (k in base) if (!(k in seen)) print "fixed", base[k], k}' \
    "$tmp/baseline" "$tmp/counts" | sort >"$tmp/diff"
total=$(wc -l <"$tmp/findings")
new=$(awk '$1 == "new" {s += $2} END {print s + 0}' "$tmp/diff")
fixed=$(awk '$1 == "fixed" {s += $2} END {print s + 0}' "$tmp/diff")
echo "lint: clang-tidy: $total findings, $new beyond .clang-tidy-baseline, $fixed fewer than it lists"
if ((new)) && [ "${LINT_UPDATE_BASELINE:-}" != 1 ]; then
    awk '$1 == "new" {print $3 " " $4}' "$tmp/diff" | while read -r f c; do
        echo "lint: new $c in $f:" >&2
        grep -F "$f " "$tmp/findings" | grep -F " $c" | sed 's/^/  /' >&2
    done
    failed=1
fi
awk '$1 == "fixed" {print "lint: " $2 " fewer " $4 " in " $3 " (lower .clang-tidy-baseline)"}' "$tmp/diff"
exit $failed
