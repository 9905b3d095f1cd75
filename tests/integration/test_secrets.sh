#!/usr/bin/env bash
# Credentials never leak: every command path runs with a real key, a SAS token and a
# connection string in the environment (against a local Azurite), and neither anything
# luisy printed nor any file it wrote (.luisy/ of the workspaces, the local store) holds
# the key, the SAS signature or the connection string.
# shellcheck disable=SC2034  # LUISY_COMMAND is read by lib.sh's fail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

azurite_test_setup
CONTAINER="secret-test"

# make_sas PERMISSIONS: prints "SIGNATURE TOKEN" (the signature as base64, then the
# token carrying it URL-encoded).
make_sas() {
  python3 - "$ACCOUNT" "$KEY" "$1" <<'EOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key, perms = sys.argv[1], sys.argv[2], sys.argv[3]
sv, ss, srt, se, spr = "2021-08-06", "b", "sco", "2030-01-01T00:00:00Z", "https,http"
to_sign = "".join(f + "\n" for f in [account, perms, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
print(sig, f"sv={sv}&ss={ss}&srt={srt}&sp={perms}&se={se}&spr={spr}&sig={urllib.parse.quote(sig, safe='')}")
EOF
}
read -r SAS_SIG SAS_TOKEN <<<"$(make_sas rwdlac)"
read -r RO_SIG RO_TOKEN <<<"$(make_sas rl)"
SAS_SIG_ENC="${SAS_TOKEN##*sig=}"
RO_SIG_ENC="${RO_TOKEN##*sig=}"
CONN="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$AZURITE_ENDPOINT;"
WRONG_KEY="$(printf 'a wrong key that is still valid base64!' | base64 -w0)"
CLOSED_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

clear_credentials() {
  unset LUISY_AZURE_ACCOUNT_NAME LUISY_AZURE_STORAGE_KEY LUISY_AZURE_CONTAINER_NAME \
    LUISY_AZURE_SAS_TOKEN LUISY_AZURE_ENDPOINT AZURE_STORAGE_CONNECTION_STRING LUISY_REMOTE
}
use_key() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$1"
  export LUISY_AZURE_CONTAINER_NAME="$CONTAINER" LUISY_AZURE_ENDPOINT="${2:-$AZURITE_ENDPOINT}"
}
use_sas() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_SAS_TOKEN="$1"
  export LUISY_AZURE_CONTAINER_NAME="$CONTAINER" LUISY_AZURE_ENDPOINT="${2:-$AZURITE_ENDPOINT}"
}
use_connection_string() {
  clear_credentials
  export AZURE_STORAGE_CONNECTION_STRING="$CONN" LUISY_AZURE_CONTAINER_NAME="$CONTAINER"
}

make_workspace
SHARED="$WORKSPACE"
ALL="$SHARED/all-output.txt"
MACHINE_DIRS=()
MACHINES=0

# run_cap EXPECTED-STATUS ARGS...: runs luisy, checks its exit status, keeps its output.
run_cap() {
  local expected="$1"
  shift
  run_luisy "$@"
  {
    echo "=== luisy $* (in $PWD)"
    printf '%s\n' "$LUISY_OUTPUT"
  } >>"$ALL"
  assert_status "$expected"
}

# machine [RAW-TEXT]: a fresh workspace with its own local store (so downloads do reach
# the remote).
machine() {
  make_workspace
  MACHINE_DIRS+=("$WORKSPACE")
  MACHINES=$((MACHINES + 1))
  export LUISY_CACHE_DIR="$SHARED/cache-$MACHINES"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: secrets' \
    'tasks:' \
    '  Raw:' \
    '    cmd: echo Raw >> runs.log && tr a-z A-Z < {in} > {out}' \
    '    inputs: [raw.src]' \
    '    outputs: [data/raw.txt]' \
    '  Report:' \
    '    requires: [Raw]' \
    '    inputs: [report.src]' \
    '    cmd: echo Report >> runs.log && cat {in} > {out}' \
    '    outputs: [data/report.txt]' \
    '  Broken:' \
    '    cmd: echo Broken >> runs.log && echo about to fail >&2 && exit 7' \
    '    outputs: [data/broken.txt]'
  write_file raw.src "${1:-hello}"
  write_file report.src 'report'
}

case_start "Shared Key: build --upload, -v, status, push, a failing task"
use_key "$KEY"
machine
run_cap 0 build Report --upload -v
assert_ran Raw Report
run_cap 0 status --remote
run_cap 0 status --remote --format json
run_cap 0 status --remote -v
run_cap 0 push Report
run_cap 0 explain Report
run_cap 1 build --upload -v
run_cap 1 build -k --upload --download
rm -f runs.log

case_start "Shared Key: build --download, pull"
machine
run_cap 0 build Report --download -v
assert_ran
assert_matches LUISY_OUTPUT 'remote: 2 hits'
machine
run_cap 0 pull Report
assert_file_exists data/report.txt
assert_matches LUISY_OUTPUT 'remote: 2 hits'
run_cap 1 pull Broken

