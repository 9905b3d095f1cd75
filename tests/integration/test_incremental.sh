#!/usr/bin/env bash
# Editing an input reruns exactly its dependents; touching a file without changing its
# content reruns nothing; deleting an output reruns that task only.
source "$(dirname "$0")/lib.sh"

export LUISY_ITEST_VAR=one

make_workspace
#   a.txt -> A -> B (+ b.txt) -> C -> E
#   d.txt -> D -------------------> E
#   F (reads $LUISY_ITEST_VAR), G (directory output) -> H
write_file pipeline.yaml \
  'luisy: 1' \
  'project: incremental' \
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
  '    outputs: [D.out]' \
  '  E:' \
  '    cmd: echo E >> runs.log && cat {in} > {out}' \
  '    requires: [C, D]' \
  '    outputs: [E.out]' \
  '  F:' \
  '    cmd: echo F >> runs.log && echo "$LUISY_ITEST_VAR" > {out}' \
  '    env: [LUISY_ITEST_VAR]' \
  '    outputs: [F.out]' \
  '  G:' \
  '    cmd: echo G >> runs.log && mkdir -p {out} && cp {in} {out}' \
  '    inputs: [g1.txt, g2.txt]' \
  '    outputs: [gdir/]' \
  '  H:' \
  '    cmd: echo H >> runs.log && cat gdir/g1.txt gdir/g2.txt > {out}' \
  '    requires: [G]' \
  '    outputs: [H.out]'
write_file a.txt a
write_file b.txt b
write_file d.txt d
write_file g1.txt g1
write_file g2.txt g2

case_start "first build"
run_luisy build
assert_status 0
assert_ran A B C D E F G H
assert_file_equals E.out "$(printf 'b\na\nd')"
assert_file_equals F.out one
assert_file_equals H.out "$(printf 'g1\ng2')"

case_start "editing a.txt reruns A and everything downstream of it, nothing else"
write_file a.txt a2
run_luisy build
assert_status 0
assert_ran A B C E
assert_file_equals E.out "$(printf 'b\na2\nd')"

case_start "editing b.txt reruns B, C, E"
write_file b.txt b2
run_luisy build
assert_status 0
assert_ran B C E

case_start "editing d.txt reruns D, E"
write_file d.txt d-two
run_luisy build
assert_status 0
assert_ran D E
assert_file_equals E.out "$(printf 'b2\na2\nd-two')"

case_start "touching an input without changing its content reruns nothing"
touch -d "@$(( $(date +%s) + 5 ))" a.txt b.txt
touch d.txt
run_luisy build
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "luisy: no work to do."

case_start "rewriting an input with the same bytes reruns nothing"
write_file a.txt a2
run_luisy build
assert_status 0
assert_ran

case_start "touching an output without changing it reruns nothing"
touch -d "@$(( $(date +%s) + 5 ))" B.out
run_luisy build
assert_status 0
assert_ran

case_start "deleting an output reruns that task only"
rm B.out
run_luisy build
assert_status 0
assert_ran B
assert_file_equals B.out "$(printf 'b2\na2')"

case_start "deleting the final output reruns the final task only"
rm E.out
run_luisy build
assert_status 0
assert_ran E

case_start "overwriting an output with other bytes reruns that task (and nothing whose inputs did not change)"
echo garbage > C.out
run_luisy build
assert_status 0
assert_ran C
assert_file_equals C.out "$(printf 'b2\na2')"

case_start "a declared environment variable that changes reruns its task"
LUISY_ITEST_VAR=two run_luisy build
assert_status 0
assert_ran F
assert_file_equals F.out two
LUISY_ITEST_VAR=two run_luisy build
assert_status 0
assert_ran

case_start "an undeclared environment variable does not rerun anything"
LUISY_ITEST_VAR=two LUISY_ITEST_OTHER=x run_luisy build
assert_status 0
assert_ran
export LUISY_ITEST_VAR=two

case_start "editing one task's command reruns that task; identical output stops there"
sed -i 's/^    cmd: echo D >> runs.log && cp {in} {out}$/    cmd: echo D >> runs.log \&\& cat {in} > {out}/' pipeline.yaml
grep -qF 'echo D >> runs.log && cat {in} > {out}' pipeline.yaml || fail "test setup: sed did not edit the command"
run_luisy build
assert_status 0
assert_ran D

case_start "editing a file that feeds a directory output reruns its producer and consumer"
write_file g2.txt g2-changed
run_luisy build
assert_status 0
assert_ran G H
assert_file_equals H.out "$(printf 'g1\ng2-changed')"

case_start "deleting a file inside a directory output reruns its producer"
rm gdir/g1.txt
run_luisy build
assert_status 0
assert_ran G
assert_file_equals gdir/g1.txt g1

case_start "a new input file matched by nothing changes nothing"
write_file unrelated.txt x
run_luisy build
assert_status 0
assert_ran

case_start "globbed inputs: a new matching file, an edit and a deletion each rerun the task"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: incremental' \
  'tasks:' \
  '  Cat:' \
  '    cmd: echo Cat >> runs.log && cat {in} > {out}' \
  '    inputs: ["parts/*.txt"]' \
  '    outputs: [all.out]'
write_file parts/1.txt one
write_file parts/2.txt two
run_luisy build
assert_status 0
assert_ran Cat
assert_file_equals all.out "$(printf 'one\ntwo')"
run_luisy build
assert_status 0
assert_ran
write_file parts/3.txt three
run_luisy build
assert_status 0
assert_ran Cat
assert_file_equals all.out "$(printf 'one\ntwo\nthree')"
write_file parts/other.csv not-matched
run_luisy build
assert_status 0
assert_ran
rm parts/1.txt
run_luisy build
assert_status 0
assert_ran Cat
assert_file_equals all.out "$(printf 'two\nthree')"

case_start "adding a task to the pipeline runs only the new task"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: incremental' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && echo a > {out}' \
  '    outputs: [a.out]'
run_luisy build
assert_status 0
assert_ran A
cat >>pipeline.yaml <<'YAML'
  B:
    cmd: echo B >> runs.log && cat {in} > {out}
    requires: [A]
    outputs: [b.out]
YAML
run_luisy build
assert_status 0
assert_ran B
assert_file_equals b.out a
# Comments and formatting are not part of any key.
sed -i '1i # a comment' pipeline.yaml
run_luisy build
assert_status 0
assert_ran

case_start "same-size edits right after each build are seen (racy timestamps)"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: incremental' \
  'tasks:' \
  '  Copy:' \
  '    cmd: echo Copy >> runs.log && cp {in} {out}' \
  '    inputs: [in.txt]' \
  '    outputs: [copy.out]'
write_file in.txt v0
for i in 1 2 3 4 5; do
  run_luisy build
  assert_status 0
  assert_ran Copy
  write_file in.txt "v$i"
done
run_luisy build
assert_status 0
assert_ran Copy
assert_file_equals copy.out v5

case_start "paths with spaces and quotes are passed intact"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: incremental' \
  'tasks:' \
  '  Copy:' \
  '    cmd: echo Copy >> runs.log && cp {in} {out}' \
  "    inputs: [\"my input's file.txt\"]" \
  '    outputs: ["out put $HOME.txt"]'
write_file "my input's file.txt" spaced
run_luisy build
assert_status 0
assert_ran Copy
assert_file_equals 'out put $HOME.txt' spaced
write_file "my input's file.txt" spaced-2
run_luisy build
assert_status 0
assert_ran Copy
assert_file_equals 'out put $HOME.txt' spaced-2

echo "PASS: $TEST_NAME"
