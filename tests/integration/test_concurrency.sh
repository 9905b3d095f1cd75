#!/usr/bin/env bash
# Several luisy processes at once, nothing lost or corrupted:
#   - two workspaces (two clones of one pipeline) building with --download --upload against
#     one directory remote, started at the same instant, round after round;
#   - builds of overlapping targets, status, explain, graph and push started at once on one
#     workspace (test_lock.sh covers the wait itself), and clean racing two builds;
#   - `luisy cache trim --max-size` run over and over while builds fill, restore from,
#     download into and upload from the local store, and at every point of a push.
# After each: every luisy exited 0, the outputs equal a clean reference build's, the local
# stores and the remote pass audit_store and `luisy verify --remote`, and the next build is a
# no-op.
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-5}"
export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
STORE="$REMOTE/conc"
mkdir -p "$REMOTE"

machine() {
  make_workspace
  write_fanout_pipeline conc
}
machine
REF="$WORKSPACE"
machine
A="$WORKSPACE"
machine
B="$WORKSPACE"
machine
C="$WORKSPACE"
machine
D="$WORKSPACE"

# set_round DIR... : every workspace builds the round's content.
set_round() {
  local dir
  for dir in "$@" "$REF"; do printf 'conc round %s\n' "$ROUND" >"$dir/seed.src"; done
  cd "$REF" || exit 1
  LUISY_LOCAL_CACHE=off run_luisy build
  assert_status 0
  rm -f runs.log
}

# outputs_ok DIR [PARTIAL]: DIR's outputs equal the reference's (PARTIAL: the targets are
# there, anything else there is right: a --download build fetches only its targets).
outputs_ok() {
  if [ -n "${2:-}" ]; then
    subset_tree "$REF/data" "$1/data"
    same_tree "$REF/data/tree" "$1/data/tree"
    cmp -s "$REF/data/sum.txt" "$1/data/sum.txt" || fail "$1/data/sum.txt differs from the reference"
  else
    same_tree "$REF/data" "$1/data"
  fi
}

# noop_build DIR CACHE ARGS...: the next build in DIR runs nothing and rewrites nothing.
# verify_clean DIR CACHE: luisy's own audit of the workspace, its store and the remote agrees.
verify_clean() {
  cd "$1" || exit 1
  LUISY_CACHE_DIR="$2" run_luisy verify --remote "$REMOTE"
  assert_status 0
}

noop_build() {
  local dir="$1" cache="$2" snapshot
  shift 2
  cd "$dir" || exit 1
  rm -f runs.log
  snapshot="$(tree_snapshot "$dir")"
  LUISY_CACHE_DIR="$cache" run_luisy build "$@"
  assert_status 0
  assert_ran
  [ "$(tree_snapshot "$dir")" = "$snapshot" ] || fail "the no-op build in $dir rewrote files"
}

# start_at_once NAME:DIR:CACHE:ARGS... : starts every luisy stopped, then lets all of them go
# with one kill; sets STARTED to "PID:NAME" entries.
start_at_once() {
  local spec name dir cache pids=()
  STARTED=()
  for spec in "$@"; do
    IFS=: read -r name dir cache args <<<"$spec"
    cd "$dir" || exit 1
    # shellcheck disable=SC2086  # ARGS are words
    LUISY_CACHE_DIR="$cache" start_luisy_stopped "$name" $args
    pids+=("$BG_PID")
    STARTED+=("$BG_PID:$name")
  done
  local pid
  for pid in "${pids[@]}"; do
    wait_until 10 stopped "$pid" || fail "luisy $pid never stopped itself"
  done
  kill -CONT "${pids[@]}"
}
stopped() { _lib_read_stat "$1" && [ "${_STAT[0]}" = T ]; }

# wait_all EXPECTED-STATUS: every luisy of start_at_once ended with that status.
wait_all() {
  local entry
  for entry in "${STARTED[@]}"; do
    wait_bg "${entry%%:*}" "${entry#*:}"
    assert_status "$1"
  done
}

