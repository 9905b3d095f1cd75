# shellcheck shell=bash disable=SC2034
# (SC2034: LUISY_OUTPUT and friends are read by the tests that source this file.)
# Helpers for the integration tests: source this file from a test_*.sh script.
#
# CTest runs every test as `bash tests/integration/test_X.sh` with
#   LUISY             absolute path of the luisy binary
#   LUISY_SOURCE_DIR  the repository root
#
# Tests learn which tasks ran from side effects, not from luisy's messages: the commands
# of the test pipelines append their own name to runs.log in the workspace
# (`cmd: echo A >> runs.log && cp {in} {out}`), and assert_ran compares that log.
#
# Waiting is always a bounded poll of a condition (wait_until), never a fixed sleep.

set -u
set -o pipefail

if [ -z "${LUISY:-}" ] || [ ! -x "${LUISY}" ]; then
  echo "LUISY must be the absolute path of the luisy binary (got '${LUISY:-}')" >&2
  exit 1
fi
if [ -z "${LUISY_SOURCE_DIR:-}" ] || [ ! -d "${LUISY_SOURCE_DIR}" ]; then
  echo "LUISY_SOURCE_DIR must be the repository root (got '${LUISY_SOURCE_DIR:-}')" >&2
  exit 1
fi

TEST_NAME="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"
TEST_CASE=""
# Longest time a single luisy invocation may take before the test calls it hung.
LUISY_TIMEOUT="${LUISY_TIMEOUT:-120}"

# Captured output lives outside the workspaces so it never feeds a glob of a pipeline.
_LIB_CAPTURE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/luisy-capture.XXXXXX")"
_LIB_WORKSPACES=()

# Isolation from the machine running the tests:
# - the local result cache is private to this test (never the user's ~/.cache) and off, so
#   a task with a known key runs instead of being restored: the tests see what ran through
#   runs.log. (Tests of the cache itself turn it back on: LUISY_LOCAL_CACHE=on.)
# - no remote, and no make jobserver inherited from a `make check` that started ctest.
export LUISY_CACHE_DIR="$_LIB_CAPTURE_DIR/cache"
export LUISY_LOCAL_CACHE=off
for _lib_var in $(compgen -e); do
  case "$_lib_var" in
    LUISY_AZURE_* | LUISY_REMOTE | AZURE_STORAGE_CONNECTION_STRING | MAKEFLAGS | MFLAGS) unset "$_lib_var" ;;
  esac
done
unset _lib_var
_LIB_PIDS=()
_LIB_LAST_BG=""  # the latest background luisy of the current case (for fail)
LUISY_STATUS=""
LUISY_STDOUT=""
LUISY_STDERR=""
LUISY_OUTPUT=""
LUISY_COMMAND=""
WORKSPACE=""

_lib_cleanup() {
  exec 2>/dev/null  # no "Killed" notices from bash for the processes ended here
  local entry
  for entry in "${_LIB_PIDS[@]+"${_LIB_PIDS[@]}"}"; do
    if _lib_read_stat "${entry%%:*}" && [ "${_STAT[19]}" = "${entry#*:}" ]; then
      kill -KILL "${entry%%:*}" 2>/dev/null
    fi
  done
  cd / || true
  local dir
  for dir in "${_LIB_WORKSPACES[@]+"${_LIB_WORKSPACES[@]}"}"; do
    chmod -R u+w "$dir" 2>/dev/null
    rm -rf "$dir"
  done
  rm -rf "$_LIB_CAPTURE_DIR"
}
trap _lib_cleanup EXIT

# Names the case that follows in failure messages.
case_start() {
  TEST_CASE="$1"
  LUISY_COMMAND=""
  _LIB_LAST_BG=""
  echo "--- ${TEST_NAME}: $1"
}

# Creates an empty directory under ${TMPDIR:-/tmp}, cds into it and sets WORKSPACE.
# It is removed when the test exits.
make_workspace() {
  WORKSPACE="$(mktemp -d "${TMPDIR:-/tmp}/luisy-itest.XXXXXX")" || { echo "mktemp failed" >&2; exit 1; }
  _LIB_WORKSPACES+=("$WORKSPACE")
  cd "$WORKSPACE" || exit 1
}

