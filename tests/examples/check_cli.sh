#!/usr/bin/env bash
# Checks one command line of an example. Each case runs in an empty temporary directory.
#   check_cli.sh help PROGRAM
#       --help prints a usage on stdout, nothing on stderr, exits 0, creates no file.
#   check_cli.sh bad PROGRAM ARGS...
#       exit status 2, exactly one line on stderr naming the option at fault (the first argument
#       that starts with '-', when there is one), nothing on stdout, no file created.
#   check_cli.sh bad-named NAME PROGRAM ARGS...
#       the same, with the one stderr line naming NAME (for positional arguments).
#   check_cli.sh expect STATUS PATTERN PROGRAM ARGS...
#       the program runs and exits with STATUS; PATTERN (grep -E) must match its stdout followed
#       by the list of files it created (paths relative to the directory, one a line).
set -uo pipefail
mode=$1
shift
name=
case $mode in
  bad-named) name=$1; shift ;;
  expect) want_status=$1 pattern=$2; shift 2 ;;
esac
program=$1
shift
if [ "$mode" = bad ]; then
  for arg in "$@"; do
    case $arg in -*) name=${arg%%=*}; break ;; esac
  done
fi
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
  echo "check_cli: $(basename "$program") $*: ${failure}"
  echo "--- stdout:"; cat stdout; echo "--- stderr:"; cat stderr
  exit 1
}
created=$(find . -mindepth 1 ! -name stdout ! -name stderr | sed 's|^\./||' | sort)
if [ "$mode" = expect ]; then
  failure="exited with $status, not $want_status"
  [ "$status" -eq "$want_status" ] || fail "$@"
  failure="output does not match '$pattern'"
  { cat stdout; echo "$created"; } >seen  # a file, not a pipe: grep -q may stop reading early
  grep -Eq -- "$pattern" seen || fail "$@"
  echo "check_cli: $(basename "$program") $*: ok"
  exit 0
fi
failure="created: $created"
[ -z "$created" ] || fail "$@"
if [ "$mode" = help ]; then
  failure="--help exited with $status, not 0"
  [ "$status" -eq 0 ] || fail
  failure="--help printed no usage"
  grep -q "^Usage: " stdout || fail
  failure="--help wrote to stderr"
  [ -s stderr ] && fail
else
  failure="exited with $status, not 2"
  [ "$status" -eq 2 ] || fail "$@"
  failure="stderr is not one line"
  [ "$(wc -l <stderr)" -eq 1 ] || fail "$@"
  failure="wrote to stdout"
  [ -s stdout ] && fail "$@"
  if [ -n "$name" ]; then
    failure="the error does not name '$name'"
    grep -qF -- "$name" stderr || fail "$@"
  fi
fi
echo "check_cli: $(basename "$program") $mode $*: ok"
