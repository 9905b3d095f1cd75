#!/usr/bin/env bash
# Early cut-off: an upstream that reruns and writes the same bytes does not rerun its
# downstream tasks.
source "$(dirname "$0")/lib.sh"

make_workspace
#   src.txt -> Norm (strips spaces) -> Count (counts lines) -> Final
#                                   -> Copy ------------------> Final
#                                      Count -----------------> Report
write_file pipeline.yaml \
  'luisy: 1' \
  'project: cutoff' \
  'tasks:' \
  '  Norm:' \
  "    cmd: echo Norm >> runs.log && tr -d ' ' < {in} > {out}" \
  '    inputs: [src.txt]' \
  '    outputs: [norm.out]' \
  '  Count:' \
  '    cmd: echo Count >> runs.log && wc -l < {in} > {out}' \
  '    requires: [Norm]' \
  '    outputs: [count.out]' \
  '  Copy:' \
  '    cmd: echo Copy >> runs.log && cp {in} {out}' \
  '    requires: [Norm]' \
  '    outputs: [copy.out]' \
  '  Final:' \
  '    cmd: echo Final >> runs.log && cat {in} > {out}' \
  '    requires: [Count, Copy]' \
  '    outputs: [final.out]' \
  '  Report:' \
  '    cmd: echo Report >> runs.log && cat {in} > {out}' \
  '    requires: [Count]' \
  '    outputs: [report.out]'
write_file src.txt "a b" "c d"

case_start "first build"
run_luisy build
assert_status 0
assert_ran Norm Count Copy Final Report
assert_file_equals final.out "$(printf '2\nab\ncd')"
assert_file_equals report.out 2

case_start "an input edit that the first task normalises away stops after it"
write_file src.txt "a  b " "  c d"
run_luisy build
assert_status 0
assert_ran Norm
assert_file_equals norm.out "$(printf 'ab\ncd')"

case_start "the build after a cut-off has nothing to do"
run_luisy build
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."

case_start "a change that keeps the line count: Count reruns, Report (which reads only Count) does not"
write_file src.txt "x y" "z"
run_luisy build
assert_status 0
assert_ran Norm Count Copy Final
write_file src.txt "x y" "zz"
run_luisy build -j 2
assert_status 0
assert_ran Norm Count Copy Final
assert_file_equals final.out "$(printf '2\nxy\nzz')"
write_file src.txt "xx y" "zz"
run_luisy build -j 1
assert_status 0
assert_ran Norm Count Copy Final

case_start "Count reruns after its output was deleted, writes the same bytes: Final and Report stay"
rm count.out
run_luisy build
assert_status 0
assert_ran Count

case_start "a whitespace-only edit with -j 2 stops after Norm"
write_file src.txt "xx   y" "z z"
run_luisy build -j 2
assert_status 0
assert_ran Norm
assert_file_equals final.out "$(printf '2\nxxy\nzz')"

echo "PASS: $TEST_NAME"
