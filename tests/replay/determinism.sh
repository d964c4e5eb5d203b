#!/usr/bin/env bash
# CTest replay.determinism: keeps the replay harness honest.
#   1. The corpus still reaches every route of server/router.c (coverage.mjs).
#   2. Two replays of the same binary, side by side, give byte-identical answers:
#      whatever differs between two binaries later is their behaviour, not noise.
# CTest sets MELDPUNT_BINARY and MELDPUNT_SOURCE_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${MELDPUNT_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${MELDPUNT_BINARY:-$src/build/meldpunt}
min_requests=400

out=$(mktemp -d "${TMPDIR:-/tmp}/meldpunt-replay-test.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Both replays at once: each has its own server, database and fake clock, and the
# load of the other makes timing-dependent answers show up as differences.
"$here/replay.sh" "$bin" "$out/a" > "$out/a.log" 2>&1 &
pid_a=$!
"$here/replay.sh" "$bin" "$out/b" > "$out/b.log" 2>&1 &
pid_b=$!
status=0
wait "$pid_a" || { echo "replay A failed:"; cat "$out/a.log"; status=1; }
wait "$pid_b" || { echo "replay B failed:"; cat "$out/b.log"; status=1; }
[ "$status" -eq 0 ] || exit 1
cat "$out/a.log"

n=$(wc -l < "$out/a/index.tsv")
if [ "$n" -lt "$min_requests" ]; then
  echo "the corpus played $n requests; the replay must hold at least $min_requests"
  exit 1
fi

node "$here/coverage.mjs" "$src/server/router.c" "$out/a/index.tsv"

if ! "$here/compare.sh" "$out/a" "$out/b"; then
  echo "two replays of the same binary differ: the harness is not deterministic"
  exit 1
fi
