# shellcheck shell=bash disable=SC2034
# (SC2034: LUISY_OUTPUT and friends are read by the tests that source this file.)
# Helpers for the integration tests: source this file from a test_*.sh script.
#
# CTest runs every test as `bash tests/integration/test_X.sh` with
#   LUISY             absolute path of the luisy binary
#   LUISY_SOURCE_DIR  the repository root
#
# Tests learn which tasks ran from side effects, not from luisy's messages: the commands
# of the test pipelines append their own name to runs.log in the workspace
# (`cmd: echo A >> runs.log && cp {in} {out}`), and assert_ran compares that log.
#
# Waiting is always a bounded poll of a condition (wait_until), never a fixed sleep.

set -u
set -o pipefail

if [ -z "${LUISY:-}" ] || [ ! -x "${LUISY}" ]; then
  echo "LUISY must be the absolute path of the luisy binary (got '${LUISY:-}')" >&2
  exit 1
fi
if [ -z "${LUISY_SOURCE_DIR:-}" ] || [ ! -d "${LUISY_SOURCE_DIR}" ]; then
  echo "LUISY_SOURCE_DIR must be the repository root (got '${LUISY_SOURCE_DIR:-}')" >&2
  exit 1
fi

TEST_NAME="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"
TEST_CASE=""
# Longest time a single luisy invocation may take before the test calls it hung.
LUISY_TIMEOUT="${LUISY_TIMEOUT:-120}"

# Captured output lives outside the workspaces so it never feeds a glob of a pipeline.
_LIB_CAPTURE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/luisy-capture.XXXXXX")"
_LIB_WORKSPACES=()

# Isolation from the machine running the tests:
# - the local result cache is private to this test (never the user's ~/.cache) and off, so
#   a task with a known key runs instead of being restored: the tests see what ran through
#   runs.log. (Tests of the cache itself turn it back on: LUISY_LOCAL_CACHE=on.)
# - no remote, and no make jobserver inherited from a `make check` that started ctest.
export LUISY_CACHE_DIR="$_LIB_CAPTURE_DIR/cache"
export LUISY_LOCAL_CACHE=off
for _lib_var in $(compgen -e); do
  case "$_lib_var" in
    LUISY_AZURE_* | LUISY_REMOTE | AZURE_STORAGE_CONNECTION_STRING | MAKEFLAGS | MFLAGS) unset "$_lib_var" ;;
  esac
done
unset _lib_var
_LIB_PIDS=()
_LIB_LAST_BG=""  # the latest background luisy of the current case (for fail)
LUISY_STATUS=""
LUISY_STDOUT=""
LUISY_STDERR=""
LUISY_OUTPUT=""
LUISY_COMMAND=""
WORKSPACE=""

_lib_cleanup() {
  exec 2>/dev/null  # no "Killed" notices from bash for the processes ended here
  local entry
  for entry in "${_LIB_PIDS[@]+"${_LIB_PIDS[@]}"}"; do
    if _lib_read_stat "${entry%%:*}" && [ "${_STAT[19]}" = "${entry#*:}" ]; then
      kill -KILL "${entry%%:*}" 2>/dev/null
    fi
  done
  cd / || true
  local dir
  for dir in "${_LIB_WORKSPACES[@]+"${_LIB_WORKSPACES[@]}"}"; do
    chmod -R u+w "$dir" 2>/dev/null
    rm -rf "$dir"
  done
  rm -rf "$_LIB_CAPTURE_DIR"
}
trap _lib_cleanup EXIT

# Names the case that follows in failure messages.
case_start() {
  TEST_CASE="$1"
  LUISY_COMMAND=""
  _LIB_LAST_BG=""
  echo "--- ${TEST_NAME}: $1"
}

# Creates an empty directory under ${TMPDIR:-/tmp}, cds into it and sets WORKSPACE.
# It is removed when the test exits.
make_workspace() {
  WORKSPACE="$(mktemp -d "${TMPDIR:-/tmp}/luisy-itest.XXXXXX")" || { echo "mktemp failed" >&2; exit 1; }
  _LIB_WORKSPACES+=("$WORKSPACE")
  cd "$WORKSPACE" || exit 1
}

