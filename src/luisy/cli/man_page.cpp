// luisy.1, generated from the command table in help.cpp (`luisy help --man`; CMake writes
// build/luisy.1 with it and installs it into share/man/man1).
#include <fmt/format.h>

#include "luisy/cli/help.h"

namespace luisy::cli {

namespace {

// Prose for roff: backslashes escaped, `code` in bold, a '-' that starts a word (an option)
// as a minus sign, and a line never starting with a control character.
std::string roff_text(std::string_view text) {
  std::string out;
  bool in_code = false;
  char previous = ' ';
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '`') {
      out += in_code ? "\\fR" : "\\fB";
      in_code = !in_code;
    } else if (c == '-' && (previous == ' ' || previous == '(' || previous == '[' ||
                            previous == '-' || previous == '`' || previous == '|')) {
      out += "\\-";
    } else {
      out += c;
    }
    previous = c;
  }
  if (in_code) out += "\\fR";
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string roff_flag(std::string_view flag) {
  std::string out = "\\fB";
  for (char c : flag) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out + "\\fR";
}

// An option's value: `N` in italics, `text|json` as bold literals.
std::string roff_value(const OptionSpec& option) {
  if (option.choices.empty()) return fmt::format("\\fI{}\\fR", option.value);
  std::string out;
  for (std::string_view choice : option.choice_list())
    out += fmt::format("{}\\fB{}\\fR", out.empty() ? "" : "|", choice);
  return out;
}

// "[\fB\-j\fR\ \fIN\fR]": an unbreakable space keeps an option and its value together.
std::string roff_usage(const OptionSpec& option) {
  std::string text = roff_flag(option.short_flag.empty() ? option.flag : option.short_flag);
  if (option.takes_value())
    text +=
        (option.optional_value ? "\\ [" + roff_value(option) + "]" : "\\ " + roff_value(option));
  if (option.required) return text;
  return option.repeatable ? fmt::format("[{}]...\\&", text) : fmt::format("[{}]", text);
}

std::string roff_label(const OptionSpec& option) {
  std::string text;
  if (!option.short_flag.empty()) text += roff_flag(option.short_flag);
  if (!option.short_flag.empty() && !option.flag.empty()) text += ", ";
  if (!option.flag.empty()) text += roff_flag(option.flag);
  if (option.takes_value())
    text += (option.optional_value ? " [" + roff_value(option) + "]" : " " + roff_value(option));
  return text;
}

std::string roff_operand(const OperandSpec& operand) {
  std::string text;
  if (operand.kind == OperandSpec::Kind::kChoice) {
    for (std::string_view choice : operand.choices)
      text += fmt::format("{}\\fB{}\\fR", text.empty() ? "" : "|", choice);
  } else {
    text = fmt::format("\\fI{}\\fR", operand.name);
  }
  if (operand.repeated) text += "...\\&";  // \& : not the end of a sentence
  return operand.optional ? fmt::format("[{}]", text) : text;
}

std::string capitalised(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string command_section(const CommandSpec& command) {
  std::string text = fmt::format(".SS {}\n.SY \"luisy {}\"\n", command.name, command.name);
  std::vector<std::string> words;
  for (const auto& operand : operands_of(command)) words.push_back(roff_operand(operand));
  for (const auto& option : command.options) words.push_back(roff_usage(option));
  for (const auto& word : words) text += word + "\n";
  text += fmt::format(".YS\n.PP\n{}.\n", roff_text(capitalised(command.summary)));
  // The summary opened the paragraph; each detail line is a paragraph or an example line.
  bool verbatim = false;
  for (std::string_view line : detail_lines(command)) {
    bool example = line.substr(0, 2) == "  ";
    if (example && !verbatim) text += ".PP\n.RS\n.nf\n";
    if (!example && verbatim) text += ".fi\n.RE\n";
    if (!example) text += ".PP\n";
    text += roff_text(example ? line.substr(2) : line) + "\n";
    verbatim = example;
  }
  if (verbatim) text += ".fi\n.RE\n";
  for (const auto& operand : operands_of(command))
    if (!operand.help.empty())
      text += fmt::format(".TP\n.I {}\n{}\n", operand.name, roff_text(operand.help));
  for (const auto& option : command.options)
    text += fmt::format(".TP\n{}\n{}\n", roff_label(option), roff_text(option.help));
  return text;
}

constexpr const char* kDescription = R"(.SH DESCRIPTION
.B luisy
runs data pipelines declared in YAML the way Ninja runs builds.
It computes a content-hash key for every task instance (the command after substitution, its
parameters, the declared environment, its output paths and the digests of its inputs), skips
what is up to date, restores what a local or remote cache holds, and runs the rest as
parallel subprocesses.
.PP
The pipeline file (by default
.I pipeline.yaml
in the current directory) names the tasks, their commands, inputs, outputs and the tasks
they require; its directory is the workspace.
A task instance is a task plus the values of the parameters it uses, shown as a label such as
.IR Clean(year=2024) .
)";

constexpr const char* kFiles = R"(.SH FILES
.TP
.I pipeline.yaml
The pipeline file, when no
.I FILE
is given.
Its JSON Schema is
.I schemas/pipeline.schema.json
in the source tree.
.TP
.I .luisy/
The workspace state, next to the pipeline file:
.I log
(the append-only build log, one checksummed record per result),
.I stats
(the stat cache of file digests),
.I plan
(the compiled plan) and
.I lock
(held by \fBbuild\fR and \fBclean\fR).
Deleting it makes luisy forget what it built: the next build runs every task again,
or restores it from the local content store.
.TP
.I ~/.cache/luisy/
The local content store shared by the workspaces of a user (see
.B LUISY_CACHE_DIR
and
.BR "luisy cache trim" ).
)";

