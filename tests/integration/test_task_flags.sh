#!/usr/bin/env bash
# Task flags, each with its effect on running, downloading and uploading (directory remote):
#   always: true  reruns on every build and is never taken from a cache; what depends on it
#                 still gets early cut-off; its result is uploaded.
#   frozen: true  never reruns; its outputs must exist (else an error), or are restored from
#                 a cache holding its current key; uploaded under the key it was made with.
#   cache: false  never stored in the local store, never restored, uploaded or downloaded.
source "$(dirname "$0")/lib.sh"

export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"

# machine NAME: a workspace with the pipeline and its sources, and its own local store.
machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: flags' \
    'tasks:' \
    '  Fetch:' \
    '    always: true' \
    '    cmd: echo Fetch >> runs.log && cat "$DB" > {out}' \
    '    outputs: [fetch.txt]' \
    '  Use:' \
    '    requires: [Fetch]' \
    '    cmd: echo Use >> runs.log && tr a-z A-Z < {in} > {out}' \
    '    outputs: [use.txt]' \
    '  Model:' \
    '    cmd: echo Model >> runs.log && cat {in} > {out}' \
    '    inputs: [model.src]' \
    '    outputs: [model.txt]' \
    '  Secret:' \
    '    cache: false' \
    '    cmd: echo Secret >> runs.log && echo s3cret-token > {out}' \
    '    outputs: [secret.txt]'
  write_file model.src 'weights v1'
}
freeze_model() { sed -i 's/^  Model:$/  Model:\n    frozen: true/' pipeline.yaml; }

# The "database" the always-task reads: luisy cannot see it.
export DB="$SHARED/db.txt"
write_file "$DB" 'rows 1'

case_start "always: reruns every build; its dependents get early cut-off"
machine A
run_luisy build
assert_status 0
assert_ran Fetch Use Model Secret
run_luisy build
assert_status 0
assert_ran Fetch
run_luisy status
assert_contains LUISY_STDOUT "Fetch: always: true"
write_file "$DB" 'rows 2'
run_luisy build
assert_status 0
assert_ran Fetch Use
assert_file_equals use.txt 'ROWS 2'

case_start "always: never restored from the local store"
rm fetch.txt
run_luisy build
assert_status 0
assert_ran Fetch

case_start "frozen: never reruns, even when its key changes"
freeze_model
run_luisy build
assert_status 0
assert_ran Fetch
write_file model.src 'weights v2'
run_luisy build
assert_status 0
assert_ran Fetch
assert_file_equals model.txt 'weights v1'

case_start "frozen: a missing output is an error, never a run"
rm model.txt
run_luisy build Model
assert_status 1
assert_contains LUISY_OUTPUT "Model is frozen, but its output model.txt is missing; frozen tasks never run"
assert_ran
assert_file_absent model.txt

case_start "frozen: a missing output is restored from a cache holding its current key"
write_file model.src 'weights v1'
run_luisy build Model
assert_status 0
assert_ran
assert_file_equals model.txt 'weights v1'

case_start "cache: false: not restored from the local store (an ordinary task is)"
rm secret.txt use.txt
run_luisy build Secret Use
assert_status 0
assert_ran Secret Fetch
assert_file_equals secret.txt 's3cret-token'
assert_file_equals use.txt 'ROWS 2'
grep -rqs s3cret-token "$LUISY_CACHE_DIR" && fail "a cache: false output reached the local store"

case_start "upload: always and frozen results go up, cache: false never"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran Fetch
assert_matches LUISY_OUTPUT 'remote: 3 results uploaded'
grep -rqs s3cret-token "$REMOTE" && fail "a cache: false output reached the remote"
grep -rqsF 'echo Secret >>' "$REMOTE" && fail "a cache: false record reached the remote"
run_luisy push --remote "$REMOTE"
assert_status 0
grep -rqs s3cret-token "$REMOTE" && fail "push uploaded a cache: false output"

case_start "download: always runs, its dependent and the frozen task come down, cache: false runs"
machine B
freeze_model
run_luisy build --download --remote "$REMOTE"
assert_status 0
assert_ran Fetch Secret
assert_file_equals use.txt 'ROWS 2'
assert_file_equals model.txt 'weights v1'
assert_file_equals secret.txt 's3cret-token'

case_start "pull leaves a cache: false task alone"
machine C
run_luisy pull Secret --remote "$REMOTE"
assert_ran
assert_file_absent secret.txt

case_start "frozen with no cache holding it: an error on a fresh machine"
machine D
freeze_model
write_file model.src 'weights never built'
run_luisy build Model --download --remote "$REMOTE"
assert_status 1
assert_contains LUISY_OUTPUT "frozen tasks never run"
assert_ran
