// `luisy completion bash|zsh|fish`: each script is generated from the command table, so a
// new option or command completes without touching this file. Task names come from the
// binary at completion time (`luisy __complete-tasks -- WORDS...`), which reads only the
// pipeline file.
#include "luisy/cli/completion.h"

#include <fmt/format.h>

#include <set>

#include "luisy/cli/completion_scripts.h"
#include "luisy/util/error.h"

namespace luisy::cli::completion {

using Kind = OperandSpec::Kind;

std::string_view value_kind(const OptionSpec& option) {
  if (!option.takes_value()) return "";
  if (option.optional_value) return "optional";
  if (!option.choices.empty()) return "choice";
  if (option.value == "FILE") return "file";
  if (option.value == "DIR") return "dir";
  return "word";
}

std::string joined(const std::vector<std::string_view>& words, std::string_view separator) {
  std::string text;
  for (std::string_view word : words)
    text += fmt::format("{}{}", text.empty() ? "" : separator, word);
  return text;
}

namespace {

std::string visible_command_names() {
  std::string names;
  for (const auto& command : command_table())
    if (!command.hidden) names += fmt::format("{}{}", names.empty() ? "" : " ", command.name);
  return names;
}

// The operands as tokens for the bash walker: file? task* command? choice=a,b ...
std::string bash_operands(const CommandSpec& command) {
  std::string tokens;
  for (const auto& operand : operands_of(command)) {
    std::string token;
    switch (operand.kind) {
      case Kind::kFile:
        token = "file";
        break;
      case Kind::kTask:
        token = "task";
        break;
      case Kind::kCommand:
        token = "command";
        break;
      case Kind::kChoice:
        token = "choice=" + joined(operand.choices, ",");
        break;
      case Kind::kWord:
        token = "word";
        break;
    }
    token += operand.repeated ? "*" : operand.optional ? "?" : "";
    tokens += fmt::format("{}{}", tokens.empty() ? "" : " ", token);
  }
  return tokens;
}

std::string bash_value_case(std::string_view pattern, const OptionSpec& option) {
  std::string line = fmt::format("    {}) _luisy_kind={}", pattern, value_kind(option));
  if (!option.choices.empty())
    line += fmt::format(" _luisy_choices='{}'", joined(option.choice_list(), " "));
  return line + " ;;\n";
}

// `'build -j'|'build --jobs'`, or with command "*": `*' -j'|*' --jobs'`.
std::string option_pattern(std::string_view command, const OptionSpec& option) {
  std::string pattern;
  for (std::string_view flag : {option.short_flag, option.flag}) {
    if (flag.empty()) continue;
    if (!pattern.empty()) pattern += "|";
    pattern += command == "*" ? fmt::format("*' {}'", flag) : fmt::format("'{} {}'", command, flag);
  }
  return pattern;
}

constexpr const char* kBashMain = R"BASH(
# _luisy_add PREFIX: adds the lines of stdin to COMPREPLY, each after PREFIX.
_luisy_add() {
  local line
  while IFS= read -r line; do COMPREPLY+=("$1$line"); done
}

# _luisy_complete KIND PREFIX WORD: candidates for one value or operand.
_luisy_complete() {
  case $1 in
    choice=*)
      local choices=${1#choice=}
      _luisy_add "$2" < <(compgen -W "${choices//,/ }" -- "$3") ;;
    file)
      compopt -o filenames 2>/dev/null
      _luisy_add "$2" < <(compgen -f -- "$3") ;;
    pipeline)  # FILE: YAML files and directories to look into, under -C DIR
      compopt -o filenames 2>/dev/null
      local f in=${_luisy_dir:+${_luisy_dir%/}/}
      while IFS= read -r f; do
        case $f in *.yaml | *.yml) ;; *) [[ -d $f ]] || continue ;; esac
        COMPREPLY+=("$2${f#"$in"}")
      done < <(compgen -f -- "$in$3") ;;
    dir)
      compopt -o filenames 2>/dev/null
      _luisy_add "$2" < <(compgen -d -- "$3") ;;
    command) _luisy_add "$2" < <(compgen -W "$_luisy_commands" -- "$3") ;;
    task)
      local t
      while IFS= read -r t; do
        [[ $t == "$3"* ]] && COMPREPLY+=("$2$t")
      done < <("${_luisy_words[0]}" __complete-tasks -- "${_luisy_words[@]:1:${#_luisy_words[@]}-2}" 2>/dev/null) ;;
  esac
}

