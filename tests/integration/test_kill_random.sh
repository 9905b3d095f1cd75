#!/usr/bin/env bash
# kill -9 of luisy at random points of a build, an upload and a download: KILLS (40) against
# a directory remote and AZURE_KILLS (12) against Azure Blob Storage (a local Azurite), seeded
# by SEED, printed so that a failure can be replayed with the same SEED. After each kill the
# next build must exit 0, leave every output equal to that of a clean reference build
# (nothing else in the output folder either), leave the local store and the remote
# consistent (audit_store / audit_azure: every record names blobs that exist and re-hash to
# their digests), and the build after it must be a no-op.
#
# The kill point is chosen by progress, not by time: luisy starts stopped and runs in slices
# of at most 0.5 ms (kill9_at_progress) while the test counts tasks started (runs.log), files
# in the remote (upload) or files restored (download); at a random count, plus a random
# number of slices, it gets SIGKILL. test_kill9.sh covers the targeted case of a task killed
# mid-write; this one covers the spaces between: the log append, the local store, blob and
# record uploads, downloads and placements.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/azurite.sh"

SEED="${SEED:-20261130}"
KILLS="${KILLS:-40}"              # against a directory remote
AZURE_KILLS="${AZURE_KILLS:-12}"  # against Azurite (0: none)
echo "${TEST_NAME}: SEED=$SEED KILLS=$KILLS AZURE_KILLS=$AZURE_KILLS (rerun with SEED=$SEED to replay)"
RANDOM="$SEED"  # bash's generator: the phases and targets below follow from SEED

export LUISY_LOCAL_CACHE=on
make_workspace
SHARED="$WORKSPACE"
REMOTE="$SHARED/remote"
mkdir -p "$REMOTE"
STORE="$REMOTE/kills"  # the directory remote's folder for project `kills`

# (write_fanout_pipeline: 18 instances, see lib.sh)
INSTANCES=18

# machine NAME: a workspace with the pipeline and its own local store.
machine() {
  make_workspace
  write_fanout_pipeline kills
  printf '%s\n' "$WORKSPACE" >"$SHARED/ws-$1"
  printf '%s\n' "$SHARED/cache-$1" >"$SHARED/cache-path-$1"
}
machine ref
REF="$WORKSPACE"
machine a
A="$WORKSPACE"
machine b
B="$WORKSPACE"

# in_machine DIR CACHE: cd there and use that local store.
in_machine() {
  cd "$1" || exit 1
  export LUISY_CACHE_DIR="$2"
}

# reference ROUND: a clean build (no stores) of the round's pipeline, into REF.
reference() {
  in_machine "$REF" "$SHARED/cache-ref"
  printf 'round %s\n' "$1" >seed.src
  LUISY_LOCAL_CACHE=off run_luisy build
  assert_status 0
  rm -f runs.log
}

# check_machine DIR CACHE [DOWNLOAD]: outputs equal the reference (with DOWNLOAD: the
# targets are there and whatever else is there equals the reference, as only the targets are
# fetched), the local store and the remote pass the audit, and a further build runs nothing
# and rewrites nothing.
check_machine() {
  in_machine "$1" "$2"
  if [ -n "${3:-}" ]; then
    subset_tree "$REF/data" "$1/data"
    same_tree "$REF/data/tree" "$1/data/tree"
    cmp -s "$REF/data/sum.txt" "$1/data/sum.txt" || fail "data/sum.txt differs from the reference"
  else
    same_tree "$REF/data" "$1/data"
  fi
  # luisy's own audit must agree; the audits below stay as the independent check.
  run_luisy verify "${REMOTE_ARGS[@]}"
  assert_status 0
  audit_store "$2" local
  audit_remote
  local snapshot
  snapshot="$(tree_snapshot "$1")"
  if [ -n "${3:-}" ]; then run_luisy build --download "${REMOTE_ARGS[@]}"; else run_luisy build; fi
  assert_status 0
  assert_ran
  assert_contains LUISY_STDOUT "no work to do"
  [ "$(tree_snapshot "$1")" = "$snapshot" ] || fail "the no-op build rewrote files"
}

count_files() { find "$1" -type f ! -name '*.tmp.*' 2>/dev/null | wc -l; }

