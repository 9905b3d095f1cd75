#!/usr/bin/env bash
# luisy graph: dot and mermaid text with each node coloured by its state (up to date, will
# run, in the remote cache, failed last time) and a legend; dot output is accepted by
# Graphviz; svg and png are rendered by `dot` when it is installed, with a clear message
# (exit status 2) when it is not.
source "$(dirname "$0")/lib.sh"

# Captured files, remotes and the like live in a workspace of their own.
make_workspace
SCRATCH="$WORKSPACE"

UP="#c8e6c9" RUN="#ffe0b2" REMOTE_HIT="#bbdefb" FAILED="#ffcdd2"
HAVE_DOT=0
command -v dot >/dev/null && HAVE_DOT=1
[ "$HAVE_DOT" = 1 ] || echo "note: Graphviz's dot is not installed: the rendering checks are skipped"

# node_colour LABEL: the fillcolor of the dot node labelled LABEL in $LUISY_STDOUT.
node_colour() {
  grep -F "[label=\"$1\"," <<<"$LUISY_STDOUT" | sed -n 's/.*fillcolor="\([^"]*\)".*/\1/p' | head -1
}

# assert_colour LABEL COLOUR
assert_colour() {
  local got
  got="$(node_colour "$1")"
  [ "$got" = "$2" ] || fail "node $1 has colour '$got', expected '$2'"
}

# The dot text in $LUISY_STDOUT is a graph Graphviz accepts.
assert_dot_parses() {
  [ "$HAVE_DOT" = 1 ] || return 0
  printf '%s\n' "$LUISY_STDOUT" | dot -Tsvg >/dev/null 2>"$SCRATCH/dot-errors" ||
    fail "dot refused the graph: $(cat "$SCRATCH/dot-errors")"
}

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: graph' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && echo a > {out}' \
  '    outputs: [a.txt]' \
  '  Bad:' \
  '    requires: [A]' \
  '    cmd: echo Bad >> runs.log && test ! -e fail && cat {in} > {out}' \
  '    outputs: [bad.txt]' \
  '    description: "a \"quoted\" task"' \
  '  Last:' \
  '    requires: [Bad]' \
  '    matrix: {m: [x, y]}' \
  '    cmd: echo Last >> runs.log && cat {in} > {out}' \
  '    outputs: ["last_{m}.txt"]'

case_start "before any build every node will run; the legend has no remote state"
run_luisy graph
assert_status 0
assert_dot_parses
for label in A Bad 'Last(m=x)' 'Last(m=y)'; do assert_colour "$label" "$RUN"; done
assert_contains LUISY_STDOUT "subgraph cluster_legend"
assert_contains LUISY_STDOUT 'label="failed last time"'
assert_not_contains LUISY_STDOUT "in the remote cache"
assert_ran

case_start "a failure: failed last time, upstream up to date"
touch fail
run_luisy build
assert_status 1
assert_ran A Bad
run_luisy graph
assert_status 0
assert_dot_parses
assert_colour A "$UP"
assert_colour Bad "$FAILED"
assert_colour 'Last(m=x)' "$RUN"

case_start "fixed and built: every node up to date"
rm fail
run_luisy build
assert_status 0
assert_ran Bad Last Last
run_luisy graph
assert_status 0
for label in A Bad 'Last(m=x)' 'Last(m=y)'; do assert_colour "$label" "$UP"; done

