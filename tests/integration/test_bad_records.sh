#!/usr/bin/env bash
# Hostile or broken records in a directory remote are refused and reported, never used: a
# record that does not parse, one that names a path outside the workspace (.. or absolute),
# one that would restore onto a source file of the workspace, and a blob whose content was
# altered. Each time the task runs locally instead, a warning names the record, and nothing
# is written outside the workspace.
source "$(dirname "$0")/lib.sh"

export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
RECORDS="$REMOTE/shared/ac"
mkdir -p "$REMOTE"
machine() { remote_machine "$@"; }

# record_of OUTPUT: the record file in the remote whose first output is OUTPUT.
record_of() {
  python3 - "$RECORDS" "$1" <<'EOF_PY'
import json, os, sys
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name)) as f:
        if json.load(f)["outputs"][0]["path"] == sys.argv[2]:
            print(os.path.join(sys.argv[1], name))
EOF_PY
}

# edit_record FILE PYTHON: rewrites the record FILE with PYTHON applied to `r` (a dict).
edit_record() {
  python3 - "$1" "$2" <<'EOF_PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
with open(path) as f:
    r = json.load(f)
exec(code)
with open(path, "w") as f:
    json.dump(r, f)
EOF_PY
}

case_start "machine A builds and uploads"
machine A
A="$WORKSPACE"
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran Raw Clean Report-short Report-long
pristine="$SHARED/pristine"
cp -r "$REMOTE" "$pristine"
restore_remote() { rm -rf "$REMOTE" && cp -r "$pristine" "$REMOTE"; }

EVIL="evil-$$-$RANDOM"  # a name nothing else uses, one level above each workspace

case_start "a record that does not parse: refused, Raw runs locally"
raw_record="$(record_of data/raw.txt)"
[ -n "$raw_record" ] || fail "no record for data/raw.txt in the remote"
printf '{"format": 1, "key": ' >"$raw_record"
machine B
run_luisy build Raw --download --remote "$REMOTE"
assert_status 0
assert_ran Raw
assert_file_equals data/raw.txt "HELLO WORLD"
assert_contains LUISY_STDERR "warning"
assert_contains LUISY_STDERR "refused the remote record $(basename "$raw_record")"
assert_contains LUISY_STDERR "invalid JSON"
assert_matches LUISY_OUTPUT 'remote: 0 hits, 1 misses, 1 errors'

case_start "a record naming ../$EVIL: refused, nothing written outside the workspace"
restore_remote
clean_record="$(record_of data/clean.txt)"
edit_record "$clean_record" "
r['outputs'][0]['path'] = '../$EVIL'
r['files'][0]['path'] = '../$EVIL'"
machine C
run_luisy build Clean --download --remote "$REMOTE"
assert_status 0
assert_ran Clean
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_contains LUISY_STDERR "refused the remote record $(basename "$clean_record")"
assert_contains LUISY_STDERR "unsafe path \"../$EVIL\""
assert_file_absent "../$EVIL"
assert_file_absent "$SHARED/$EVIL"

case_start "a record naming an absolute path: refused"
restore_remote
edit_record "$clean_record" "
r['files'][0]['path'] = '$SHARED/$EVIL-abs'"
machine D
run_luisy build Clean --download --remote "$REMOTE"
assert_status 0
assert_ran Clean
assert_contains LUISY_STDERR "unsafe path \"$SHARED/$EVIL-abs\""
assert_file_absent "$SHARED/$EVIL-abs"

case_start "a record that would restore onto a source file: refused, the source is untouched"
restore_remote
# A well-formed record whose file list also names raw.src, with the digest of a blob the
# remote holds (Clean's output), so that using it would overwrite the source.
edit_record "$raw_record" "
r['files'].append(dict(r['files'][0]))
r['files'][-1]['path'] = 'raw.src'
r['files'][-1]['digest'] = json.load(open('$clean_record'))['files'][0]['digest']"
machine E
run_luisy build Raw --download --remote "$REMOTE"
assert_status 0
assert_ran Raw
assert_file_equals raw.src "hello world"
assert_file_equals data/raw.txt "HELLO WORLD"
assert_contains LUISY_STDERR "refused the remote record $(basename "$raw_record")"
assert_contains LUISY_STDERR "\"raw.src\" is not one of its outputs"

case_start "a blob whose content was altered: refused, Clean runs locally"
restore_remote
digest="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["digest"])' "$clean_record")"
blob="$REMOTE/shared/cas/${digest:0:2}/$digest"
[ -f "$blob" ] || fail "no blob $blob"
printf 'CLEAN W0RLD\n' >"$blob"  # same size, one byte changed
machine F
run_luisy build Clean --download --remote "$REMOTE"
assert_status 0
assert_ran Clean
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_contains LUISY_STDERR "refused a blob of record $(basename "$clean_record")"
assert_contains LUISY_STDERR "cannot restore Clean from the cache, running it"
# The altered bytes were not adopted: whatever the local store holds under that digest
# (Clean's own result, stored after it ran) is the real content.
for kept in $(find "$SHARED/cache-F" -type f -name "$digest"); do
  [ "$(cat "$kept")" = "CLEAN WORLD" ] || fail "the local store holds the altered blob: $kept"
done

echo "test_bad_records: all cases passed"