runs=0

for ROUND in $(seq 1 "$ROUNDS"); do
  case_start "round $ROUND: two workspaces build --download --upload at once, one remote"
  set_round "$A" "$B"
  start_at_once "a$ROUND:$A:$SHARED/cache-a:build -j 2 --download --upload --remote $REMOTE" \
    "b$ROUND:$B:$SHARED/cache-b:build -j 2 --download --upload --remote $REMOTE"
  wait_all 0
  runs=$((runs + 2))
  outputs_ok "$A" partial
  outputs_ok "$B" partial
  audit_store "$STORE"
  audit_store "$SHARED/cache-a" local
  audit_store "$SHARED/cache-b" local
  verify_clean "$A" "$SHARED/cache-a"
  verify_clean "$B" "$SHARED/cache-b"
  noop_build "$A" "$SHARED/cache-a" --download --upload --remote "$REMOTE"
  noop_build "$B" "$SHARED/cache-b" --download --upload --remote "$REMOTE"
  # A third workspace with an empty store gets everything from the remote without running.
  rm -rf "$D/data" "$D/.luisy" "$SHARED/cache-d"
  printf 'conc round %s\n' "$ROUND" >"$D/seed.src"
  cd "$D" || exit 1
  LUISY_CACHE_DIR="$SHARED/cache-d" run_luisy build --download --remote "$REMOTE"
  assert_status 0
  assert_ran
  outputs_ok "$D" partial
  noop_build "$D" "$SHARED/cache-d" --download --remote "$REMOTE"
done

for ROUND in $(seq 1 "$ROUNDS"); do
  case_start "round $ROUND: three builds, status, explain, graph and push at once on one workspace"
  set_round "$C"
  rm -f "$C/runs.log"
  start_at_once "sum$ROUND:$C:$SHARED/cache-c:build Sum -j 2" \
    "tree$ROUND:$C:$SHARED/cache-c:build Tree -j 2" \
    "all$ROUND:$C:$SHARED/cache-c:build -j 2 --upload --remote $REMOTE" \
    "status$ROUND:$C:$SHARED/cache-c:status" \
    "json$ROUND:$C:$SHARED/cache-c:status --format json" \
    "explain$ROUND:$C:$SHARED/cache-c:explain Sum" \
    "graph$ROUND:$C:$SHARED/cache-c:graph --format dot" \
    "push$ROUND:$C:$SHARED/cache-c:push --remote $REMOTE"
  wait_all 0
  runs=$((runs + 8))
  # The builds took turns: every task ran exactly once.
  cd "$C" || exit 1
  assert_ran Gen0 Gen1 Gen2 Gen3 Gen4 Gen5 Gen6 Gen7 Mid0 Mid1 Mid2 Mid3 Mid4 Mid5 Mid6 Mid7 Sum Tree
  outputs_ok "$C"
  audit_store "$SHARED/cache-c" local
  audit_store "$STORE"
  noop_build "$C" "$SHARED/cache-c"
done

case_start "clean racing two builds on one workspace: the end state is consistent"
for ROUND in $(seq 1 "$ROUNDS"); do
  start_at_once "b1-$ROUND:$C:$SHARED/cache-c:build -j 2" \
    "clean$ROUND:$C:$SHARED/cache-c:clean" \
    "b2-$ROUND:$C:$SHARED/cache-c:build Sum -j 2"
  wait_all 0
  runs=$((runs + 3))
  cd "$C" || exit 1
  LUISY_CACHE_DIR="$SHARED/cache-c" run_luisy build -j 2
  assert_status 0
  outputs_ok "$C"
  noop_build "$C" "$SHARED/cache-c"
done

