// libFuzzer target: libyaml and yaml-cpp read the same bytes. Whenever both accept a text
// (yaml_tree.h: parse_libyaml, parse), they must build the same tree, node by node (kind,
// text, plainness, marks, aliases); and parse_pipeline, which tries libyaml first, must
// always give exactly what yaml-cpp alone gives: the same pipeline (every value and place),
// or the same error message and exit status. Any difference traps. Also runs over files:
// fuzz_yaml_diff FILE...
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/yaml_tree.h"
#include "luisy/util/error.h"
#include "yaml_diff.h"

namespace {

using namespace luisy;
using namespace luisy::manifest;

[[noreturn]] void differ(const std::string& what) {
  std::fprintf(stderr, "fuzz_yaml_diff: %s\n", what.c_str());
  __builtin_trap();
}

// Every field, locations included, as one string.
std::string describe(const Pipeline& p) {
  std::string out;
  auto loc = [&](const Location& l) { out += fmt::format("@{}:{}:{} ", l.file, l.line, l.column); };
  auto place = [&](const Place& l) { out += fmt::format("@{}:{} ", l.line, l.column); };
  auto value = [&](const Value& v) {
    out += fmt::format("'{}'", v.text);
    place(v.where);
  };
  auto named = [&](const std::vector<NamedValue>& list) {
    for (const auto& n : list) {
      out += n.name + "=";
      value(n.value);
    }
    out += ";";
  };
  out += fmt::format("{}|{}|{}|{}|{}|{}|{}\n", p.path, p.directory, p.version, p.project,
                     p.remote, p.allow_outside_workspace, p.confirm_after.value_or(-2));
  loc(p.project_where);
  loc(p.remote_where);
  named(p.params);
  for (const auto& v : p.tools) value(v);
  for (const auto& t : p.tasks) {
    out += "\ntask " + t.name;
    place(t.where);
    value(t.cmd);
    for (const auto* list : {&t.inputs, &t.outputs, &t.env(), &t.tools()}) {
      for (const auto& v : *list) value(v);
      out += ";";
    }
    for (const auto& r : t.requires_) {
      out += r.task;
      place(r.where);
      named(r.params);
    }
    named(t.params());
    for (const auto& axis : t.matrix()) {
      out += axis.name;
      place(axis.where);
      for (const auto& v : axis.values) value(v);
    }
    out += fmt::format("{}|{}|{}|{}", t.description(), t.always, t.frozen, t.cache);
  }
  return out + "\n" + p.source;
}

std::string outcome(std::string text, bool exact) {
  try {
    Pipeline p = exact ? parse_pipeline_yaml_cpp(std::move(text), "p/pipeline.yaml")
                       : parse_pipeline_text(std::move(text), "p/pipeline.yaml");
    return "ok " + describe(p);
  } catch (const Error& e) {
    return fmt::format("error {} {}", e.exit_code(), e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (std::optional<yaml::Tree> fast = yaml::parse_libyaml(text)) {
    yaml::Parsed exact;
    bool accepted = true;
    try {
      exact = yaml::parse(text);
    } catch (const std::exception&) {
      accepted = false;
    }
    // Both accept: the same tree. yaml-cpp alone refusing is checked below: the loader must
    // then refuse libyaml's tree too, so that yaml-cpp words the error.
    if (accepted && exact.starts.size() == 1) {
      if (std::string d = yaml::diff_trees(exact.tree, *fast); !d.empty())
        differ("trees differ at " + d);
    }
  }
  std::string mixed = outcome(text, false);
  std::string alone = outcome(text, true);
  if (mixed != alone) differ("parse_pipeline differs:\n" + mixed + "\n---- yaml-cpp alone:\n" + alone);
  return 0;
}
