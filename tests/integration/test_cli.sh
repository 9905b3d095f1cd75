#!/usr/bin/env bash
# The command line: --version, help, validate, status, explain, graph, clean, dry runs,
# verbose output, the plain progress lines, and usage errors.
source "$(dirname "$0")/lib.sh"

write_cli_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: cli' \
    'tasks:' \
    '  A:' \
    '    cmd: echo A >> runs.log && cp {in} {out}' \
    '    inputs: [a.txt]' \
    '    outputs: [A.out]' \
    '  B:' \
    '    cmd: echo B >> runs.log && cp {in} {out}' \
    '    requires: [A]' \
    '    outputs: [B.out]' \
    '  C:' \
    '    cmd: echo C {m} >> runs.log && cat {in} > {out}' \
    '    requires: [B]' \
    '    matrix: {m: [x, y]}' \
    '    outputs: ["C_{m}.out"]'
  write_file a.txt a
}

make_workspace

case_start "--version"
run_luisy --version
assert_status 0
assert_matches LUISY_STDOUT 'luisy.*[0-9]+\.[0-9]+'

case_start "help"
run_luisy help
assert_status 0
assert_contains LUISY_STDOUT "build"
assert_contains LUISY_STDOUT "status"
run_luisy help build
assert_status 0
assert_contains LUISY_STDOUT "--param"
run_luisy build --help
assert_status 0
assert_contains LUISY_STDOUT "--param"

case_start "usage errors exit 2"
run_luisy frobnicate
assert_status 2
run_luisy build --no-such-option
assert_status 2
run_luisy help no-such-command
assert_status 2
write_cli_pipeline
run_luisy build --param no_equals_sign
assert_status 2
run_luisy graph --format gif
assert_status 2
assert_file_absent runs.log

case_start "validate: a good pipeline"
run_luisy validate pipeline.yaml
assert_status 0
assert_file_absent runs.log
assert_file_absent A.out

case_start "validate: a bad pipeline"
mkdir bad
write_file bad/pipeline.yaml \
  'luisy: 1' \
  'project: cli' \
  'tasks:' \
  '  A:' \
  '    cmd: echo {missing}'
run_luisy validate bad/pipeline.yaml
assert_status 2
assert_matches LUISY_STDERR 'pipeline\.yaml:5:[0-9]+: '

case_start "dry run: nothing runs, nothing is written"
run_luisy build -n
assert_status 0
assert_file_absent runs.log
assert_file_absent A.out
run_luisy build --dry-run
assert_status 0
assert_file_absent runs.log

case_start "graph --format dot and mermaid"
run_luisy graph --format dot
assert_status 0
assert_contains LUISY_STDOUT "digraph"
assert_contains LUISY_STDOUT "C(m=x)"
run_luisy graph pipeline.yaml --format mermaid
assert_status 0
assert_matches LUISY_STDOUT '^(graph|flowchart) '
assert_file_absent runs.log

case_start "status before a build (text and JSON)"
run_luisy status
assert_status 0
assert_contains LUISY_STDOUT "A"
run_luisy status --format json
assert_status 0
python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$LUISY_STDOUT" || fail "status --format json is not JSON"
assert_contains LUISY_STDOUT "C(m=y)"
assert_file_absent runs.log

case_start "build: one plain line per finished task, then a summary"
run_luisy build -j 1
assert_status 0
assert_ran A B "C x" "C y"
assert_matches LUISY_STDOUT '^\[1/4\] A$'
assert_matches LUISY_STDOUT '^\[2/4\] B$'
assert_matches LUISY_STDOUT '^\[[34]/4\] C\(m=x\)$'
assert_matches LUISY_STDOUT '^\[[34]/4\] C\(m=y\)$'
last_line="$(tail -n 1 <<<"$LUISY_STDOUT")"
[[ "$last_line" == luisy:* ]] || fail "the last line of stdout is not a luisy: summary: '$last_line'"
[[ "$LUISY_STDOUT" != *$'\r'* ]] || fail "a carriage return in non-terminal output"
[[ "$LUISY_STDOUT" != *$'\e['* ]] || fail "an escape sequence in non-terminal output"

case_start "status after a build (JSON)"
run_luisy status --format json
assert_status 0
python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$LUISY_STDOUT" || fail "status --format json is not JSON"
run_luisy status B
assert_status 0

case_start "explain names the input that changed"
write_file a.txt a-changed
run_luisy explain A
assert_status 0
assert_contains LUISY_OUTPUT "a.txt"
assert_file_absent runs.log
run_luisy explain pipeline.yaml A
assert_status 0
assert_contains LUISY_OUTPUT "a.txt"

case_start "-v prints the commands it runs"
run_luisy build -v
assert_status 0
assert_contains LUISY_OUTPUT "echo A >> runs.log"
assert_ran A B "C x" "C y"

case_start "explain of an unknown task is an error"
run_luisy explain NoSuchTask
assert_status 2

case_start "clean TASK removes that task's outputs only"
run_luisy clean B
assert_status 0
assert_file_absent B.out
assert_file_exists A.out
assert_file_exists C_x.out
assert_file_absent runs.log
run_luisy build
assert_status 0
assert_ran B

case_start "clean removes every output; the next build runs everything"
run_luisy clean
assert_status 0
for f in A.out B.out C_x.out C_y.out; do assert_file_absent "$f"; done
assert_file_exists a.txt
assert_file_exists pipeline.yaml
run_luisy build
assert_status 0
assert_ran A B "C x" "C y"

case_start "build a task by name builds its upstream only"
run_luisy clean
run_luisy build B
assert_status 0
assert_ran A B
assert_file_absent C_x.out

case_start "-j 2 runs two independent tasks at the same time"
make_workspace
# Each task announces itself, then waits (bounded) for the other: run one after the other,
# the first would give up after 20 s and fail.
write_file pipeline.yaml \
  'luisy: 1' \
  'project: cli' \
  'tasks:' \
  '  P:' \
  '    cmd: echo P >> runs.log; touch p.started; i=0; while [ ! -e q.started ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; [ -e q.started ] && echo p > {out}' \
  '    outputs: [p.out]' \
  '  Q:' \
  '    cmd: echo Q >> runs.log; touch q.started; i=0; while [ ! -e p.started ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; [ -e p.started ] && echo q > {out}' \
  '    outputs: [q.out]'
run_luisy build -j 2
assert_status 0
assert_ran P Q
assert_file_equals p.out p
assert_file_equals q.out q

echo "PASS: $TEST_NAME"
