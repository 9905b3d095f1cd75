#!/usr/bin/env bash
# The shared cache under network faults: fault_proxy.js sits between luisy and Azurite. For
# each kind of fault a workspace builds and uploads through the proxy, a second one downloads
# everything through it (--download --upload); the second must run nothing and hold the same
# bytes, every faulted request must have been retried within luisy's bound, and afterwards
# `luisy verify --remote` against Azurite directly finds nothing broken. Two last cases make
# a fault outlast the retries: luisy gives up after exactly 1 + LUISY_AZURE_MAX_RETRIES
# attempts and builds locally instead (download), or exits 3 leaving no record without its
# blob (upload).
# Figures (faults injected per kind, builds survived, retries) are printed at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

azurite_test_setup
export LUISY_AZURE_MAX_RETRIES=3
export LUISY_AZURE_LOW_SPEED_TIME_S=2    # a stalled answer is abandoned after 2 s
export LUISY_AZURE_BLOCK_SIZE=131072     # big.bin goes up in blocks and comes down in ranges
MAX_ATTEMPTS=$((LUISY_AZURE_MAX_RETRIES + 1))
SEED="${FAULT_SEED:-20261130}"

make_workspace
SHARED="$WORKSPACE"
PROXY_CONFIG="$SHARED/proxy.json"
PROXY_COUNTS="$SHARED/counts.json"
echo '{"case": "start", "kinds": []}' >"$PROXY_CONFIG"
node "$LUISY_SOURCE_DIR/tests/integration/fault_proxy.js" "$AZURITE_PORT" "$SHARED/proxy.port" \
  "$PROXY_CONFIG" "$PROXY_COUNTS" 2>"$SHARED/proxy.log" &
PROXY_PID=$!
trap 'kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; azurite_stop; _lib_cleanup' EXIT
wait_until 30 test -s "$SHARED/proxy.port" || { cat "$SHARED/proxy.log" >&2; fail "the fault proxy did not start"; }
PROXY_ENDPOINT="http://127.0.0.1:$(cat "$SHARED/proxy.port")/devstoreaccount1"

export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$KEY"
export LUISY_AZURE_CONTAINER_NAME=faults

# machine NAME PROJECT: a workspace with a big output (blocks, ranges), a matrix of small
# ones and a task that needs both; its own local store. Commands append to runs.log.
machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    "project: $2" \
    'tasks:' \
    '  Gen:' \
    '    cmd: echo Gen >> runs.log && seq 1 100000 > {out}' \
    '    outputs: [data/big.bin]' \
    '  Part:' \
    '    matrix: {n: [1, 2, 3, 4, 5, 6]}' \
    '    cmd: echo Part-{n} >> runs.log && echo part {n} > {out}' \
    '    outputs: ["data/part_{n}.txt"]' \
    '  Sum:' \
    '    requires: [Gen, Part]' \
    '    cmd: echo Sum >> runs.log && cat {in} | cksum > {out}' \
    '    outputs: [data/sum.txt]'
}
ALL_RAN=(Gen Part-1 Part-2 Part-3 Part-4 Part-5 Part-6 Sum)

# faults CASE JSON-FIELDS: what the proxy injects from now on (a new case clears its counts).
faults() {
  printf '{"case": "%s", "seed": %s, %s}\n' "$1" "$SEED" "$2" >"$PROXY_CONFIG"
}
through_proxy() { export LUISY_AZURE_ENDPOINT="$PROXY_ENDPOINT"; }
direct() { export LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"; }
count_of() {  # count_of FIELD [KIND]: a number from the proxy's counts
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1]));
           const v = process.argv[3] ? (c[process.argv[2]][process.argv[3]] || 0) : c[process.argv[2]];
           console.log(v)' "$PROXY_COUNTS" "$1" "${2:-}"
}

SUMMARY=()
TOTAL_INJECTED=0
TOTAL_RETRIES=0
BUILDS=0

# fault_case KIND CONFIG: upload through the faults, download through them, audit directly.
fault_case() {
  local kind="$1" config="$2" project="faults-${1//_/-}"
  case_start "$kind: upload and download through the proxy, nothing lost"
  faults "$kind" "$config"
  through_proxy
  machine "up-$kind" "$project"
  local uploader="$WORKSPACE"
  run_luisy build --upload
  assert_status 0
  assert_ran "${ALL_RAN[@]}"
  assert_matches LUISY_OUTPUT '8 results uploaded'
  BUILDS=$((BUILDS + 1))

  machine "down-$kind" "$project"
  run_luisy build Gen Part Sum --download --upload
  assert_status 0
  assert_ran  # everything came from the remote, through the faults
  assert_matches LUISY_OUTPUT 'remote: [0-9]+ hits, 0 misses, 0 errors'
  seq 1 100000 | cmp -s - data/big.bin || fail "data/big.bin differs from what Gen writes"
  local file
  for file in data/big.bin data/sum.txt data/part_1.txt data/part_6.txt; do
    cmp -s "$uploader/$file" "$file" || fail "$file differs between the two workspaces"
  done
  BUILDS=$((BUILDS + 1))

  local injected retries run
  injected="$(count_of injected "$kind")"
  retries="$(count_of retries)"
  run="$(count_of max_fault_run)"
  [ "$injected" -gt 0 ] || fail "the proxy injected no $kind fault (seed $SEED)"
  [ "$run" -lt "$MAX_ATTEMPTS" ] || fail "a request met $run faults in a row; the case expects fewer than $MAX_ATTEMPTS"
  # Each fault must be followed by another attempt at the same request: none was taken as
  # an answer, none ended the use of the remote.
  if [ "$kind" != slow ]; then
    [ "$retries" = "$injected" ] || fail "$injected $kind faults injected but $retries retries seen"
  fi
  SUMMARY+=("$kind: $injected injected, $retries retries, longest run $run")
  TOTAL_INJECTED=$((TOTAL_INJECTED + injected))
  TOTAL_RETRIES=$((TOTAL_RETRIES + retries))

  direct
  run_luisy verify --remote
  assert_status 0
  assert_contains LUISY_STDOUT 'nothing broken'
  assert_matches LUISY_STDOUT 'remote azure://devstoreaccount1/faults/[a-z0-9-]+: 8 records, 8 blobs'
  cd "$uploader" || exit 1
  run_luisy verify
  assert_status 0
}

