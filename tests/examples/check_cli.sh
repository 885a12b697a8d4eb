#!/usr/bin/env bash
# Checks an example's command line: `check_cli.sh help PROGRAM` expects --help to print a usage
# and exit 0; `check_cli.sh bad PROGRAM ARGS...` expects exit status 2 with exactly one line on
# stderr. Either way the program runs in an empty directory that must stay empty.
set -uo pipefail
mode=$1 program=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
if [ "$mode" = help ]; then
  "$program" --help >stdout 2>stderr
else
  "$program" "$@" >stdout 2>stderr
fi
status=$?
fail() {
  echo "check_cli: $(basename "$program") ${*:2}: $1"
  echo "--- stdout:"; cat stdout; echo "--- stderr:"; cat stderr
  exit 1
}
created=$(ls -A | grep -v -x -e stdout -e stderr)
[ -z "$created" ] && [ "$(find . -mindepth 1 | wc -l)" -eq 2 ] || fail "created: $created"
if [ "$mode" = help ]; then
  [ "$status" -eq 0 ] || fail "--help exited with $status, not 0"
  grep -q "^Usage: " stdout || fail "--help printed no usage"
  [ -s stderr ] && fail "--help wrote to stderr"
else
  [ "$status" -eq 2 ] || fail "exited with $status, not 2" "$@"
  [ "$(wc -l <stderr)" -eq 1 ] || fail "stderr is not one line" "$@"
  [ -s stdout ] && fail "wrote to stdout" "$@"
fi
echo "check_cli: $(basename "$program") $mode: ok"
