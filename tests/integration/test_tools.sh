#!/usr/bin/env bash
# `tools:` in the key: a tool replaced by a different binary reruns exactly the tasks that
# declare it (per task or pipeline-wide), explain names it, a PATH that finds another file
# is noticed although the plan is compiled, and a tool not on PATH is an error (exit 2).
source "$(dirname "$0")/lib.sh"

make_workspace
mkdir -p bin
write_tool() { printf '#!/bin/sh\necho "%s $*"\n' "$2" >"$1" && chmod +x "$1"; }
write_tool bin/fakecc "fakecc v1"
write_tool bin/fakepy "fakepy v1"
export PATH="$WORKSPACE/bin:$PATH"
write_file pipeline.yaml \
  'luisy: 1' \
  'project: tools' \
  'tools: [sh]' \
  'tasks:' \
  '  Compile:' \
  '    cmd: echo Compile >> runs.log && fakecc x > {out}' \
  '    outputs: [compiled.txt]' \
  '    tools: [fakecc]' \
  '  Script:' \
  '    cmd: echo Script >> runs.log && fakepy y > {out}' \
  '    outputs: [script.txt]' \
  '    tools: [fakepy]' \
  '  Plain:' \
  '    cmd: echo Plain >> runs.log && echo plain > {out}' \
  '    outputs: [plain.txt]' \
  '  All:' \
  '    requires: [Compile, Script, Plain]' \
  '    cmd: echo All >> runs.log && cat {in} > {out}' \
  '    outputs: [all.txt]'

case_start "first build runs everything, the second nothing"
run_luisy build
assert_status 0
assert_ran Compile Script Plain All
assert_file_equals compiled.txt "fakecc v1 x"
run_luisy build
assert_status 0
assert_ran

case_start "a replaced tool reruns exactly the tasks that declare it"
write_tool bin/fakecc "fakecc v2"
run_luisy build
assert_status 0
assert_ran Compile All
assert_file_equals compiled.txt "fakecc v2 x"

case_start "a tool rewritten with identical bytes reruns nothing"
cp bin/fakepy bin/fakepy.new && mv bin/fakepy.new bin/fakepy
run_luisy build
assert_status 0
assert_ran

case_start "status and explain name the tool that changed"
write_tool bin/fakepy "fakepy v2"
run_luisy status
assert_status 0
assert_contains LUISY_STDOUT "tool fakepy changed"
run_luisy explain Script
assert_status 0
assert_contains LUISY_STDOUT "tool     fakepy $WORKSPACE/bin/fakepy"
assert_contains LUISY_STDOUT "tool fakepy changed"
run_luisy build
assert_status 0
assert_ran Script All

case_start "PATH that finds another file is noticed with the compiled plan"
mkdir -p other
write_tool other/fakecc "fakecc v3"
PATH="$WORKSPACE/other:$PATH" run_luisy build
assert_status 0
assert_ran Compile All
assert_file_equals compiled.txt "fakecc v3 x"
PATH="$WORKSPACE/other:$PATH" run_luisy build
assert_status 0
assert_ran

case_start "a symlinked tool is followed: repointing the link reruns"
mkdir -p links
write_tool other/fakepy-a "fakepy A"
write_tool other/fakepy-b "fakepy B"
ln -s ../other/fakepy-a links/fakepy
export PATH="$WORKSPACE/links:$WORKSPACE/other:$PATH"
run_luisy build
assert_status 0
assert_ran Script All
run_luisy build
assert_status 0
assert_ran
ln -sfn ../other/fakepy-b links/fakepy
run_luisy build
assert_status 0
assert_ran Script All
assert_file_equals script.txt "fakepy B y"

case_start "a pipeline-wide tool joins every task's key"
sed -i 's/^tools: \[sh\]/tools: [sh, fakecc]/' pipeline.yaml
run_luisy build
assert_status 0
assert_ran Script Plain All  # Compile declared fakecc already: its key is unchanged
write_tool other/fakecc "fakecc v4"
run_luisy build
assert_status 0
assert_ran Compile Script Plain All

case_start "a tool not on PATH: exit 2, naming the task and the tool, nothing runs"
rm links/fakepy bin/fakepy
run_luisy build
assert_status 2
assert_contains LUISY_STDERR "task Script needs the tool 'fakepy', which is not on PATH"
assert_ran
