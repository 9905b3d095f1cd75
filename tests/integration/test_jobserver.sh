#!/usr/bin/env bash
# shellcheck disable=SC2034  # LUISY_STATUS, LUISY_COMMAND... are read by lib.sh's fail
# luisy as a GNU make jobserver client: under make -jN the tasks luisy runs and make's other
# jobs together never exceed N; tokens go back after success, failure and Ctrl-C.
#
# The machine has GNU make 4.3, which passes the jobserver as inherited pipe descriptors
# (--jobserver-auth=R,W). make 4.4's named-fifo form (--jobserver-auth=fifo:PATH) is tested
# by doing what make 4.4 would: create a fifo, put N-1 tokens in it and set MAKEFLAGS.
#
# Concurrency is counted by the commands themselves: probe.sh registers in running/ and
# started/, appends how many probes are registered at that moment to counts, and keeps its
# slot until $PROBE_WANT probes have started (a polled condition, bounded by $PROBE_HOLD
# polls, so a broken limit cannot hang the test). The highest count is the concurrency seen.
source "$(dirname "$0")/lib.sh"

command -v make >/dev/null || { echo "SKIP: GNU make is not installed"; exit 0; }

PROBE_DIR=""
setup() {
  make_workspace
  PROBE_DIR="$WORKSPACE/.probe"
  mkdir -p "$PROBE_DIR/running" "$PROBE_DIR/started"
  export PROBE_DIR PROBE_HOLD=400
  write_file probe.sh \
    'd="$PROBE_DIR"' \
    ': > "$d/running/$1"' \
    ': > "$d/started/$1"' \
    'record() { ls "$d/running" | wc -l >> "$d/counts"; }' \
    'record' \
    'i=0' \
    'while [ "$(ls "$d/started" | wc -l)" -lt "$PROBE_WANT" ] && [ "$i" -lt "$PROBE_HOLD" ]; do' \
    '  sleep 0.05; i=$((i + 1)); record' \
    'done' \
    'rm -f "$d/running/$1"' \
    '[ -z "${PROBE_FAIL:-}" ]'
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: jobserver' \
    'tasks:' \
    '  Probe:' \
    '    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}' \
    '    cmd: sh probe.sh p{n} && echo p{n} > {out}' \
    '    inputs: [probe.sh]' \
    '    outputs: ["out/p{n}.txt"]'
  write_file Makefile \
    'all:' \
    '	+$(LUISY) build pipeline.yaml' \
    'mixed: luisy o1 o2 o3 o4 o5 o6' \
    'luisy:' \
    '	+$(LUISY) build pipeline.yaml' \
    'o1 o2 o3 o4 o5 o6:' \
    '	sh probe.sh $@' \
    'unmarked:' \
    '	$(LUISY) build pipeline.yaml' \
    '.PHONY: all mixed luisy o1 o2 o3 o4 o5 o6 unmarked'
}

reset_probes() {
  rm -rf out .luisy "$PROBE_DIR"
  mkdir -p "$PROBE_DIR/running" "$PROBE_DIR/started"
}

max_seen() { sort -n "$PROBE_DIR/counts" | tail -n 1; }
started() { ls "$PROBE_DIR/started" | wc -l; }

MAKE_STATUS=""
MAKE_STDERR=""
# run_make ARGS...: GNU make in the workspace, luisy passed as $(LUISY).
run_make() {
  LUISY_COMMAND="(through make $*)"
  timeout -k 5 "$LUISY_TIMEOUT" make --no-print-directory LUISY="$LUISY" "$@" \
    >"$WORKSPACE/.make.out" 2>"$WORKSPACE/.make.err" </dev/null
  MAKE_STATUS=$?
  LUISY_STATUS=$MAKE_STATUS
  LUISY_STDOUT="$(cat "$WORKSPACE/.make.out")"
  LUISY_STDERR="$(cat "$WORKSPACE/.make.err")"
  MAKE_STDERR="$LUISY_STDERR"
  LUISY_OUTPUT="$LUISY_STDOUT"$'\n'"$LUISY_STDERR"
}

