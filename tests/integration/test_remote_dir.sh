#!/usr/bin/env bash
# The shared cache through a directory remote: machine A builds and uploads, machine B
# (its own workspace and its own local store) downloads only what its targets need,
# resolves the upstream instances from their records without fetching them, fetches them
# only when a task must run locally; a corrupted blob is refused; push, pull and
# status --remote.
source "$(dirname "$0")/lib.sh"

# The local store is on for every machine here; each machine has its own.
export LUISY_LOCAL_CACHE=on

# Remotes and local stores of the simulated machines live in a directory of their own.
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"

# machine NAME: a fresh workspace with the pipeline sources, and its own local store.
machine() { remote_machine "$@"; }

# Every record under REMOTE/PREFIX/ac names blobs that exist under REMOTE/PREFIX/cas.
records_complete() {
  python3 - "$1" <<'EOF'
import json, os, sys
root = sys.argv[1]
ac = os.path.join(root, "ac")
names = os.listdir(ac) if os.path.isdir(ac) else []
if not names:
    sys.exit("no records under " + ac)
for name in names:
    with open(os.path.join(ac, name)) as f:
        record = json.load(f)
    digests = [o["digest"] for o in record.get("files", [])] + [o["digest"] for o in record.get("outputs", []) if "digest" in o]
    if not digests:
        sys.exit("record %s names no blob" % name)
    for d in digests:
        blob = os.path.join(root, "cas", d[:2], d)
        if not os.path.isfile(blob):
            sys.exit("record %s names %s, which is not in the remote" % (name, d))
EOF
}

count_files() { find "$1" -type f 2>/dev/null | wc -l; }

REPORT_SHORT="$(printf 'header\nCLEAN WORLD\nshort')"
REPORT_LONG="$(printf 'header\nCLEAN WORLD\nlong')"

case_start "machine A builds and uploads to a directory remote"
machine A
A="$WORKSPACE"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran Raw Clean Report-short Report-long
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_matches LUISY_OUTPUT 'remote: .*4 results uploaded'
[ "$(count_files "$REMOTE/shared/ac")" = 4 ] || fail "expected 4 records under ac/, found $(count_files "$REMOTE/shared/ac")"
records_complete "$REMOTE/shared" || fail "a record names a blob the remote lacks"

case_start "A again with --upload: nothing runs, nothing new is uploaded"
snapshot="$(tree_snapshot "$REMOTE")"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran
[ "$(tree_snapshot "$REMOTE")" = "$snapshot" ] || fail "the remote changed on an upload of results it already had"

case_start "machine B downloads Report: only Report's outputs are fetched"
machine B
run_luisy build Report --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
assert_file_absent data/raw.txt
assert_file_absent data/clean.txt
assert_contains LUISY_OUTPUT "not downloaded"
assert_matches LUISY_OUTPUT 'remote: 4 hits, 0 misses, 0 errors'
# B's local store keeps what was restored (the two reports and their records), not the
# records of Raw and Clean, which were only read to compute the reports' keys.
[ "$(count_files "$LUISY_CACHE_DIR/ac")" = 2 ] ||
  fail "expected the 2 restored records in B's local store, found $(count_files "$LUISY_CACHE_DIR/ac")"
[ "$(count_files "$LUISY_CACHE_DIR/cas")" = 2 ] ||
  fail "expected the 2 restored files in B's local store, found $(count_files "$LUISY_CACHE_DIR/cas")"
audit_store "$LUISY_CACHE_DIR" local

case_start "B builds without flags: the upstream resolved from records is not rerun"
run_luisy build
assert_status 0
assert_ran
assert_file_absent data/raw.txt
assert_file_absent data/clean.txt
assert_file_equals data/report_short.txt "$REPORT_SHORT"

case_start "B edits what only Report reads: Report runs, Clean's output is fetched, not rebuilt"
write_file report.src 'header2'
run_luisy build --download --remote "$REMOTE"
assert_status 0
assert_ran Report-short Report-long
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_file_equals data/report_short.txt "$(printf 'header2\nCLEAN WORLD\nshort')"
assert_file_equals data/report_long.txt "$(printf 'header2\nCLEAN WORLD\nlong')"
run_luisy build --download --remote "$REMOTE"
assert_status 0
assert_ran

