#!/usr/bin/env bash
# `luisy build -n` prints what the build would do, grouped: will run (and why), will
# download (with --download, when the remote has it), will upload (with --upload), will
# delete (existing outputs a run deletes first). It changes nothing.
source "$(dirname "$0")/lib.sh"

export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"

case_start "a fresh workspace: everything will run, nothing is deleted"
remote_machine A
run_luisy build -n
assert_status 0
assert_contains LUISY_STDOUT "will run (4):"
assert_contains LUISY_STDOUT "  Raw: no previous run"
assert_contains LUISY_STDOUT "  Clean: Raw will run first"
assert_not_contains LUISY_STDOUT "will delete"
assert_not_contains LUISY_STDOUT "will upload"
assert_ran
assert_file_absent data

case_start "--upload: results that would run are announced for upload"
run_luisy build -n --upload --remote "$REMOTE"
assert_status 0
assert_contains LUISY_STDOUT "will upload (4):"
assert_contains LUISY_STDOUT "the results of the 4 that will run"
[ -z "$(find "$REMOTE" -type f)" ] || fail "a dry run wrote to the remote"

case_start "built but not uploaded: -n --upload lists them"
run_luisy build
assert_status 0
assert_ran Raw Clean Report-short Report-long
run_luisy build -n
assert_status 0
assert_contains LUISY_STDOUT "nothing to do"
run_luisy build -n --upload --remote "$REMOTE"
assert_status 0
assert_contains LUISY_STDOUT "will upload (4):"
assert_contains LUISY_STDOUT "  Report(fmt=short)"
assert_not_contains LUISY_STDOUT "will run"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
run_luisy build -n --upload --remote "$REMOTE"
assert_contains LUISY_STDOUT "nothing to do"

case_start "a changed input: will run, and will delete the outputs it replaces"
write_file report.src 'new header'
snapshot="$(tree_snapshot .)"
run_luisy build -n
assert_status 0
assert_contains LUISY_STDOUT "will run (2):"
assert_contains LUISY_STDOUT "  Report(fmt=long): input report.src changed"
assert_contains LUISY_STDOUT "will delete (2):"
assert_contains LUISY_STDOUT "  data/report_short.txt (output of Report(fmt=short))"
assert_not_contains LUISY_STDOUT "data/raw.txt"
[ "$(tree_snapshot .)" = "$snapshot" ] || fail "a dry run changed the workspace"
assert_ran

case_start "another machine with --download: will download what the remote has, run the rest"
remote_machine B 'other header'
run_luisy build -n --download --remote "$REMOTE"
assert_status 0
assert_contains LUISY_STDOUT "will download (2):"
assert_contains LUISY_STDOUT "  Raw"
assert_contains LUISY_STDOUT "  Clean"
assert_contains LUISY_STDOUT "will run (2):"
assert_contains LUISY_STDOUT "  Report(fmt=short): no previous run"
assert_file_absent data
assert_ran
# The same without --download: the remote is not consulted.
run_luisy build -n --remote "$REMOTE"
assert_contains LUISY_STDOUT "will run (4):"
assert_not_contains LUISY_STDOUT "will download"

case_start "outputs in the local store: will restore"
remote_machine A
run_luisy build -n
assert_status 0
assert_contains LUISY_STDOUT "will restore from the local cache (4):"
assert_not_contains LUISY_STDOUT "will run"
