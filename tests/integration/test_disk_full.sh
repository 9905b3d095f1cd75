#!/usr/bin/env bash
# A full disk while a task writes its outputs, while luisy writes its state, while the local
# store keeps a result, and while a download is placed (into the workspace or into the local
# store): a clear error or warning naming the device being full, nothing recorded as done
# that is not whole, no half file left, and after space is freed the next build is right.
# The small disks are size-limited tmpfs mounts (which needs root, as in CI): without them
# the test is skipped with a message.
source "$(dirname "$0")/lib.sh"

make_workspace
SHARED="$WORKSPACE"
MOUNTS=()
unmount_all() {
  local dir
  cd / || true
  for dir in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount "$dir" 2>/dev/null; done
}
trap 'unmount_all; _lib_cleanup' EXIT

# small_disk NAME SIZE: a fresh tmpfs of SIZE (e.g. 512k) mounted at $SHARED/NAME; sets DISK.
small_disk() {
  DISK="$SHARED/$1"
  mkdir -p "$DISK"
  if ! mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$DISK" 2>/dev/null; then
    echo "SKIP: ${TEST_NAME}: cannot mount a size-limited tmpfs here (needs root); not tested"
    exit 0
  fi
  MOUNTS+=("$DISK")
}
grow_disk() { mount -o remount,size=8m "$1" || fail "cannot grow $1"; }

# No temporary file of luisy's (NAME.tmp.PID.N) under DIR.
no_temp_files() {
  local found
  found="$(find "$1" -name '*.tmp.*' 2>/dev/null)"
  [ -z "$found" ] || fail "temporary files left behind: $found"
}

# Small -> Big (1 MiB and the bytes of seed.src) -> After.
write_big_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: full' \
    'tasks:' \
    '  Small:' \
    '    cmd: echo Small >> runs.log && echo small > {out}' \
    '    outputs: [data/small.txt]' \
    '  Big:' \
    '    requires: [Small]' \
    '    inputs: [seed.src]' \
    '    cmd: echo Big >> runs.log && (cat {in[0]}; head -c 1048576 /dev/zero) > {out}' \
    '    outputs: [data/big.bin]' \
    '  After:' \
    '    requires: [Big]' \
    '    cmd: echo After >> runs.log && wc -c < {in} > {out}' \
    '    outputs: [data/after.txt]'
  write_file seed.src one
}
BIG_SIZE=$((1048576 + 4))  # "one\n" + 1 MiB

cases=0

case_start "a task writes more than the workspace's disk holds"
export LUISY_LOCAL_CACHE=off
small_disk ws1 512k
cd "$DISK" || exit 1
write_big_pipeline
run_luisy build
assert_status 1
assert_contains LUISY_OUTPUT "FAILED: Big"
assert_contains LUISY_OUTPUT "No space left on device"
assert_ran Small Big
assert_file_absent data/big.bin  # the failed task's partial output is removed
assert_file_absent data/after.txt
no_temp_files "$DISK"
# Nothing of Big is recorded: status says it would run.
run_luisy status
assert_matches LUISY_STDOUT 'Big'
grow_disk "$DISK"
run_luisy build
assert_status 0
assert_ran Big After
[ "$(stat -c %s data/big.bin)" = "$BIG_SIZE" ] || fail "data/big.bin is not whole"
assert_file_equals data/after.txt "$BIG_SIZE"
run_luisy build
assert_status 0
assert_ran
cases=$((cases + 1))

case_start "a task fills the disk to the last byte and succeeds; luisy cannot record it"
small_disk ws2 512k
cd "$DISK" || exit 1
write_file pipeline.yaml \
  'luisy: 1' \
  'project: full' \
  'tasks:' \
  '  Fill:' \
  '    cmd: echo Fill >> runs.log && if [ -e fill-up ]; then head -c $(( $(stat -f -c %a*%S .) )) /dev/zero > {out}; true; else echo some > {out}; fi' \
  '    outputs: [fill.bin]' \
  '  After:' \
  '    requires: [Fill]' \
  '    cmd: echo After >> runs.log && wc -c < {in} > {out}' \
  '    outputs: [after.txt]'
