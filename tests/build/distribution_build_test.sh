#!/usr/bin/env bash
# A build outside the presets, as a distribution makes one, must not fail on a warning the project's own
# compilers do not give: debhelper's way (dpkg-buildflags' flags in the environment, hardening=+all,
# CMAKE_BUILD_TYPE=None) is configured from the source tree into a temporary directory, and
#   - every compile command has -Wall -Wextra and no -Werror (only the presets turn warnings into errors),
#     and the environment's flags (fortify, stack protector); every link command has relro and bindnow;
#   - one translation unit compiles with exactly those commands.
# The whole build would take minutes on this machine; what a warning could break is the -Werror, checked on
# every command, and whether the flags work together, checked on one unit.
#   distribution_build_test.sh SOURCE_DIR
set -euo pipefail
source_dir=$(readlink -f "$1")
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in dpkg-buildflags cmake ninja jq; do
  command -v "$tool" >/dev/null || fail "$tool missing: run scripts/setup"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What debhelper's cmake build system passes: CPPFLAGS go into CXXFLAGS, as CMake has no CPPFLAGS.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
export CXXFLAGS="$CXXFLAGS $CPPFLAGS" LDFLAGS
cmake -S "$source_dir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=None -DPIFIND_BUILD_TESTS=OFF \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; fail "configuring without a preset failed"; }

commands=$work/build/compile_commands.json
count=$(jq length "$commands")
[ "$count" -ge 20 ] || fail "only $count compile commands in $commands"
# One line per compile command: its flags, as words.
jq -r '.[] | .command' "$commands" >"$work/commands"
with() { grep -c -- " $1 " "$work/commands" || true; }
[ "$(with -Wall)" -eq "$count" ] && [ "$(with -Wextra)" -eq "$count" ] ||
  fail "-Wall -Wextra missing: in $(with -Wall) and $(with -Wextra) of $count commands"
[ "$(with -Werror)" -eq 0 ] || fail "-Werror in $(with -Werror) of $count compile commands of a build without a preset"
[ "$(with -D_FORTIFY_SOURCE=2)" -eq "$count" ] && [ "$(with -fstack-protector-strong)" -eq "$count" ] ||
  fail "dpkg-buildflags' CXXFLAGS reach $(with -D_FORTIFY_SOURCE=2) of $count compile commands"

ninja -C "$work/build" -t commands pifind pifind-agent | grep -- ' -o scanner/pifind \| -o agent/pifind-agent ' \
  >"$work/links" || fail "no link command for pifind or pifind-agent"
[ "$(wc -l <"$work/links")" -eq 2 ] || fail "expected two link commands: $(cat "$work/links")"
[ "$(grep -c -- '-Wl,-z,relro -Wl,-z,now' "$work/links")" -eq 2 ] || fail "link commands lack relro and bindnow: $(cat "$work/links")"

# One unit, compiled as the build would compile it: MacAddress's, small and used by every program.
unit=$(jq -r '.[] | select(.file | endswith("/mac_address.cc")) | .command' "$commands" | sed -n 's/.* -o \([^ ]*\) .*/\1/p')
[ -n "$unit" ] || fail "no compile command for mac_address.cc"
ninja -C "$work/build" "$unit" >"$work/compile.log" 2>&1 || { cat "$work/compile.log" >&2; fail "compiling $unit failed"; }
echo "PASS: $count compile commands with -Wall -Wextra, dpkg-buildflags' hardening and no -Werror; $unit compiles"
