#!/usr/bin/env bash
# Planning errors: exit status 2, `pipeline.yaml:LINE:COL: message` on stderr pointing at
# the right line, and nothing runs (every pipeline here also has a valid task, Good).
source "$(dirname "$0")/lib.sh"

HEADER=(
  'luisy: 1'                                             # 1
  'project: errors'                                      # 2
  'tasks:'                                               # 3
  '  Good:'                                              # 4
  '    cmd: echo Good >> runs.log && echo good > {out}'  # 5
  '    outputs: [good.out]'                              # 6
)

# expect_error CASE LINES [COLUMN] -- builds ./pipeline.yaml (already written) and checks
# the error. LINES is a regex alternative of acceptable lines, e.g. '9' or '7|9'.
expect_error() {
  local lines="$1" column="${2:-[0-9]+}"
  run_luisy build
  assert_status 2
  assert_matches LUISY_STDERR "pipeline\.yaml:(${lines}):${column}: "
  assert_file_absent runs.log
  assert_file_absent good.out
  # validate reports the same place.
  run_luisy validate pipeline.yaml
  assert_status 2
  assert_matches LUISY_STDERR "pipeline\.yaml:(${lines}):${column}: "
  assert_file_absent runs.log
}

case_start "YAML syntax error"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log' \
  '    outputs: x.out: oops'
expect_error 9

case_start "unknown key in a task"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    ouputs: [x.out]'
expect_error 9 5

case_start "unknown top-level key"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: errors' \
  'paramz: {a: 1}' \
  'tasks:' \
  '  Good:' \
  '    cmd: echo Good >> runs.log && echo good > {out}' \
  '    outputs: [good.out]'
expect_error 3 1

case_start "unknown placeholder in cmd"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && echo {nope} > {out}' \
  '    outputs: [x.out]'
expect_error 8
assert_contains LUISY_STDERR "nope"

case_start "unknown placeholder in an output path"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    outputs: ["x_{nope}.out"]'
expect_error 9

case_start "a placeholder left unquoted inside a flow list is a YAML error"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    outputs: [x_{oops}.out]'
expect_error 9

case_start "unclosed placeholder"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && echo {oops > {out}' \
  '    outputs: [x.out]'
expect_error 8

case_start "unknown task in requires"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    requires: [Good, Nope]' \
  '    outputs: [x.out]'
expect_error 9
assert_contains LUISY_STDERR "Nope"

case_start "unknown task in requires (mapping form)"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    requires:' \
  '      - task: Nope' \
  '        params: {a: 1}' \
  '    outputs: [x.out]'
expect_error '9|10'

case_start "a cycle"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    requires: [Y]' \
  '    outputs: [x.out]' \
  '  Y:' \
  '    cmd: echo Y >> runs.log && touch {out}' \
  '    requires: [X]' \
  '    outputs: [y.out]' \
  '  Z:' \
  '    cmd: echo Z >> runs.log && touch {out}' \
  '    requires: [Good, Y]' \
  '    outputs: [z.out]'
expect_error '7|9|11|13'

case_start "a task that requires itself"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    requires: [X]' \
  '    outputs: [x.out]'
expect_error '7|9'

case_start "two tasks writing one output"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    outputs: [same.out]' \
  '  Y:' \
  '    cmd: echo Y >> runs.log && touch {out}' \
  '    outputs: [same.out]'
expect_error '9|12'

case_start "two matrix instances writing one output"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    matrix: {m: [a, b]}' \
  '    cmd: echo X {m} >> runs.log && touch {out}' \
  '    outputs: [same.out]'
expect_error '7|8|9|10'

case_start "missing source input"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && cp {in} {out}' \
  '    inputs: [missing.txt]' \
  '    outputs: [x.out]'
expect_error 9
assert_contains LUISY_STDERR "missing.txt"

case_start "a glob that matches nothing"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && cat {in} > {out}' \
  '    inputs: ["data/*.csv"]' \
  '    outputs: [x.out]'
mkdir data
expect_error 9

case_start "unsupported format version"
make_workspace
write_file pipeline.yaml 'luisy: 99' "${HEADER[@]:1}"
expect_error 1

case_start "invalid project name"
make_workspace
write_file pipeline.yaml 'luisy: 1' 'project: Not A Name' "${HEADER[@]:2}"
expect_error 2

case_start "a pipeline file that does not exist: exit 2"
make_workspace
run_luisy build nothing-here.yaml
assert_status 2
run_luisy build
assert_status 2
assert_file_absent runs.log

case_start "an unknown target task: exit 2, nothing runs"
make_workspace
write_file pipeline.yaml "${HEADER[@]}"
run_luisy build NoSuchTask
assert_status 2
assert_contains LUISY_STDERR "NoSuchTask"
assert_file_absent runs.log

case_start "a source input deleted after a build (the compiled plan is reused otherwise)"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && cp {in} {out}' \
  '    inputs: [x.txt]' \
  '    outputs: [x.out]'
write_file x.txt x
run_luisy build
assert_status 0
assert_ran Good X
rm x.txt
run_luisy build
assert_status 2
assert_matches LUISY_STDERR 'pipeline\.yaml:9:[0-9]+: '
assert_file_absent runs.log

case_start "an error in a pipeline that built before: exit 2 and nothing reruns"
make_workspace
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && touch {out}' \
  '    outputs: [x.out]'
run_luisy build
assert_status 0
assert_ran Good X
write_file pipeline.yaml "${HEADER[@]}" \
  '  X:' \
  '    cmd: echo X >> runs.log && echo {typo} > {out}' \
  '    outputs: [x.out]'
run_luisy build
assert_status 2
assert_matches LUISY_STDERR 'pipeline\.yaml:8:[0-9]+: '
assert_file_absent runs.log

echo "PASS: $TEST_NAME"
