#!/usr/bin/env bash
# The local content store (LUISY_CACHE_DIR): every result that ran is kept, so a deleted
# output or a parameter switched back is restored instead of rerun; `cache trim` evicts.
source "$(dirname "$0")/lib.sh"

export LUISY_LOCAL_CACHE=on

make_workspace
SHARED="$WORKSPACE"
export LUISY_CACHE_DIR="$SHARED/cache"

# Files (not directories) in the local store.
store_files() { find "$LUISY_CACHE_DIR" -type f 2>/dev/null | wc -l; }

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: localcache' \
  'params:' \
  '  x: 1' \
  'tasks:' \
  '  Gen:' \
  '    cmd: echo Gen >> runs.log && tr a-z A-Z < {in} > {out}' \
  '    inputs: [gen.src]' \
  '    outputs: [data/gen.txt]' \
  '  UsesX:' \
  '    requires: [Gen]' \
  '    cmd: echo UsesX >> runs.log && cat {in} > {out} && echo x={x} >> {out}' \
  '    outputs: [data/x.txt]' \
  '  Tree:' \
  '    requires: [Gen]' \
  '    cmd: echo Tree >> runs.log && mkdir -p {out}/sub && cp {in} {out}/a.txt && echo deep > {out}/sub/b.txt' \
  '    outputs: [data/tree/]'
write_file gen.src 'hello'

case_start "first build runs everything and fills the store"
run_luisy build
assert_status 0
assert_ran Gen UsesX Tree
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
[ "$(store_files)" -gt 0 ] || fail "the local store under $LUISY_CACHE_DIR is empty after a build"

case_start "a deleted output is restored from the store, its command does not run"
rm data/x.txt
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
assert_contains LUISY_STDOUT "(from cache)"

case_start "an upstream output deleted too: both restored, nothing runs"
rm data/gen.txt data/x.txt
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/gen.txt "HELLO"
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"

case_start "a deleted directory output is restored whole"
rm -r data/tree
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/tree/a.txt "HELLO"
assert_file_equals data/tree/sub/b.txt "deep"

case_start "--param x=2 runs; switching back to x=1 restores, it does not rerun"
run_luisy build --param x=2
assert_status 0
assert_ran UsesX
assert_file_equals data/x.txt "$(printf 'HELLO\nx=2')"
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
assert_contains LUISY_STDOUT "(from cache)"
run_luisy build --param x=2
assert_status 0
assert_ran
assert_file_equals data/x.txt "$(printf 'HELLO\nx=2')"

case_start "a source edited and edited back: restored, not rerun"
write_file gen.src 'other'
run_luisy build
assert_status 0
assert_ran Gen UsesX Tree
assert_file_equals data/x.txt "$(printf 'OTHER\nx=1')"
write_file gen.src 'hello'
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
assert_file_equals data/tree/a.txt "HELLO"

case_start "a second workspace with the same store restores instead of running"
FIRST="$WORKSPACE"
make_workspace
cp "$FIRST/pipeline.yaml" "$FIRST/gen.src" .
run_luisy build
assert_status 0
assert_ran
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
assert_file_equals data/tree/sub/b.txt "deep"
cd "$FIRST" || exit 1

case_start "a corrupted (inline) content in the store is not restored: the task reruns"
# data/x.txt is small, so its bytes are kept inside its record rather than as a blob.
record="$(damage_inline "$LUISY_CACHE_DIR" data/x.txt)"
[ -n "$record" ] || fail "no record of the store holds data/x.txt inline"
rm data/x.txt
run_luisy build
assert_status 0
assert_ran UsesX
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"

case_start "LUISY_LOCAL_CACHE=off: a deleted output reruns"
rm data/x.txt
LUISY_LOCAL_CACHE=off run_luisy build
assert_status 0
assert_ran UsesX
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"

case_start "cache trim --max-size 0 empties the store; deleted outputs then rerun"
run_luisy cache trim --max-size 0
assert_status 0
[ "$(store_files)" = 0 ] || fail "the store still holds $(store_files) files after trim --max-size 0: $(find "$LUISY_CACHE_DIR" -type f)"
rm -r data
run_luisy build
assert_status 0
assert_ran Gen UsesX Tree
assert_file_equals data/x.txt "$(printf 'HELLO\nx=1')"
assert_file_equals data/tree/sub/b.txt "deep"

case_start "cache trim with a bad size: usage error"
run_luisy cache trim --max-size lots
assert_status 2

echo "${TEST_NAME}: ok"
