#!/usr/bin/env bash
# `luisy completion bash|zsh|fish` and `luisy __complete-tasks`: the bash script is sourced
# by a real bash and its completion function called as bash's completion would call it;
# the zsh and fish scripts are checked by those shells when they are installed.
source "$(dirname "$0")/lib.sh"

LUISY_DIR="$(dirname "$LUISY")"
SCRIPTS="$(mktemp -d "${TMPDIR:-/tmp}/luisy-completion.XXXXXX")"
_LIB_WORKSPACES+=("$SCRIPTS")

write_pipelines() {
  write_file pipeline.yaml \
    'luisy: 1' \
    'project: completion' \
    'tasks:' \
    '  Download:' \
    '    cmd: echo Download >> runs.log && echo raw > {out}' \
    '    outputs: [raw.txt]' \
    '  Clean:' \
    '    requires: [Download]' \
    '    cmd: echo Clean >> runs.log && cp {in} {out}' \
    '    outputs: [clean.txt]' \
    '  Report:' \
    '    requires: [Clean]' \
    '    cmd: echo Report >> runs.log && cp {in} {out}' \
    '    outputs: [report.txt]'
  write_file sub/other.yaml \
    'luisy: 1' \
    'project: other' \
    'tasks:' \
    '  Cleanse:' \
    '    cmd: echo Cleanse >> runs.log && echo x > {out}' \
    '    outputs: [x.txt]'
  write_file notes.txt 'not a pipeline'
}

# complete_bash WORD...: COMPREPLY of the bash completion for these COMP_WORDS (the last
# one is being completed), one per line, sorted, in COMPLETION.
complete_bash() {
  COMPLETION="$(
    PATH="$LUISY_DIR:$PATH" bash --norc --noprofile -c '
      source "$1" || exit 1
      shift
      COMP_WORDS=("$@")
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
      COMP_LINE="$*"
      COMP_POINT=${#COMP_LINE}
      _luisy
      printf "%s\n" "${COMPREPLY[@]}"
    ' bash "$SCRIPTS/luisy.bash" "$@" 2>"$SCRIPTS/bash.stderr" | LC_ALL=C sort
  )"
  [ ! -s "$SCRIPTS/bash.stderr" ] || fail "the bash completion of '$*' wrote to stderr: $(cat "$SCRIPTS/bash.stderr")"
}

# expect_completion TEXT: COMPLETION is exactly these lines (given joined by spaces).
expect_completion() {
  local expected
  expected="$(tr ' ' '\n' <<<"$1" | LC_ALL=C sort)"
  [ "$COMPLETION" = "$expected" ] || fail "expected completions [$1], got [$(paste -sd' ' <<<"$COMPLETION")]"
}

expect_completion_contains() {
  grep -qxF -- "$1" <<<"$COMPLETION" || fail "'$1' is not among the completions [$(paste -sd' ' <<<"$COMPLETION")]"
}

make_workspace
write_pipelines

case_start "completion prints a script for each shell"
for shell in bash zsh fish; do
  run_luisy completion "$shell"
  assert_status 0
  assert_contains LUISY_STDOUT "__complete-tasks"
  printf '%s\n' "$LUISY_STDOUT" >"$SCRIPTS/luisy.$shell"
done
run_luisy completion tcsh
assert_status 2
assert_contains LUISY_STDERR "bash, zsh or fish"
run_luisy completion
assert_status 2

case_start "bash: commands"
complete_bash luisy bu
expect_completion "build"
complete_bash luisy ''
expect_completion_contains "build"
expect_completion_contains "completion"
assert_not_contains COMPLETION "__complete-tasks"
complete_bash luisy help st
expect_completion "status"

case_start "bash: the pipeline file, then task names"
complete_bash luisy build pipel
expect_completion "pipeline.yaml"
complete_bash luisy build pipeline.yaml Cl
expect_completion "Clean"
complete_bash luisy build Cl
expect_completion "Clean"
complete_bash luisy build ''
expect_completion "Clean Download Report pipeline.yaml sub"
complete_bash luisy build Clean ''
expect_completion "Clean Download Report"
complete_bash luisy explain pipeline.yaml R
expect_completion "Report"

case_start "bash: tasks of the file the command line names"
complete_bash luisy build sub/other.yaml C
expect_completion "Cleanse"
complete_bash luisy build -C sub ''
expect_completion "other.yaml"
complete_bash luisy -C sub build other.yaml ''
expect_completion "Cleanse"
complete_bash luisy build -j 4 --param year=2025 R
expect_completion "Report"

