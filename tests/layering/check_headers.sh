#!/usr/bin/env bash
# Checks that every header of scanner/, agent/, inventory/ and tests/ compiles on its own (-fsyntax-only on a file
# that includes only it): the default build compiles sources in unity batches, where a header that forgot an
# include still compiles because an earlier file of its batch included it. Prints the headers that fail, exits 1.
# Usage: tests/layering/check_headers.sh CXX SOURCE_DIR BUILD_DIR
set -euo pipefail
cxx=$1
src=$2
build=$3
cd "$src"

check_one() {
  local header=$1
  printf '#include "%s"\n' "$header" |
    "$cxx" -std=c++20 -fsyntax-only -x c++ -I. -I"$build/generated" -D_DEFAULT_SOURCE -DHAVE_NET_ETHERNET_H - \
      2>"$TMPDIR/$(echo "$header" | tr / _).err" ||
    { echo "FAILED: $header"; head -5 "$TMPDIR/$(echo "$header" | tr / _).err"; return 1; }
}
export -f check_one
export cxx build
TMPDIR=$(mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

headers=$(find scanner agent inventory tests -name '*.h' -not -path 'tests/fuzz/corpus/*' | sort)
count=$(echo "$headers" | wc -l)
if echo "$headers" | xargs -P "$(nproc)" -I{} bash -c 'check_one "$@"' _ {}; then
  echo "check_headers: all $count headers compile on their own"
else
  echo "check_headers: some of the $count headers do not compile on their own (above)" >&2
  exit 1
fi
