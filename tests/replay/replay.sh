#!/usr/bin/env bash
# Replays the request corpus against one meldpunt binary and records every answer.
#
#   tests/replay/replay.sh BINARY OUTDIR
#
# A fresh database with the demo city and fixed staff accounts, `BINARY serve` on
# 127.0.0.1 port 0 with fixed settings, the clock faked by libfaketime (each request
# sees a time set by its place in the corpus), then tests/replay/corpus.txt played one
# request at a time. OUTDIR gets NNNN.http per request and index.tsv (see play.mjs);
# server.log is kept beside them for debugging and is not compared.
# The city pack, the static pages and the vendor files come from the source tree
# of this script (MELDPUNT_SOURCE_DIR overrides), so two binaries replayed by the
# same script see the same data. Compare two OUTDIRs with tests/replay/compare.sh.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
src=${MELDPUNT_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=$(realpath "$1")
out=$2
[ -x "$bin" ] || { echo "replay: $bin is not an executable" >&2; exit 2; }

faketime_lib=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
  [ -f "$f" ] && { faketime_lib=$f; break; }
done
[ -n "$faketime_lib" ] || { echo "replay: libfaketime is missing (apt-get install faketime)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/meldpunt-replay.XXXXXX")
server_pid=
pg_name=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  if [ -n "$pg_name" ]; then
    "$src/tests/pg/cluster.sh" drop "$MELDPUNT_TEST_PG_DIR" "$pg_name" || true
  fi
}
trap cleanup EXIT

mkdir -p "$out"
rm -f "$out"/[0-9]*.http "$out"/index.tsv "$out"/server.log

db=$work/replay.sqlite
# MELDPUNT_TEST_ENGINE=pg (with MELDPUNT_TEST_PG_DIR, a cluster of tests/pg/cluster.sh):
# the same replay on a PostgreSQL database of its own.
if [ "${MELDPUNT_TEST_ENGINE:-}" = pg ]; then
  pg_name=mpr_$$
  db=$("$src/tests/pg/cluster.sh" create "$MELDPUNT_TEST_PG_DIR" "$pg_name")
fi
clock=$work/clock
ADMIN_TOKEN=replay-admin-token-0123456789

# Every process that touches the database runs under the fake clock, in a clean
# environment with fixed settings (no MELDPUNT_* of the caller leaks in).
# FAKETIME_DONT_FAKE_MONOTONIC keeps timers and timeouts on the real clock;
# FAKETIME_NO_CACHE makes each call read the clock file, which play.mjs rewrites
# before every request. verify_asan_link_order=0 lets a sanitizer build run with
# libfaketime preloaded ahead of libasan.
envv=(env -i PATH="$PATH" HOME="${HOME:-/tmp}" TZ=UTC LANG=C.UTF-8
  LD_PRELOAD="$faketime_lib" FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1
  FAKETIME_DONT_FAKE_MONOTONIC=1
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" LSAN_OPTIONS="${LSAN_OPTIONS:-}"
  MELDPUNT_CITY="$src/geodata/chicago" MELDPUNT_WEB="$src/web"
  MELDPUNT_VENDOR="$src/node_modules" MELDPUNT_TILE_URL=
  MELDPUNT_ADMIN_TOKEN="$ADMIN_TOKEN" MELDPUNT_RATE_WRITES=0 MELDPUNT_RATE_BURST=60 MELDPUNT_RATE_READS=0
  MELDPUNT_MAX_BODY=65536 MELDPUNT_MAX_UPLOAD=1048576 MELDPUNT_MAX_EXPORTS=4
  MELDPUNT_CORS_ORIGINS=https://city.example MELDPUNT_SYNC=normal MELDPUNT_THREADS=2
  MELDPUNT_TRUSTED_PROXIES=127.0.0.1)
run() { "${envv[@]}" "$bin" "$@"; }

echo "2021-01-04 13:00:00" > "$clock"
run import --db "$db" --format chicago311 "$src/geodata/chicago/demo/chicago311-2021-01-01.csv" \
  > "$work/import.log" 2>&1 || { cat "$work/import.log" >&2; exit 1; }

# Staff accounts; their tokens are random, so the corpus names them ({{token:dora}}).
declare -A tok=([admin]=$ADMIN_TOKEN)
add_user() { # NAME ROLE [DEPARTMENT]
  tok[$1]=$(run user add "$1" --db "$db" --role "$2" ${3:+--department "$3"})
}
add_user dora dispatcher
add_user carl crew streets
add_user lena crew lighting
add_user sam crew sanitation
add_user fixmystreet client
add_user ghost crew streets
add_user rita dispatcher
run user disable ghost --db "$db" >/dev/null
# rita's first token is replaced: the old one must no longer sign in.
tok[rita_old]=${tok[rita]}
tok[rita]=$(run user token rita --db "$db")
for name in "${!tok[@]}"; do
  printf '"%s": "%s"\n' "$name" "${tok[$name]}"
done | sort | paste -sd, | sed 's/^/{/; s/$/}/' > "$work/tokens.json"

# Started directly (not through run) so that $! is the server itself: env execs it.
# serve.out exists before the child opens it: the loop below may read it first.
: > "$work/serve.out"
"${envv[@]}" "$bin" serve --db "$db" --listen 127.0.0.1:0 > "$work/serve.out" 2> "$out/server.log" &
server_pid=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/serve.out" || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "replay: the server did not start" >&2
  cat "$out/server.log" >&2
  exit 1
fi

node "$here/play.mjs" --port "$port" --corpus "$here/corpus.txt" --tokens "$work/tokens.json" \
  --clock "$clock" --photos "$src/tests/fixtures/photos" --out "$out"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
if [ "$status" -ne 0 ]; then
  echo "replay: the server exited with status $status" >&2
  tail -n 40 "$out/server.log" >&2
  exit 1
fi
