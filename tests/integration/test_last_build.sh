#!/usr/bin/env bash
# .luisy/last-build.json: after every build (not a dry run, not push or pull) it holds the
# outcome (ran, cached-local, cached-remote, failed, skipped, not-started) of each instance
# that did not end up to date, timings, exit codes, cache hits and totals (up-to-date ones
# are only counted).
source "$(dirname "$0")/lib.sh"

# The local store is on: the cache-hit cases use it.
export LUISY_LOCAL_CACHE=on

# last_build EXPR: evaluates a Python expression over the record `r` and the map `t` from
# label to task entry; fails (printing the record) unless it is true. Also checks the shape:
# totals add up, up-to-date instances are counted but not listed, every timed entry has start
# and seconds >= 0.
last_build() {
  python3 - "$1" <<'PY' || { cat .luisy/last-build.json >&2; fail "last-build.json: $1"; }
import json, sys
r = json.load(open(".luisy/last-build.json"))
t = {e["label"]: e for e in r["tasks"]}
results = ["ran", "up-to-date", "cached-local", "cached-remote", "failed", "skipped", "not-started"]
assert r["version"] == 2 and r["seconds"] >= 0
assert sum(r["totals"][k.replace("-", "_")] for k in results) == r["totals"]["instances"]
assert len(r["tasks"]) == r["totals"]["instances"] - r["totals"]["up_to_date"]
assert r["totals"]["cache_hits"] == r["totals"]["cached_local"] + r["totals"]["cached_remote"]
for e in r["tasks"]:
    assert e["result"] in results and e["result"] != "up-to-date", e
    if "start" in e:
        assert e["start"] >= 0 and e["seconds"] >= 0, e
sys.exit(0 if eval(sys.argv[1]) else 1)
PY
}

write_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: lastbuild' \
    'tasks:' \
    '  A:' \
    '    cmd: echo A >> runs.log && echo a > {out}' \
    '    outputs: [a.txt]' \
    '  B:' \
    '    requires: [A]' \
    '    cmd: echo B >> runs.log && cat {in} > {out} && test -z "$FAIL_B"' \
    '    env: [FAIL_B]' \
    '    outputs: [b.txt]' \
    '  C:' \
    '    requires: [B]' \
    '    cmd: echo C >> runs.log && cat {in} > {out}' \
    '    outputs: [c.txt]'
}

case_start "a dry run writes no record"
make_workspace
write_pipeline
run_luisy build -n
assert_status 0
assert_file_absent .luisy/last-build.json

case_start "a build: every instance ran, with timings and exit codes"
run_luisy build
assert_status 0
assert_ran A B C
last_build 'r["exit_code"] == 0 and all(e["result"] == "ran" and e["exit_code"] == 0 and "start" in e for e in r["tasks"]) and r["totals"]["ran"] == 3'
last_build 't["A"]["start"] <= t["B"]["start"] <= t["C"]["start"]'

case_start "a no-op build: up to date"
run_luisy build
assert_status 0
assert_ran
last_build 'r["totals"]["up_to_date"] == 3 and r["tasks"] == []'
before="$(cat .luisy/last-build.json)"
run_luisy build --dry-run
[ "$(cat .luisy/last-build.json)" = "$before" ] || fail "a dry run rewrote last-build.json"

case_start "a failure: failed with its exit code, the dependent skipped"
FAIL_B=1 run_luisy build
assert_status 1
assert_ran B
last_build 'r["exit_code"] == 1 and "A" not in t and t["B"]["result"] == "failed" and t["B"]["exit_code"] == 1 and t["C"]["result"] == "skipped" and r["totals"]["failed"] == 1'

case_start "cache hits: restored from the local store"
run_luisy build
assert_status 0
assert_ran
last_build 't["B"]["result"] == "cached-local" and "C" not in t and r["totals"]["up_to_date"] == 2 and r["totals"]["cache_hits"] == 1'
rm -f b.txt c.txt
run_luisy build
assert_status 0
assert_ran
last_build 't["B"]["result"] == "cached-local" and t["C"]["result"] == "cached-local" and r["totals"]["cache_hits"] == 2'

case_start "cache hits from a remote; pull and push leave the record alone"
unset FAIL_B
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"
remote_machine A
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran Raw Clean Report-short Report-long
remote_machine B
run_luisy build --download --remote "$REMOTE"
assert_status 0
assert_ran
last_build 'all(e["result"] == "cached-remote" for e in r["tasks"]) and r["totals"]["cache_hits"] == 4 and r["totals"]["bytes_down"] > 0'
before="$(cat .luisy/last-build.json)"
rm -rf data
run_luisy pull --remote "$REMOTE"
assert_status 0
run_luisy push --remote "$REMOTE"
assert_status 0
[ "$(cat .luisy/last-build.json)" = "$before" ] || fail "pull or push rewrote last-build.json"

echo "ok: ${TEST_NAME}"
