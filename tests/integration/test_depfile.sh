#!/usr/bin/env bash
# shellcheck disable=SC2034  # LUISY_STATUS, LUISY_COMMAND... are read by lib.sh's fail
# luisy build --depfile, driven by the real GNU make: the first make runs luisy, a second
# does not call it at all, and touching or editing a source input, adding a file to a
# globbed directory or editing the pipeline makes make call luisy again. A failed build
# leaves no depfile, so make calls luisy again next time.
#
# The Makefile uses the depfile as the build's stamp (luisy rewrites it after every
# successful build) and includes it, the pattern of make's own manual for generated
# prerequisites: make brings the included file up to date before anything else.
source "$(dirname "$0")/lib.sh"

command -v make >/dev/null || { echo "SKIP: GNU make is not installed"; exit 0; }

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: depfile' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && cat {in} > {out}' \
  '    inputs: [src/a.txt, "data/*.csv"]' \
  '    outputs: [out/a.txt]' \
  '  B:' \
  '    requires: [A]' \
  '    inputs: ["my scripts/b.sh"]' \
  '    cmd: echo B >> runs.log && sh {in[0]} {in[1]} > {out}' \
  '    outputs: [out/b.txt]'
write_file src/a.txt 'a'
write_file data/x.csv 'x'
write_file "my scripts/b.sh" 'tr a-z A-Z < "$1"'
# Each call of luisy leaves a line in calls.log.
write_file luisy-wrapper 'echo called >> calls.log' 'exec "$REAL_LUISY" "$@"'
chmod +x luisy-wrapper
export REAL_LUISY="$LUISY"
write_file Makefile \
  'all: luisy.d' \
  'luisy.d:' \
  '	+./luisy-wrapper build pipeline.yaml --depfile $@' \
  'include luisy.d'

MAKE_STATUS=""
run_make() {
  LUISY_COMMAND="(through make $*)"
  timeout -k 5 "$LUISY_TIMEOUT" make --no-print-directory "$@" \
    >"$WORKSPACE/.make.out" 2>"$WORKSPACE/.make.err" </dev/null
  MAKE_STATUS=$?
  LUISY_STATUS=$MAKE_STATUS
  LUISY_STDOUT="$(cat "$WORKSPACE/.make.out")"
  LUISY_STDERR="$(cat "$WORKSPACE/.make.err")"
  LUISY_OUTPUT="$LUISY_STDOUT"$'\n'"$LUISY_STDERR"
}

# assert_calls N: make called luisy N times since the last check.
assert_calls() {
  local got=0
  [ -f calls.log ] && got="$(wc -l <calls.log)"
  [ "$got" = "$1" ] || fail "make called luisy $got times, expected $1"
  rm -f calls.log
}

# Touches FILE until the file system gives it an mtime newer than the stamp (a polled
# condition instead of a sleep: timestamps are coarse).
touch_newer() {
  touch "$1"
  [ "$1" -nt luisy.d ]
}

case_start "the first make runs luisy and writes the depfile"
run_make
assert_status 0
assert_not_contains LUISY_STDERR "luisy.d"  # no complaint about the missing include
assert_calls 1
assert_ran A B
assert_file_equals out/b.txt "A
X"
assert_file_exists luisy.d
deps="$(cat luisy.d)"
assert_matches deps '^luisy\.d: '
for prerequisite in pipeline.yaml src/a.txt data/x.csv data 'my\ scripts/b.sh'; do
  grep -qF -- " $prerequisite" luisy.d || fail "luisy.d does not name $prerequisite"
  grep -qxF -- "$prerequisite:" luisy.d || fail "luisy.d has no empty rule for $prerequisite"
done
assert_not_contains deps "out/"

case_start "a second make does not call luisy"
run_make
assert_status 0
assert_calls 0
assert_contains LUISY_STDOUT "Nothing to be done"

