#!/usr/bin/env bash
# Files are hashed on every core before the graph is walked (hash::StatCache::prefetch):
# the digests are the same as xxhsum's, a lost stat cache costs a rehash and nothing else,
# and what cannot be hashed is still reported by the task that reads it.
source "$(dirname "$0")/lib.sh"

write_pipeline() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: hashing' \
    'tasks:' \
    '  Sum:' \
    '    cmd: echo Sum >> runs.log && cat {in} | wc -c > {out}' \
    '    inputs: ["data/**/*.bin"]' \
    '    outputs: [sum.txt]' \
    '  Tree:' \
    '    cmd: echo Tree >> runs.log && mkdir -p tree/sub && cp data/small_1.bin tree/ && cp data/big.bin tree/sub/' \
    '    inputs: [data/small_1.bin, data/big.bin]' \
    '    outputs: [tree/]' \
    '  Count:' \
    '    cmd: echo Count >> runs.log && ls -R {in} | wc -l > {out}' \
    '    requires: [Tree]' \
    '    outputs: [count.txt]'
  mkdir -p data/sub
  # Sizes around the read size (128 KiB), empty, and files larger than a read.
  local size i=0
  for size in 0 1 131071 131072 131073 262144; do
    head -c "$size" /dev/urandom > "data/sized_$size.bin"
  done
  for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > "data/sub/small_$i.bin"; done
  head -c 1000 /dev/urandom > data/small_1.bin
  head -c 3000000 /dev/urandom > data/big.bin
}

# The 12 hex digits `explain` shows for an input are the start of xxhsum -H2's digest.
assert_inputs_match_xxhsum() {
  run_luisy explain Sum
  assert_status 0
  local file digest
  for file in data/big.bin data/sized_*.bin data/sub/small_1.bin data/sub/small_40.bin; do
    digest="$(xxhsum -H2 "$file" 2>/dev/null | cut -c1-12)"
    assert_matches LUISY_STDOUT "input +$file +$digest"
  done
}

case_start "a first build hashes every input as xxhsum does"
make_workspace
write_pipeline
run_luisy build
assert_status 0
assert_ran Sum Tree Count
assert_inputs_match_xxhsum

case_start "a lost stat cache: everything rehashed, found unchanged, nothing runs"
rm .luisy/stats
run_luisy build
assert_status 0
assert_contains LUISY_STDOUT "no work to do"
assert_ran
assert_file_exists .luisy/stats
assert_inputs_match_xxhsum

case_start "a lost stat cache and a changed file (same size): the change is seen"
rm .luisy/stats
head -c 131072 /dev/urandom > data/sized_131072.bin
head -c 1000 /dev/urandom > data/small_1.bin
run_luisy build
assert_status 0
assert_ran Sum Tree Count
assert_inputs_match_xxhsum

case_start "a FIFO as an input fails its task, naming it, and hangs nothing"
make_workspace
write_file pipeline.yaml \
  'luisy: 1' \
  'project: fifo' \
  'tasks:' \
  '  Read:' \
  '    cmd: cat {in} > {out}' \
  '    inputs: [pipe]' \
  '    outputs: [out.txt]'
mkfifo pipe
run_luisy build
assert_status 1
assert_contains LUISY_OUTPUT "pipe is neither a regular file nor a directory"
assert_contains LUISY_OUTPUT "Read"