case_start "SAS token: upload, download, status, push, pull, a failing task"
use_sas "$SAS_TOKEN"
machine sas
run_cap 0 build Report --download --upload -v
assert_ran Raw Report
run_cap 0 status --remote --format json
run_cap 0 push Report -v
run_cap 1 build -v --upload
machine sas
run_cap 0 pull Report
assert_file_exists data/report.txt
machine sas
run_cap 0 build Report --download -v
assert_ran
assert_matches LUISY_OUTPUT 'remote: 2 hits'
rm -f runs.log

case_start "read-only SAS with --upload: exit 3"
use_sas "$RO_TOKEN"
machine readonly
run_cap 3 build Report --upload -v
rm -f runs.log

case_start "connection string: download, upload, status"
use_connection_string
machine
run_cap 0 build Report --download -v
assert_ran
assert_matches LUISY_OUTPUT 'remote: 2 hits'
machine conn
run_cap 0 build Report --upload --download -v
run_cap 0 status --remote --format json
rm -f runs.log

case_start "a wrong key and an unreachable endpoint"
use_key "$WRONG_KEY"
machine
run_cap 2 build Report --download -v
run_cap 2 build Report --upload
run_cap 2 push Report
run_cap 2 pull Report
assert_ran
use_sas "$SAS_TOKEN" "http://127.0.0.1:$CLOSED_PORT/$ACCOUNT"
machine
run_luisy build Report --download --upload -v
printf '=== unreachable endpoint\n%s\n' "$LUISY_OUTPUT" >>"$ALL"
use_key "$KEY" "http://127.0.0.1:$CLOSED_PORT/$ACCOUNT"
run_luisy build Report --download --upload -v
printf '=== unreachable endpoint\n%s\n' "$LUISY_OUTPUT" >>"$ALL"
rm -f runs.log

case_start "a recognisable fake key and SAS on every command path"
# Fake credentials that are easy to find: valid base64 / a well-formed SAS, so that luisy
# goes as far as signing and sending with them, and Azurite refuses them (exit 2).
FAKE_KEY_TEXT="LUISYFAKEKEY-never-print-me-LUISYFAKEKEY"
FAKE_KEY="$(printf '%s' "$FAKE_KEY_TEXT" | base64 -w0)"
FAKE_SIG="LuisyFakeSasSig0123456789+never/print="
FAKE_SIG_ENC="LuisyFakeSasSig0123456789%2Bnever%2Fprint%3D"
FAKE_SAS="sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&spr=https,http&sig=$FAKE_SIG_ENC"
FAKE_CONN="DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$FAKE_KEY;BlobEndpoint=$AZURITE_ENDPOINT;"
# run_any ARGS...: runs luisy whatever its exit status (for paths whose status another test
# asserts), keeps its output, and checks it ended normally: 0, 1, 2 or 3, never a crash.
run_any() {
  run_luisy "$@"
  {
    local args="$*"
    echo "=== luisy ${args//"$FAKE_SAS"/(the fake SAS)} (in $PWD; exit $LUISY_STATUS)"
    printf '%s\n' "$LUISY_OUTPUT"
  } >>"$ALL"
  case "$LUISY_STATUS" in 0 | 1 | 2 | 3) ;; *) fail "luisy ended with status $LUISY_STATUS" ;; esac
}
# local_paths: the commands that never reach the remote, with the fake credentials set.
local_paths() {
  run_cap 0 validate
  run_cap 0 validate pipeline.yaml -v
  run_cap 0 graph --format dot
  run_cap 0 graph Report --format mermaid
  run_cap 0 build Report -v
  run_cap 1 build -k -v
  run_cap 0 status
  run_cap 0 status --format json -v
  run_cap 0 explain Report
  run_cap 0 clean Report
  run_cap 0 build Report
  run_cap 0 cache trim --max-size 1G
  run_cap 0 help build
  run_cap 0 --version
  run_cap 2 build NoSuchTask
  run_cap 2 cache trim --max-size lots
}
# remote_paths EXPECTED: every command that reaches the remote, refused with EXPECTED.
remote_paths() {
  run_cap "$1" build Report --download -v
  run_cap "$1" build Report --upload -v
  run_cap "$1" build Report --download --upload --transfers 2
  run_cap "$1" push Report -v
  run_cap "$1" pull Report -v
  run_any status --remote
  run_any status --remote --format json -v
}
use_key "$FAKE_KEY"
machine fake-key
FAKE_DIRS=("$WORKSPACE")
local_paths
remote_paths 2
use_sas "$FAKE_SAS"
machine fake-sas
FAKE_DIRS+=("$WORKSPACE")
local_paths
remote_paths 2
clear_credentials
export AZURE_STORAGE_CONNECTION_STRING="$FAKE_CONN" LUISY_AZURE_CONTAINER_NAME="$CONTAINER"
machine fake-conn
FAKE_DIRS+=("$WORKSPACE")
local_paths
remote_paths 2
# An unreachable endpoint: the same paths end, whatever they say.
for creds in key sas; do
  if [ "$creds" = key ]; then use_key "$FAKE_KEY" "http://127.0.0.1:$CLOSED_PORT/$ACCOUNT"; else use_sas "$FAKE_SAS" "http://127.0.0.1:$CLOSED_PORT/$ACCOUNT"; fi
  machine "unreachable-$creds"
  FAKE_DIRS+=("$WORKSPACE")
  run_any build Report --download --upload -v
  run_any push Report
  run_any pull Report
  run_any status --remote -v