# remote_holds_all: status --remote says yes for every instance.
remote_holds_all() {
  run_luisy status "${REMOTE_ARGS[@]}"
  assert_status 0
  [ "$(grep -c '\[remote: yes\]' <<<"$LUISY_STDOUT")" = "$INSTANCES" ] ||
    fail "the remote does not hold every result of this round"
}

# After kill9_at_progress and wait_bg: a killed luisy died of SIGKILL, one that ended first
# succeeded.
check_kill_status() {
  case "$KILL_RESULT" in
    killed*) [ "$LUISY_STATUS" = 137 ] || fail "luisy was not killed by SIGKILL (status $LUISY_STATUS)" ;;
    *) assert_status 0 ;;
  esac
}

# audit_remote: audit_store or audit_azure of the remote in use.
audit_remote() {
  if [ "$BACKEND" = dir ]; then audit_store "$STORE"; else audit_azure "$AZURITE_ENDPOINT" kills kills "$LIST_SAS"; fi
}

kills=0
finished=0
round=0
declare -A killed_in=([dir-build]=0 [dir-upload]=0 [dir-download]=0 [azure-build]=0 [azure-upload]=0 [azure-download]=0)

# kill_rounds COUNT: rounds against the remote of BACKEND until COUNT kills landed there.
kill_rounds() {
  local want="$1" landed=0 max_rounds=$((round + 2 * $1)) round0="$round" phase target pid extra specs
  local phase_names=(build upload download)
  while [ "$landed" -lt "$want" ] && [ "$round" -lt "$max_rounds" ]; do
    round=$((round + 1))
    # In turn (a phase whose kill did not land is tried again); the points are random.
    phase="${phase_names[$(((round0 + landed) % 3))]}"
    reference "$round"
    extra=4
    case "$phase" in
      build)
        # A build (with --upload: the kill may land in the upload that follows it) killed
        # after TARGET tasks started.
        case_start "round $round ($BACKEND): kill -9 during a build"
        in_machine "$A" "$SHARED/cache-a"
        printf 'round %s\n' "$round" >seed.src
        target=$((RANDOM % INSTANCES))
        start_luisy_stopped "r$round" build -j 2 --upload "${REMOTE_ARGS[@]}"
        pid="$BG_PID"
        kill9_at_progress "$pid" "$SEED-$round" "$target" "$extra" "lines:$A/runs.log"
        wait_bg "$pid" "r$round"
        check_kill_status
        rm -f runs.log
        run_luisy build -j 2 --upload "${REMOTE_ARGS[@]}"
        assert_status 0
        rm -f runs.log
        remote_holds_all
        check_machine "$A" "$SHARED/cache-a"
        ;;
      upload)
        # A complete build, then a push killed after TARGET files reached the remote (a
        # directory remote), or after a random number of slices of the push (Azure: there is
        # no cheap count of what arrived).
        case_start "round $round ($BACKEND): kill -9 during an upload"
        in_machine "$A" "$SHARED/cache-a"
        printf 'round %s\n' "$round" >seed.src
        run_luisy build -j 2
        assert_status 0
        rm -f runs.log
        if [ "$BACKEND" = dir ]; then
          # (18 records and 16 new blobs: the index of Tree is the same every round; the
          # count starts at what the remote holds)
          target=$(($(count_files "$STORE") + RANDOM % 30))
          specs=("files:$STORE")
        else
          target=0
          extra=$((PUSH_SLICES * 3 / 4))
          specs=()
        fi
        start_luisy_stopped "r$round" push "${REMOTE_ARGS[@]}"
        pid="$BG_PID"
        kill9_at_progress "$pid" "$SEED-$round" "$target" "$extra" "${specs[@]+"${specs[@]}"}"
        wait_bg "$pid" "r$round"
        check_kill_status
        run_luisy push "${REMOTE_ARGS[@]}"
        assert_status 0
        assert_ran
        remote_holds_all
        check_machine "$A" "$SHARED/cache-a"
        ;;
      download)
        # A uploads the round; B (whose local store and workspace outputs are wiped)
        # downloads it, killed after TARGET files were restored or stored; the next download
        # must run nothing: everything it needs is in the remote.
        case_start "round $round ($BACKEND): kill -9 during a download"
        in_machine "$A" "$SHARED/cache-a"
        printf 'round %s\n' "$round" >seed.src
        run_luisy build -j 2 --upload "${REMOTE_ARGS[@]}"
        assert_status 0
        rm -f runs.log
        in_machine "$B" "$SHARED/cache-b"
        rm -rf "$B/data" "$B/.luisy" "$SHARED/cache-b"
        printf 'round %s\n' "$round" >seed.src
        # (10 outputs to place and 10 blobs to fetch into the local store)
        target=$((RANDOM % 19))
        start_luisy_stopped "r$round" build -j 2 --download "${REMOTE_ARGS[@]}"
        pid="$BG_PID"
        kill9_at_progress "$pid" "$SEED-$round" "$target" "$extra" "files:$B/data" "files:$SHARED/cache-b/cas"
        wait_bg "$pid" "r$round"
        check_kill_status
        run_luisy build -j 2 --download "${REMOTE_ARGS[@]}"
        assert_status 0
        assert_ran
        check_machine "$B" "$SHARED/cache-b" download
        ;;
    esac
    local outcome at slices
    read -r outcome at slices <<<"$KILL_RESULT"
    if [ "$outcome" = killed ]; then
      kills=$((kills + 1))
      landed=$((landed + 1))
      killed_in[$BACKEND-$phase]=$((killed_in[$BACKEND-$phase] + 1))
      echo "  killed at progress $at (target $target) after $slices slices; audit of the remote: $AUDIT_SUMMARY"
    else
      finished=$((finished + 1))
      echo "  luisy finished before the kill point (progress $at, target $target)"
    fi
  done
  [ "$landed" -ge "$want" ] || fail "only $landed kills landed against the $BACKEND remote"
}