case_start "touching a source input calls luisy, which has nothing to do; then make rests"
wait_until 10 touch_newer src/a.txt || fail "src/a.txt never became newer than luisy.d"
run_make
assert_status 0
assert_calls 1
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."
run_make
assert_calls 0

case_start "editing a source input rebuilds what depends on it"
write_file src/a.txt 'b'
wait_until 10 touch_newer src/a.txt || fail "src/a.txt never became newer than luisy.d"
run_make
assert_status 0
assert_calls 1
assert_ran A B
assert_file_equals out/b.txt "B
X"
run_make
assert_calls 0

case_start "a new file in a globbed directory calls luisy"
write_file data/y.csv 'y'
wait_until 10 touch_newer data || fail "data never became newer than luisy.d"
run_make
assert_status 0
assert_calls 1
assert_ran A B
grep -qF " data/y.csv" luisy.d || fail "luisy.d does not name the new data/y.csv"
run_make
assert_calls 0

case_start "editing the pipeline calls luisy"
sed -i 's/echo B >> runs.log/echo B >>runs.log/' pipeline.yaml
wait_until 10 touch_newer pipeline.yaml || fail "pipeline.yaml never became newer than luisy.d"
run_make
assert_status 0
assert_calls 1
assert_ran B
run_make
assert_calls 0

case_start "a failed build leaves no depfile, so the next make tries again"
write_file "my scripts/b.sh" 'exit 3'
wait_until 10 touch_newer "my scripts/b.sh" || fail "b.sh never became newer than luisy.d"
run_make
[ "$MAKE_STATUS" = 2 ] || fail "expected make to fail with 2, got $MAKE_STATUS"
assert_calls 1
assert_ran B
assert_file_absent luisy.d
# What make shows first is the task and its command, then the output, then make's line.
first_line="$(head -n 1 <<<"$LUISY_STDERR")"
[ "$first_line" = "luisy: FAILED: B: echo B >>runs.log && sh 'my scripts/b.sh' out/a.txt > out/b.txt" ] ||
  fail "the first line on stderr is '$first_line'"
assert_matches LUISY_STDERR "make: \*\*\* \[Makefile:3: luisy.d\] Error 1"
write_file "my scripts/b.sh" 'tr a-z A-Z < "$1"'
run_make
assert_status 0
assert_calls 1
assert_ran B
assert_file_exists luisy.d
run_make
assert_calls 0

case_start "paths are relative to where luisy runs (make's directory), with -C"
mkdir -p ../"$(basename "$WORKSPACE")-outer"
outer="$WORKSPACE-outer"
_LIB_WORKSPACES+=("$outer")
cd "$outer" || exit 1
run_luisy build -C "$WORKSPACE" --depfile build/deps.d
assert_status 0
deps="$(cat build/deps.d)"
assert_matches deps "^build/deps\.d: "
assert_contains deps " $WORKSPACE/src/a.txt"
assert_contains deps " $WORKSPACE/pipeline.yaml"

case_start "a dry run writes no depfile"
run_luisy build -C "$WORKSPACE" --depfile deps.d -n
assert_status 0
assert_file_absent deps.d

case_start "examples/pipelines/make: its Makefile runs luisy once, then not again"
make_workspace
cp -R "$LUISY_SOURCE_DIR/examples/pipelines/make/." .
rm -rf .luisy out luisy.d
run_make -j2 LUISY="$LUISY"
assert_status 0
assert_contains LUISY_STDOUT "build pipeline.yaml --depfile luisy.d"
assert_file_exists out/report.txt
assert_file_exists luisy.d
run_make -j2 LUISY="$LUISY"
assert_status 0
assert_not_contains LUISY_STDOUT "build pipeline.yaml"
assert_contains LUISY_STDOUT "Nothing to be done for 'all'"
run_make LUISY="$LUISY" clean
assert_status 0
assert_file_absent luisy.d
assert_file_absent out/total.tsv

echo "PASS: $TEST_NAME"
