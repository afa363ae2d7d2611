#!/usr/bin/env bash
# lintian --pedantic accepts both Debian packages: cpack builds them from the build tree into a temporary
# directory, and lintian must report no error, no warning and no hardening tag at any level (fortify, bindnow,
# relro, PIE: the default preset builds with dpkg-buildflags' hardening). The tags the packages override
# are listed with their justification (packaging/*/lintian-overrides), and only those may be overridden.
# Needs no root; exits 77 (skipped) when lintian is not installed.
#   lintian_test.sh CPACK BUILD_DIR VERSION
set -euo pipefail
cpack=$1
build=$(readlink -f "$2")
version=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v lintian >/dev/null || { echo "skipped: lintian is not installed (scripts/setup installs it)" >&2; exit 77; }
command -v dpkg >/dev/null || { echo "skipped: not a dpkg system" >&2; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cpack" --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
arch=$(dpkg --print-architecture)
debs=("$work/pifind_${version}-1_${arch}.deb" "$work/pifind-agent_${version}-1_${arch}.deb")
for deb in "${debs[@]}"; do [ -f "$deb" ] || fail "cpack made no $(basename "$deb"): $(ls "$work")"; done

# lintian says it runs as root on stderr when it does; its findings are on stdout.
lintian --pedantic --display-info --show-overrides "${debs[@]}" >"$work/lintian.out" 2>"$work/lintian.err" ||
  { cat "$work/lintian.out" "$work/lintian.err" >&2; fail "lintian exited $?"; }
cat "$work/lintian.out"
! grep -E '^[EW]: ' "$work/lintian.out" >/dev/null || fail "lintian reports errors or warnings (above)"
! grep -E '^[A-Z]: [^ ]+: hardening-' "$work/lintian.out" >/dev/null || fail "lintian finds hardening missing (above)"
grep -E '^O: ' "$work/lintian.out" | sed 's/^O: \([^:]*\): \([^ ]*\).*/\1 \2/' | sort >"$work/overridden"
diff -u - "$work/overridden" <<'OVERRIDES' || fail "other tags overridden than expected (- expected, + found)"
pifind initial-upload-closes-no-bugs
pifind package-supports-alternative-init-but-no-init.d-script
pifind-agent initial-upload-closes-no-bugs
pifind-agent package-supports-alternative-init-but-no-init.d-script
OVERRIDES
echo "PASS: lintian --pedantic finds no error, warning or hardening tag in either package"