fault_case reset '"kinds": ["reset"], "rate": 35, "depth": 2'
fault_case stall '"kinds": ["stall"], "rate": 15, "depth": 1'
fault_case 503 '"kinds": ["503"], "rate": 15, "depth": 1, "retry_after": 1'
fault_case 429 '"kinds": ["429"], "rate": 15, "depth": 1, "retry_after": 1'
fault_case burst500 '"kinds": ["burst500"], "burst_every": 9, "burst_len": 3'
fault_case truncate '"kinds": ["truncate"], "rate": 35, "depth": 3'
fault_case wrong_length '"kinds": ["wrong_length"], "rate": 35, "depth": 3'
fault_case slow '"kinds": ["slow"], "rate_bps": 1048576'

case_start "a fault that outlasts the retries: bounded attempts, then the build runs locally"
faults clean '"kinds": []'
through_proxy
machine up-giveup faults-giveup
run_luisy build --upload
assert_status 0
assert_ran "${ALL_RAN[@]}"
faults giveup '"kinds": ["500"], "rate": 100, "depth": 100, "match": "/ac/"'
machine down-giveup faults-giveup
run_luisy build --download
assert_status 0
assert_ran "${ALL_RAN[@]}"
assert_contains LUISY_STDERR 'going on without it'
seq 1 100000 | cmp -s - data/big.bin || fail "data/big.bin is wrong after the local build"
# The records of the first wave (Gen and the Parts: 7) are asked for together; each gets
# exactly MAX_ATTEMPTS attempts, and nothing is asked after the first gave up.
[ "$(count_of max_fault_run)" = "$MAX_ATTEMPTS" ] ||
  fail "expected exactly $MAX_ATTEMPTS attempts at a failing record, the proxy saw $(count_of max_fault_run)"
FAULTED_KEYS="$(count_of keys_faulted)"
[ "$FAULTED_KEYS" -ge 1 ] && [ "$FAULTED_KEYS" -le 7 ] ||
  fail "records of $FAULTED_KEYS instances were asked for; only the first wave's 7 may be"
[ "$(count_of injected 500)" = "$((MAX_ATTEMPTS * FAULTED_KEYS))" ] ||
  fail "after giving up luisy kept asking the remote: $(count_of injected 500) faults injected for $FAULTED_KEYS records"
SUMMARY+=("500 beyond the bound: $(count_of injected 500) injected on $FAULTED_KEYS records asked for at once, each given up after $MAX_ATTEMPTS attempts, then built locally")
TOTAL_INJECTED=$((TOTAL_INJECTED + $(count_of injected 500)))
TOTAL_RETRIES=$((TOTAL_RETRIES + $(count_of retries)))
BUILDS=$((BUILDS + 2))
direct
run_luisy verify --remote
assert_status 0
assert_contains LUISY_STDOUT 'nothing broken'

case_start "an upload that outlasts the retries: exit 3, no record without its blobs"
faults clean2 '"kinds": []'
through_proxy
machine up-upfail faults-upfail
run_luisy build
assert_status 0
assert_ran "${ALL_RAN[@]}"
BIG_HEX="$(python3 -c '
import glob, json, sys
for path in glob.glob(sys.argv[1] + "/ac/*"):
    for f in json.load(open(path))["files"]:
        if f["path"] == "data/big.bin": print(f["digest"])' "$LUISY_CACHE_DIR" | head -1)"
[ -n "$BIG_HEX" ] || fail "cannot find big.bin's digest in the local store"
faults upfail "\"kinds\": [\"500\"], \"rate\": 100, \"depth\": 100, \"match\": \"PUT /devstoreaccount1/faults/faults-upfail/cas/${BIG_HEX:0:2}/$BIG_HEX\""
run_luisy build --upload
assert_status 3
assert_ran
assert_contains LUISY_OUTPUT '1 results were not uploaded'
[ "$(count_of max_fault_run)" = "$MAX_ATTEMPTS" ] ||
  fail "expected $MAX_ATTEMPTS attempts per failing block, the proxy saw runs of $(count_of max_fault_run)"
SUMMARY+=("500 on every upload of one blob: $(count_of injected 500) injected, each block tried $MAX_ATTEMPTS times, exit 3")
TOTAL_INJECTED=$((TOTAL_INJECTED + $(count_of injected 500)))
TOTAL_RETRIES=$((TOTAL_RETRIES + $(count_of retries)))
direct
run_luisy verify --remote
assert_status 0
assert_contains LUISY_STDOUT 'nothing broken'
assert_matches LUISY_STDOUT ': 7 records, 7 blobs'  # Gen's record never went up without its blob
machine down-upfail faults-upfail
run_luisy build --download
assert_status 0
assert_ran Gen  # the one result the remote lacks
seq 1 100000 | cmp -s - data/big.bin || fail "data/big.bin is wrong"
BUILDS=$((BUILDS + 3))

echo "--- ${TEST_NAME}: figures (seed $SEED)"
printf '    %s\n' "${SUMMARY[@]}"
echo "    total: $TOTAL_INJECTED faults injected, $BUILDS builds survived, $TOTAL_RETRIES retries observed"
echo "PASS: ${TEST_NAME}"
