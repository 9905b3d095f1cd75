#!/usr/bin/env bash
# build --trace FILE: a Chrome trace-event file (Perfetto, chrome://tracing) with one slice
# per task run on job-slot lanes, per download and per upload; written after a success, a
# failure and an interruption.
source "$(dirname "$0")/lib.sh"

# check_trace FILE [--task LABEL]... [--failed LABEL]... [--cat CATEGORY]...:
# the file is JSON with traceEvents; every X slice has ts, dur >= 0, integer pid and tid,
# and a named lane; slices on one lane never overlap; the named tasks have a task slice
# (a failed one with a non-zero exit code) and every named category has a slice.
check_trace() {
  python3 - "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
want = {"--task": [], "--failed": [], "--cat": []}
for flag, value in zip(args[::2], args[1::2]):
    want[flag].append(value)
with open(path) as f:
    trace = json.load(f)
events = trace["traceEvents"]
lanes = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
slices = [e for e in events if e["ph"] == "X"]
for e in slices:
    for key in ("name", "cat", "ts", "dur", "pid", "tid", "args"):
        if key not in e:
            sys.exit("slice without %s: %r" % (key, e))
    if not isinstance(e["pid"], int) or not isinstance(e["tid"], int):
        sys.exit("pid/tid not integers: %r" % e)
    if e["ts"] < 0 or e["dur"] < 0:
        sys.exit("negative time: %r" % e)
    if (e["pid"], e["tid"]) not in lanes:
        sys.exit("slice on an unnamed lane: %r" % e)
by_lane = {}
for e in slices:
    if e["cat"].startswith("task"):
        by_lane.setdefault((e["pid"], e["tid"]), []).append(e)
for lane, items in by_lane.items():
    items.sort(key=lambda e: e["ts"])
    for a, b in zip(items, items[1:]):
        if a["ts"] + a["dur"] > b["ts"] + 1:
            sys.exit("tasks overlap on lane %r: %s and %s" % (lane, a["name"], b["name"]))
tasks = {e["args"]["label"]: e for e in slices if e["cat"].startswith("task")}
for label in want["--task"]:
    e = tasks.get(label)
    if not e or e["args"]["exit_code"] != 0 or "command" not in e["args"]:
        sys.exit("no successful task slice for %s (have %s)" % (label, sorted(tasks)))
for label in want["--failed"]:
    e = tasks.get(label)
    if not e or e["args"]["exit_code"] == 0 or "failed" not in e["cat"]:
        sys.exit("no failed task slice for %s" % label)
cats = {e["cat"] for e in slices}
for cat in want["--cat"]:
    if cat not in cats:
        sys.exit("no %s slice (have %s)" % (cat, sorted(cats)))
    if cat in ("upload", "download"):
        blobs = [e for e in slices if e["cat"] == cat and e["args"]["path"]]
        if not blobs or any(e["args"]["bytes"] <= 0 or e["pid"] != 2 for e in blobs):
            sys.exit("%s slices of files need bytes > 0 on the transfer lanes: %r" % (cat, blobs))
PY
}

case_start "a parallel build: one slice per task, on job lanes"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: trace' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && echo a > {out}' \
  '    outputs: [a.txt]' \
  '  B:' \
  '    requires: [A]' \
  '    matrix: {n: ["1", "2", "3", "4"]}' \
  '    cmd: echo B >> runs.log && cat {in} > {out}' \
  '    outputs: ["b{n}.txt"]' \
  '  C:' \
  '    requires: [B]' \
  '    cmd: echo C >> runs.log && cat {in} > {out}' \
  '    outputs: [c.txt]'
run_luisy build -j 3 --trace out/trace.json
assert_status 0
assert_ran A B B B B C
check_trace out/trace.json --task A --task 'B(n=1)' --task 'B(n=4)' --task C --cat build ||
  fail "bad trace"

case_start "a no-op build still writes a trace (no task slices)"
run_luisy build --trace trace2.json
assert_status 0
assert_ran
check_trace trace2.json --cat build || fail "bad trace"

case_start "a failed build writes the trace too, with the exit code"
write_file pipeline.yaml \
  'luisy: 1' \
  'project: trace' \
  'tasks:' \
  '  Bad:' \
  '    cmd: echo Bad >> runs.log && exit 7' \
  '    outputs: [bad.txt]'
run_luisy build --trace trace3.json
assert_status 1
assert_ran Bad
check_trace trace3.json --failed Bad || fail "bad trace"
python3 -c 'import json,sys; e=[e for e in json.load(open("trace3.json"))["traceEvents"] if e.get("cat","").startswith("task")]; sys.exit(e[0]["args"]["exit_code"] != 7)' ||
  fail "the failed slice does not carry exit code 7"

case_start "an interrupted build writes the trace"
write_file pipeline.yaml \
  'luisy: 1' \
  'project: trace' \
  'tasks:' \
  '  Slow:' \
  '    cmd: touch started && sleep 60 && echo done > {out}' \
  '    outputs: [slow.txt]'
start_luisy_bg slow build --trace trace4.json
luisy_pid="$BG_PID"
wait_until 20 test -e started || fail "Slow never started"
kill -INT "$luisy_pid"
wait_bg "$luisy_pid" slow
assert_status 130
check_trace trace4.json --failed Slow || fail "bad trace after an interruption"

case_start "uploads and downloads through a directory remote have slices"
export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"
remote_machine A
run_luisy build --upload --remote "$REMOTE" --trace "$SHARED/up.json"
assert_status 0
assert_ran Raw Clean Report-short Report-long
check_trace "$SHARED/up.json" --task Raw --task Clean --cat upload || fail "bad upload trace"
remote_machine B
run_luisy build --download --remote "$REMOTE" --trace "$SHARED/down.json"
assert_status 0
assert_ran
check_trace "$SHARED/down.json" --cat download --cat cached || fail "bad download trace"

echo "ok: ${TEST_NAME}"