# Prints the test name, case, message and what the last luisy run captured; exits 1.
fail() {
  {
    echo "FAIL: ${TEST_NAME}${TEST_CASE:+ [${TEST_CASE}]}: $*"
    if [ -n "$LUISY_COMMAND" ]; then
      echo "  last command: luisy ${LUISY_COMMAND} (in ${PWD})"
      echo "  exit status:  ${LUISY_STATUS}"
      echo "  ---- stdout ----"
      printf '%s\n' "$LUISY_STDOUT" | sed 's/^/  | /'
      echo "  ---- stderr ----"
      printf '%s\n' "$LUISY_STDERR" | sed 's/^/  | /'
    elif [ -n "$_LIB_LAST_BG" ]; then
      echo "  background luisy '$_LIB_LAST_BG': ${_LIB_LAST_BG_ARGS}"
      echo "  ---- stdout so far ----"
      sed 's/^/  | /' "$_LIB_CAPTURE_DIR/$_LIB_LAST_BG.stdout"
      echo "  ---- stderr so far ----"
      sed 's/^/  | /' "$_LIB_CAPTURE_DIR/$_LIB_LAST_BG.stderr"
    fi
    if [ -f runs.log ]; then
      echo "  ---- runs.log ----"
      sed 's/^/  | /' runs.log
    fi
  } >&2
  exit 1
}

# Runs "$LUISY" ARGS... with stdin from /dev/null; sets LUISY_STATUS, LUISY_STDOUT,
# LUISY_STDERR and LUISY_OUTPUT (both).
# A run longer than $LUISY_TIMEOUT seconds is killed and reported as a hang.
run_luisy() {
  LUISY_COMMAND="$*"
  timeout -k 5 "$LUISY_TIMEOUT" "$LUISY" "$@" \
    >"$_LIB_CAPTURE_DIR/stdout" 2>"$_LIB_CAPTURE_DIR/stderr" </dev/null
  LUISY_STATUS=$?
  LUISY_STDOUT="$(cat "$_LIB_CAPTURE_DIR/stdout")"
  LUISY_STDERR="$(cat "$_LIB_CAPTURE_DIR/stderr")"
  LUISY_OUTPUT="${LUISY_STDOUT}"$'\n'"${LUISY_STDERR}"
  if [ "$LUISY_STATUS" = 124 ] || [ "$LUISY_STATUS" = 137 ]; then
    fail "luisy did not finish within ${LUISY_TIMEOUT}s"
  fi
  return 0
}

assert_status() {
  [ "$LUISY_STATUS" = "$1" ] || fail "expected exit status $1, got $LUISY_STATUS"
}

# The text of a FILE, or else of the variable named so (LUISY_STDOUT, LUISY_OUTPUT...).
_lib_text_of() {
  if [ -f "$1" ]; then
    cat "$1"
  elif [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && [ -n "${!1+set}" ]; then
    printf '%s' "${!1}"
  else
    fail "no file or variable named '$1'"
  fi
}

# assert_contains FILE-or-VAR TEXT: TEXT (fixed string) occurs in it.
assert_contains() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  grep -qF -- "$2" <<<"$text" || fail "'$1' does not contain '$2'"
}

assert_not_contains() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  if grep -qF -- "$2" <<<"$text"; then fail "'$1' contains '$2'"; fi
}

# assert_matches FILE-or-VAR REGEX (extended regular expression).
assert_matches() {
  local text
  text="$(_lib_text_of "$1")" || exit 1
  grep -qE -- "$2" <<<"$text" || fail "'$1' does not match /$2/"
}

# assert_file_equals FILE TEXT: the file holds exactly TEXT (a trailing newline in the
# file is ignored, as $(...) would).
assert_file_equals() {
  [ -f "$1" ] || fail "file '$1' does not exist"
  local got
  got="$(cat "$1")"
  [ "$got" = "$2" ] || fail "file '$1' holds '$got', expected '$2'"
}

assert_file_exists() { [ -e "$1" ] || fail "'$1' does not exist"; }
assert_file_absent() { [ ! -e "$1" ] || fail "'$1' exists but should not"; }

