#!/usr/bin/env bash
# Parameters: --param overrides rerun only the instances that use the parameter; a matrix
# makes one instance per value; requires forwards parameters by name or sets them.
source "$(dirname "$0")/lib.sh"

case_start "pipeline defaults, then --param reruns only the instances that use it"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: params' \
  'params:' \
  '  x: 1' \
  '  y: red' \
  'tasks:' \
  '  UsesX:' \
  '    cmd: echo UsesX >> runs.log && echo x={x} > {out}' \
  '    outputs: ["x_{x}.out"]' \
  '  UsesY:' \
  '    cmd: echo UsesY >> runs.log && echo y={y} > {out}' \
  '    outputs: [y.out]' \
  '  Plain:' \
  '    cmd: echo Plain >> runs.log && echo plain > {out}' \
  '    outputs: [plain.out]' \
  '  AfterX:' \
  '    cmd: echo AfterX >> runs.log && cat {in} > {out}' \
  '    requires: [UsesX]' \
  '    outputs: [after_x.out]' \
  '  Final:' \
  '    cmd: echo Final >> runs.log && cat {in} > {out}' \
  '    requires: [AfterX, UsesY, Plain]' \
  '    outputs: [final.out]'
run_luisy build
assert_status 0
assert_ran UsesX UsesY Plain AfterX Final
assert_file_equals x_1.out "x=1"
assert_file_equals final.out "$(printf 'x=1\ny=red\nplain')"

run_luisy build --param x=2
assert_status 0
# UsesX(x=2) is a new instance; AfterX and Final read different bytes, so they rerun too.
assert_ran UsesX AfterX Final
assert_file_equals x_2.out "x=2"
assert_file_equals final.out "$(printf 'x=2\ny=red\nplain')"

case_start "--param y: the output path does not move, the content does"
run_luisy build --param x=2 --param y=blue
assert_status 0
assert_ran UsesY Final
assert_file_equals y.out "y=blue"

case_start "same overrides again: nothing to do"
run_luisy build --param y=blue --param x=2
assert_status 0
assert_ran

case_start "back to the defaults: x=1 rebuilds what depends on it (y.out was overwritten)"
run_luisy build
assert_status 0
assert_ran UsesY AfterX Final
assert_file_equals final.out "$(printf 'x=1\ny=red\nplain')"
# x_1.out was never removed and its record still matches: UsesX(x=1) did not rerun.

case_start "task-level params override pipeline params"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: params' \
  'params:' \
  '  n: 1' \
  'tasks:' \
  '  Local:' \
  '    params: {n: 5}' \
  '    cmd: echo Local >> runs.log && echo {n} > {out}' \
  '    outputs: [local.out]' \
  '  Global:' \
  '    cmd: echo Global >> runs.log && echo {n} > {out}' \
  '    outputs: [global.out]'
run_luisy build
assert_status 0
assert_ran Local Global
assert_file_equals local.out 5
assert_file_equals global.out 1

case_start "a matrix makes one instance per value, with sorted-param labels"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: matrix' \
  'params:' \
  '  year: 2024' \
  'tasks:' \
  '  Clean:' \
  '    cmd: echo Clean {year} >> runs.log && echo clean {year} > {out}' \
  '    outputs: ["clean_{year}.out"]' \
  '  Report:' \
  '    requires: [Clean]' \
  '    matrix:' \
  '      model: [linear, forest]' \
  '    cmd: echo Report {model} {year} >> runs.log && (cat {in}; echo {model}) > {out}' \
  '    outputs: ["report_{model}_{year}.out"]'
run_luisy build
assert_status 0
assert_ran "Clean 2024" "Report linear 2024" "Report forest 2024"
assert_file_equals report_linear_2024.out "$(printf 'clean 2024\nlinear')"
assert_file_equals report_forest_2024.out "$(printf 'clean 2024\nforest')"
assert_contains LUISY_STDOUT "Report(model=forest,year=2024)"
assert_contains LUISY_STDOUT "Report(model=linear,year=2024)"
assert_contains LUISY_STDOUT "Clean(year=2024)"

