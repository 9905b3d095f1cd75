#!/usr/bin/env bash
# Every example under examples/pipelines builds in a fresh copy, deterministically, and a
# second build has nothing to do.
source "$(dirname "$0")/lib.sh"

examples_dir="$LUISY_SOURCE_DIR/examples/pipelines"
count=0
for dir in "$examples_dir"/*/; do
  [ -f "$dir/pipeline.yaml" ] || continue
  name="$(basename "$dir")"
  count=$((count + 1))

  case_start "$name: layout"
  [ -f "$dir/README.md" ] || fail "$name has no README.md"
  first_line="$(head -n 1 "$dir/pipeline.yaml")"
  [ "$first_line" = '# yaml-language-server: $schema=../../../schemas/pipeline.schema.json' ] ||
    fail "$name/pipeline.yaml does not start with the schema modeline"

  case_start "$name: validate"
  make_workspace
  cp -R "$dir/." .
  rm -rf .luisy out
  run_luisy validate pipeline.yaml
  assert_status 0

  case_start "$name: first build"
  run_luisy build
  assert_status 0
  [ -d out ] || fail "$name wrote no out/ folder"
  first_copy="$WORKSPACE"

  case_start "$name: second build has nothing to do"
  before="$(tree_snapshot .)"
  run_luisy build
  assert_status 0
  assert_contains LUISY_STDOUT "luisy: no work to do."
  [ "$(tree_snapshot .)" = "$before" ] || fail "the second build of $name rewrote files"

  case_start "$name: status --format json parses"
  run_luisy status --format json
  assert_status 0
  python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$LUISY_STDOUT" || fail "status --format json is not JSON"

  case_start "$name: a second copy, built with -j 2 from elsewhere, writes the same bytes"
  make_workspace
  cp -R "$dir/." .
  rm -rf .luisy out
  second_copy="$WORKSPACE"
  cd /
  run_luisy build -C "$second_copy" -j 2
  assert_status 0
  cd "$second_copy" || exit 1
  diff -r "$first_copy/out" "$second_copy/out" >/dev/null ||
    fail "$name is not deterministic: $(diff -r "$first_copy/out" "$second_copy/out" | head -20)"
done

[ "$count" -ge 3 ] || fail "expected at least three examples in $examples_dir, found $count"
for required in params-matrix csv-join directory-output; do
  [ -f "$examples_dir/$required/pipeline.yaml" ] || fail "missing example $required"
done

echo "PASS: $TEST_NAME"
