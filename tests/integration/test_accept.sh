#!/usr/bin/env bash
# `luisy build --accept [TASK...]`: the current outputs of what would run are recorded as up
# to date under the current keys without running; a later build is a no-op; instances with
# missing outputs are refused (exit 2); with --upload the accepted results are uploaded.
source "$(dirname "$0")/lib.sh"

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: accept' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && tr a-z A-Z < {in} > {out}' \
  '    inputs: [a.src]' \
  '    outputs: [a.txt]' \
  '  B:' \
  '    requires: [A]' \
  '    cmd: echo B >> runs.log && cat {in} {in} > {out}' \
  '    outputs: [b.txt]' \
  '  C:' \
  '    cmd: echo C >> runs.log && echo c > {out}' \
  '    outputs: [c.txt]'
write_file a.src 'hello'

case_start "first build"
run_luisy build
assert_status 0
assert_ran A B C

case_start "a cosmetic change to a command, accepted: nothing runs, then a no-op"
sed -i 's/tr a-z A-Z < {in} > {out}/tr a-z A-Z <{in} >{out}/' pipeline.yaml
run_luisy build -n
assert_contains LUISY_STDOUT "A: command changed"
run_luisy build --accept
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "accepted A (command changed)"
assert_not_contains LUISY_STDOUT "accepted B"
run_luisy build
assert_status 0
assert_ran
run_luisy status
assert_not_contains LUISY_STDOUT "will run"

case_start "--accept TASK accepts only what that target needs"
sed -i 's/echo c > {out}/echo c >{out}/; s/cat {in} {in} > {out}/cat {in} {in} >{out}/' pipeline.yaml
run_luisy build --accept C
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "accepted C"
assert_not_contains LUISY_STDOUT "accepted B"
run_luisy build
assert_status 0
assert_ran B

case_start "an output edited by hand is accepted, and its dependents see the new content"
echo 'EDITED' > a.txt
run_luisy build A --accept
assert_status 0
assert_ran
run_luisy build
assert_status 0
assert_ran B
assert_file_equals b.txt "$(printf 'EDITED\nEDITED')"

case_start "outputs produced by hand for a new task"
cat >> pipeline.yaml <<'YAML'
  D:
    cmd: echo D >> runs.log && sleep 1000
    outputs: [d.txt]
YAML
echo 'made by hand' > d.txt
run_luisy build --accept D
assert_status 0
assert_ran
run_luisy build D
assert_status 0
assert_ran
assert_file_equals d.txt 'made by hand'

case_start "missing outputs are refused with exit 2 and nothing is recorded for them"
sed -i 's/echo D >> runs.log \&\& sleep 1000/echo D >> runs.log \&\& echo d > {out}/' pipeline.yaml
rm d.txt
sed -i 's/echo c >{out}/echo c  >{out}/' pipeline.yaml
run_luisy build --accept
assert_status 2
assert_contains LUISY_STDERR "cannot accept 1 instance: outputs missing"
assert_contains LUISY_STDERR "D: d.txt"
assert_ran
assert_contains LUISY_STDOUT "accepted C"
run_luisy build
assert_status 0
assert_ran D

case_start "--accept --upload uploads the accepted results"
export LUISY_LOCAL_CACHE=on
REMOTE="$WORKSPACE/../$(basename "$WORKSPACE")-remote"
mkdir -p "$REMOTE"
_LIB_WORKSPACES+=("$REMOTE")
sed -i 's/cat {in} {in} >{out}/cat {in} {in}  >{out}/' pipeline.yaml
run_luisy build --accept --upload --remote "$REMOTE"
assert_status 0
assert_ran
assert_contains LUISY_STDOUT "accepted B"
[ -n "$(ls "$REMOTE/accept/ac")" ] || fail "nothing was uploaded"
# Another workspace with the same sources downloads B instead of running it.
FIRST="$WORKSPACE"
make_workspace
cp "$FIRST/pipeline.yaml" "$FIRST/a.src" .
export LUISY_CACHE_DIR="$WORKSPACE/.other-cache"
run_luisy build B --download --remote "$REMOTE"
assert_status 0
assert_ran
assert_file_equals b.txt "$(printf 'EDITED\nEDITED')"
