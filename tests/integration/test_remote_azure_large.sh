#!/usr/bin/env bash
# shellcheck disable=SC2034
# (SC2034: LUISY_COMMAND is cleared for lib.sh's fail, which reads it.)
# The Azure remote (a local Azurite) under load: a 300 MiB output goes up as blocks and
# comes back byte-identical through ranged downloads; two workspaces pushing the same
# results at the same moment both succeed and leave a consistent remote; a SAS with a
# tampered signature or a past expiry is refused with exit 2, naming the account and the
# container but never the token.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

azurite_test_setup
# make_sas PERMISSIONS [EXPIRY [tamper]]: an account SAS for the blob service signed with
# the well-known key; with "tamper", one character of the signature is changed.
make_sas() {
  python3 - "$ACCOUNT" "$KEY" "$1" "${2:-2030-01-01T00:00:00Z}" "${3:-}" <<'EOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key, perms, se, tamper = sys.argv[1:6]
sv, ss, srt, spr = "2021-08-06", "b", "sco", "https,http"
# account, sp, ss, srt, st, se, sip, spr, sv, ses: each followed by a newline.
to_sign = "".join(f + "\n" for f in [account, perms, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
if tamper:
    sig = ("B" if sig[0] == "A" else "A") + sig[1:]
print(f"sv={sv}&ss={ss}&srt={srt}&sp={perms}&se={se}&spr={spr}&sig={urllib.parse.quote(sig, safe='')}")
EOF
}
LIST_SAS="$(make_sas rl)"

# Credentials for the next luisy runs: exactly one form at a time.
clear_credentials() {
  unset LUISY_AZURE_ACCOUNT_NAME LUISY_AZURE_STORAGE_KEY LUISY_AZURE_CONTAINER_NAME \
    LUISY_AZURE_SAS_TOKEN LUISY_AZURE_ENDPOINT AZURE_STORAGE_CONNECTION_STRING LUISY_REMOTE \
    LUISY_AZURE_BLOCK_SIZE
}
use_key() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$KEY"
  export LUISY_AZURE_CONTAINER_NAME="$1" LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
}
use_sas() {
  clear_credentials
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_SAS_TOKEN="$2"
  export LUISY_AZURE_CONTAINER_NAME="$1" LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
}

# remote_check CONTAINER PREFIX RECORDS: through the Blob REST API alone (the layout of
# DESIGN.md: PREFIX/ac/<key> records naming PREFIX/cas/<2 hex>/<digest> blobs), the
# container holds exactly RECORDS records and every file of every record has its blob,
# committed, with the record's size. Prints what is wrong and fails otherwise.
remote_check() {
  python3 - "$AZURITE_ENDPOINT" "$1" "$2" "$3" "$LIST_SAS" <<'EOF'
import json, sys, urllib.request, xml.etree.ElementTree as ET
endpoint, container, prefix, expected, sas = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()
blobs, marker = {}, ""
while True:
    url = f"{endpoint}/{container}?restype=container&comp=list&prefix={prefix}/&include=uncommittedblobs&{sas}"
    if marker:
        url += "&marker=" + marker
    root = ET.fromstring(get(url))
    for b in root.iter("Blob"):
        blobs[b.findtext("Name")] = int(b.findtext("Properties/Content-Length"))
    marker = root.findtext("NextMarker") or ""
    if not marker:
        break
records = sorted(n for n in blobs if n.startswith(prefix + "/ac/"))
problems = []
if len(records) != expected:
    problems.append(f"{len(records)} records, expected {expected}: {records}")
for name in records:
    record = json.loads(get(f"{endpoint}/{container}/{name}?{sas}"))
    for f in record["files"]:
        d = f["digest"]
        blob = f"{prefix}/cas/{d[:2]}/{d}"
        if blob not in blobs:
            problems.append(f"{name} names {f['path']} -> {blob}, which is missing")
            continue
        # An uncommitted-only blob has no committed properties: fetch them for real.
        req = urllib.request.Request(f"{endpoint}/{container}/{blob}?{sas}", method="HEAD")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                size = int(r.headers["Content-Length"])
        except Exception as e:
            problems.append(f"{blob} ({f['path']}) cannot be read: {e}")
            continue
        if size != f["size"]:
            problems.append(f"{blob} ({f['path']}) holds {size} bytes, record says {f['size']}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF
}

# committed_blocks CONTAINER PREFIX SIZE: the committed block list of the one blob of
# SIZE bytes under PREFIX/cas/, as "COUNT SUM UNCOMMITTED" (fails if there is no such blob).
committed_blocks() {
  python3 - "$AZURITE_ENDPOINT" "$1" "$2" "$3" "$LIST_SAS" <<'EOF'
import sys, urllib.request, xml.etree.ElementTree as ET
endpoint, container, prefix, size, sas = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()
root = ET.fromstring(get(f"{endpoint}/{container}?restype=container&comp=list&prefix={prefix}/cas/&{sas}"))
names = [b.findtext("Name") for b in root.iter("Blob")
         if int(b.findtext("Properties/Content-Length")) == size]
if len(names) != 1:
    print(f"expected one blob of {size} bytes under {prefix}/cas/, found {names}")
    sys.exit(1)
root = ET.fromstring(get(f"{endpoint}/{container}/{names[0]}?comp=blocklist&blocklisttype=all&{sas}"))
committed = [int(b.findtext("Size")) for b in root.findall("CommittedBlocks/Block")]
uncommitted = root.findall("UncommittedBlocks/Block")
print(len(committed), sum(committed), len(uncommitted))
EOF
}

make_workspace
SHARED="$WORKSPACE"

# ---------------------------------------------------------------------------------------
BIG_SIZE=314572800  # 300 MiB

big_machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: big' \
    'tasks:' \
    '  Big:' \
    "    cmd: echo Big >> runs.log && head -c $BIG_SIZE /dev/urandom > {out}" \
    '    outputs: [data/big.bin]'
}

case_start "a 300 MiB output goes up as blocks (Shared Key from the environment)"
use_key luisy-big
big_machine A
BIG_A="$WORKSPACE"
run_luisy build --upload
assert_status 0
assert_ran Big
assert_matches LUISY_OUTPUT 'remote: .*1 results? uploaded'
[ "$(stat -c %s data/big.bin)" = "$BIG_SIZE" ] || fail "data/big.bin is not $BIG_SIZE bytes"
BIG_SUM="$(sha256sum <data/big.bin | cut -d' ' -f1)"
LUISY_COMMAND=""
blocks="$(committed_blocks luisy-big big "$BIG_SIZE")" || fail "cannot read the block list: $blocks"
read -r block_count block_sum uncommitted <<<"$blocks"
[ "$block_count" -ge 2 ] || fail "the 300 MiB blob has $block_count committed block(s), expected several"
[ "$block_sum" = "$BIG_SIZE" ] || fail "the committed blocks add up to $block_sum bytes, not $BIG_SIZE"
[ "$uncommitted" = 0 ] || fail "$uncommitted uncommitted blocks are left on the 300 MiB blob"
problems="$(remote_check luisy-big big 1)" || fail "remote inconsistent after the upload: $problems"

case_start "machine B downloads the 300 MiB output (small ranges) byte-identical, runs nothing"
big_machine B
BIG_B="$WORKSPACE"
export LUISY_AZURE_BLOCK_SIZE=4194304
run_luisy build --download
unset LUISY_AZURE_BLOCK_SIZE
assert_status 0
assert_ran
assert_matches LUISY_OUTPUT 'remote: 1 hits?, 0 misses, 0 errors'
[ "$(sha256sum <data/big.bin | cut -d' ' -f1)" = "$BIG_SUM" ] ||
  fail "data/big.bin on machine B differs from machine A's"
cmp -s data/big.bin "$BIG_A/data/big.bin" || fail "cmp: data/big.bin differs between A and B"
run_luisy build
assert_status 0
assert_ran
# Disk: the big files go now (the workspaces themselves go at exit).
rm -rf "$BIG_A/data" "$BIG_B/data" "$SHARED/cache-A" "$SHARED/cache-B"
cd "$SHARED" || exit 1

# ---------------------------------------------------------------------------------------
race_machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: race' \
    'tasks:' \
    '  Numbers:' \
    '    cmd: echo Numbers >> runs.log && seq 1 900000 > {out}' \
    '    outputs: [data/numbers.txt]' \
    '  Sum:' \
    '    requires: [Numbers]' \
    '    cmd: echo Sum >> runs.log && cksum < {in} > {out}' \
    '    outputs: [data/sum.txt]' \
    '  Part:' \
    '    requires: [Numbers]' \
    '    matrix: {digit: ["1", "2", "3"]}' \
    '    cmd: echo Part-{digit} >> runs.log && grep "^{digit}" {in} > {out}' \
    '    outputs: ["data/part_{digit}.txt"]'
}
RACE_TASKS=(Numbers Sum Part-1 Part-2 Part-3)
RACE_OUTPUTS=(data/numbers.txt data/sum.txt data/part_1.txt data/part_2.txt data/part_3.txt)

