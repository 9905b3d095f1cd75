#!/usr/bin/env bash
# libcurl is loaded with dlopen by the first remote request, not linked: builds without a
# remote never load it, and when it cannot be loaded (LUISY_LIBCURL names a missing file) a
# remote is an error or a warning like one that cannot be reached, never a crash.
source "$(dirname "$0")/lib.sh"

make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: nocurl' \
  'tasks:' \
  '  A:' \
  '    cmd: echo A >> runs.log && echo a > {out}' \
  '    outputs: [a.txt]'
# A remote that is never reached: without libcurl nothing is sent (port 9 is closed anyway).
export LUISY_AZURE_ACCOUNT_NAME=devstoreaccount1 LUISY_AZURE_CONTAINER_NAME=nocurl
export LUISY_AZURE_STORAGE_KEY="$(printf 'not a key' | base64 -w0)"
export LUISY_AZURE_ENDPOINT=http://127.0.0.1:9/devstoreaccount1 LUISY_AZURE_MAX_RETRIES=0
export LUISY_LIBCURL=/nonexistent/libcurl.so.4
MESSAGE="the remote cache needs libcurl (libcurl.so.4): /nonexistent/libcurl.so.4"

case_start "the binary does not link libcurl"
if command -v ldd >/dev/null; then
  libraries="$(ldd "$LUISY")"
  if grep -q libcurl <<<"$libraries"; then fail "luisy links libcurl: $(grep libcurl <<<"$libraries")"; fi
fi

case_start "a build that does not use the remote runs without libcurl"
run_luisy build
assert_status 0
assert_ran A
assert_not_contains LUISY_OUTPUT "libcurl"

case_start "build --download: the usual error for a remote that cannot be used (exit 2)"
rm -f a.txt
run_luisy build --download
assert_status 2
assert_contains LUISY_STDERR "$MESSAGE"
assert_ran

case_start "graph with a configured remote: a warning, the graph without the remote state"
export LUISY_REMOTE=azure://nocurl
run_luisy graph
assert_status 0
assert_contains LUISY_STDERR "warning: $MESSAGE"
assert_contains LUISY_STDOUT "digraph"

echo "${TEST_NAME}: ok"
