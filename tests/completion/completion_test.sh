#!/usr/bin/env bash
# The bash completion of pifind and pifind-agent as a user gets it: `cmake --install` (into a DESTDIR) puts
# the files where bash-completion's loader finds them, the loader loads them, and completing words gives
# exactly the options each program's --help prints (so none can be left out or left over silently), the fleet
# subcommands, interface names, output formats and file names.
#   completion_test.sh BUILD_DIR PIFIND PIFIND_AGENT
set -uo pipefail
build=$(readlink -f "$1")
pifind=$2
agent=$3
bash_completion=/usr/share/bash-completion/bash_completion

failures=0
fail() { echo "FAIL: $*" >&2; exit 1; }
problem() { echo "$*" >&2; failures=$((failures + 1)); }
[ -f "$bash_completion" ] || fail "bash-completion is not installed: run scripts/setup"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DESTDIR="$work/root" cmake --install "$build" --prefix /usr/local >"$work/install.log" 2>&1 ||
  fail "cmake --install: $(tail -3 "$work/install.log")"
completions=$work/root/usr/local/share/bash-completion/completions
for f in pifind pifind-agent; do [ -f "$completions/$f" ] || fail "cmake --install put no $completions/$f"; done

# bash-completion as an interactive shell has it, then its loader finds the installed files by XDG_DATA_DIRS.
source "$bash_completion"
export XDG_DATA_DIRS=$work/root/usr/local/share BASH_COMPLETION_USER_DIR=$work/none
for command in pifind pifind-agent; do
  __load_completion "$command" || fail "bash-completion's loader did not find $command's completion"
done
[[ $(complete -p pifind) == *"-F _pifind pifind" ]] || fail "pifind completes with: $(complete -p pifind)"
[[ $(complete -p pifind-agent) == *"-F _pifind_agent pifind-agent" ]] || fail "pifind-agent: $(complete -p pifind-agent)"

# complete WORD... : the candidates for the last word (which may be empty), one per line, sorted.
complete_words() {
  local function
  function=$(complete -p "$1" | sed 's/.*-F \([^ ]*\) .*/\1/')
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_LINE=${COMP_LINE// = /=}  # bash splits --format=j into '--format' '=' 'j'; the line has no spaces
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}
one_line() { tr '\n' ' ' <<<"$1" | sed 's/ $//'; }
# expect "WHAT" EXPECTED WORD... : the candidates are exactly EXPECTED (newline-separated).
expect() {
  local what=$1 expected=$2
  shift 2
  local got
  got=$(complete_words "$@")
  [ "$got" = "$(printf '%s\n' "$expected" | sed '/^$/d' | sort)" ] ||
    problem "$what: completing '$*' gave [$(one_line "$got")], expected [$(one_line "$expected")]"
}
# The options --help lists (the first column of CLI11's option lines: -I,--interface TEXT ...).
options_in_help() {
  "$@" --help | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | sort -u
}
# offers_all_options COMMAND... : completing '-' after COMMAND offers exactly the options COMMAND --help lists.
offers_all_options() {
  local binary=$1 help offered missing extra
  shift
  help=$(options_in_help "$binary" "$@") || { problem "$binary $* --help failed"; return; }
  [ "$(wc -l <<<"$help")" -ge 2 ] || { problem "$binary $* --help lists no options"; return; }
  offered=$(complete_words "$(basename "$binary")" "$@" -)
  missing=$(comm -23 <(echo "$help") <(echo "$offered"))
  extra=$(comm -13 <(echo "$help") <(echo "$offered"))
  [ -z "$missing" ] || problem "completing '$(basename "$binary")${*:+ $*} -' misses $(one_line "$missing"), which --help lists"
  [ -z "$extra" ] || problem "completing '$(basename "$binary")${*:+ $*} -' offers $(one_line "$extra"), which --help does not list"
}

offers_all_options "$pifind"
for sub in serve audit ssh-config export "inventory show" "inventory prune" "keys list" "keys approve" \
  "keys forget" "keys self"; do
  offers_all_options "$pifind" $sub  # unquoted: "inventory show" is two words
done
offers_all_options "$agent"
offers_all_options "$agent" analyze

expect "subcommands" $'serve\nkeys\naudit\nssh-config\nexport\ninventory' pifind ''
expect "subcommands" $'serve\nssh-config' pifind s
expect "keys commands" $'list\napprove\nforget\nself' pifind keys ''
expect "enrolment modes" $'first-use\nmanual' pifind serve --enroll ''
expect "interfaces" "$(command ls /sys/class/net)" pifind -I ''
expect "interfaces" "lo" pifind --interface l
expect "formats" $'table\njson\njsonl\ncsv' pifind --format ''
expect "formats" $'json\njsonl' pifind -q --format j
expect "formats after =" $'table\njson\njsonl\ncsv' pifind --format = ''
expect "audit formats" $'table\njson' pifind audit --format ''
expect "export formats" $'ansible-ini\nansible-yaml\njson\ncsv' pifind export --format ''
expect "inventory commands" $'show\ncompact\nprune' pifind inventory ''
expect "prune options" $'--older-than' pifind inventory prune --ol
expect "agent commands" $'facts\nanalyze\nkey' pifind-agent ''
expect "agent options" $'--ntp-server\n--ntp-interval' pifind-agent --ntp
expect "no value to guess" "" pifind -t ''
expect "no value to guess" "" pifind-agent --server ''

# File names where an option takes a file, relative to the current directory.
mkdir "$work/files" "$work/files/state"
touch "$work/files/fleet.json" "$work/files/targets.txt"
cd "$work/files" || fail "cd $work/files"
expect "target file" $'fleet.json\nstate\ntargets.txt' pifind -f ''
expect "inventory file" "fleet.json" pifind --inventory fl
expect "serve key file" "targets.txt" pifind serve --key-file t
expect "state directory" "state" pifind-agent --state-dir ''
expect "scanner state directory" "state" pifind keys self --state-dir ''
expect "log to analyze" "targets.txt" pifind-agent analyze t

[ "$failures" -eq 0 ] || fail "$failures problems"
echo "PASS: the installed completions offer exactly the options --help lists, subcommands, interfaces, formats and files"