case_start "two workspaces build the same results"
clear_credentials
race_machine A
RACE_A="$WORKSPACE"
run_luisy build
assert_status 0
assert_ran "${RACE_TASKS[@]}"
[ "$(stat -c %s data/numbers.txt)" -gt $((5 << 20)) ] || fail "data/numbers.txt is not over 5 MiB"
race_machine B
RACE_B="$WORKSPACE"
run_luisy build
assert_status 0
assert_ran "${RACE_TASKS[@]}"
for out in "${RACE_OUTPUTS[@]}"; do
  cmp -s "$RACE_A/$out" "$RACE_B/$out" || fail "$out differs between A and B (not deterministic)"
done

# Each round pushes to a fresh container; small blocks so that the 6 MiB file goes up as
# blocks of one blob from both machines at once.
for round in 1 2 3; do
  container="luisy-race-$round"
  case_start "round $round: both workspaces push to $container at the same moment"
  use_key "$container"
  export LUISY_AZURE_BLOCK_SIZE=262144
  cd "$RACE_A" || exit 1
  export LUISY_CACHE_DIR="$SHARED/cache-A"
  start_luisy_bg "push-A-$round" push --remote "azure://$ACCOUNT/$container"
  pid_a=$BG_PID
  cd "$RACE_B" || exit 1
  export LUISY_CACHE_DIR="$SHARED/cache-B"
  start_luisy_bg "push-B-$round" push --remote "azure://$ACCOUNT/$container"
  pid_b=$BG_PID
  unset LUISY_AZURE_BLOCK_SIZE
  cd "$RACE_A" || exit 1
  wait_bg "$pid_a" "push-A-$round"
  assert_status 0
  assert_ran
  cd "$RACE_B" || exit 1
  wait_bg "$pid_b" "push-B-$round"
  assert_status 0
  assert_ran
  LUISY_COMMAND=""

  case_start "round $round: the remote is consistent and a third machine downloads it all"
  problems="$(remote_check "$container" race 5)" || fail "remote inconsistent after the race: $problems"
  race_machine "C$round"
  # Numbers named too: an intermediate output is not fetched unless asked for.
  run_luisy build Numbers Sum Part --download --remote "azure://$ACCOUNT/$container"
  assert_status 0
  assert_ran
  assert_matches LUISY_OUTPUT 'remote: 5 hits, 0 misses, 0 errors'
  for out in "${RACE_OUTPUTS[@]}"; do
    cmp -s "$RACE_A/$out" "$out" || fail "$out downloaded from $container differs from A's"
  done
  run_luisy status --remote "azure://$ACCOUNT/$container"
  assert_status 0
  [ "$(grep -c '\[remote: yes\]' <<<"$LUISY_STDOUT")" = 5 ] ||
    fail "status --remote does not say yes for all 5 instances"
