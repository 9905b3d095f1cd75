#!/usr/bin/env bash
# On a terminal, a build that would delete outputs whose last run took longer than the
# threshold lists them and asks y/N first (driven here through a pseudo-terminal): n leaves
# everything as it was (exit 1), y builds; --yes never asks; neither does a build whose
# stdin is not a terminal. The threshold comes from LUISY_CONFIRM_AFTER, else the
# pipeline's confirm_after, else 10 minutes.
source "$(dirname "$0")/lib.sh"

# run_on_tty ANSWER ARGS...: runs luisy ARGS with stdin a pseudo-terminal on which ANSWER
# (plus a newline; "EOF" closes it instead) is typed; sets the same variables as run_luisy.
run_on_tty() {
  local answer="$1"
  shift
  LUISY_COMMAND="(on a terminal, answering '$answer') $*"
  python3 - "$answer" "$_LIB_CAPTURE_DIR" "$LUISY" "$@" <<'PY'
import os, pty, subprocess, sys
answer, capture, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
with open(os.path.join(capture, "stdout"), "wb") as out, open(os.path.join(capture, "stderr"), "wb") as err:
    p = subprocess.Popen(argv, stdin=slave, stdout=out, stderr=err)
    os.close(slave)
    if answer == "EOF":
        os.write(master, b"\x04")  # ^D on an empty line: end of input
    else:
        os.write(master, answer.encode() + b"\n")
    try:
        code = p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        code = 124
os.close(master)
sys.exit(code)
PY
  LUISY_STATUS=$?
  LUISY_STDOUT="$(cat "$_LIB_CAPTURE_DIR/stdout")"
  LUISY_STDERR="$(cat "$_LIB_CAPTURE_DIR/stderr")"
  LUISY_OUTPUT="${LUISY_STDOUT}"$'\n'"${LUISY_STDERR}"
  [ "$LUISY_STATUS" != 124 ] || fail "luisy did not finish on the terminal"
}

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: prompt' \
  'tasks:' \
  '  Slow:' \
  '    cmd: echo Slow >> runs.log && cat {in} > {out}' \
  '    inputs: [slow.src]' \
  '    outputs: [slow.txt]' \
  '  Quick:' \
  '    cmd: echo Quick >> runs.log && echo quick > {out}' \
  '    outputs: [quick.txt]'
write_file slow.src 'v1'
# Every recorded run counts as long: any run takes more than 0 seconds.
export LUISY_CONFIRM_AFTER=0

case_start "first build on a terminal: nothing exists yet, so no question"
run_on_tty n build
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow Quick

case_start "answer n: the list is shown, nothing is touched, exit 1"
write_file slow.src 'v2'
snapshot="$(tree_snapshot .)"
run_on_tty n build
assert_status 1
assert_contains LUISY_STDERR "this build deletes outputs that took longer than"
assert_contains LUISY_STDERR "slow.txt (output of Slow, last run"
assert_not_contains LUISY_STDERR "quick.txt"
assert_contains LUISY_STDERR "Rebuild them? [y/N]"
assert_contains LUISY_STDERR "nothing done"
assert_ran
assert_file_equals slow.txt 'v1'
[ "$(tree_snapshot .)" = "$snapshot" ] || fail "answering n changed the workspace"

case_start "end of input counts as no"
run_on_tty EOF build
assert_status 1
assert_ran
assert_file_equals slow.txt 'v1'

case_start "answer y: the build runs"
run_on_tty y build
assert_status 0
assert_contains LUISY_STDERR "Rebuild them? [y/N]"
assert_ran Slow
assert_file_equals slow.txt 'v2'

case_start "--yes on a terminal: no question"
write_file slow.src 'v3'
run_on_tty n build --yes
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow

case_start "stdin not a terminal: never asks"
write_file slow.src 'v4'
run_luisy build
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow

case_start "below the threshold: no question"
write_file slow.src 'v5'
LUISY_CONFIRM_AFTER=1h run_on_tty n build
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow

case_start "the pipeline's confirm_after, and the variable over it"
unset LUISY_CONFIRM_AFTER
sed -i 's/^project: prompt/project: prompt\nconfirm_after: 0s/' pipeline.yaml
write_file slow.src 'v6'
run_on_tty n build
assert_status 1
assert_contains LUISY_STDERR "Rebuild them? [y/N]"
assert_ran
LUISY_CONFIRM_AFTER=never run_on_tty n build
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow

case_start "the default threshold (10 minutes) does not ask about quick tasks"
sed -i '/^confirm_after:/d' pipeline.yaml
write_file slow.src 'v7'
run_on_tty n build
assert_status 0
assert_not_contains LUISY_STDERR "[y/N]"
assert_ran Slow

case_start "a malformed LUISY_CONFIRM_AFTER is a usage error"
write_file slow.src 'v8'
LUISY_CONFIRM_AFTER=soon run_on_tty n build
assert_status 2
assert_contains LUISY_STDERR "LUISY_CONFIRM_AFTER must be a duration"
assert_ran