# check_concurrency LIMIT: the probes never exceeded LIMIT, and overlapped when LIMIT > 1.
check_concurrency() {
  local limit="$1" seen
  seen="$(max_seen)"
  [ -n "$seen" ] || fail "no probe ran"
  echo "    at most $seen at once (limit $limit)"
  [ "$seen" -le "$limit" ] || fail "$seen probes ran at once, more than $limit"
  if [ "$limit" -gt 1 ]; then
    [ "$seen" -gt 1 ] || fail "the probes never ran in parallel (limit $limit)"
  fi
  # make checks its tokens when it exits: a token lost or added shows up here.
  assert_not_contains MAKE_STDERR "jobserver tokens"
}

setup
for n in 1 2 4; do
  case_start "make -j$n runs luisy: at most $n tasks at once"
  reset_probes
  export PROBE_WANT="$n"
  run_make -j"$n" all
  assert_status 0
  [ "$(ls out | wc -l)" = 8 ] || fail "not every task ran"
  check_concurrency "$n"
  [ "$n" = 1 ] || assert_not_contains LUISY_STDERR "jobserver unavailable"
done

for n in 2 4; do
  case_start "make -j$n runs luisy alongside six other jobs: at most $n in total"
  reset_probes
  export PROBE_WANT="$n"
  run_make -j"$n" mixed
  assert_status 0
  [ "$(started)" = 14 ] || fail "expected 14 probes, $(started) started"
  check_concurrency "$n"
done

case_start "-j given to luisy under make -j4: both limits apply"
reset_probes
export PROBE_WANT=2
write_file Makefile.j2 'all:' '	+$(LUISY) build pipeline.yaml -j 2'
run_make -j4 -f Makefile.j2
assert_status 0
check_concurrency 2

case_start "a recipe without '+': luisy warns once, like make, and runs one task at a time"
reset_probes
export PROBE_WANT=2 PROBE_HOLD=10
run_make -j4 unmarked
assert_status 0
[ "$(grep -c "jobserver unavailable" <<<"$LUISY_STDERR")" = 1 ] || fail "expected one warning"
assert_contains LUISY_STDERR "add '+' to the make rule that runs luisy; using -j1"
[ "$(max_seen)" = 1 ] || fail "$(max_seen) tasks ran at once without the jobserver"
export PROBE_HOLD=400

case_start "make -n: luisy only says what it would run"
reset_probes
run_make -n all
assert_status 0
assert_contains LUISY_STDOUT "will run (8):"
assert_contains LUISY_STDOUT "  Probe(n=1): "
[ "$(started)" = 0 ] || fail "make -n ran tasks"

case_start "a failing task under make -j4: make finds all its tokens again"
reset_probes
export PROBE_WANT=4 PROBE_FAIL=1
run_make -j4 all
[ "$MAKE_STATUS" = 2 ] || fail "expected make to fail with 2, got $MAKE_STATUS"
assert_contains LUISY_STDERR "luisy: FAILED: Probe(n="
check_concurrency 4
unset PROBE_FAIL

# --- make 4.4's fifo form, set up by hand -------------------------------------------------
FIFO=""
# open_fifo TOKENS: a fifo holding TOKENS, kept open on fd 7 (a fifo's bytes live only while
# someone has it open, as make 4.4 has).
open_fifo() {
  exec 7>&-
  FIFO="$WORKSPACE/.jobserver-fifo"
  rm -f "$FIFO"
  mkfifo "$FIFO" || fail "mkfifo failed"
  exec 7<>"$FIFO"
  printf '%s' "$1" >&7
}
# The tokens in the fifo now, sorted (read without blocking, then written back).
fifo_tokens() {
  python3 - "$FIFO" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
data = b""
while True:
    try:
        chunk = os.read(fd, 64)
    except BlockingIOError:
        break
    if not chunk:
        break
    data += chunk
os.write(fd, data)
print("".join(sorted(data.decode())))
EOF
}