constexpr const char* kExamples = R"(.SH EXAMPLES
.TP
.B luisy build
Bring every final task of ./pipeline.yaml up to date.
.TP
.B luisy build pipeline.yaml Clean \-\-param year=2025 \-j 4
Build the instances of Clean for year 2025, four commands at a time.
.TP
.B luisy status
Show what is up to date and why the rest would run.
.TP
.B luisy build \-\-download \-\-upload \-\-remote azure://myaccount/cache
Take what the team already computed, build the rest, and share it.
.TP
.B luisy completion bash > ~/.local/share/bash\-completion/completions/luisy
Install the bash completion.
)";

constexpr const char* kSeeAlso = R"(.SH SEE ALSO
.BR make (1),
.BR ninja (1),
.BR dot (1)
.PP
The README of the luisy source tree describes the pipeline file in full.
)";

}  // namespace

std::string man_page() {
  std::string text = fmt::format(
      ".\\\" Generated by `luisy help --man` from the command table in src/luisy/cli/help.cpp.\n"
      ".TH LUISY 1 \"\" \"luisy {}\" \"User Commands\"\n"
      ".SH NAME\n"
      "luisy \\- run data pipelines declared in YAML, incrementally and in parallel\n"
      ".SH SYNOPSIS\n",
      LUISY_VERSION);
  for (const auto& command : command_table()) {
    if (command.hidden) continue;
    text += fmt::format(".SY \"luisy {}\"\n", command.name);
    for (const auto& operand : operands_of(command)) text += roff_operand(operand) + "\n";
    text += "[\\fIOPTION\\fR]...\n";  // one .YS after the last: no blank lines between
  }
  text += ".SY luisy\n\\fB\\-\\-version\\fR\n.YS\n";
  text += kDescription;
  text += ".SH COMMANDS\n";
  for (const auto& command : command_table())
    if (!command.hidden) text += command_section(command);
  text += ".SH GLOBAL OPTIONS\n";
  for (const auto& option : global_options())
    text +=
        fmt::format(".TP\n{}\n{}\n", roff_label(option), roff_text(capitalised(option.help)) + ".");
  text += ".SH EXIT STATUS\n";
  for (const auto& status : exit_statuses())
    text += fmt::format(".TP\n.B {}\n{}.\n", status.code, roff_text(capitalised(status.meaning)));
  text += ".SH ENVIRONMENT\n";
  for (const auto& variable : environment_table())
    text += fmt::format(".TP\n.B {}\n{}.\n", variable.name, roff_text(capitalised(variable.help)));
  text += kFiles;
  text += kExamples;
  text += kSeeAlso;
  return text;
}

}  // namespace luisy::cli