BACKEND=dir
REMOTE_ARGS=(--remote "$REMOTE")
kill_rounds "$KILLS"

if [ "$AZURE_KILLS" -gt 0 ]; then
  # The same against Azure Blob Storage (a local Azurite), with Shared Key credentials.
  azurite_test_setup
  export LUISY_AZURE_ACCOUNT_NAME="$ACCOUNT" LUISY_AZURE_STORAGE_KEY="$KEY" LUISY_AZURE_ENDPOINT="$AZURITE_ENDPOINT"
  LIST_SAS="$(python3 - "$ACCOUNT" "$KEY" <<'PYEOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key = sys.argv[1], sys.argv[2]
sv, ss, srt, sp, se, spr = "2021-08-06", "b", "sco", "rl", "2030-01-01T00:00:00Z", "https,http"
to_sign = "".join(f + "\n" for f in [account, sp, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
print(f"sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={se}&spr={spr}&sig={urllib.parse.quote(sig, safe='')}")
PYEOF
)"
  BACKEND=azure
  REMOTE_ARGS=(--remote "azure://$ACCOUNT/kills")
  # How many slices a whole push takes: the upload kills land in the first three quarters.
  case_start "Azure: calibrating the length of a push"
  in_machine "$A" "$SHARED/cache-a"
  printf 'calibration\n' >seed.src
  run_luisy build -j 2
  assert_status 0
  start_luisy_stopped calibration push "${REMOTE_ARGS[@]}"
  kill9_at_progress "$BG_PID" "$SEED-calibration" 1000000000 0
  wait_bg "$BG_PID" calibration
  assert_status 0
  read -r _ _ PUSH_SLICES <<<"$KILL_RESULT"
  echo "  a push of $INSTANCES results takes $PUSH_SLICES slices"
  kill_rounds "$AZURE_KILLS"
fi

summary="$(for k in "${!killed_in[@]}"; do echo "$k ${killed_in[$k]}"; done | LC_ALL=C sort | paste -sd, | sed 's/,/, /g')"
for k in "${!killed_in[@]}"; do
  case "$k" in azure-*) [ "$AZURE_KILLS" -gt 0 ] || continue ;; esac
  [ "${killed_in[$k]}" -gt 0 ] || fail "no kill landed in $k ($summary)"
done
echo "${TEST_NAME}: SEED=$SEED: $kills kills survived ($summary), $finished runs ended before their kill point, $round rounds; data lost: 0"
echo "${TEST_NAME}: ok"