case_start "mermaid: a flowchart, one class per node, a legend, classDefs"
rm last_x.txt
run_luisy graph --format mermaid
assert_status 0
python3 - "$LUISY_STDOUT" <<'PY' || fail "bad mermaid structure"
import re, sys
lines = sys.argv[1].splitlines()
assert lines[0] == "flowchart LR", lines[0]
nodes = [re.fullmatch(r'  (n\d+)\["(.*)"\]:::(\w+)', l) for l in lines]
nodes = {m.group(2): m.group(3) for m in nodes if m}
assert nodes == {"A": "uptodate", "Bad": "uptodate", "Last(m=x)": "willrun", "Last(m=y)": "uptodate"}, nodes
edges = [l for l in lines if re.fullmatch(r"  n\d+ --> n\d+", l)]
assert len(edges) == 3, edges
start = lines.index('  subgraph legend ["legend"]')
end = lines.index("  end", start)
legend = {re.fullmatch(r'    legend_\w+\["(.*)"\]:::(\w+)', l).group(2) for l in lines[start + 1:end]}
defs = {re.fullmatch(r"  classDef (\w+) fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6};", l).group(1) for l in lines if l.startswith("  classDef")}
assert legend == {"uptodate", "willrun", "failedlast"}, legend
assert set(nodes.values()) <= defs and legend <= defs, defs
PY

case_start "-o FILE writes the text to a file"
run_luisy graph --format dot -o graph.dot
assert_status 0
assert_contains graph.dot "digraph luisy"
[ -z "$LUISY_STDOUT" ] || fail "graph -o printed on stdout"

case_start "in the remote cache (a directory remote)"
export LUISY_LOCAL_CACHE=on
run_luisy build --upload --remote "$SCRATCH/remote"
assert_status 0
assert_ran Last
first="$WORKSPACE"
make_workspace
cp "$first/pipeline.yaml" .
run_luisy graph --remote "$SCRATCH/remote"
assert_status 0
assert_dot_parses
# Bad's key is computed from the digests in A's remote record, as build --download would.
for label in A Bad 'Last(m=x)' 'Last(m=y)'; do assert_colour "$label" "$REMOTE_HIT"; done
assert_contains LUISY_STDOUT 'label="in the remote cache"'
sed -i 's/echo Last >> runs.log/echo Last changed >> runs.log/' pipeline.yaml
run_luisy graph --remote "$SCRATCH/remote"
assert_status 0
assert_colour Bad "$REMOTE_HIT"
assert_colour 'Last(m=x)' "$RUN"
assert_ran
# A result only in the local store is not "in the remote cache".
run_luisy build A  # runs it, or restores it: either way its result is in the local store
assert_status 0
assert_file_exists a.txt
rm -f a.txt runs.log
mkdir -p "$SCRATCH/empty-remote"
run_luisy graph --remote "$SCRATCH/empty-remote"
assert_status 0
assert_colour A "$RUN"
assert_contains LUISY_STDOUT 'label="in the remote cache"'
LUISY_REMOTE="$SCRATCH/remote" run_luisy graph --format mermaid
assert_status 0
assert_contains LUISY_STDOUT 'n0["A"]:::inremote'
run_luisy graph
assert_status 0
assert_colour A "$RUN"
assert_not_contains LUISY_STDOUT "in the remote cache"

case_start "svg and png through Graphviz"
if [ "$HAVE_DOT" = 1 ]; then
  run_luisy graph --format svg
  assert_status 0
  assert_contains LUISY_STDOUT "<svg"
  assert_contains LUISY_STDOUT "legend"
  run_luisy graph --format png -o graph.png
  assert_status 0
  [ "$(head -c 4 graph.png | tail -c 3)" = "PNG" ] || fail "graph.png is not a PNG"
else
  echo "skipped: dot is not installed"
fi

case_start "without dot: a clear message and exit status 2"
mkdir -p "$SCRATCH/empty-path"
PATH="$SCRATCH/empty-path" "$LUISY" graph --format svg >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" </dev/null
status=$?
[ "$status" = 2 ] || fail "expected exit status 2 without dot, got $status"
grep -qF "needs Graphviz's \`dot\`, which is not installed" "$SCRATCH/stderr" || fail "no clear message: $(cat "$SCRATCH/stderr")"
[ ! -s "$SCRATCH/stdout" ] || fail "something was printed on stdout"

case_start "an unknown format is a usage error"
run_luisy graph --format gif
assert_status 2
assert_contains LUISY_STDERR "unknown graph format 'gif'"

echo "ok: ${TEST_NAME}"