case_start "bash: options and their values"
complete_bash luisy graph --format ''
expect_completion "dot mermaid png svg"
complete_bash luisy status --format ''
expect_completion "json text"
# bash splits `--format=m` into `--format`, `=`, `m`
complete_bash luisy graph --format = m
expect_completion "mermaid"
complete_bash luisy build --keep
expect_completion "--keep-going"
complete_bash luisy build -C s
expect_completion "sub"
complete_bash luisy completion ''
expect_completion "bash fish zsh"
complete_bash luisy cache ''
expect_completion "trim"

case_start "__complete-tasks: names only, no state, no errors"
run_luisy __complete-tasks -- build
assert_status 0
[ "$LUISY_STDOUT" = $'Download\nClean\nReport' ] || fail "unexpected task list '$LUISY_STDOUT'"
mkdir bad
write_file bad/pipeline.yaml 'luisy: 1' 'tasks:' '  A: [unclosed'
run_luisy __complete-tasks -- -C bad build
assert_status 0
[ -z "$LUISY_STDOUT$LUISY_STDERR" ] || fail "a broken pipeline file completed to output"
run_luisy __complete-tasks -- -C no-such-dir build
assert_status 0
[ -z "$LUISY_STDOUT$LUISY_STDERR" ] || fail "a missing pipeline file completed to output"
assert_file_absent .luisy
assert_file_absent runs.log

case_start "zsh: the script parses and completes"
if command -v zsh >/dev/null; then
  zsh -n "$SCRIPTS/luisy.zsh" || fail "zsh -n rejects the zsh completion script"
  mkdir -p "$SCRIPTS/zfunc"
  cp "$SCRIPTS/luisy.zsh" "$SCRIPTS/zfunc/_luisy"
  # An interactive zsh on a pseudo-terminal (zpty) gets each line and a Tab, then ^X, bound
  # to a widget that appends the edited line to a file; the next line waits for that.
  cat >"$SCRIPTS/type.zsh" <<'EOF_ZSH'
zmodload zsh/zpty || exit 1
dir=$1 out=$2
shift 2
: >$out
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D; bindkey '^I' complete-word"
zpty -w z "dump() { print -r -- \"\$BUFFER\" >>${(q)out}; BUFFER=; }; zle -N dump; bindkey '^X' dump"
local -a lines
integer n=0 tries
for line in "$@"; do
  n+=1
  zpty -w -n z "$line"$'\t\C-x'
  for (( tries = 0; tries < 600; tries++ )); do
    lines=("${(@f)$(<$out)}")
    [[ -n ${lines[$n]} ]] && break
    sleep 0.05
  done
done
zpty -d z
EOF_ZSH
  PATH="$LUISY_DIR:$PATH" timeout 120 zsh -f "$SCRIPTS/type.zsh" "$SCRIPTS/zfunc" "$SCRIPTS/zsh.out" \
    'luisy bu' 'luisy build pipel' 'luisy build pipeline.yaml Cl' 'luisy build sub/other.yaml C' \
    'luisy graph --format m' 'luisy -C sub status --format j' 'luisy build --keep' 'luisy build -C sub o' ||
    fail "zsh did not complete every line"
  # (each completed line ends in the space zsh adds after a unique match)
  expected="$(printf '%s \n' 'luisy build' 'luisy build pipeline.yaml' 'luisy build pipeline.yaml Clean' \
    'luisy build sub/other.yaml Cleanse' 'luisy graph --format mermaid' 'luisy -C sub status --format json' \
    'luisy build --keep-going' 'luisy build -C sub other.yaml')"
  [ "$(cat "$SCRIPTS/zsh.out")" = "$expected" ] ||
    fail "zsh completed to [$(cat "$SCRIPTS/zsh.out")], expected [$expected]"
else
  echo "(zsh is not installed: skipped)"
fi

case_start "fish: the script parses and completes"
if command -v fish >/dev/null; then
  fish -n "$SCRIPTS/luisy.fish" || fail "fish -n rejects the fish completion script"
  complete_fish() {
    COMPLETION="$(PATH="$LUISY_DIR:$PATH" fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
      "$SCRIPTS/luisy.fish" "$1" | cut -f1 | LC_ALL=C sort)"
  }
  complete_fish 'luisy bu'
  expect_completion "build"
  complete_fish 'luisy build pipeline.yaml Cl'
  expect_completion "Clean"
  complete_fish 'luisy graph --format '
  expect_completion "dot mermaid png svg"
  complete_fish 'luisy build sub/other.yaml '
  expect_completion "Cleanse"
  complete_fish 'luisy build -j 4 pipel'
  expect_completion "pipeline.yaml"
  complete_fish 'luisy -C sub status --format '
  expect_completion "json text"
  complete_fish 'luisy build -C sub o'
  expect_completion "other.yaml"
else
  echo "(fish is not installed: skipped)"
fi

echo "PASS: $TEST_NAME"
