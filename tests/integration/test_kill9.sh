#!/usr/bin/env bash
# kill -9 of luisy while a task is mid-write: the next build never counts that task as
# done, reruns it, and produces the right output; what finished before is kept.
source "$(dirname "$0")/lib.sh"

#   Pre -> Writer -> Down
#   Writer writes part1, waits (bounded) for the file `release`, then appends part2.
#   `release` is not an input: it does not change Writer's key.
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: kill9' \
  'tasks:' \
  '  Pre:' \
  '    cmd: echo Pre >> runs.log && cp {in} {out}' \
  '    inputs: [in.txt]' \
  '    outputs: [pre.out]' \
  '  Writer:' \
  '    cmd: echo Writer >> runs.log; echo $$ > sh.pid; cat {in} > {out}; printf part1 >> {out}; i=0; while [ ! -e release ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; printf part2 >> {out}' \
  '    requires: [Pre]' \
  '    outputs: [w.out]' \
  '  Down:' \
  '    cmd: echo Down >> runs.log && cat {in} > {out}' \
  '    requires: [Writer]' \
  '    outputs: [down.out]'
write_file in.txt input

writer_is_waiting() { [ -s sh.pid ] && file_has_content w.out "$(printf 'input\npart1')"; }

# kill9_mid_write NAME [CONDITION]: starts a build, waits until CONDITION (by default,
# Writer has written part1), kills luisy with SIGKILL, then ends the orphaned task command
# so it cannot finish behind the next build's back.
kill9_mid_write() {
  local condition="${2:-writer_is_waiting}"
  rm -f sh.pid release
  start_luisy_bg "$1" build
  local luisy_pid="$BG_PID" sh_pid fd target
  wait_until 20 "$condition" || fail "Writer never wrote its partial output"
  sh_pid="$(cat sh.pid)"
  kill_at_exit "$sh_pid"
  # The task must not have inherited luisy's own files (the lock, the state).
  for fd in /proc/"$sh_pid"/fd/*; do
    target="$(readlink "$fd" 2>/dev/null)" || continue
    case "$target" in
      */.luisy/*) fail "the task command inherited luisy's descriptor $fd -> $target" ;;
    esac
  done
  kill -KILL "$luisy_pid"
  wait_bg "$luisy_pid" "$1"
  [ "$LUISY_STATUS" = 137 ] || fail "luisy was not killed by SIGKILL (status $LUISY_STATUS)"
  local children
  children="$(child_pids "$sh_pid")"
  # shellcheck disable=SC2086
  kill -KILL "$sh_pid" $children 2>/dev/null
  wait_until 20 pid_gone "$sh_pid" || fail "could not end the orphaned task command"
  "$condition" || fail "test setup: w.out changed after the kill"
}

case_start "kill -9 mid-write in a first build, then rebuild"
kill9_mid_write first
assert_ran Pre Writer
touch release
run_luisy build
assert_status 0
# Pre had finished before the kill: a build that recorded it keeps it.
assert_ran Writer Down
assert_file_equals w.out "$(printf 'input\npart1part2')"
assert_file_equals down.out "$(printf 'input\npart1part2')"
run_luisy build
assert_status 0
assert_ran

case_start "kill -9 while rebuilding a deleted output that had a record"
rm w.out
kill9_mid_write second
assert_ran Writer
touch release
run_luisy build
assert_status 0
assert_ran Writer
assert_file_equals w.out "$(printf 'input\npart1part2')"

case_start "kill -9 mid-write after an input edit, input reverted: the partial output is not taken as done"
write_file in.txt input-edited
partial_of_edit() { [ -s sh.pid ] && file_has_content w.out "$(printf 'input-edited\npart1')"; }
kill9_mid_write third partial_of_edit
rm -f runs.log
write_file in.txt input
touch release
run_luisy build
assert_status 0
# Pre reruns (its input changed back); Writer's key is that of its last good run, but
# w.out holds the partial bytes, so it reruns; it writes what Down last read, so Down stays.
assert_ran Pre Writer
assert_file_equals w.out "$(printf 'input\npart1part2')"
assert_file_equals down.out "$(printf 'input\npart1part2')"
run_luisy build
assert_status 0
assert_ran

echo "PASS: $TEST_NAME"