done
# A SAS put in the remote URL (on the command line, in LUISY_REMOTE):
# refused, and the refusal does not repeat it.
clear_credentials
export LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT" LUISY_AZURE_STORAGE_KEY="$FAKE_KEY"
machine sas-in-url
FAKE_DIRS+=("$WORKSPACE")
run_any build Report --download --remote "azure://$ACCOUNT/$CONTAINER?$FAKE_SAS"
[ "$LUISY_STATUS" = 2 ] || fail "a SAS in the remote URL was not refused"
LUISY_REMOTE="azure://$ACCOUNT/$CONTAINER?$FAKE_SAS" run_any status --remote
LUISY_REMOTE="azure://$ACCOUNT/$CONTAINER?$FAKE_SAS" run_any push Report
# ... and in the pipeline file's `remote:` entry: refused when the file is read (by validate
# too), without the usual excerpt of the offending line.
machine sas-in-pipeline
FAKE_DIRS+=("$WORKSPACE")
grep -q '^remote:' pipeline.yaml && fail "the test pipeline already names a remote"
printf 'remote: "azure://%s/%s?%s"\n' "$ACCOUNT" "$CONTAINER" "$FAKE_SAS" >>pipeline.yaml
for command in validate "build Report" "status --remote"; do
  # shellcheck disable=SC2086 # the command words are meant to split
  run_any $command
  [ "$LUISY_STATUS" = 2 ] || fail "luisy $command accepted a SAS in the pipeline's remote: entry"
  assert_contains LUISY_STDERR "must not carry a query string"
done
[ ! -e .luisy/plan ] || fail "a plan holding the SAS was written"
rm pipeline.yaml  # the test wrote the SAS there, not luisy: keep it out of the search below
unset LUISY_AZURE_ENDPOINT LUISY_AZURE_STORAGE_KEY

case_start "commands do not inherit luisy's credentials"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: envleak' \
  'tasks:' \
  '  Dump:' \
  '    cmd: env > {out}' \
  '    outputs: [env.txt]'
LUISY_AZURE_STORAGE_KEY="$FAKE_KEY" LUISY_AZURE_SAS_TOKEN="$FAKE_SAS" LUISY_PROBE_VISIBLE=yes run_luisy build
assert_status 0
grep -q '^LUISY_PROBE_VISIBLE=yes$' env.txt || fail "the command did not get luisy's environment"
if grep -q -e "$FAKE_KEY" -e "$FAKE_SIG_ENC" env.txt; then fail "a command saw luisy's credentials"; fi

[ -n "${KEEP_ALL:-}" ] && cp "$ALL" "$KEEP_ALL"
case_start "no secret in any output or file luisy wrote"
[ -s "$ALL" ] || fail "no output was captured"
places=("$SHARED")  # the captured output and every machine's local store
for ws in "${MACHINE_DIRS[@]}"; do
  [ -d "$ws/.luisy" ] && places+=("$ws/.luisy")
done
[ "${#places[@]}" -gt 5 ] || fail "no workspace has a .luisy directory"
# The search itself works: a planted copy of each secret is found.
for secret in "$KEY" "$SAS_SIG" "$CONN" "$FAKE_KEY" "$FAKE_SIG_ENC"; do
  printf 'x%sx\n' "$secret" >"$SHARED/probe"
  grep -F -r -q -- "$secret" "${places[@]}" || fail "the search does not find a planted secret"
done
rm -f "$SHARED/probe"
for ws in "${FAKE_DIRS[@]}"; do places+=("$ws"); done  # (whole: outputs and all)
for secret in "$KEY" "$WRONG_KEY" "$SAS_SIG" "$SAS_SIG_ENC" "$RO_SIG" "$RO_SIG_ENC" "$CONN" \
  "$FAKE_KEY" "$FAKE_KEY_TEXT" "$FAKE_SIG" "$FAKE_SIG_ENC" "$FAKE_SAS" "$FAKE_CONN" "LUISYFAKEKEY" \
  "LuisyFakeSasSig"; do
  if hits="$(grep -F -r -l -- "$secret" "${places[@]}")"; then
    LUISY_COMMAND=""  # (read by fail: no luisy run to show)
    fail "a secret (${secret:0:6}...) appears in: $hits"
  fi
done
# The key without its padding (a prefix of the key) too, in case of truncated printing.
if hits="$(grep -F -r -l -- "${KEY:0:40}" "${places[@]}")"; then
  LUISY_COMMAND=""  # (read by fail: no luisy run to show)
  fail "a prefix of the key appears in: $hits"
fi

echo "${TEST_NAME}: ok"
