#!/usr/bin/env bash
# SIGTERM / SIGINT to luisy during a long task: the children get the signal and are gone,
# the partial output is removed, luisy exits 143 / 130; a rebuild then completes and
# does not rerun what had finished.
source "$(dirname "$0")/lib.sh"

#   Quick -> Slow: Slow writes part of its output, then sleeps unless the file `fast`
#   exists (`fast` is not an input, so it does not change Slow's key).
write_interrupt_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: interrupt' \
    'tasks:' \
    '  Quick:' \
    '    cmd: echo Quick >> runs.log && echo quick > {out}' \
    '    outputs: [quick.out]' \
    '  Slow:' \
    '    cmd: echo Slow >> runs.log; echo $$ > sh.pid; printf partial > {out}; if [ ! -e fast ]; then sleep 60; fi; echo done >> {out}' \
    '    requires: [Quick]' \
    '    outputs: [slow.out]'
}

slow_is_sleeping() {
  [ -s sh.pid ] && file_has_content slow.out partial && [ -n "$(child_pids "$(cat sh.pid)")" ]
}

# interrupt_case SIGNAL EXPECTED_STATUS
interrupt_case() {
  local signal="$1" expected="$2" sh_pid sleep_pids pid
  make_workspace
  write_interrupt_pipeline
  start_luisy_bg build build
  local luisy_pid="$BG_PID"
  wait_until 20 slow_is_sleeping || fail "Slow never started sleeping"
  sh_pid="$(cat sh.pid)"
  sleep_pids="$(child_pids "$sh_pid")"
  for pid in $sh_pid $sleep_pids; do kill_at_exit "$pid"; done

  kill "-$signal" "$luisy_pid"
  wait_bg "$luisy_pid" build
  assert_status "$expected"
  assert_file_absent slow.out
  assert_file_equals quick.out quick
  wait_until 20 pid_gone "$sh_pid" || fail "the task's shell ($sh_pid) still runs after luisy exited"
  for pid in $sleep_pids; do
    wait_until 20 pid_gone "$pid" || fail "the task's child sleep ($pid) still runs after luisy exited"
  done
  assert_ran Quick Slow

  # The rebuild completes; Quick had finished and is not run again.
  touch fast
  run_luisy build
  assert_status 0
  assert_ran Slow
  assert_file_equals slow.out "partialdone"
  run_luisy build
  assert_status 0
  assert_ran
}

case_start "SIGTERM during a long task"
interrupt_case TERM 143

case_start "SIGINT during a long task"
interrupt_case INT 130

case_start "SIGTERM with -j 2 and two long tasks"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: interrupt' \
  'tasks:' \
  '  S1:' \
  '    cmd: echo S1 >> runs.log; echo $$ > s1.pid; printf partial > {out}; if [ ! -e fast ]; then sleep 60; fi; echo done >> {out}' \
  '    outputs: [s1.out]' \
  '  S2:' \
  '    cmd: echo S2 >> runs.log; echo $$ > s2.pid; printf partial > {out}; if [ ! -e fast ]; then sleep 60; fi; echo done >> {out}' \
  '    outputs: [s2.out]'
both_sleeping() {
  [ -s s1.pid ] && [ -s s2.pid ] && file_has_content s1.out partial && file_has_content s2.out partial &&
    [ -n "$(child_pids "$(cat s1.pid)")" ] && [ -n "$(child_pids "$(cat s2.pid)")" ]
}
start_luisy_bg build2 build -j 2
luisy_pid="$BG_PID"
wait_until 20 both_sleeping || fail "S1 and S2 did not both start"
pids="$(cat s1.pid s2.pid) $(child_pids "$(cat s1.pid)") $(child_pids "$(cat s2.pid)")"
for pid in $pids; do kill_at_exit "$pid"; done
kill -TERM "$luisy_pid"
wait_bg "$luisy_pid" build2
assert_status 143
assert_file_absent s1.out
assert_file_absent s2.out
for pid in $pids; do
  wait_until 20 pid_gone "$pid" || fail "process $pid of a task still runs after luisy exited"
done
assert_ran S1 S2
touch fast
run_luisy build -j 2
assert_status 0
assert_ran S1 S2
assert_file_equals s1.out partialdone
assert_file_equals s2.out partialdone

case_start "a command that ignores SIGINT: the second SIGINT kills it"
make_workspace
# The task notes each SIGINT it gets (after its current sleep ends) and carries on.
write_file pipeline.yaml \
  'luisy: 1' \
  'project: interrupt' \
  'tasks:' \
  '  Stubborn:' \
  "    cmd: echo Stubborn >> runs.log; trap 'echo INT >> sig.log' INT; echo \$\$ > sh.pid; printf partial > {out}; i=0; while [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i+1)); done; echo done >> finished.log" \
  '    outputs: [stubborn.out]'
stubborn_started() { [ -s sh.pid ] && file_has_content stubborn.out partial; }
start_luisy_bg stubborn build
luisy_pid="$BG_PID"
wait_until 20 stubborn_started || fail "Stubborn never started"
sh_pid="$(cat sh.pid)"
kill_at_exit "$sh_pid"
kill -INT "$luisy_pid"
wait_until 20 test -s sig.log || fail "the first SIGINT never reached the command"
pid_alive "$sh_pid" || fail "test setup: the command did not survive its SIGINT"
kill -INT "$luisy_pid"
wait_until 20 pid_gone "$sh_pid" || fail "the command still runs 20 s after the second SIGINT"
wait_bg "$luisy_pid" stubborn
assert_status 130
assert_file_absent stubborn.out
assert_file_absent finished.log
assert_ran Stubborn

echo "PASS: $TEST_NAME"