# assert_ran NAME...: runs.log holds exactly these names (in any order, with repeats);
# with no names, that nothing ran (runs.log absent or empty). Then clears runs.log so the
# next build starts from a clean log.
assert_ran() {
  local expected got
  expected="$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort)"
  got=""
  [ -f runs.log ] && got="$(LC_ALL=C sort runs.log)"
  [ "$got" = "$expected" ] ||
    fail "expected these tasks to run: [$(paste -sd, <<<"$expected")], but ran: [$(paste -sd, <<<"$got")]"
  rm -f runs.log
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.05 s until it succeeds; returns 1
# if it never did within SECONDS (of wall time, however slow COMMAND is).
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
  return 0
}

# The fields of /proc/PID/stat after the command name (state ppid pgrp ... ; the start
# time is the 20th), in the array _STAT; fails if there is no such process. No forks: the
# tests call this in polling loops.
_lib_read_stat() {
  local line
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -r -a _STAT <<<"${line##*) }"
}

# True while PID names a live process (a zombie counts as gone: in a container nobody
# may reap an orphan).
pid_alive() {
  _lib_read_stat "$1" || return 1
  [ "${_STAT[0]}" != Z ] && [ "${_STAT[0]}" != X ]
}
pid_gone() { ! pid_alive "$1"; }

# The pids of the live children of PID, one a line.
child_pids() {
  local stat pid
  for stat in /proc/[0-9]*/stat; do
    pid="${stat#/proc/}"
    pid="${pid%/stat}"
    _lib_read_stat "$pid" || continue
    if [ "${_STAT[1]}" = "$1" ] && [ "${_STAT[0]}" != Z ]; then echo "$pid"; fi
  done
  return 0
}

# Registers a process (e.g. an orphaned task command) to be killed at exit, if it still
# runs then: pid and start time are kept, so a recycled pid is never killed.
kill_at_exit() {
  _lib_read_stat "$1" || return 0
  _LIB_PIDS+=("$1:${_STAT[19]}")
}

# Bash makes background commands ignore SIGINT; env --default-signal (coreutils 8.31+)
# gives luisy, and so its children, the default back, as when started from a terminal.
if env --default-signal=INT true 2>/dev/null; then
  _LIB_BG_PREFIX=(env "--default-signal=INT,QUIT")
else
  _LIB_BG_PREFIX=()
fi

# Starts "$LUISY" ARGS... in the background, output to $_LIB_CAPTURE_DIR/NAME.{stdout,stderr};
# sets BG_PID. Killed at exit if still running.
start_luisy_bg() {
  local name="$1"
  shift
  "${_LIB_BG_PREFIX[@]+"${_LIB_BG_PREFIX[@]}"}" "$LUISY" "$@" >"$_LIB_CAPTURE_DIR/$name.stdout" 2>"$_LIB_CAPTURE_DIR/$name.stderr" </dev/null &
  BG_PID=$!
  kill_at_exit "$BG_PID"
  _LIB_LAST_BG="$name"
  _LIB_LAST_BG_ARGS="$*"
}
bg_stdout() { echo "$_LIB_CAPTURE_DIR/$1.stdout"; }
bg_stderr() { echo "$_LIB_CAPTURE_DIR/$1.stderr"; }

# wait_bg PID NAME: waits (bounded) for a background luisy to end; sets LUISY_STATUS and the
# captured output variables from its files.
wait_bg() {
  local pid="$1" name="$2"
  LUISY_COMMAND="(background $name)"
  # (stderr silenced: bash's "Killed" notice for a luisy killed on purpose lands here)
  if ! wait_until "$LUISY_TIMEOUT" pid_gone "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    fail "background luisy '$name' did not finish within ${LUISY_TIMEOUT}s"
  fi
  { wait "$pid"; } 2>/dev/null
  LUISY_STATUS=$?
  LUISY_STDOUT="$(cat "$_LIB_CAPTURE_DIR/$name.stdout")"
  LUISY_STDERR="$(cat "$_LIB_CAPTURE_DIR/$name.stderr")"
  LUISY_OUTPUT="${LUISY_STDOUT}"$'\n'"${LUISY_STDERR}"
}

