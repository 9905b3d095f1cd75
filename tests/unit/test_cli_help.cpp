// The command table (cli/help.cpp) against the parser (cli/args.cpp) and what is generated
// from it: help text, man page, completion scripts.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "luisy/cli/args.h"
#include "luisy/cli/completion.h"
#include "luisy/cli/help.h"
#include "luisy/util/error.h"
#include "luisy/util/strings.h"

using namespace luisy::cli;

namespace {

luisy::cli::CommandLine parse(std::vector<std::string> words) {
  words.insert(words.begin(), "luisy");
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

// A value the parser takes for the option.
std::string sample_value(const OptionSpec& option) {
  if (!option.choices.empty()) return std::string(option.choice_list().front());
  if (option.value == "N") return "3";
  if (option.value == "K=V") return "year=2025";
  if (option.value == "SIZE") return "10G";
  if (option.value == "URL") return "file:///tmp/luisy-remote";
  if (option.value == "DIR") return ".";
  return "value";
}

// Every option spelled with a leading '-' in a string literal of args.cpp.
std::set<std::string> parser_options() {
  std::string path = std::string(LUISY_SOURCE_DIR) + "/src/luisy/cli/args.cpp";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  std::set<std::string> options;
  std::regex literal("\"(--?[A-Za-z][-A-Za-z]*)\"");
  for (auto it = std::sregex_iterator(source.begin(), source.end(), literal);
       it != std::sregex_iterator(); ++it)
    options.insert((*it)[1]);
  return options;
}

bool in_table(const std::string& flag) {
  for (const auto& option : global_options())
    if (flag == option.flag || flag == option.short_flag) return true;
  for (const auto& command : command_table())
    for (const auto& option : command.options)
      if (flag == option.flag || flag == option.short_flag) return true;
  return false;
}

}  // namespace

TEST_CASE("help table: the parser accepts every option of every command") {
  for (const auto& command : command_table()) {
    for (const auto& option : command.options) {
      for (std::string_view flag : {option.flag, option.short_flag}) {
        if (flag.empty()) continue;
        CAPTURE(command.name);
        CAPTURE(flag);
        std::vector<std::string> words = {std::string(command.name), std::string(flag)};
        if (option.takes_value()) words.push_back(sample_value(option));
        CHECK_NOTHROW(parse(words));
        CHECK(parse(words).command == command.name);
        if (option.takes_value() && flag.substr(0, 2) == "--") {
          // --flag=value as well
          CHECK_NOTHROW(
              parse({std::string(command.name), std::string(flag) + "=" + sample_value(option)}));
        }
      }
    }
  }
  for (const auto& option : global_options()) CHECK_NOTHROW(parse({std::string(option.name())}));
}

TEST_CASE("help table: every option the parser knows is in the table") {
  std::set<std::string> options = parser_options();
  CHECK(options.count("--param") == 1);  // the scan itself works
  for (const auto& flag : options) {
    if (flag == "--") continue;
    CAPTURE(flag);
    CHECK_MESSAGE(in_table(flag),
                  "add a line for " << flag << " to the command table in src/luisy/cli/help.cpp");
  }
}

TEST_CASE("help table: names are unique and the parser knows every command") {
  std::set<std::string_view> names;
  for (const auto& command : command_table()) {
    CAPTURE(command.name);
    CHECK(names.insert(command.name).second);
    std::set<std::string_view> flags;
    for (const auto& option : command.options) {
      CHECK(!option.help.empty());
      CHECK(!option.name().empty());
      if (!option.flag.empty()) CHECK(flags.insert(option.flag).second);
      if (!option.short_flag.empty()) CHECK(flags.insert(option.short_flag).second);
    }
  }
}

TEST_CASE("help: text for every command, generated from the table") {
  std::string overview = help_text("");
  for (const auto& command : command_table()) {
    CAPTURE(command.name);
    CHECK((overview.find("\n  " + std::string(command.name) + " ") != std::string::npos) !=
          command.hidden);
    std::string text = help_text(std::string(command.name));
    CHECK(text.rfind("usage: luisy " + std::string(command.name), 0) == 0);
    for (const auto& option : command.options)
      CHECK(text.find(option.label()) != std::string::npos);
  }
  CHECK_THROWS_AS(help_text("no-such-command"), luisy::UsageError);
}

TEST_CASE("help: synopses show values, choices, repetition and required options") {
  std::string build = find_command("build")->synopsis();
  CHECK(build.rfind("luisy build [FILE] [TASK...] [-j N] [-k]", 0) == 0);
  CHECK(build.find("[--param K=V]...") != std::string::npos);
  CHECK(find_command("graph")->synopsis().find("[--format dot|mermaid|svg|png]") != std::string::npos);
  CHECK(find_command("status")->synopsis().find("[--remote [URL]]") != std::string::npos);
  CHECK(find_command("cache")->synopsis() == "luisy cache trim --max-size SIZE");
  for (const auto& command : command_table())
    for (const auto& line : luisy::util::split(command.synopsis(), '\n')) CHECK(line.size() <= 80);
}

TEST_CASE("help: operands") {
  auto explain = operands_of(*find_command("explain"));
  REQUIRE(explain.size() == 2);
  CHECK(explain[0].kind == OperandSpec::Kind::kFile);
  CHECK(explain[0].optional);
  CHECK(explain[1].kind == OperandSpec::Kind::kTask);
  CHECK_FALSE(explain[1].optional);
  auto completion = operands_of(*find_command("completion"));
  REQUIRE(completion.size() == 1);
  CHECK(completion[0].kind == OperandSpec::Kind::kChoice);
  CHECK(completion[0].choices == std::vector<std::string_view>{"bash", "zsh", "fish"});
}

TEST_CASE("man page: a section per command, every option, the fixed sections") {
  std::string page = man_page();
  CHECK(page.rfind(".\\\"", 0) == 0);
  CHECK(page.find(".TH LUISY 1") != std::string::npos);
  for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS",
                              "ENVIRONMENT", "FILES", "SEE ALSO"})
    CHECK(page.find(std::string(".SH ") + section + "\n") != std::string::npos);
  for (const auto& command : command_table()) {
    CAPTURE(command.name);
    CHECK((page.find(".SS " + std::string(command.name) + "\n") != std::string::npos) !=
          command.hidden);
    if (command.hidden) continue;
    for (const auto& option : command.options) {
      std::string roff = "\\fB";
      for (char c : option.name()) roff += c == '-' ? std::string("\\-") : std::string(1, c);
      CHECK(page.find(roff) != std::string::npos);
    }
  }
  for (const auto& variable : environment_table())
    CHECK(page.find(".B " + std::string(variable.name)) != std::string::npos);
  // No line starts with a stray control character from the prose.
  for (const auto& line : luisy::util::split(page, '\n')) CHECK(line.rfind("'", 0) != 0);
}