# Prints the test name, case, message and what the last luisy run captured; exits 1.
fail() {
  {
    echo "FAIL: ${TEST_NAME}${TEST_CASE:+ [${TEST_CASE}]}: $*"
    if [ -n "$LUISY_COMMAND" ]; then
      echo "  last command: luisy ${LUISY_COMMAND} (in ${PWD})"
      echo "  exit status:  ${LUISY_STATUS}"
      echo "  ---- stdout ----"
      printf '%s\n' "$LUISY_STDOUT" | sed 's/^/  | /'
      echo "  ---- stderr ----"
      printf '%s\n' "$LUISY_STDERR" | sed 's/^/  | /'
    elif [ -n "$_LIB_LAST_BG" ]; then
      echo "  background luisy '$_LIB_LAST_BG': ${_LIB_LAST_BG_ARGS}"
      echo "  ---- stdout so far ----"
      sed 's/^/  | /' "$_LIB_CAPTURE_DIR/$_LIB_LAST_BG.stdout"
      echo "  ---- stderr so far ----"
      sed 's/^/  | /' "$_LIB_CAPTURE_DIR/$_LIB_LAST_BG.stderr"
    fi
    if [ -f runs.log ]; then
      echo "  ---- runs.log ----"
      sed 's/^/  | /' runs.log
    fi
  } >&2
  exit 1
}

# Runs "$LUISY" ARGS... with stdin from /dev/null; sets LUISY_STATUS, LUISY_STDOUT,
# LUISY_STDERR and LUISY_OUTPUT (both).
# A run longer than $LUISY_TIMEOUT seconds is killed and reported as a hang.
run_luisy() {
  LUISY_COMMAND="$*"
  timeout -k 5 "$LUISY_TIMEOUT" "$LUISY" "$@" \
    >"$_LIB_CAPTURE_DIR/stdout" 2>"$_LIB_CAPTURE_DIR/stderr" </dev/null
  LUISY_STATUS=$?
  LUISY_STDOUT="$(cat "$_LIB_CAPTURE_DIR/stdout")"
  LUISY_STDERR="$(cat "$_LIB_CAPTURE_DIR/stderr")"
  LUISY_OUTPUT="${LUISY_STDOUT}"$'\n'"${LUISY_STDERR}"
  if [ "$LUISY_STATUS" = 124 ] || [ "$LUISY_STATUS" = 137 ]; then
    fail "luisy did not finish within ${LUISY_TIMEOUT}s"
  fi
  return 0
}

assert_status() {
  [ "$LUISY_STATUS" = "$1" ] || fail "expected exit status $1, got $LUISY_STATUS"
}

# The text of a FILE, or else of the variable named so (LUISY_STDOUT, LUISY_OUTPUT...).
_lib_text_of() {
  if [ -f "$1" ]; then
    cat "$1"
  elif [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && [ -n "${!1+set}" ]; then
    printf '%s' "${!1}"
  else
    fail "no file or variable named '$1'"
  fi
}

# assert_contains FILE-or-VAR TEXT: TEXT (fixed string) occurs in it.
assert_contains() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  grep -qF -- "$2" <<<"$text" || fail "'$1' does not contain '$2'"
}

assert_not_contains() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  if grep -qF -- "$2" <<<"$text"; then fail "'$1' contains '$2'"; fi
}

# assert_matches FILE-or-VAR REGEX (extended regular expression).
assert_matches() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  grep -qE -- "$2" <<<"$text" || fail "'$1' does not match /$2/"
}

# assert_file_equals FILE TEXT: the file holds exactly TEXT (a trailing newline in the
# file is ignored, as $(...) would).
assert_file_equals() {
  [ -f "$1" ] || fail "file '$1' does not exist"
  local got
  got="$(cat "$1")"
  [ "$got" = "$2" ] || fail "file '$1' holds '$got', expected '$2'"
}

assert_file_exists() { [ -e "$1" ] || fail "'$1' does not exist"; }
assert_file_absent() { [ ! -e "$1" ] || fail "'$1' exists but should not"; }

# assert_ran NAME...: runs.log holds exactly these names (in any order, with repeats);
# with no names, that nothing ran (runs.log absent or empty). Then clears runs.log so the
# next build starts from a clean log.
assert_ran() {
  local expected got
  expected="$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort)"
  got=""
  [ -f runs.log ] && got="$(LC_ALL=C sort runs.log)"
  [ "$got" = "$expected" ] ||
    fail "expected these tasks to run: [$(paste -sd, <<<"$expected")], but ran: [$(paste -sd, <<<"$got")]"
  rm -f runs.log
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.05 s until it succeeds; returns 1
# if it never did within SECONDS (of wall time, however slow COMMAND is).
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
  return 0
}

# The fields of /proc/PID/stat after the command name (state ppid pgrp ... ; the start
# time is the 20th), in the array _STAT; fails if there is no such process. No forks: the
# tests call this in polling loops.
_lib_read_stat() {
  local line
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -r -a _STAT <<<"${line##*) }"
}

# True while PID names a live process (a zombie counts as gone: in a container nobody
# may reap an orphan).
pid_alive() {
  _lib_read_stat "$1" || return 1
  [ "${_STAT[0]}" != Z ] && [ "${_STAT[0]}" != X ]
}
pid_gone() { ! pid_alive "$1"; }

