#!/usr/bin/env bash
# A failing task: exit status 1, its outputs deleted, nothing downstream runs, its output
# shown; with -k independent branches go on.
source "$(dirname "$0")/lib.sh"

#   mode.txt -> Bad -> Down       Indep       Seven (exits 7 when seven.txt says so)
write_failure_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: failure' \
    'tasks:' \
    '  Bad:' \
    '    cmd: echo Bad >> runs.log && cp {in} {out} && echo message-from-bad && echo stderr-from-bad >&2 && grep -qx ok {in}' \
    '    inputs: [mode.txt]' \
    '    outputs: [bad.out]' \
    '  Down:' \
    '    cmd: echo Down >> runs.log && cp {in} {out}' \
    '    requires: [Bad]' \
    '    outputs: [down.out]' \
    '  Indep:' \
    '    cmd: echo Indep >> runs.log && echo indep > {out}' \
    '    outputs: [indep.out]'
}

case_start "a failing task: exit 1, output deleted, downstream not run, its output shown"
make_workspace
write_failure_pipeline
write_file mode.txt fail
run_luisy build -j 1
assert_status 1
[ -f runs.log ] || fail "nothing ran"
grep -qx Bad runs.log || fail "Bad did not run"
grep -qx Down runs.log && fail "Down ran although Bad failed"
assert_file_absent bad.out
assert_file_absent down.out
assert_contains LUISY_OUTPUT "FAILED: Bad"
assert_contains LUISY_OUTPUT "message-from-bad"
assert_contains LUISY_OUTPUT "stderr-from-bad"
# The failing command itself is shown.
assert_contains LUISY_OUTPUT "grep -qx ok"
assert_matches LUISY_OUTPUT '^luisy:'
rm -f runs.log

case_start "a failed task is not recorded as done: the next build tries it again"
run_luisy build -j 1
assert_status 1
grep -qx Bad runs.log || fail "Bad did not run again"
grep -qx Down runs.log && fail "Down ran although Bad failed"
rm -f runs.log

case_start "-k: an independent branch still runs"
make_workspace
write_failure_pipeline
write_file mode.txt fail
run_luisy build -k -j 1
assert_status 1
assert_ran Bad Indep
assert_file_equals indep.out indep
assert_file_absent bad.out
assert_file_absent down.out
assert_contains LUISY_OUTPUT "FAILED: Bad"

case_start "-k with -j 2 as well"
make_workspace
write_failure_pipeline
write_file mode.txt fail
run_luisy build -k -j 2
assert_status 1
assert_ran Bad Indep

case_start "after the fix, the failed task and its downstream run, the rest stays"
write_file mode.txt ok
run_luisy build
assert_status 0
assert_ran Bad Down
assert_file_equals down.out ok

case_start "a task that succeeded before and now fails loses its output"
write_file mode.txt failing-again
run_luisy build
assert_status 1
assert_ran Bad
assert_file_absent bad.out
assert_contains LUISY_OUTPUT "FAILED: Bad"

case_start "a command's own exit status (7) still makes luisy exit 1"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: failure' \
  'tasks:' \
  '  Seven:' \
  '    cmd: echo Seven >> runs.log && echo half > {out} && exit 7' \
  '    outputs: [seven.out]'
run_luisy build
assert_status 1
assert_ran Seven
assert_file_absent seven.out
assert_contains LUISY_OUTPUT "FAILED: Seven"

case_start "a command that succeeds without writing its declared output fails"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: failure' \
  'tasks:' \
  '  Lazy:' \
  '    cmd: echo Lazy >> runs.log && echo nothing written' \
  '    outputs: [lazy.out]' \
  '  After:' \
  '    cmd: echo After >> runs.log && cat {in} > {out}' \
  '    requires: [Lazy]' \
  '    outputs: [after.out]'
run_luisy build
assert_status 1
assert_ran Lazy
assert_contains LUISY_OUTPUT "lazy.out"
run_luisy build
assert_status 1
assert_ran Lazy

case_start "a program that does not exist (direct spawn and through the shell)"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: failure' \
  'tasks:' \
  '  Direct:' \
  '    cmd: luisy-itest-no-such-program {out}' \
  '    outputs: [direct.out]' \
  '  Shell:' \
  '    cmd: echo Shell >> runs.log && luisy-itest-no-such-program > {out}' \
  '    outputs: [shell.out]'
run_luisy build -k
assert_status 1
assert_ran Shell
assert_contains LUISY_OUTPUT "FAILED: Direct"
assert_contains LUISY_OUTPUT "FAILED: Shell"
assert_file_absent shell.out

case_start "two failing independent branches with -k: both tried, exit 1"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: failure' \
  'tasks:' \
  '  F1:' \
  '    cmd: echo F1 >> runs.log && false' \
  '    outputs: [f1.out]' \
  '  F2:' \
  '    cmd: echo F2 >> runs.log && false' \
  '    outputs: [f2.out]' \
  '  Ok:' \
  '    cmd: echo Ok >> runs.log && echo ok > {out}' \
  '    outputs: [ok.out]' \
  '  After:' \
  '    cmd: echo After >> runs.log && cat {in} > {out}' \
  '    requires: [F1, Ok]' \
  '    outputs: [after.out]'
run_luisy build -k -j 2
assert_status 1
assert_ran F1 F2 Ok
assert_contains LUISY_OUTPUT "FAILED: F1"
assert_contains LUISY_OUTPUT "FAILED: F2"

echo "PASS: $TEST_NAME"