done

# ---------------------------------------------------------------------------------------
# A container that exists and holds results, so that only the SAS can be the problem.
case_start "a bad SAS: setup"
use_key luisy-sas
race_machine S
run_luisy build --upload
assert_status 0
assert_ran "${RACE_TASKS[@]}"

bad_sas_case() {
  local token="$1" sig
  sig="${token##*sig=}"
  use_sas luisy-sas "$token"
  race_machine "$2"
  run_luisy build --download
  assert_status 2
  assert_ran
  assert_file_absent data/numbers.txt
  assert_contains LUISY_STDERR "$ACCOUNT"
  assert_contains LUISY_STDERR "luisy-sas"
  assert_not_contains LUISY_OUTPUT "$sig"
  assert_not_contains LUISY_OUTPUT "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$sig")"
  assert_not_contains LUISY_OUTPUT "sig="
}

case_start "a SAS with one character of its signature changed: exit 2, no token shown"
GOOD_SAS="$(make_sas rwdlac)"
TAMPERED_SAS="$(make_sas rwdlac 2030-01-01T00:00:00Z tamper)"
[ "$GOOD_SAS" != "$TAMPERED_SAS" ] || fail "the tampered SAS equals the good one"
[ "${GOOD_SAS%%sig=*}" = "${TAMPERED_SAS%%sig=*}" ] || fail "the tampered SAS differs outside sig"
bad_sas_case "$TAMPERED_SAS" T

case_start "an expired SAS: exit 2, no token shown"
bad_sas_case "$(make_sas rwdlac 2020-01-01T00:00:00Z)" X

case_start "the good SAS still downloads (the failures above were the SAS's)"
use_sas luisy-sas "$GOOD_SAS"
race_machine G
run_luisy build Numbers --download
assert_status 0
assert_ran
cmp -s "$RACE_A/data/numbers.txt" data/numbers.txt || fail "data/numbers.txt differs from A's"

echo "${TEST_NAME}: ok"
