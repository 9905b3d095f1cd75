#!/usr/bin/env bash
# `luisy help`, `luisy help COMMAND`, `luisy COMMAND --help` and the man page come from one
# table: every listed command has its help text and its man page section, the man page
# renders without warnings, the README's command block matches, and `cmake --install`
# installs the binary, the man page and the completion scripts.
source "$(dirname "$0")/lib.sh"

BUILD_DIR="$(dirname "$LUISY")"
make_workspace

case_start "luisy help lists the commands"
run_luisy help
assert_status 0
COMMANDS="$(sed -n '/^commands:$/,/^$/p' <<<"$LUISY_STDOUT" | awk 'NF > 1 { print $1 }')"
[ "$(wc -l <<<"$COMMANDS")" -ge 10 ] || fail "too few commands in 'luisy help': [$COMMANDS]"
for command in build status completion help; do
  grep -qx "$command" <<<"$COMMANDS" || fail "'luisy help' does not list $command"
done
assert_not_contains LUISY_STDOUT "__complete-tasks"
assert_contains LUISY_STDOUT "exit status"

run_luisy help --man
assert_status 0
MAN_PAGE="$LUISY_STDOUT"

case_start "every command has its help text, its --help and a man page section"
for command in $COMMANDS; do
  run_luisy help "$command"
  assert_status 0
  assert_matches LUISY_STDOUT "^usage: luisy $command"
  assert_contains LUISY_STDOUT "-h, --help"
  help="$LUISY_STDOUT"
  run_luisy "$command" --help
  assert_status 0
  [ "$LUISY_STDOUT" = "$help" ] || fail "'luisy $command --help' differs from 'luisy help $command'"
  grep -qx "\.SS $command" <<<"$MAN_PAGE" || fail "the man page has no section for $command"
  # every option of the help text is in the man page (as roff, '-' escaped)
  for flag in $(grep -oE '(^|[ ,])--?[a-z][-a-z]*' <<<"$help" | tr -d ' ,' | sort -u); do
    grep -qF -- "\\fB${flag//-/\\-}\\fR" <<<"$MAN_PAGE" || fail "the man page does not show $flag of $command"
  done
done
run_luisy help no-such-command
assert_status 2

case_start "the man page renders without warnings"
printf '%s\n' "$MAN_PAGE" >luisy.1
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z luisy.1 2>groff.stderr || fail "groff failed on the man page"
  [ ! -s groff.stderr ] || fail "groff warns about the man page: $(cat groff.stderr)"
  rendered="$(groff -man -Tutf8 -P-cbou luisy.1 2>/dev/null)"
  for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES "SEE ALSO"; do
    grep -qx "$section" <<<"$rendered" || fail "the rendered man page has no $section section"
  done
  for variable in LUISY_REMOTE LUISY_AZURE_ACCOUNT_NAME LUISY_AZURE_STORAGE_KEY LUISY_CACHE_DIR LUISY_LOCAL_CACHE; do
    grep -qF "$variable" <<<"$rendered" || fail "the man page does not describe $variable"
  done
  grep -qF ".luisy/" <<<"$rendered" || fail "the man page does not describe .luisy/"
else
  echo "(groff is not installed: skipped)"
fi
if command -v man >/dev/null; then
  MANWIDTH=80 man -l luisy.1 >man.out 2>man.stderr || fail "man -l failed: $(cat man.stderr)"
  grep -qF "luisy build" man.out || fail "man -l shows no 'luisy build'"
fi

case_start "the build wrote luisy.1 and the completion scripts from the binary"
if [ -f "$BUILD_DIR/luisy.1" ]; then
  [ "$(cat "$BUILD_DIR/luisy.1")" = "$MAN_PAGE" ] || fail "$BUILD_DIR/luisy.1 differs from 'luisy help --man'"
  run_luisy completion bash
  [ "$(cat "$BUILD_DIR/completions/luisy")" = "$LUISY_STDOUT" ] || fail "build/completions/luisy is stale"
else
  echo "($BUILD_DIR/luisy.1 not built: skipped)"
fi

case_start "the README's command block is the synopses of luisy help"
readme_block="$(sed -n '/^## Command line$/,/^## /p' "$LUISY_SOURCE_DIR/README.md" | sed -n '/^```$/,/^```$/p' | tr -s ' \n' '  ')"
synopses=()
for command in $COMMANDS; do
  run_luisy help "$command"
  synopses+=("$(sed -n '1,/^$/p' <<<"$LUISY_STDOUT" | sed '/^$/d; s/^usage: //; s/^       //')")
done
for synopsis in "${synopses[@]}"; do
  flat="$(tr -s ' \n' '  ' <<<"$synopsis" | sed 's/ $//')"
  grep -qF -- "$flat" <<<"$readme_block" ||
    fail "README.md's command block (under '## Command line') does not show '$flat'; it should read:
$(printf '%s\n' "${synopses[@]}")
luisy --version"
done

case_start "cmake --install puts the binary, the man page and the completions in place"
if command -v cmake >/dev/null && [ -f "$BUILD_DIR/cmake_install.cmake" ] && [ -f "$BUILD_DIR/luisy.1" ]; then
  prefix="$WORKSPACE/prefix"
  cmake --install "$BUILD_DIR" --prefix "$prefix" >install.log 2>&1 || fail "cmake --install failed: $(cat install.log)"
  for file in bin/luisy share/man/man1/luisy.1 share/bash-completion/completions/luisy \
    share/zsh/site-functions/_luisy share/fish/vendor_completions.d/luisy.fish; do
    assert_file_exists "$prefix/$file"
  done
  [ -x "$prefix/bin/luisy" ] || fail "the installed luisy is not executable"
  "$prefix/bin/luisy" --version >/dev/null || fail "the installed luisy does not run"
  if command -v man >/dev/null; then
    MANPATH="$prefix/share/man" MANWIDTH=80 man luisy 2>/dev/null | grep -qF "luisy build" ||
      fail "man luisy does not find the installed page"
  fi
else
  echo "(no CMake build directory next to $LUISY: skipped)"
fi

echo "PASS: $TEST_NAME"