case_start "without a remote, the upstream a local run needs is rebuilt"
machine C
run_luisy build Report --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_absent data/clean.txt
write_file report.src 'header3'
# (Both Report instances need Clean's file: Raw and Clean must run once each, not once per
# consumer.)
run_luisy build
assert_status 0
assert_ran Raw Clean Report-short Report-long
assert_file_equals data/raw.txt "HELLO WORLD"
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_file_equals data/report_long.txt "$(printf 'header3\nCLEAN WORLD\nlong')"

case_start "status --remote: yes for the keys the remote holds, no for the others"
# C's Report instances have new keys (header3), never uploaded; Raw and Clean's are there.
run_luisy status --remote "$REMOTE"
assert_status 0
assert_matches LUISY_STDOUT 'Raw .*\[remote: yes\]'
assert_matches LUISY_STDOUT 'Clean .*\[remote: yes\]'
assert_matches LUISY_STDOUT 'Report\(fmt=short\) .*\[remote: no\]'
assert_matches LUISY_STDOUT 'Report\(fmt=long\) .*\[remote: no\]'
run_luisy status --remote "$REMOTE" --format json
assert_status 0
python3 - "$LUISY_STDOUT" <<'EOF' || fail "status --format json does not give the right remote fields"
import json, sys
doc = json.loads(sys.argv[1])
got = {i["label"]: i.get("remote") for i in doc["instances"]}
want = {"Raw": "yes", "Clean": "yes", "Report(fmt=short)": "no", "Report(fmt=long)": "no"}
if got != want:
    sys.exit("remote fields %r, expected %r" % (got, want))
EOF

case_start "a corrupted blob in the remote is refused: the task runs locally"
# Overwrite the blob holding A's report_short.txt with other bytes of the same size.
corrupt=""
for blob in "$REMOTE"/shared/cas/*/*; do
  if cmp -s "$blob" "$A/data/report_short.txt"; then corrupt="$blob"; fi
done
[ -n "$corrupt" ] || fail "no blob under cas/ holds report_short.txt"
tr 'a-zA-Z' 'n-za-mN-ZA-M' <"$A/data/report_short.txt" >"$corrupt"
machine D
run_luisy build Report --download --remote "$REMOTE"
assert_status 0
assert_ran Report-short
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_contains LUISY_STDERR "warning"
assert_contains LUISY_STDERR "$(basename "$corrupt")"
assert_matches LUISY_OUTPUT 'remote: .* 1 errors'

case_start "push after a local build uploads every result; the records follow their blobs"
REMOTE2="$SHARED/remote2"
mkdir -p "$REMOTE2"
machine E
run_luisy build
assert_status 0
assert_ran Raw Clean Report-short Report-long
run_luisy push --remote "$REMOTE2"
assert_status 0
assert_ran
[ "$(count_files "$REMOTE2/shared/ac")" = 4 ] || fail "expected 4 records after push, found $(count_files "$REMOTE2/shared/ac")"
records_complete "$REMOTE2/shared" || fail "a pushed record names a blob the remote lacks"
run_luisy status --remote "file://$REMOTE2"
assert_status 0
[ "$(grep -c '\[remote: yes\]' <<<"$LUISY_STDOUT")" = 4 ] || fail "status --remote does not say yes for all 4 instances"

case_start "pull into an empty workspace restores the targets without running"
machine F
run_luisy pull --remote "file://$REMOTE2"
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
run_luisy build
assert_status 0
assert_ran

case_start "pull of something the remote lacks: exit 1"
machine G
write_file report.src 'never built'
run_luisy pull --remote "$REMOTE2"
assert_status 1
assert_ran
assert_file_absent data/report_short.txt

case_start "an upstream resolved from the remote leaves no output of an earlier run behind"
machine H
run_luisy build
assert_status 0
assert_ran Raw Clean Report-short Report-long
assert_file_equals data/clean.txt "CLEAN WORLD"
H="$WORKSPACE"
machine I
write_file raw.src 'hello there'
run_luisy build --upload --remote "$REMOTE"
assert_status 0
WORKSPACE="$H"
cd "$H" || exit 1
export LUISY_CACHE_DIR="$SHARED/cache-H"
write_file raw.src 'hello there'
run_luisy build Report --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$(printf 'header\nCLEAN THERE\nshort')"
# Raw and Clean were resolved from their records, not fetched: their files of the first
# build ("CLEAN WORLD") are not this build's and must not be left to pass for it.
assert_file_absent data/raw.txt
assert_file_absent data/clean.txt
run_luisy build Clean --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_equals data/clean.txt "CLEAN THERE"

echo "${TEST_NAME}: ok"
