#!/usr/bin/env bash
# Two luisy processes on one workspace: the second says it is waiting, waits for the lock,
# then proceeds; both succeed and their tasks never overlap.
source "$(dirname "$0")/lib.sh"

# Work creates running.marker while it runs; a Work that finds the marker already there
# notes an overlap. It holds on (bounded) until the file `release` exists.
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: lock' \
  'params:' \
  '  n: 1' \
  'tasks:' \
  '  Work:' \
  '    cmd: echo Work {n} >> runs.log; if [ -e running.marker ]; then echo overlap >> overlap.log; fi; touch running.marker; i=0; while [ ! -e release ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; rm -f running.marker; echo {n} > {out}' \
  '    outputs: ["work_{n}.out"]'

second_is_waiting() { grep -qi waiting "$(bg_stderr "$1")"; }

case_start "a second build waits for the first, then runs its own work"
start_luisy_bg first build
first_pid="$BG_PID"
wait_until 20 test -e running.marker || fail "the first build's task never started"
start_luisy_bg second build --param n=2
second_pid="$BG_PID"
wait_until 20 second_is_waiting second || fail "the second luisy never said it was waiting"
# The second must not have started Work while the first holds the workspace.
grep -q "Work 2" runs.log && fail "the second build ran a task while the first held the lock"
touch release
wait_bg "$first_pid" first
assert_status 0
wait_bg "$second_pid" second
assert_status 0
assert_file_absent overlap.log
assert_ran "Work 1" "Work 2"
assert_file_equals work_1.out 1
assert_file_equals work_2.out 2

case_start "a second build of the same target waits, then finds nothing to do"
rm -f release work_1.out
start_luisy_bg third build
third_pid="$BG_PID"
wait_until 20 test -e running.marker || fail "the third build's task never started"
start_luisy_bg fourth build
fourth_pid="$BG_PID"
wait_until 20 second_is_waiting fourth || fail "the fourth luisy never said it was waiting"
touch release
wait_bg "$third_pid" third
assert_status 0
wait_bg "$fourth_pid" fourth
assert_status 0
assert_contains LUISY_STDOUT "luisy: no work to do."
assert_file_absent overlap.log
assert_ran "Work 1"
assert_file_equals work_1.out 1

echo "PASS: $TEST_NAME"