# The pids of the live children of PID, one a line.
child_pids() {
  local stat pid
  for stat in /proc/[0-9]*/stat; do
    pid="${stat#/proc/}"
    pid="${pid%/stat}"
    _lib_read_stat "$pid" || continue
    if [ "${_STAT[1]}" = "$1" ] && [ "${_STAT[0]}" != Z ]; then echo "$pid"; fi
  done
  return 0
}

# Registers a process (e.g. an orphaned task command) to be killed at exit, if it still
# runs then: pid and start time are kept, so a recycled pid is never killed.
kill_at_exit() {
  _lib_read_stat "$1" || return 0
  _LIB_PIDS+=("$1:${_STAT[19]}")
}

# Bash makes background commands ignore SIGINT; env --default-signal (coreutils 8.31+)
# gives luisy, and so its children, the default back, as when started from a terminal.
if env --default-signal=INT true 2>/dev/null; then
  _LIB_BG_PREFIX=(env "--default-signal=INT,QUIT")
else
  _LIB_BG_PREFIX=()
fi

# Starts "$LUISY" ARGS... in the background, output to $_LIB_CAPTURE_DIR/NAME.{stdout,stderr};
# sets BG_PID. Killed at exit if still running.
start_luisy_bg() {
  local name="$1"
  shift
  "${_LIB_BG_PREFIX[@]+"${_LIB_BG_PREFIX[@]}"}" "$LUISY" "$@" >"$_LIB_CAPTURE_DIR/$name.stdout" 2>"$_LIB_CAPTURE_DIR/$name.stderr" </dev/null &
  BG_PID=$!
  kill_at_exit "$BG_PID"
  _LIB_LAST_BG="$name"
  _LIB_LAST_BG_ARGS="$*"
}
bg_stdout() { echo "$_LIB_CAPTURE_DIR/$1.stdout"; }
bg_stderr() { echo "$_LIB_CAPTURE_DIR/$1.stderr"; }

# wait_bg PID NAME: waits (bounded) for a background luisy to end; sets LUISY_STATUS and the
# captured output variables from its files.
wait_bg() {
  local pid="$1" name="$2"
  LUISY_COMMAND="(background $name)"
  # (stderr silenced: bash's "Killed" notice for a luisy killed on purpose lands here)
  if ! wait_until "$LUISY_TIMEOUT" pid_gone "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    fail "background luisy '$name' did not finish within ${LUISY_TIMEOUT}s"
  fi
  { wait "$pid"; } 2>/dev/null
  LUISY_STATUS=$?
  LUISY_STDOUT="$(cat "$_LIB_CAPTURE_DIR/$name.stdout")"
  LUISY_STDERR="$(cat "$_LIB_CAPTURE_DIR/$name.stderr")"
  LUISY_OUTPUT="${LUISY_STDOUT}"$'\n'"${LUISY_STDERR}"
}

# file_has_content FILE TEXT: FILE exists and holds exactly TEXT (for wait_until).
file_has_content() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
file_contains() { [ -f "$1" ] && grep -qF -- "$2" "$1"; }

# Snapshot of the files under DIR (path, size, mtime in ns), .luisy excluded: equal
# snapshots mean nothing was rewritten.
tree_snapshot() {
  (cd "$1" && find . -path ./.luisy -prune -o -type f -printf '%p %s %T@\n' | LC_ALL=C sort)
}

# Writes a file from the rest of the arguments joined by newlines (a trailing one added).
write_file() {
  local path="$1"
  shift
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$@" >"$path"
}

# remote_machine NAME [REPORT_HEADER]: a fresh workspace holding the three-stage pipeline the
# remote-cache suites share (Raw -> Clean -> Report with a matrix), with its own local store
# under $SHARED. Each command appends its name to runs.log.
remote_machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: shared' \
    'tasks:' \
    '  Raw:' \
    '    cmd: echo Raw >> runs.log && tr a-z A-Z < {in} > {out}' \
    '    inputs: [raw.src]' \
    '    outputs: [data/raw.txt]' \
    '  Clean:' \
    '    requires: [Raw]' \
    '    cmd: echo Clean >> runs.log && sed s/HELLO/CLEAN/ {in} > {out}' \
    '    outputs: [data/clean.txt]' \
    '  Report:' \
    '    requires: [Clean]' \
    '    matrix: {fmt: [short, long]}' \
    '    inputs: [report.src]' \
    '    cmd: echo Report-{fmt} >> runs.log && cat {in} > {out} && echo {fmt} >> {out}' \
    '    outputs: ["data/report_{fmt}.txt"]'
  write_file raw.src 'hello world'
  write_file report.src "${2:-header}"
}
