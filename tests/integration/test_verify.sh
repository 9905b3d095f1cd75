#!/usr/bin/env bash
# `luisy verify`: a clean workspace, local store and remote pass (exit 0); each kind of damage
# is reported (text and JSON, exit 1) and --remove-broken removes it, records before blobs,
# after which the next build repairs the remote. Directory remote first, then Azure (Azurite:
# listing and deleting through the Blob API).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
machine() { remote_machine "$@"; }
REPORT_SHORT="$(printf 'header\nCLEAN WORLD\nshort')"

# The remote file of the blob holding `content`, for the shared project.
blob_of() { grep -l -x -F -- "$1" "$REMOTE"/shared/cas/*/* | head -1; }
record_naming() { grep -l -F "$(basename "$1")" "$REMOTE"/shared/ac/* | head -1; }

case_start "a clean workspace, local store and directory remote"
export LUISY_LOCAL_CACHE=on
machine A
run_luisy build --upload --remote "$REMOTE"
assert_status 0
assert_ran Raw Clean Report-short Report-long
UPLOADER="$WORKSPACE"
run_luisy verify --remote "$REMOTE"
assert_status 0
assert_matches LUISY_STDOUT 'workspace .*: 4 results, 4 outputs'
assert_matches LUISY_STDOUT 'local store .*: 4 records, 0 blobs'  # small files: inline
assert_matches LUISY_STDOUT 'remote .*/shared: 4 records, 4 blobs .* downloaded and checked'
assert_contains LUISY_STDOUT 'nothing broken'
run_luisy verify --remote "$REMOTE" --format json
assert_status 0
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["clean"] and d["complete"] and d["problems"] == []' \
  <<<"$LUISY_STDOUT" || fail "verify --format json is not a clean report"

case_start "a remote blob with other bytes: its record is broken; removal goes record first"
BLOB="$(blob_of 'CLEAN WORLD')"
[ -n "$BLOB" ] || fail "cannot find Clean's blob in the remote"
RECORD="$(record_naming "$BLOB")"
chmod u+w "$BLOB"
echo 'CLEAN WORLX' >"$BLOB"
run_luisy verify --remote "$REMOTE"
assert_status 1
assert_contains LUISY_STDOUT "broken remote corrupt-blob: blob $(basename "$BLOB") holds content that hashes to"
assert_contains LUISY_STDOUT "broken remote bad-blob: record $(basename "$RECORD")"
assert_contains LUISY_STDOUT '2 broken entries; `luisy verify --remove-broken` removes them'
run_luisy verify --remote "$REMOTE" --format json
assert_status 1
python3 -c '
import json, sys
d = json.load(sys.stdin)
kinds = sorted(p["kind"] for p in d["problems"])
assert not d["clean"] and kinds == ["bad-blob", "corrupt-blob"], kinds' <<<"$LUISY_STDOUT" ||
  fail "verify --format json does not list the two broken entries"
machine B
run_luisy build Report --download --remote "$REMOTE"
assert_status 0
assert_file_equals data/report_short.txt "$REPORT_SHORT"  # the wrong blob was never used
run_luisy verify --remote "$REMOTE" --remove-broken
assert_status 0
assert_contains LUISY_STDOUT '2 broken entries removed'
assert_file_absent "$RECORD"
assert_file_absent "$BLOB"
run_luisy verify --remote "$REMOTE"
assert_status 0
assert_matches LUISY_STDOUT 'remote .*: 3 records, 3 blobs'
cd "$UPLOADER" || exit 1
run_luisy build --upload --remote "$REMOTE"  # puts back what was removed
assert_status 0
assert_ran
assert_matches LUISY_OUTPUT '1 results uploaded'
run_luisy verify --remote "$REMOTE"
assert_status 0
assert_matches LUISY_STDOUT 'remote .*: 4 records, 4 blobs'

case_start "a missing remote blob and an unparsable record"
BLOB="$(blob_of 'HELLO WORLD')"
RECORD="$(record_naming "$BLOB")"
rm -f "$BLOB"
OTHER="$(ls "$REMOTE"/shared/ac/* | grep -v "$(basename "$RECORD")" | head -1)"
chmod u+w "$OTHER"
printf '{"format": 1, "key": ' >"$OTHER"
run_luisy verify --remote "$REMOTE"
assert_status 1
assert_contains LUISY_STDOUT "broken remote missing-blob: record $(basename "$RECORD"): blob $(basename "$BLOB") (data/raw.txt) is missing"
assert_contains LUISY_STDOUT "broken remote corrupt-record: record $(basename "$OTHER") is unusable"
run_luisy verify --remote "$REMOTE" --remove-broken
assert_status 0
assert_file_absent "$RECORD"
assert_file_absent "$OTHER"
run_luisy verify --remote "$REMOTE"
assert_status 0

case_start "the local store: a record whose inline content is damaged is reported and removed"
export LUISY_CACHE_DIR="$SHARED/cache-A"  # machine A's store, in A's workspace
LOCAL_RECORD="$(damage_inline "$LUISY_CACHE_DIR" data/report_long.txt)"
[ -n "$LOCAL_RECORD" ] || fail "no local record holds data/report_long.txt inline"
run_luisy verify
assert_status 1
assert_contains LUISY_STDOUT "broken local corrupt-record: record $(basename "$LOCAL_RECORD") is unusable"
assert_contains LUISY_STDOUT 'inline content of "data/report_long.txt" does not match'
run_luisy verify --remove-broken
assert_status 0
assert_file_absent "$LOCAL_RECORD"
run_luisy verify
assert_status 0

case_start "the local store: a corrupt blob is reported and removed"
LOCAL_BLOB="$LUISY_CACHE_DIR/cas/00/00000000000000000000000000000000"  # planted, named wrongly
mkdir -p "$(dirname "$LOCAL_BLOB")"
echo 'HELLO WORLX' >"$LOCAL_BLOB"
run_luisy verify
assert_status 1
assert_contains LUISY_STDOUT "broken local corrupt-blob: blob $(basename "$LOCAL_BLOB")"
run_luisy verify --remove-broken
assert_status 0
assert_file_absent "$LOCAL_BLOB"
run_luisy verify
assert_status 0

case_start "the workspace: an output changed behind the stat cache's back"
# An old mtime, so the stat cache keeps the entry (one younger than 50 ms is not trusted).
touch -d '2020-01-01 00:00:00' data/clean.txt
run_luisy build
assert_status 0
assert_ran
printf 'CLEAN WORLX\n' | dd of=data/clean.txt conv=notrunc status=none  # same size, same inode
touch -d '2020-01-01 00:00:00' data/clean.txt
run_luisy status
assert_contains LUISY_STDOUT '4 of 4 task instances up to date'  # what verify warns about
run_luisy verify
assert_status 1
assert_contains LUISY_STDOUT 'broken workspace stale-stat: data/clean.txt changed but kept its size, mtime and inode'
run_luisy verify --remove-broken
assert_status 0
run_luisy build
assert_status 0
assert_ran  # forgotten by verify, so rehashed: restored from the local store
assert_contains LUISY_STDOUT 'Clean (from cache)'
assert_file_equals data/clean.txt 'CLEAN WORLD'
run_luisy verify
assert_status 0

case_start "usage and a remote that cannot be reached"
run_luisy verify Report
assert_status 2
assert_contains LUISY_STDERR 'verify takes no task'
run_luisy verify --format yaml
assert_status 2

case_start "Azure: list, download and check, report and remove through the Blob API"
azurite_test_setup
export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$KEY"
export LUISY_AZURE_CONTAINER_NAME=verify LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
machine AZ
run_luisy build --upload
assert_status 0
assert_ran Raw Clean Report-short Report-long
run_luisy verify --remote
assert_status 0
assert_matches LUISY_STDOUT 'remote azure://devstoreaccount1/verify/shared: 4 records, 4 blobs'
# Damage it with plain HTTP, signed by a container SAS made with the well-known key.
SAS="$(python3 - "$ACCOUNT" "$KEY" <<'EOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key = sys.argv[1], sys.argv[2]
sv, ss, srt, se, spr, sp = "2021-08-06", "b", "sco", "2030-01-01T00:00:00Z", "https,http", "rwdl"
to_sign = "".join(f + "\n" for f in [account, sp, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
print(f"sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&spr={spr}&sig={urllib.parse.quote(sig, safe='')}")
EOF
)"
# Clean's blob digest, from the local record of the task that wrote data/clean.txt.
CLEAN_HEX="$(python3 -c '
import glob, json, sys
for path in glob.glob(sys.argv[1] + "/ac/*"):
    for f in json.load(open(path))["files"]:
        if f["path"] == "data/clean.txt": print(f["digest"])' "$LUISY_CACHE_DIR" | head -1)"
[ -n "$CLEAN_HEX" ] || fail "cannot find Clean's digest in the local records"
BLOB_URL="$AZURITE_ENDPOINT/verify/shared/cas/${CLEAN_HEX:0:2}/$CLEAN_HEX"
curl -sf -X PUT -H 'x-ms-blob-type: BlockBlob' --data-binary 'CLEAN WORLX' "$BLOB_URL?$SAS" >/dev/null ||
  fail "cannot overwrite the blob in Azurite"
run_luisy verify --remote
assert_status 1
assert_contains LUISY_STDOUT "broken remote corrupt-blob: blob $CLEAN_HEX"
assert_contains LUISY_STDOUT 'broken remote bad-blob'
run_luisy verify --remote --remove-broken
assert_status 0
assert_contains LUISY_STDOUT '2 broken entries removed'
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$BLOB_URL?$SAS")" = 404 ] || fail "the corrupt blob is still in Azurite"
run_luisy verify --remote
assert_status 0
assert_matches LUISY_STDOUT 'remote azure://devstoreaccount1/verify/shared: 3 records, 3 blobs'
run_luisy build --upload
assert_status 0
assert_matches LUISY_OUTPUT '1 results uploaded'
run_luisy verify --remote
assert_status 0
assert_matches LUISY_STDOUT ': 4 records, 4 blobs'

# With a SAS instead of the key, the audit works and never shows the token.
SIG="${SAS##*sig=}"
unset LUISY_AZURE_STORAGE_KEY
export LUISY_AZURE_SAS_TOKEN="$SAS"
run_luisy verify --remote --remove-broken --format json
assert_status 0
assert_not_contains LUISY_OUTPUT "$SIG"
assert_not_contains LUISY_OUTPUT "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$SIG")"

export LUISY_AZURE_ENDPOINT="http://127.0.0.1:1/devstoreaccount1"
export LUISY_AZURE_MAX_RETRIES=0
run_luisy verify --remote
assert_status 2
assert_contains LUISY_STDERR 'cannot reach Azure Blob Storage'
assert_not_contains LUISY_OUTPUT "$SIG"

echo "PASS: ${TEST_NAME}"