TEST_CASE("completion: scripts name every command and option") {
  for (const char* shell : {"bash", "zsh", "fish"}) {
    CAPTURE(shell);
    std::string script = completion_script(shell);
    CHECK(script.find("__complete-tasks") != std::string::npos);
    for (const auto& command : command_table()) {
      if (command.hidden) continue;
      CHECK(script.find(std::string(command.name)) != std::string::npos);
      for (const auto& option : command.options)
        for (const auto& choice : option.choice_list())
          CHECK(script.find(std::string(choice)) != std::string::npos);
    }
  }
  CHECK(completion_script("bash").find(
            "'graph --format') _luisy_kind=choice _luisy_choices='dot mermaid svg png'") !=
        std::string::npos);
  CHECK(completion_script("fish").find("-l format -x -a 'text json'") != std::string::npos);
  CHECK_THROWS_AS(completion_script("tcsh"), luisy::UsageError);
}

TEST_CASE("completion: the pipeline file the typed words name") {
  CHECK(completion_pipeline_path({}) == "pipeline.yaml");
  CHECK(completion_pipeline_path({"build"}) == "pipeline.yaml");
  CHECK(completion_pipeline_path({"build", "Clean"}) == "pipeline.yaml");
  CHECK(completion_pipeline_path({"build", "sub/x.yaml", "Clean"}) == "sub/x.yaml");
  CHECK(completion_pipeline_path({"build", "-C", "dir", "Clean"}) == "dir/pipeline.yaml");
  CHECK(completion_pipeline_path({"-C", "dir", "build", "p.yaml"}) == "dir/p.yaml");
  CHECK(completion_pipeline_path({"build", "-Cdir", "p.yml"}) == "dir/p.yml");
  CHECK(completion_pipeline_path({"build", "--directory=dir"}) == "dir/pipeline.yaml");
  CHECK(completion_pipeline_path({"build", "-j", "4", "p.yml"}) == "p.yml");
  CHECK(completion_pipeline_path({"build", "-j4", "p.yml"}) == "p.yml");
  CHECK(completion_pipeline_path({"build", "--param", "file=a.yaml", "Clean"}) == "pipeline.yaml");
  CHECK(completion_pipeline_path({"build", "--remote", "file:///r.yaml", "Clean"}) ==
        "pipeline.yaml");
  CHECK(completion_pipeline_path({"status", "--remote", "q.yaml"}) ==
        "q.yaml");  // --remote without URL
  CHECK(completion_pipeline_path({"status", "--remote", "azure://a/c", "q.yaml"}) == "q.yaml");
  CHECK(completion_pipeline_path({"build", "--", "x.yaml"}) == "x.yaml");
}