for tokens in a abc; do
  limit=$((${#tokens} + 1))
  case_start "fifo jobserver with ${#tokens} token(s): at most $limit tasks at once"
  reset_probes
  open_fifo "$tokens"
  export PROBE_WANT="$limit"
  MAKE_STDERR=""
  MAKEFLAGS=" -j$limit --jobserver-auth=fifo:$FIFO" run_luisy build
  assert_status 0
  check_concurrency "$limit"
  [ "$(fifo_tokens)" = "$tokens" ] || fail "the fifo holds '$(fifo_tokens)' instead of '$tokens'"
done

case_start "fifo jobserver and -j 2: both limits apply"
reset_probes
open_fifo abc
export PROBE_WANT=2
MAKEFLAGS=" -j4 --jobserver-auth=fifo:$FIFO" run_luisy build -j 2
assert_status 0
check_concurrency 2
[ "$(fifo_tokens)" = abc ] || fail "the fifo holds '$(fifo_tokens)' instead of 'abc'"

case_start "fifo jobserver: tokens come back byte for byte after failing tasks"
reset_probes
open_fifo xyz
export PROBE_WANT=4 PROBE_FAIL=1
MAKEFLAGS=" -j4 --jobserver-auth=fifo:$FIFO" run_luisy build -k
assert_status 1
check_concurrency 4
[ "$(fifo_tokens)" = xyz ] || fail "the fifo holds '$(fifo_tokens)' instead of 'xyz'"
unset PROBE_FAIL

four_running() { [ "$(ls "$PROBE_DIR/running" | wc -l)" = 4 ]; }

for signal in INT TERM; do
  case_start "fifo jobserver: tokens come back after SIG$signal to luisy"
  reset_probes
  open_fifo abc
  export PROBE_WANT=99 PROBE_HOLD=6000
  MAKEFLAGS=" -j4 --jobserver-auth=fifo:$FIFO" start_luisy_bg build build
  pid="$BG_PID"
  wait_until 30 four_running || fail "four tasks never ran at once"
  [ "$(max_seen)" -le 4 ] || fail "more than four tasks ran"
  kill "-$signal" "$pid"
  wait_bg "$pid" build
  [ "$signal" = INT ] && assert_status 130
  [ "$signal" = TERM ] && assert_status 143
  [ "$(fifo_tokens)" = abc ] || fail "the fifo holds '$(fifo_tokens)' instead of 'abc'"
done
exec 7>&-

# --- Ctrl-C under the real make ------------------------------------------------------------
# luisy_under PID: the pid of the luisy process below PID, if any.
luisy_under() {
  local child comm
  for child in $(child_pids "$1"); do
    comm="$(cat "/proc/$child/comm" 2>/dev/null)"
    if [ "$comm" = luisy ]; then
      echo "$child"
      return 0
    fi
    luisy_under "$child" && return 0
  done
  return 1
}
luisy_busy() { luisy_under "$MAKE_PID" >/dev/null && four_running; }

case_start "SIGINT to luisy under make -j4: make finds all its tokens again"
reset_probes
export PROBE_WANT=99 PROBE_HOLD=6000
timeout -k 5 "$LUISY_TIMEOUT" make --no-print-directory LUISY="$LUISY" -j4 all \
  >"$WORKSPACE/.make.out" 2>"$WORKSPACE/.make.err" </dev/null &
MAKE_PID=$!
kill_at_exit "$MAKE_PID"
wait_until 30 luisy_busy || fail "luisy never ran four tasks under make"
luisy_pid="$(luisy_under "$MAKE_PID")"
kill -INT "$luisy_pid"
wait "$MAKE_PID"
MAKE_STATUS=$?
MAKE_STDERR="$(cat "$WORKSPACE/.make.err")"
LUISY_COMMAND="(through make -j4, interrupted)"
LUISY_STATUS=$MAKE_STATUS
LUISY_STDOUT="$(cat "$WORKSPACE/.make.out")"
LUISY_STDERR="$MAKE_STDERR"
[ "$MAKE_STATUS" = 2 ] || fail "expected make to fail with 2, got $MAKE_STATUS"
assert_contains MAKE_STDERR "Error 130"
check_concurrency 4

echo "PASS: $TEST_NAME"