_luisy() {
  COMPREPLY=()
  # Words as the user sees them: bash splits `--format=json` and `azure://x` at '=' and ':'.
  local -a _luisy_words=()
  local i w n=0 glue=0
  for ((i = 0; i <= COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if ((n > 0)) && { ((glue)) || [[ -n $w && -z ${w//[=:]/} ]]; }; then
      _luisy_words[n - 1]+=$w
      [[ -n $w && -z ${w//[=:]/} ]] && glue=1 || glue=0
    else
      _luisy_words[n]=$w
      n=$((n + 1))
    fi
  done
  local cur=${_luisy_words[n - 1]}

  # Walk the words before the current one: the command, the operands, a pending option value.
  local command='' operands=0 first='' expect='' dashdash=0 _luisy_dir='' _luisy_kind _luisy_choices _luisy_opts
  for ((i = 1; i < n - 1; i++)); do
    w=${_luisy_words[i]}
    if [[ -n $expect ]]; then
      [[ $expect == -C || $expect == --directory ]] && _luisy_dir=$w
      expect=
    elif ((!dashdash)) && [[ $w == -- ]]; then
      dashdash=1
    elif ((!dashdash)) && [[ $w == -?* ]]; then
      case $w in
        --directory=*) _luisy_dir=${w#*=} ;;
        -C?*) _luisy_dir=${w#-C} ;;
      esac
      if [[ $w != *=* ]]; then
        _luisy_value "$command" "$w"
        case $_luisy_kind in
          word | file | dir | choice) expect=$w ;;
          optional) [[ ${_luisy_words[i + 1]} == *://* && $((i + 1)) -lt $((n - 1)) ]] && expect=$w ;;
        esac
      fi
    elif [[ -z $command ]]; then
      command=$w
    else
      ((operands == 0)) && first=$w
      operands=$((operands + 1))
    fi
  done

  local kind='' prefix='' word=$cur
  if [[ -n $expect ]]; then
    _luisy_value "$command" "$expect"
    kind=$_luisy_kind
  elif ((!dashdash)) && [[ $cur == -?*=* ]]; then
    _luisy_value "$command" "${cur%%=*}"
    kind=$_luisy_kind prefix="${cur%%=*}=" word=${cur#*=}
  elif ((!dashdash)) && [[ $cur == -* ]]; then
    _luisy_options "$command"
    kind="choice=$_luisy_opts"
  elif [[ -z $command ]]; then
    kind='command'
  else
    # The operand at this position; FILE is optional, so a first operand that is not a file
    # was already a TASK.
    _luisy_operands "$command"
    local -a ops
    read -r -a ops <<<"$_luisy_opts"
    local at=0 left=$operands
    if [[ ${ops[0]} == file\? ]] && ((operands > 0)); then
      at=1
      if [[ $first == *.yaml || $first == *.yml || $first == */* || -f ${_luisy_dir:-.}/$first ]]; then
        left=$((left - 1))
      fi
    fi
    while ((left > 0 && at < ${#ops[@]})); do
      [[ ${ops[at]} == *\* ]] || at=$((at + 1))
      left=$((left - 1))
    done
    if ((at < ${#ops[@]})); then
      kind=${ops[at]%[?*]}
      if [[ $kind == file ]]; then
        kind=pipeline
        [[ ${ops[at + 1]} == task* ]] && _luisy_complete task "" "$cur"
      fi
    fi
  fi
  case $kind in
    choice=* | file | dir | pipeline | command | task) ;;
    choice) kind="choice=$_luisy_choices" ;;
    *) kind= ;;
  esac
  [[ -n $kind ]] && _luisy_complete "${kind}" "$prefix" "$word"

  # Hand back only what readline replaces: the text after the last '=' or ':' (bash makes
  # a word of the '=' itself when the cursor follows it).
  local own=${COMP_WORDS[COMP_CWORD]}
  [[ -n $own && -z ${own//[=:]/} ]] && own=
  local strip=${cur%"$own"}
  if [[ -n $strip ]]; then
    for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$strip"}; done
  fi
  return 0
}
complete -F _luisy luisy
)BASH";

}  // namespace

std::string bash_script() {
  std::string text =
      "# bash completion for luisy, generated by `luisy completion bash` from its command table.\n"
      "# shellcheck shell=bash\n"
      "# Install: luisy completion bash > ~/.local/share/bash-completion/completions/luisy\n"
      "# (or add `source <(luisy completion bash)` to ~/.bashrc).\n\n";
  text += fmt::format("_luisy_commands='{}'\n\n", visible_command_names());

  text +=
      "# _luisy_options COMMAND: sets _luisy_opts to the options of COMMAND (separated by "
      "spaces).\n";
  text += "_luisy_options() {\n  case $1 in\n";
  std::string global;
  for (const auto& option : global_options())
    for (std::string_view flag : {option.short_flag, option.flag})
      if (!flag.empty()) global += fmt::format(" {}", flag);
  for (const auto& command : command_table()) {
    if (command.hidden) continue;
    std::string flags;
    for (const auto& option : command.options)
      for (std::string_view flag : {option.short_flag, option.flag})
        if (!flag.empty()) flags += fmt::format("{} ", flag);
    text += fmt::format("    {}) _luisy_opts='{}-h --help' ;;\n", command.name, flags);
  }
  text += fmt::format("    *) _luisy_opts='{}' ;;\n  esac\n}}\n\n", global.substr(1));

  text +=
      "# _luisy_operands COMMAND: sets _luisy_opts to its operands: KIND, KIND? (optional), KIND* "
      "(repeated).\n";
  text += "_luisy_operands() {\n  case $1 in\n";
  for (const auto& command : command_table())
    if (!command.hidden)
      text += fmt::format("    {}) _luisy_opts='{}' ;;\n", command.name, bash_operands(command));
  text += "    *) _luisy_opts='' ;;\n  esac\n}\n\n";

  // Per command first (--format differs), then any command's option as a fallback (options
  // before the command, as in `luisy -C DIR build`).
  text +=
      "# _luisy_value COMMAND OPTION: sets _luisy_kind to what the option's value is (empty for a\n"
      "# switch) and _luisy_choices to its choices.\n";
  text += "_luisy_value() {\n  _luisy_kind='' _luisy_choices=''\n  case \"$1 $2\" in\n";
  std::set<std::string_view> seen;
  std::string fallback;
  for (const auto& command : command_table()) {
    if (command.hidden) continue;
    for (const auto& option : command.options) {
      if (!option.takes_value()) continue;
      text += bash_value_case(option_pattern(command.name, option), option);
      if (seen.insert(option.name()).second)
        fallback += bash_value_case(option_pattern("*", option), option);
    }
  }
  text += fallback;
  text += "  esac\n}\n";
  text += kBashMain;
  return text;
}

}  // namespace luisy::cli::completion

namespace luisy::cli {

std::string completion_script(std::string_view shell) {
  using namespace completion;
  if (shell == "bash") return bash_script();
  if (shell == "zsh") return zsh_script();
  if (shell == "fish") return fish_script();
  throw UsageError(fmt::format("completion needs a shell: bash, zsh or fish (not '{}')", shell));
}

}  // namespace luisy::cli