# trimmer: `luisy cache trim --max-size 40K` on STORE over and over until the file `stop`
# exists; counts the trims in trims, failures in trim-failures.
trimmer() {
  local store="$1" n=0
  while [ ! -e "$SHARED/stop" ]; do
    LUISY_CACHE_DIR="$store" "$LUISY" cache trim --max-size 40K >/dev/null 2>>"$SHARED/trim-failures" ||
      echo "trim failed" >>"$SHARED/trim-failures"
    n=$((n + 1))
    echo "$n" >"$SHARED/trims"
  done
}
trims_done() { [ -s "$SHARED/trims" ] && [ "$(cat "$SHARED/trims")" -ge "$1" ]; }

TRIMMED="$SHARED/cache-trimmed"  # one store for C and D, trimmed all along
rm -f "$SHARED/stop" "$SHARED/trims" "$SHARED/trim-failures"
trimmer "$TRIMMED" &
TRIMMER_PID=$!
kill_at_exit "$TRIMMER_PID"
wait_until 20 trims_done 1 || fail "the trimmer never trimmed"
for ROUND in $(seq 1 "$ROUNDS"); do
  case_start "round $ROUND: cache trim over and over during builds that use the local store"
  set_round "$C" "$D"
  # C builds and uploads while its results are being evicted from the store.
  cd "$C" || exit 1
  LUISY_CACHE_DIR="$TRIMMED" run_luisy build -j 2 --upload --remote "$REMOTE"
  assert_status 0
  outputs_ok "$C"
  # Its outputs deleted: restored from the store (what trim left of it) or run again.
  rm -rf "$C/data"
  LUISY_CACHE_DIR="$TRIMMED" run_luisy build -j 2
  assert_status 0
  outputs_ok "$C"
  # D downloads through the same store while it is trimmed.
  rm -rf "$D/data" "$D/.luisy"
  cd "$D" || exit 1
  LUISY_CACHE_DIR="$TRIMMED" run_luisy build -j 2 --download --remote "$REMOTE"
  assert_status 0
  assert_ran
  outputs_ok "$D" partial
  runs=$((runs + 3))
  audit_store "$STORE"
done
touch "$SHARED/stop"
wait_until 30 pid_gone "$TRIMMER_PID" || fail "the trimmer did not stop"
[ ! -s "$SHARED/trim-failures" ] || fail "cache trim failed: $(cat "$SHARED/trim-failures")"
trims="$(cat "$SHARED/trims")"
audit_store "$TRIMMED" local
noop_build "$C" "$TRIMMED"
noop_build "$D" "$TRIMMED" --download --remote "$REMOTE"

case_start "cache trim at every point of a push: every result still reaches the remote"
# (A blob evicted between the check of the local store and its upload once failed the push
# with exit 3; it is now sent from the workspace file.) One trim --max-size 0 per push, after
# slice K of the push, for K across the whole push.
cd "$C" || exit 1
export LUISY_CACHE_DIR="$SHARED/cache-points"
points=0
k=1
total=1000000
while [ "$k" -le "$total" ]; do
  rm -rf "$SHARED/remote-points" "$LUISY_CACHE_DIR"
  printf 'trim points %s\n' "$k" >seed.src
  run_luisy build -j 2
  assert_status 0
  start_luisy_stopped "push$k" push --remote "$SHARED/remote-points"
  pid="$BG_PID"
  run_in_slices "$pid" "$k" "$LUISY" cache trim --max-size 0
  wait_bg "$pid" "push$k"
  assert_status 0
  [ "$(find "$SHARED/remote-points/conc/ac" -type f | wc -l)" = 18 ] || fail "the push after a trim at slice $k left records out"
  audit_store "$SHARED/remote-points/conc"
  [ "$total" = 1000000 ] && total="$SLICES"  # the first push tells how long a push is
  points=$((points + 1))
  runs=$((runs + 1))
  k=$((k + (total + 29) / 30))
done
rm -f runs.log
echo "  trimmed at $points points of a push of $total slices"

echo "${TEST_NAME}: $runs concurrent luisy runs, $trims trims during builds; outputs all correct, stores consistent, data lost: 0"
echo "${TEST_NAME}: ok"
