#!/usr/bin/env bash
# Lists every request whose recorded answer differs between two replay outputs
# (status, headers or body), with a short unified diff of the first differences,
# and ends with "N of M answers differ". Exit 0: identical; 1: some differ.
#
#   tests/replay/compare.sh DIR_A DIR_B [--lines N] [--quiet]
exec node "$(cd "$(dirname "$0")" && pwd)/compare.mjs" "$@"
