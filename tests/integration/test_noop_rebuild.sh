#!/usr/bin/env bash
# A second build of an unchanged workspace runs nothing, rewrites nothing and exits 0.
source "$(dirname "$0")/lib.sh"

write_chain_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: noop' \
    'tasks:' \
    '  A:' \
    '    cmd: echo A >> runs.log && cp {in} {out}' \
    '    inputs: [a.txt]' \
    '    outputs: [A.out]' \
    '  B:' \
    '    cmd: echo B >> runs.log && cat {in} > {out}' \
    '    requires: [A]' \
    '    inputs: [b.txt]' \
    '    outputs: [B.out]' \
    '  C:' \
    '    cmd: echo C >> runs.log && cat {in} > {out}' \
    '    requires: [B]' \
    '    outputs: [C.out]' \
    '  D:' \
    '    cmd: echo D >> runs.log && cp {in} {out}' \
    '    inputs: [d.txt]' \
    '    outputs: [D.out]'
  write_file a.txt a
  write_file b.txt b
  write_file d.txt d
}

case_start "first build runs everything"
make_workspace
write_chain_pipeline
run_luisy build
assert_status 0
assert_ran A B C D
assert_file_equals C.out "$(printf 'b\na')"
assert_file_equals D.out d
assert_matches LUISY_STDOUT '^luisy:'

case_start "second build runs nothing"
before="$(tree_snapshot .)"
run_luisy build
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."
[ "$(tree_snapshot .)" = "$before" ] || fail "a no-op build rewrote files"

case_start "third build, with -j 2 and an explicit file, still runs nothing"
run_luisy build pipeline.yaml -j 2
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."

case_start "no-op from another directory (-C and a path to the file)"
cd /
run_luisy build -C "$WORKSPACE"
assert_status 0
run_luisy build "$WORKSPACE/pipeline.yaml"
assert_status 0
cd "$WORKSPACE" || exit 1
assert_ran
[ "$(tree_snapshot .)" = "$before" ] || fail "a no-op build from elsewhere rewrote files"

case_start "asking for a single up-to-date task runs nothing"
run_luisy build B
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."

case_start "a fresh workspace building one target runs only what it needs"
make_workspace
write_chain_pipeline
run_luisy build B
assert_status 0
assert_ran A B
assert_file_absent C.out
run_luisy build
assert_status 0
assert_ran C D

echo "PASS: $TEST_NAME"