case_start "requires forwards a parameter by name: --param year=2025 makes Clean(year=2025)"
run_luisy build --param year=2025
assert_status 0
assert_ran "Clean 2025" "Report linear 2025" "Report forest 2025"
assert_file_equals report_forest_2025.out "$(printf 'clean 2025\nforest')"
run_luisy build
assert_status 0
assert_ran

case_start "building one matrix instance by its label"
rm report_linear_2024.out report_forest_2024.out
run_luisy build 'Report(model=forest,year=2024)'
assert_status 0
assert_ran "Report forest 2024"
assert_file_absent report_linear_2024.out

case_start "a matrix over a forwarded parameter: each value gets its own upstream"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: matrix' \
  'tasks:' \
  '  Fetch:' \
  '    params: {year: 2000}' \
  '    cmd: echo Fetch {year} >> runs.log && echo data {year} > {out}' \
  '    outputs: ["fetch_{year}.out"]' \
  '  Summarise:' \
  '    requires: [Fetch]' \
  '    matrix: {year: [2023, 2024]}' \
  '    cmd: echo Summarise {year} >> runs.log && cat {in} > {out}' \
  '    outputs: ["summary_{year}.out"]'
run_luisy build
assert_status 0
assert_ran "Fetch 2023" "Fetch 2024" "Summarise 2023" "Summarise 2024"
assert_file_equals summary_2023.out "data 2023"
assert_file_equals summary_2024.out "data 2024"
assert_file_absent fetch_2000.out

case_start "requires with explicit params selects those upstream instances"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: reqparams' \
  'params:' \
  '  size: 1' \
  'tasks:' \
  '  Sample:' \
  '    cmd: echo Sample {size} >> runs.log && seq {size} > {out}' \
  '    outputs: ["sample_{size}.out"]' \
  '  Small:' \
  '    requires: [{task: Sample, params: {size: 3}}]' \
  '    cmd: echo Small >> runs.log && wc -l < {in} > {out}' \
  '    outputs: [small.out]' \
  '  Big:' \
  '    requires:' \
  '      - task: Sample' \
  '        params: {size: 10}' \
  '    cmd: echo Big >> runs.log && wc -l < {in} > {out}' \
  '    outputs: [big.out]'
run_luisy build
assert_status 0
assert_ran "Sample 3" "Sample 10" Small Big
assert_file_equals small.out 3
assert_file_equals big.out 10
assert_file_absent sample_1.out

case_start "--param of a parameter the requires fixes does not move that edge"
run_luisy build --param size=7
assert_status 0
assert_ran

case_start "{{ }} are literal braces; {in[N]} and {out[N]} pick one path"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: quoting' \
  'params:' \
  '  msg: plain' \
  'tasks:' \
  '  Say:' \
  '    cmd: echo Say >> runs.log && printf "%s\n" {msg} > {out[0]} && echo {{literal}} > {out[1]}' \
  '    outputs: [say.out, braces.out]' \
  '  Pick:' \
  '    cmd: echo Pick >> runs.log && cat {in[1]} {in[0]} > {out}' \
  '    inputs: [first.txt]' \
  '    requires: [Say]' \
  '    outputs: [pick.out]'
write_file first.txt first
run_luisy build
assert_status 0
assert_ran Say Pick
assert_file_equals say.out plain
assert_file_equals braces.out "{literal}"
assert_file_equals pick.out "$(printf 'plain\nfirst')"
# (Parameter values are inserted as written, not quoted: README, "Placeholders".)
run_luisy build --param msg=other
assert_status 0
assert_ran Say Pick
assert_file_equals pick.out "$(printf 'other\nfirst')"

echo "PASS: $TEST_NAME"