touch fill-up  # (not an input: Fill's key stays the same)
run_luisy build
# The record of Fill cannot be written (.luisy/ is on the full disk): Fill counts as failed,
# its output goes, After does not run.
assert_status 1
assert_contains LUISY_OUTPUT "FAILED: Fill"
assert_contains LUISY_OUTPUT "No space left on device"
assert_file_absent fill.bin
assert_file_absent after.txt
assert_ran Fill
rm fill-up
grow_disk "$DISK"
run_luisy build
assert_status 0
assert_ran Fill After
[ "$(cat after.txt)" = "$(stat -c %s fill.bin)" ] || fail "after.txt does not hold the size of fill.bin"
run_luisy build
assert_status 0
assert_ran
cases=$((cases + 1))

case_start "the local store's disk is full: the build succeeds, the store keeps nothing half"
export LUISY_LOCAL_CACHE=on
small_disk store1 256k
export LUISY_CACHE_DIR="$DISK/cache"
make_workspace
write_big_pipeline
run_luisy build
assert_status 0
assert_ran Small Big After
assert_contains LUISY_STDERR "cannot keep the result of Big in the local cache"
assert_contains LUISY_STDERR "No space left on device"
[ "$(stat -c %s data/big.bin)" = "$BIG_SIZE" ] || fail "data/big.bin is not whole"
audit_store "$LUISY_CACHE_DIR" local
no_temp_files "$LUISY_CACHE_DIR"
run_luisy build
assert_status 0
assert_ran
# Big is not in the store: deleting its output reruns it; Small is restored.
rm data/big.bin data/small.txt
run_luisy build
assert_status 0
assert_ran Big
[ "$(stat -c %s data/big.bin)" = "$BIG_SIZE" ] || fail "data/big.bin is not whole"
assert_file_equals data/small.txt small
cases=$((cases + 1))

case_start "a download into a full workspace fails clearly and leaves no half file"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"
export LUISY_CACHE_DIR="$SHARED/cache-m"
make_workspace
M="$WORKSPACE"
write_big_pipeline
run_luisy build --upload --remote "$REMOTE"
assert_status 0
audit_store "$REMOTE/full"
small_disk ws3 512k
export LUISY_CACHE_DIR="$SHARED/cache-w"
cd "$DISK" || exit 1
write_big_pipeline
run_luisy build Big After --download --remote "$REMOTE"
assert_status 1
assert_contains LUISY_STDERR "cannot restore Big"
assert_contains LUISY_OUTPUT "No space left on device"
assert_file_absent data/big.bin
assert_file_absent data/after.txt
no_temp_files "$DISK"
audit_store "$LUISY_CACHE_DIR" local
grow_disk "$DISK"
rm -f runs.log
run_luisy build Big After --download --remote "$REMOTE"
assert_status 0
assert_ran
cmp -s data/big.bin "$M/data/big.bin" || fail "data/big.bin differs from the built one"
assert_file_equals data/after.txt "$BIG_SIZE"
run_luisy build Big After --download --remote "$REMOTE"
assert_status 0
assert_ran
cases=$((cases + 1))

case_start "a download into a full local store: restored into the workspace, the store warns and keeps nothing half"
small_disk store2 256k
export LUISY_CACHE_DIR="$DISK/cache"
make_workspace
write_big_pipeline
run_luisy build Big --download --remote "$REMOTE"
assert_status 0
assert_contains LUISY_OUTPUT "No space left on device"
cmp -s data/big.bin "$M/data/big.bin" || fail "data/big.bin differs from the built one"
audit_store "$LUISY_CACHE_DIR" local
no_temp_files "$LUISY_CACHE_DIR"
rm -f runs.log
run_luisy build Big --download --remote "$REMOTE"
assert_status 0
assert_ran
cases=$((cases + 1))

echo "${TEST_NAME}: $cases disk-full cases; nothing recorded that was not whole, data lost: 0"
echo "${TEST_NAME}: ok"
