#!/usr/bin/env bash
# --log-format json: every line on stdout is one JSON object, the events come in order
# (build_started first, each task_started before its task_finished, build_finished last),
# no status-line escape codes even on a terminal; failures, skips, warnings and transfers
# have their events; warnings are also on stderr; push and pull speak JSON too.
source "$(dirname "$0")/lib.sh"

# Captured files, remotes and the like live in a workspace of their own.
make_workspace
SCRATCH="$WORKSPACE"

# check_events FILE EVENT... : every line of FILE is a JSON object with "event" and "time";
# the first is build_started; the listed events (EVENT or EVENT:LABEL) occur in this order
# (others may come between); every task_started has a later task_finished/failed; no
# escape character anywhere.
check_events() {
  python3 - "$@" <<'PY'
import json, sys
path, wanted = sys.argv[1], sys.argv[2:]
raw = open(path, "rb").read()
if b"\x1b" in raw:
    sys.exit("an escape code on stdout")
events = []
for n, line in enumerate(raw.decode("utf-8").splitlines(), 1):
    try:
        e = json.loads(line)
    except ValueError as error:
        sys.exit("line %d is not JSON (%s): %r" % (n, error, line))
    if not isinstance(e, dict) or "event" not in e or "time" not in e:
        sys.exit("line %d lacks event/time: %r" % (n, line))
    events.append(e)
if not events or events[0]["event"] != "build_started":
    sys.exit("the first event is not build_started")
pos = 0
for want in wanted:
    name, _, label = want.partition(":")
    while pos < len(events) and not (events[pos]["event"] == name and (not label or events[pos].get("label") == label)):
        pos += 1
    if pos == len(events):
        sys.exit("event %s not found in order; events: %s" % (want, [(e["event"], e.get("label")) for e in events]))
    pos += 1
for i, e in enumerate(events):
    if e["event"] == "task_started":
        if not any(f["event"] in ("task_finished", "task_failed") and f["label"] == e["label"] for f in events[i + 1:]):
            sys.exit("task %s started but never finished" % e["label"])
PY
}

write_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: jsonlog' \
    'tasks:' \
    '  A:' \
    '    cmd: echo A >> runs.log && echo "hello from A" && echo a > {out}' \
    '    outputs: [a.txt]' \
    '  B:' \
    '    requires: [A]' \
    '    matrix: {n: ["1", "2"]}' \
    '    cmd: echo B >> runs.log && printf "bytes \377\n" && cat {in} > {out}' \
    '    outputs: ["b{n}.txt"]' \
    '  C:' \
    '    requires: [B]' \
    '    cmd: echo C >> runs.log && cat {in} > {out}' \
    '    outputs: [c.txt]'
}

case_start "a build: one JSON object per line, events in order"
make_workspace
write_pipeline
run_luisy build -j 2 --log-format json
assert_status 0
assert_ran A B B C
printf '%s\n' "$LUISY_STDOUT" > "$SCRATCH/out"
check_events "$SCRATCH/out" task_started:A task_finished:A 'task_finished:B(n=1)' task_started:C \
  task_finished:C build_finished || fail "bad event stream"
assert_contains LUISY_STDOUT '"output":"hello from A\n"'
assert_contains LUISY_STDOUT '"ran":4'
# The byte that is not UTF-8 became U+FFFD, so the line stays valid JSON.
assert_contains LUISY_STDOUT $'bytes \xef\xbf\xbd'

case_start "on a terminal: still JSON, no status line"
rm -f a.txt
if command -v script >/dev/null; then
  script -qec "'$LUISY' build --log-format json" /dev/null > "$SCRATCH/tty" </dev/null ||
    fail "luisy under script failed"
  tr -d '\r' < "$SCRATCH/tty" > "$SCRATCH/out"
  check_events "$SCRATCH/out" task_started:A task_finished:A build_finished || fail "bad event stream on a tty"
  assert_ran A
else
  echo "skipped: no script(1) to give luisy a terminal"
fi

case_start "a failure: task_failed with the exit code, dependents skipped"
write_file pipeline.yaml \
  'luisy: 1' \
  'project: jsonlog' \
  'tasks:' \
  '  Bad:' \
  '    cmd: echo Bad >> runs.log && echo oops && exit 3' \
  '    outputs: [bad.txt]' \
  '  After:' \
  '    requires: [Bad]' \
  '    cmd: echo After >> runs.log && cat {in} > {out}' \
  '    outputs: [after.txt]'
run_luisy build --log-format json
assert_status 1
assert_ran Bad
printf '%s\n' "$LUISY_STDOUT" > "$SCRATCH/out"
check_events "$SCRATCH/out" task_started:Bad task_failed:Bad task_skipped:After build_finished ||
  fail "bad event stream"
assert_matches LUISY_STDOUT '"event":"task_failed".*"exit_code":3'
assert_contains LUISY_STDOUT '"failed":1'

case_start "a warning is an event and a line on stderr"
make_workspace
write_pipeline
touch "$SCRATCH/notadir"
LUISY_LOCAL_CACHE=on LUISY_CACHE_DIR="$SCRATCH/notadir" run_luisy build A --log-format json
assert_status 0
assert_ran A
printf '%s\n' "$LUISY_STDOUT" > "$SCRATCH/out"
check_events "$SCRATCH/out" task_finished:A warning build_finished || fail "bad event stream"
assert_contains LUISY_STDERR "luisy: warning: cannot keep the result of A"

case_start "transfers: upload, push and pull report transfer_done"
export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"
remote_machine A
run_luisy build --upload --remote "$REMOTE" --log-format json
assert_status 0
assert_ran Raw Clean Report-short Report-long
printf '%s\n' "$LUISY_STDOUT" > "$SHARED/up.out"
check_events "$SHARED/up.out" task_finished:Raw transfer_done build_finished || fail "bad event stream"
assert_matches LUISY_STDOUT '"event":"transfer_done".*"direction":"upload".*"path":"data/raw.txt".*"ok":true'
remote_machine B
run_luisy pull --remote "$REMOTE" --log-format json
assert_status 0
assert_ran
printf '%s\n' "$LUISY_STDOUT" > "$SHARED/pull.out"
check_events "$SHARED/pull.out" 'task_cached:Report(fmt=short)' build_finished || fail "bad pull stream"
assert_matches LUISY_STDOUT '"event":"transfer_done".*"direction":"download".*"label":"Report\(fmt=(short|long)\)"'
run_luisy push --remote "$REMOTE" --log-format json
assert_status 0
printf '%s\n' "$LUISY_STDOUT" > "$SHARED/push.out"
check_events "$SHARED/push.out" build_finished || fail "bad push stream"

case_start "an unknown log format is a usage error"
run_luisy build --log-format xml
assert_status 2
assert_contains LUISY_STDERR "unknown log format 'xml'"

echo "ok: ${TEST_NAME}"