# file_has_content FILE TEXT: FILE exists and holds exactly TEXT (for wait_until).
file_has_content() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
file_contains() { [ -f "$1" ] && grep -qF -- "$2" "$1"; }

# Snapshot of the files under DIR (path, size, mtime in ns), .luisy excluded: equal
# snapshots mean nothing was rewritten.
tree_snapshot() {
  (cd "$1" && find . -path ./.luisy -prune -o -type f -printf '%p %s %T@\n' | LC_ALL=C sort)
}

# Writes a file from the rest of the arguments joined by newlines (a trailing one added).
write_file() {
  local path="$1"
  shift
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$@" >"$path"
}

# remote_machine NAME [REPORT_HEADER]: a fresh workspace holding the three-stage pipeline the
# remote-cache suites share (Raw -> Clean -> Report with a matrix), with its own local store
# under $SHARED. Each command appends its name to runs.log.
remote_machine() {
  make_workspace
  export LUISY_CACHE_DIR="$SHARED/cache-$1"
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: shared' \
    'tasks:' \
    '  Raw:' \
    '    cmd: echo Raw >> runs.log && tr a-z A-Z < {in} > {out}' \
    '    inputs: [raw.src]' \
    '    outputs: [data/raw.txt]' \
    '  Clean:' \
    '    requires: [Raw]' \
    '    cmd: echo Clean >> runs.log && sed s/HELLO/CLEAN/ {in} > {out}' \
    '    outputs: [data/clean.txt]' \
    '  Report:' \
    '    requires: [Clean]' \
    '    matrix: {fmt: [short, long]}' \
    '    inputs: [report.src]' \
    '    cmd: echo Report-{fmt} >> runs.log && cat {in} > {out} && echo {fmt} >> {out}' \
    '    outputs: ["data/report_{fmt}.txt"]'
  write_file raw.src 'hello world'
  write_file report.src "${2:-header}"
}

# damage_inline STORE PATH: in the local store STORE, flips one byte of the inline content
# (format 2) of the workspace file PATH (relative to the current directory) in the record
# that carries it with the bytes PATH holds now, keeping its size; prints the record's path
# (nothing when no record carries PATH inline).
damage_inline() {
  python3 - "$1" "$2" <<'PYEOF'
import base64, json, os, sys
acdir = os.path.join(sys.argv[1], "ac")
for n in sorted(os.listdir(acdir)) if os.path.isdir(acdir) else []:
    path = os.path.join(acdir, n)
    if ".tmp." in n:
        continue
    with open(path) as f:
        rec = json.load(f)
    for entry in rec.get("files", []):
        if entry.get("path") != sys.argv[2] or "content" not in entry:
            continue
        data = bytearray(base64.b64decode(entry["content"]))
        with open(sys.argv[2], "rb") as f:
            if f.read() != bytes(data):
                continue
        data[0] ^= 0x20
        entry["content"] = base64.b64encode(bytes(data)).decode()
        os.chmod(path, 0o644)
        with open(path, "w") as f:
            json.dump(rec, f, indent=1)
        print(path)
        sys.exit(0)
PYEOF
}

# ---- Crash and concurrency helpers (test_kill_random, test_concurrency, test_disk_full) ----

