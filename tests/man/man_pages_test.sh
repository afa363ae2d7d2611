#!/usr/bin/env bash
# Every man page under man/ renders cleanly with both formatters users have: groff (what man(1) runs on
# Debian) and mandoc. For each page:
#   - groff -man -ww -z prints no warning;
#   - mandoc -Tlint prints nothing down to style level, but for cross references to other projects' pages
#     that are not installed here; references to pifind's own pages are resolved against the pages in man/;
#   - groff and mandoc render the same words (groff 1.22.4 silently dropped everything after a .Rs block
#     with a %T title, so pifind(1)'s STANDARDS section came out empty under man(1) and whole under mandoc);
#   - no rendered text holds an empty or doubled quote (a .Qq nested in .Pq on one line rendered
#     ("rtc0, "ntp:server"") in both);
#   - every .Xr pifind... names a page in man/, and every page is installed (cmake/ManPages.cmake calls).
#   man_pages_test.sh SOURCE_DIR
set -euo pipefail
source_dir=$(readlink -f "$1")
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in groff mandoc makewhatis perl col; do
  command -v "$tool" >/dev/null || fail "$tool missing: run scripts/setup"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pages=("$source_dir"/man/*.[1-8])
[ ${#pages[@]} -ge 7 ] || fail "only ${#pages[@]} pages in $source_dir/man"

# A manpath of pifind's pages alone, so mandoc resolves cross references between them.
for page in "${pages[@]}"; do
  name=$(basename "$page")
  mkdir -p "$work/manpath/man${name##*.}"
  cp "$page" "$work/manpath/man${name##*.}/"
done
makewhatis "$work/manpath"

# Rendered text as words: page header and footer dropped, words hyphenated at a line end joined, hyphens
# inside words, runs of dashes and the two formatters' opening quotes made the same.
words() { col -bx | sed '1d;$d' | perl -0pe 's/(\w)-\n\s*(\w)/$1$2/g; s/(\w)-(\w)/$1$2/g; s/-{2,}/-/g; s/`/\x27/g' | tr -s ' \n' '\n\n'; }

failures=0
problem() { echo "$1: $2" >&2; failures=$((failures + 1)); }
for page in "${pages[@]}"; do
  name=$(basename "$page")

  groff -man -ww -z "$page" 2>"$work/groff.err" || problem "$name" "groff exited $?"
  [ ! -s "$work/groff.err" ] || problem "$name" "groff -man -ww warns: $(tr '\n' ' ' <"$work/groff.err")"

  mandoc -Tlint -W style -m "$work/manpath" "$page" >"$work/lint" 2>&1 || true
  # The system's mandoc.db may lag behind its pages, and other projects' pages may not be installed here.
  grep -v -e 'outdated mandoc.db' -e 'referenced manual not found: Xr [^p]' -e 'referenced manual not found: Xr p[^i]' \
    "$work/lint" >"$work/lint.kept" || true
  [ ! -s "$work/lint.kept" ] || problem "$name" "mandoc -Tlint: $(cat "$work/lint.kept")"

  mandoc -Tascii -O width=78 "$page" >"$work/mandoc.txt"
  groff -mandoc -Tascii -rLL=78n "$page" 2>/dev/null >"$work/groff.txt"
  words <"$work/mandoc.txt" >"$work/mandoc.words"
  words <"$work/groff.txt" >"$work/groff.words"
  [ "$(wc -l <"$work/mandoc.words")" -gt 100 ] || problem "$name" "mandoc rendered almost nothing"
  diff "$work/mandoc.words" "$work/groff.words" >"$work/words.diff" ||
    problem "$name" "groff and mandoc render different words (< mandoc, > groff): $(head -20 "$work/words.diff" | tr '\n' ' ')"

  if col -b <"$work/mandoc.txt" | grep -n '""' >"$work/quotes"; then
    problem "$name" "an empty or doubled quote in the rendered text: $(cat "$work/quotes")"
  fi

  for target in $(sed -n 's/^\.Xr \(pifind[^ ]*\) \([1-8]\).*/\1.\2/p' "$page" | sort -u); do
    [ -f "$source_dir/man/$target" ] || problem "$name" ".Xr to $target, which man/ does not have"
  done
  grep -q "pifind_install_man_page($name " "$source_dir/CMakeLists.txt" "$source_dir"/*/CMakeLists.txt ||
    problem "$name" "not installed: no pifind_install_man_page($name ...) in a CMakeLists.txt"
done

[ "$failures" -eq 0 ] || fail "$failures problems in ${#pages[@]} pages"
echo "PASS: ${#pages[@]} pages render alike and cleanly under groff and mandoc"
