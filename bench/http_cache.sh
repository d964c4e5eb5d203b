#!/usr/bin/env bash
# HTTP caching and compression (issue 17 point 4): bytes on the wire and time per request for
# the map answer (/api/v1/clusters over the whole city, what the map page polls) and Open311
# requests.xml (1,000 requests), each plain, gzip, and as a 304 to If-None-Match (plain tag and
# gzip tag). One curl process per case sends BENCH_N requests over one kept-alive connection;
# time is curl's time_total per request (loopback: no network in it), median and 90th
# percentile. The last columns estimate the transfer time of those bytes on a 10 Mbit/s link
# (a phone on a weak signal), which is where the bytes count.
#
# Usage: bench/http_cache.sh                 (builds nothing: uses BIN, default build/meldpunt)
# Env:   BIN, BENCH_N (default 200), BENCH_PORT (default 18990), BENCH_DB (a database to use
#        instead of the demo city imported into a temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/meldpunt}
N=${BENCH_N:-200}
PORT=${BENCH_PORT:-18990}
CITY=geodata/chicago
[ -x "$BIN" ] || { echo "http_cache.sh: $BIN is missing (cmake --build build)" >&2; exit 1; }
command -v curl >/dev/null || { echo "http_cache.sh: curl is missing" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/meldpunt-http-cache.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

db=${BENCH_DB:-}
if [ -z "$db" ]; then
  db=$work/demo.sqlite
  "$BIN" import --db "$db" --city "$CITY" --format chicago311 "$CITY/demo/chicago311-2021-01-01.csv" >/dev/null
fi
MELDPUNT_TILE_URL= MELDPUNT_ACCESS_LOG=off "$BIN" serve --db "$db" --listen "127.0.0.1:$PORT" \
  --city "$CITY" --web web > "$work/out" 2> "$work/err" &
pid=$!
base=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.1; done

# name<TAB>path
cases=$(printf '%s\t%s\n' \
  "map answer (clusters, whole city)" "/api/v1/clusters?bbox=-87.95,41.64,-87.52,42.03" \
  "Open311 requests.xml (1,000)" "/open311/v2/requests.xml?start_date=2020-12-15T00:00:00Z&end_date=2021-01-15T00:00:00Z")

# N requests of one case over one connection: "bytes median_ms p90_ms status".
measure() { # path, then curl options
  local path=$1; shift
  local urls=()
  for _ in $(seq "$N"); do urls+=(-o /dev/null "$base$path"); done
  curl -s "$@" -w '%{http_code} %{size_download} %{time_total}\n' "${urls[@]}" |
    sort -k3 -g | awk -v n="$N" '{ code[NR] = $1; b[NR] = $2; t[NR] = $3 }
      END { printf "%s %d %.3f %.3f\n", code[int(n / 2) + 1], b[int(n / 2) + 1],
            t[int(n / 2) + 1] * 1000, t[int(n * 0.9)] * 1000 }'
}

printf '%-36s %-16s %6s %10s %10s %10s %12s\n' "answer" "request" "status" "bytes" "median ms" "p90 ms" "10Mbit/s ms"
while IFS=$'\t' read -r name path; do
  plain_tag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: identity' "$base$path" | tr -d '\r' |
    sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
  gz_tag=$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$base$path" | tr -d '\r' |
    sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
  for mode in plain gzip 304-plain 304-gzip; do
    case $mode in
      plain) opts=(-H 'Accept-Encoding: identity') ;;
      gzip) opts=(-H 'Accept-Encoding: gzip') ;;
      304-plain) opts=(-H 'Accept-Encoding: identity' -H "If-None-Match: $plain_tag") ;;
      304-gzip) opts=(-H 'Accept-Encoding: gzip' -H "If-None-Match: $gz_tag") ;;
    esac
    read -r code bytes med p90 < <(measure "$path" "${opts[@]}")
    wire=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b * 8 / 10e6 * 1000 }')
    printf '%-36s %-16s %6s %10s %10s %10s %12s\n' "$name" "$mode" "$code" "$bytes" "$med" "$p90" "$wire"
  done
done <<< "$cases"
echo "($N requests per row over one connection, loopback; bytes are the body; tags: ${plain_tag:-none})"