# audit_store DIR [local]: the store under DIR (a directory remote's PREFIX folder, or with
# `local` a local store) is consistent: every record under ac/ parses, carries the key it is
# named by, and names blobs that exist under cas/ with the recorded size; every blob under
# cas/ re-hashes (XXH3-128, `xxhsum -H2`) to its name. In a local store a record may name
# blobs it lacks (records of remote results are kept without their files, and trim evicts
# blobs on their own): they are fetched or the task runs, so they are counted, not judged.
# Temporary files (NAME.tmp.PID.N) are counted too: a crash may leave them, trim removes
# them. A file a local record carries inline (format 2) must hash to its digest. Sets
# AUDIT_SUMMARY to "N records, N blobs, N temporary, N absent, N inline"; fails with the
# problems found. (This is the audit `luisy verify` will do; once it lands, call
# `luisy verify` here as well.)
audit_store() {
  local out
  out="$(python3 - "$1" "${2:-}" <<'PYEOF'
import base64, json, os, subprocess, sys
root, local = sys.argv[1], sys.argv[2] == "local"
absent = inline = 0
problems, blobs, temps = [], {}, 0
for sub in ("cas", "ac"):
    for dirpath, _, names in os.walk(os.path.join(root, sub)):
        for n in names:
            if ".tmp." in n:
                temps += 1
            elif sub == "cas":
                blobs[n] = os.path.join(dirpath, n)
# Every blob re-hashes to its name (one xxhsum for all of them, in batches).
paths = sorted(blobs.values())
for i in range(0, len(paths), 500):
    res = subprocess.run(["xxhsum", "-H2", *paths[i:i + 500]], capture_output=True, text=True)
    if res.returncode != 0:
        problems.append("xxhsum failed: " + res.stderr.strip())
    for line in res.stdout.splitlines():
        digest, _, path = line.partition("  ")
        if os.path.basename(path) != digest:
            problems.append("blob %s re-hashes to %s" % (path, digest))
        if os.path.basename(os.path.dirname(path)) != digest[:2]:
            problems.append("blob %s is in the wrong folder" % path)
records = 0
acdir = os.path.join(root, "ac")
for n in sorted(os.listdir(acdir)) if os.path.isdir(acdir) else []:
    if ".tmp." in n:
        continue
    records += 1
    try:
        with open(os.path.join(acdir, n)) as f:
            rec = json.load(f)
    except Exception as e:
        problems.append("record %s does not parse: %s" % (n, e))
        continue
    if rec.get("key") != n:
        problems.append("record %s carries key %s" % (n, rec.get("key")))
    files = rec.get("files", [])
    if not files:
        problems.append("record %s names no file" % n)
    for f in files:
        d = f.get("digest", "")
        if "content" in f:
            # Kept inside the record (a small file, local store only): its bytes hash to d.
            if not local:
                problems.append("record %s of a remote carries inline content" % n)
            data = base64.b64decode(f["content"])
            got = subprocess.run(["xxhsum", "-H2", "-"], input=data, capture_output=True).stdout.split()
            if len(data) != f.get("size") or not got or got[0].decode() != d:
                problems.append("record %s: inline content of %s does not match" % (n, f.get("path")))
            inline += 1
            continue
        if d not in blobs and local:
            absent += 1
        elif d not in blobs:
            problems.append("record %s names blob %s (%s), which is missing" % (n, d, f.get("path")))
        elif os.path.getsize(blobs[d]) != f.get("size"):
            problems.append("record %s: blob %s has size %d, recorded %s" % (n, d, os.path.getsize(blobs[d]), f.get("size")))
if problems:
    print("\n".join(problems[:20]))
    sys.exit(1)
print("%d records, %d blobs, %d temporary, %d absent, %d inline" % (records, len(blobs), temps, absent, inline))
PYEOF
)" || fail "the store $1 is inconsistent:"$'\n'"$out"
  AUDIT_SUMMARY="$out"
}

# same_tree EXPECTED_DIR ACTUAL_DIR: the two trees hold the same files with the same bytes
# (and nothing else: a stray temporary file counts as a difference).
same_tree() {
  local diff_out
  diff_out="$(diff -r "$1" "$2" 2>&1)" || fail "$2 differs from the reference $1:"$'\n'"$(head -20 <<<"$diff_out")"
}

# start_luisy_stopped NAME ARGS...: like start_luisy_bg, but luisy starts stopped (SIGSTOP
# before its first instruction), so kill9_at_progress decides every step it takes.
start_luisy_stopped() {
  local name="$1"
  shift
  "${_LIB_BG_PREFIX[@]+"${_LIB_BG_PREFIX[@]}"}" sh -c 'kill -STOP $$ && exec "$0" "$@"' "$LUISY" "$@" \
    >"$_LIB_CAPTURE_DIR/$name.stdout" 2>"$_LIB_CAPTURE_DIR/$name.stderr" </dev/null &
  BG_PID=$!
  kill_at_exit "$BG_PID"
  _LIB_LAST_BG="$name"
  _LIB_LAST_BG_ARGS="$*"
}

