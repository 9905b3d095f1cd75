#!/usr/bin/env bash
# The shared cache through Azure Blob Storage (a local Azurite): machine A uploads with
# Shared Key credentials from the environment, machine B downloads; then a SAS token
# alone, a read-only SAS with --upload (exit 3), a wrong key (exit 2, nothing runs) and a
# connection string.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

azurite_test_setup
# make_sas PERMISSIONS: an account SAS for the blob service signed with the well-known key.
make_sas() {
  python3 - "$ACCOUNT" "$KEY" "$1" <<'EOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key, perms = sys.argv[1], sys.argv[2], sys.argv[3]
sv, ss, srt, se, spr = "2021-08-06", "b", "sco", "2030-01-01T00:00:00Z", "https,http"
# account, sp, ss, srt, st, se, sip, spr, sv, ses: each followed by a newline.
to_sign = "".join(f + "\n" for f in [account, perms, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
print(f"sv={sv}&ss={ss}&srt={srt}&sp={perms}&se={se}&spr={spr}&sig={urllib.parse.quote(sig, safe='')}")
EOF
}

# Credentials for the next luisy runs: exactly one form at a time.
clear_credentials() {
  unset LUISY_AZURE_ACCOUNT_NAME LUISY_AZURE_STORAGE_KEY LUISY_AZURE_CONTAINER_NAME \
    LUISY_AZURE_SAS_TOKEN LUISY_AZURE_ENDPOINT AZURE_STORAGE_CONNECTION_STRING LUISY_REMOTE
}
use_key() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$2"
  export LUISY_AZURE_CONTAINER_NAME="$1" LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
}
use_sas() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_SAS_TOKEN="$2"
  export LUISY_AZURE_CONTAINER_NAME="$1" LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
}

make_workspace
SHARED="$WORKSPACE"

machine() { remote_machine "$@"; }

REPORT_SHORT="$(printf 'header\nCLEAN WORLD\nshort')"
REPORT_LONG="$(printf 'header\nCLEAN WORLD\nlong')"

case_start "machine A uploads with Shared Key credentials from the environment"
use_key luisy-shared "$KEY"
machine A
run_luisy build --upload
assert_status 0
assert_ran Raw Clean Report-short Report-long
assert_matches LUISY_OUTPUT 'remote: .*4 results uploaded'
run_luisy status --remote
assert_status 0
[ "$(grep -c '\[remote: yes\]' <<<"$LUISY_STDOUT")" = 4 ] || fail "status --remote does not say yes for all 4 instances"

case_start "machine B downloads Report with Shared Key: only Report's outputs"
machine B
run_luisy build Report --download
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
assert_file_absent data/raw.txt
assert_file_absent data/clean.txt
assert_matches LUISY_OUTPUT 'remote: 4 hits, 0 misses, 0 errors'
run_luisy build
assert_status 0
assert_ran
assert_file_absent data/clean.txt
write_file report.src 'header2'
run_luisy build --download
assert_status 0
assert_ran Report-short Report-long
assert_file_equals data/clean.txt "CLEAN WORLD"
assert_file_equals data/report_long.txt "$(printf 'header2\nCLEAN WORLD\nlong')"

case_start "an azure:// URL with --remote, credentials from the environment"
machine B2
run_luisy build Report --download --remote "azure://$ACCOUNT/luisy-shared/shared"
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"

case_start "a SAS token alone (no key) downloads"
use_sas luisy-shared "$(make_sas rwdlac)"
machine C
run_luisy build Report --download
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
assert_file_absent data/clean.txt

case_start "a read-write SAS uploads"
machine C2 'from sas'
run_luisy build --download --upload
assert_status 0
assert_ran Report-short Report-long
assert_matches LUISY_OUTPUT '2 results uploaded'
machine C3 'from sas'
run_luisy build Report --download
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$(printf 'from sas\nCLEAN WORLD\nshort')"

case_start "a read-only SAS with --upload: exit 3, the build's outputs are kept"
use_sas luisy-shared "$(make_sas rl)"
machine D 'read only'
run_luisy build --download --upload
assert_status 3
assert_ran Report-short Report-long
assert_file_equals data/report_short.txt "$(printf 'read only\nCLEAN WORLD\nshort')"
assert_file_equals data/report_long.txt "$(printf 'read only\nCLEAN WORLD\nlong')"
assert_contains LUISY_STDERR "not uploaded"
assert_contains LUISY_STDERR "Report(fmt=short)"
assert_contains LUISY_STDERR "Report(fmt=long)"
# The results stay built: a second build runs nothing.
run_luisy build
assert_status 0
assert_ran

case_start "a wrong key: exit 2 before anything runs, naming account and container"
WRONG_KEY="$(printf 'not the key at all, but base64' | base64 -w0)"
use_key luisy-shared "$WRONG_KEY"
machine E
run_luisy build --download
assert_status 2
assert_ran
assert_file_absent data/report_short.txt
assert_contains LUISY_STDERR "$ACCOUNT"
assert_contains LUISY_STDERR "luisy-shared"
assert_not_contains LUISY_OUTPUT "$WRONG_KEY"
run_luisy build --upload
assert_status 2
assert_ran

case_start "a connection string downloads"
clear_credentials
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$AZURITE_ENDPOINT;"
export LUISY_AZURE_CONTAINER_NAME=luisy-shared
machine F
run_luisy build Report --download
assert_status 0
assert_ran
assert_file_equals data/report_short.txt "$REPORT_SHORT"
assert_file_equals data/report_long.txt "$REPORT_LONG"
assert_file_absent data/clean.txt

echo "${TEST_NAME}: ok"
