#!/usr/bin/env bash
# Small outputs live inside their local record (format 2): a small and a large output of one
# task are restored from the local store (the small one without a blob of its own), a damaged
# inline content is caught by `luisy verify` and by a build (which reruns the task), and an
# upload to a directory remote sends the small file as a blob under a format-1 record, which
# a second workspace downloads.
source "$(dirname "$0")/lib.sh"

export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"

# Workspace with one task writing a small and a large (64 KiB) output.
inline_machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: inline' \
    'tasks:' \
    '  Both:' \
    '    cmd: echo Both >> runs.log && tr a-z A-Z < {in} > data/small.txt && head -c 65536 /dev/zero | tr "\0" x > data/large.bin' \
    '    inputs: [both.src]' \
    '    outputs: [data/small.txt, data/large.bin]'
  write_file both.src 'hello inline'
}
blob_of_file() { echo "$LUISY_CACHE_DIR/cas/$(xxhsum -H2 "$1" | cut -c1-2)/$(xxhsum -H2 "$1" | cut -d' ' -f1)"; }

case_start "a small and a large output: the small one is inline, the large one a blob"
inline_machine A
A="$WORKSPACE"
run_luisy build
assert_status 0
assert_ran Both
assert_file_equals data/small.txt 'HELLO INLINE'
[ "$(wc -c < data/large.bin)" = 65536 ] || fail "data/large.bin has the wrong size"
SMALL_BLOB="$(blob_of_file data/small.txt)"
LARGE_BLOB="$(blob_of_file data/large.bin)"
assert_file_absent "$SMALL_BLOB"
assert_file_exists "$LARGE_BLOB"
grep -q '"format": 2' "$LUISY_CACHE_DIR"/ac/* || fail "the local record is not format 2"
audit_store "$LUISY_CACHE_DIR" local
assert_matches AUDIT_SUMMARY '^1 records, 1 blobs, 0 temporary, 0 absent, 1 inline$'

case_start "deleted outputs are restored from the local store, bytes and mode intact"
cp data/large.bin "$SHARED/large.expected"
rm -r data
run_luisy build
assert_status 0
assert_ran
assert_contains LUISY_STDOUT 'Both (from cache)'
assert_file_equals data/small.txt 'HELLO INLINE'
cmp -s data/large.bin "$SHARED/large.expected" || fail "data/large.bin restored with other bytes"
assert_file_absent "$SMALL_BLOB"
[ "$(stat -c %a data/small.txt)" = "$(stat -c %a data/large.bin)" ] || fail "modes differ"
run_luisy build --dry-run
assert_status 0
assert_not_contains LUISY_STDOUT 'Both (run'

case_start "upload to a directory remote: a blob for each file, a format-1 record"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_matches LUISY_OUTPUT 'remote: .*1 results uploaded'
audit_store "$REMOTE/inline"
assert_matches AUDIT_SUMMARY '^1 records, 2 blobs, 0 temporary, 0 absent, 0 inline$'
grep -q '"format": 1' "$REMOTE"/inline/ac/* || fail "the remote record is not format 1"
if grep -q '"content"' "$REMOTE"/inline/ac/*; then fail "the remote record carries inline content"; fi

case_start "a second workspace downloads both files"
inline_machine B
run_luisy build --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_equals data/small.txt 'HELLO INLINE'
cmp -s data/large.bin "$SHARED/large.expected" || fail "data/large.bin downloaded with other bytes"
audit_store "$LUISY_CACHE_DIR" local
rm -r data
run_luisy build  # from B's local store alone
assert_status 0
assert_ran
assert_file_equals data/small.txt 'HELLO INLINE'

case_start "a damaged inline content: verify reports it, a build reruns the task"
cd "$A" || exit 1
export LUISY_CACHE_DIR="$SHARED/cache-A"
RECORD="$(damage_inline "$LUISY_CACHE_DIR" data/small.txt)"
[ -n "$RECORD" ] || fail "no local record holds data/small.txt inline"
run_luisy verify
assert_status 1
assert_contains LUISY_STDOUT 'inline content of "data/small.txt" does not match'
rm data/small.txt
run_luisy build
assert_status 0
assert_ran Both
assert_file_equals data/small.txt 'HELLO INLINE'
run_luisy verify
assert_status 0

case_start "the upload from a store whose workspace lost the small file"
# A record that the remote lacks, uploaded from the local store's copy alone.
rm -r "$REMOTE"
rm data/small.txt
run_luisy build --upload --remote "$REMOTE"  # restores, then uploads
assert_status 0
audit_store "$REMOTE/inline"
assert_matches AUDIT_SUMMARY '^1 records, 2 blobs'