# kill9_at_progress PID SEED TARGET MAX_EXTRA PROGRESS...: runs the stopped process PID in
# short slices (SIGCONT, a random pause of up to 0.5 ms, SIGSTOP) and measures its progress
# between slices, so it cannot run past the chosen point unseen; once the progress reaches
# TARGET it gets a random 0..MAX_EXTRA more slices (landing between the visible events), then
# SIGKILL. PROGRESS is a sum of "lines:FILE" (lines in FILE) and "files:DIR" (regular files
# under DIR, temporary files excluded). The commands luisy had started are left to end (they
# are killed after 20 s). Sets KILL_RESULT to "killed PROGRESS SLICES" or, when the process
# ended on its own first, "finished PROGRESS SLICES".
kill9_at_progress() {
  KILL_RESULT="$(python3 - "$@" <<'PYEOF'
import os, random, signal, sys, time
pid, seed, target, max_extra = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
specs = sys.argv[5:]
rng = random.Random(seed)

def state(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None

def gone(p):
    s = state(p)
    return s is None or s[0] in "ZX"

def wait_stopped():
    deadline = time.time() + 10
    while time.time() < deadline:
        s = state(pid)
        if s is None or s[0] in "ZXTt":
            return
        time.sleep(0.0002)

def progress():
    total = 0
    for spec in specs:
        kind, _, path = spec.partition(":")
        if kind == "lines":
            try:
                with open(path, "rb") as f:
                    total += f.read().count(b"\n")
            except OSError:
                pass
        else:
            for _, _, names in os.walk(path):
                total += sum(1 for n in names if ".tmp." not in n)
    return total

def descendants():
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            s = state(int(entry))
            if s:
                children.setdefault(int(s[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out

wait_stopped()  # start_luisy_stopped: it stops itself
extra = rng.randint(0, max_extra)
slices = 0
deadline = time.time() + 120
while time.time() < deadline:
    if gone(pid):
        print("finished", progress(), slices)
        sys.exit(0)
    if progress() >= target:
        if extra == 0:
            break
        extra -= 1
    try:
        os.kill(pid, signal.SIGCONT)
        time.sleep(rng.uniform(0, 0.0005))
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        continue  # it ended (and was reaped): reported at the top of the loop
    wait_stopped()
    slices += 1
orphans = descendants()
if gone(pid):
    print("finished", progress(), slices)
    sys.exit(0)
os.kill(pid, signal.SIGKILL)
print("killed", progress(), slices)
# The task commands live on (as after any kill -9); let them end before the test goes on.
deadline = time.time() + 20
while any(not gone(p) for p in orphans) and time.time() < deadline:
    time.sleep(0.01)
for p in orphans:
    if not gone(p):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
PYEOF
)" || fail "kill9_at_progress failed"
}

# subset_tree EXPECTED_DIR ACTUAL_DIR: every file under ACTUAL_DIR is in EXPECTED_DIR with the
# same bytes (for a workspace that downloaded only its targets); stray files count.
subset_tree() {
  local file
  while IFS= read -r file; do
    cmp -s "$1/$file" "$2/$file" || fail "$2/$file differs from the reference (or has none)"
  done < <(cd "$2" && find . -type f)
}

# write_fanout_pipeline PROJECT: pipeline.yaml with 8 Gen -> 8 Mid -> Sum (fan-in), and Tree
# (a directory output of all Gen files): 18 instances, 18 records, 17 distinct blobs (Tree's
# files are Gen's bytes). Every output depends on seed.src; each command logs to runs.log.
write_fanout_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    "project: $1" \
    'tasks:' \
    '  Gen:' \
    '    matrix: {i: [0, 1, 2, 3, 4, 5, 6, 7]}' \
    '    inputs: [seed.src]' \
    '    cmd: echo Gen{i} >> runs.log && (cat {in}; seq {i} 2000) > {out}' \
    '    outputs: ["data/gen_{i}.txt"]' \
    '  Mid:' \
    '    matrix: {i: [0, 1, 2, 3, 4, 5, 6, 7]}' \
    '    requires: [Gen]' \
    '    cmd: echo Mid{i} >> runs.log && sort -r {in} > {out}' \
    '    outputs: ["data/mid_{i}.txt"]' \
    '  Sum:' \
    '    requires: [Mid]' \
    '    cmd: echo Sum >> runs.log && cat {in} | cksum > {out}' \
    '    outputs: [data/sum.txt]' \
    '  Tree:' \
    '    requires: [Gen]' \
    '    cmd: echo Tree >> runs.log && mkdir -p {out}/sub && for f in {in}; do cp $f {out}/sub/; done && ls {out}/sub > {out}/index' \
    '    outputs: [data/tree/]'
}

# audit_azure ENDPOINT CONTAINER PREFIX SAS: audit_store for a container of Azure Blob Storage
# (Azurite), through the REST API alone: every record under PREFIX/ac/ parses, carries its
# key and names committed blobs under PREFIX/cas/ with the recorded size, and every blob
# downloads and re-hashes (xxhsum -H2) to its name. SAS needs read and list permissions.
# Sets AUDIT_SUMMARY like audit_store.
audit_azure() {
  local out
  out="$(python3 - "$@" <<'PYEOF'
import json, os, subprocess, sys, tempfile, urllib.request, xml.etree.ElementTree as ET
endpoint, container, prefix, sas = sys.argv[1:5]
def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()
blobs, marker = {}, ""
while True:
    url = f"{endpoint}/{container}?restype=container&comp=list&prefix={prefix}/&{sas}"
    if marker:
        url += "&marker=" + marker
    root = ET.fromstring(get(url))
    for b in root.iter("Blob"):
        blobs[b.findtext("Name")] = int(b.findtext("Properties/Content-Length"))
    marker = root.findtext("NextMarker") or ""
    if not marker:
        break
problems = []
cas = {n.rsplit("/", 1)[1]: n for n in blobs if n.startswith(prefix + "/cas/")}
with tempfile.TemporaryDirectory() as tmp:
    paths = []
    for digest, name in cas.items():
        path = os.path.join(tmp, digest)
        with open(path, "wb") as f:
            f.write(get(f"{endpoint}/{container}/{name}?{sas}"))
        paths.append(path)
    for i in range(0, len(paths), 500):
        res = subprocess.run(["xxhsum", "-H2", *paths[i:i + 500]], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            digest, _, path = line.partition("  ")
            if os.path.basename(path) != digest:
                problems.append(f"blob {cas[os.path.basename(path)]} re-hashes to {digest}")
records = sorted(n for n in blobs if n.startswith(prefix + "/ac/"))
for name in records:
    key = name.rsplit("/", 1)[1]
    try:
        record = json.loads(get(f"{endpoint}/{container}/{name}?{sas}"))
    except Exception as e:
        problems.append(f"record {name} does not parse: {e}")
        continue
    if record.get("key") != key:
        problems.append(f"record {name} carries key {record.get('key')}")
    for f in record.get("files", []):
        d = f.get("digest", "")
        if d not in cas:
            problems.append(f"record {name} names blob {d} ({f.get('path')}), which is missing")
        elif blobs[cas[d]] != f.get("size"):
            problems.append(f"record {name}: blob {d} holds {blobs[cas[d]]} bytes, recorded {f.get('size')}")
if problems:
    print("\n".join(problems[:20]))
    sys.exit(1)
print(f"{len(records)} records, {len(cas)} blobs, 0 temporary, 0 absent")
PYEOF
)" || fail "the Azure container $2 ($3) is inconsistent:"$'\n'"$out"
  AUDIT_SUMMARY="$out"
}

# run_in_slices PID K COMMAND...: runs the stopped process PID (start_luisy_stopped) to its end
# in slices of 0.1 ms, and runs COMMAND once while PID is stopped after slice K: a concurrent
# action placed at an exact point of PID's progress. Sets SLICES to the number of slices
# PID took in all.
run_in_slices() {
  SLICES="$(python3 - "$@" <<'PYEOF'
import os, signal, subprocess, sys, time
pid, k, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def state():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"
def wait_stopped():
    deadline = time.time() + 10
    while state() not in "TtZX" and time.time() < deadline:
        time.sleep(0.0002)
wait_stopped()
slices, deadline = 0, time.time() + 120
while state() not in "ZX" and time.time() < deadline:
    try:
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.0001)
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        break
    wait_stopped()
    slices += 1
    if slices == k:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(slices)
PYEOF
)" || fail "run_in_slices failed"
}
