#include "luisy/manifest/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "luisy/manifest/manifest_error.h"
#include "luisy/manifest/validate.h"
#include "luisy/manifest/yaml_tree.h"
#include "luisy/util/fs.h"

namespace luisy::manifest {

namespace {

bool is_credential_variable(std::string_view name) {
  for (std::string_view secret :
       {"LUISY_AZURE_STORAGE_KEY", "LUISY_AZURE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"})
    if (name == secret) return true;
  return false;
}

constexpr std::string_view kTopKeys[] = {
    "luisy", "project", "remote",        "params",
    "tools", "tasks",   "confirm_after", "allow_outside_workspace"};
constexpr std::string_view kTaskKeys[] = {"cmd",    "inputs", "outputs", "requires",
                                          "params", "matrix", "env",     "description",
                                          "tools",  "always", "frozen",  "cache"};
constexpr std::string_view kRequirementKeys[] = {"task", "params"};

std::string_view describe(yaml::Node node) {
  switch (node.kind()) {
    case yaml::Kind::kNull:
      return "nothing";
    case yaml::Kind::kScalar:
      return "a single value";
    case yaml::Kind::kSequence:
      return "a list";
    case yaml::Kind::kMap:
      return "a mapping";
  }
  return "undefined";
}

// Walks the YAML tree once, in file order, and throws ManifestError at the first problem.
// Every message names where it is ("in task 'Clean'") so it reads well without the excerpt.
class Reader {
 public:
  Reader(std::string_view source, const std::string& path) : source_(source), path_(path) {}

  Pipeline read(yaml::Node root);

  Location at(const YAML::Mark& mark) const {
    if (mark.is_null()) return Location{path_, 0, 0};
    return Location{path_, mark.line + 1, mark.column + 1};
  }
  Location at(yaml::Node node) const { return at(node.mark()); }
  static Place place(yaml::Node node) {
    const YAML::Mark& mark = node.mark();
    if (mark.is_null()) return Place{};
    return Place{mark.line + 1, mark.column + 1};
  }

  [[noreturn]] void fail(const Location& where, const std::string& message) const {
    throw ManifestError(where, message, source_);
  }

 private:
  // The place of the character at `offset` inside a scalar's value. Only a plain scalar on
  // one line maps offsets to columns exactly; for the others we point at the scalar itself.
  Location at_offset(yaml::Node scalar, size_t offset) const {
    Location where = at(scalar);
    std::string_view text = scalar.scalar();
    YAML::Mark mark = scalar.mark();
    if (scalar.is_plain() && mark.pos >= 0 && static_cast<size_t>(mark.pos) <= source_.size() &&
        source_.substr(static_cast<size_t>(mark.pos), text.size()) == text) {
      where.column += static_cast<int>(offset);
    }
    return where;
  }

  // Calls visit(key_node, key, value_node) for each entry in file order. yaml-cpp keeps
  // duplicate keys without a word, so they are caught here.
  template <typename Visit>
  void for_each_entry(yaml::Node map, std::string_view noun, const std::string& context,
                      Visit&& visit) const {
    // Most maps hold a few keys: a linear search beats hashing them (and allocates nothing).
    constexpr size_t kLinear = 16;
    std::unordered_map<std::string_view, int> seen;
    size_t count = map.size();
    for (size_t i = 0; i < count; ++i) {
      yaml::Node key = map.key(i);
      if (!key.is_scalar()) {
        fail(at(key),
             fmt::format("{} names {} must be plain text, not {}", noun, context, describe(key)));
      }
      std::string_view name = key.scalar();
      int first = 0;
      if (count <= kLinear) {
        for (size_t j = 0; j < i && first == 0; ++j)
          if (map.key(j).scalar() == name) first = map.key(j).mark().line + 1;
      } else if (auto [it, inserted] = seen.emplace(name, key.mark().line + 1); !inserted) {
        first = it->second;
      }
      if (first != 0) {
        fail(at(key),
             fmt::format("duplicate {} '{}' {} (first at line {})", noun, name, context, first));
      }
      visit(key, name, map.value(i));
    }
  }

  [[noreturn]] void unknown_key(yaml::Node key, const std::string& context,
                                std::span<const std::string_view> known,
                                std::string_view hint = {}) const {
    std::string_view name = key.scalar();
    std::string message = fmt::format("unknown key '{}' {}", name, context);
    std::string_view closest = closest_key(name, known);
    if (!closest.empty()) {
      message += fmt::format("; did you mean '{}'?", closest);
    } else if (!hint.empty()) {
      message += fmt::format("; {}", hint);
    } else {
      message += fmt::format("; known keys: {}", fmt::join(known, ", "));
    }
    fail(at(key), message);
  }

  // The text of a scalar value. A missing value points at the key (yaml-cpp places an empty
  // value on the next token), a value of the wrong shape at the value.
  std::string_view scalar(yaml::Node key, yaml::Node value, std::string_view what,
                          std::string_view expected = "a single value") const {
    if (value.is_null()) fail(at(key), fmt::format("{} needs a value", what));
    if (!value.is_scalar()) {
      fail(at(value), fmt::format("{} must be {}, not {}", what, expected, describe(value)));
    }
    return value.scalar();
  }

  // Every command, path and parameter value passes here. A NUL ("\0" in a double-quoted
  // string) would cut a path or command short where the C library reads it, so that luisy
  // and the file system would disagree about the name (a glob recursed forever on it:
  // tests/fuzz/corpus/loader/regress-nul-in-glob.yaml).
  Value value_of(yaml::Node scalar) const {
    if (scalar.scalar().find('\0') != std::string::npos)
      fail(at(scalar), "a value cannot contain a NUL character (\\0)");
    return Value{std::string(scalar.scalar()), place(scalar)};
  }

  // A list of scalars; a single scalar counts as a list of one.
  template <typename Visit>
  void for_each_item(yaml::Node key, yaml::Node value, std::string_view what, Visit&& visit) const {
    if (value.is_null()) {
      fail(at(key), fmt::format("{} needs a value (write [] for none, or remove the key)", what));
    }
    if (value.is_scalar()) {
      visit(value);
      return;
    }
    if (!value.is_sequence()) {
      fail(at(value), fmt::format("{} must be a list, not {}", what, describe(value)));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      yaml::Node item = value.item(i);
      if (item.is_null()) fail(at(item), fmt::format("empty entry in {}", what));
      visit(item);
    }
  }

  void check_identifier(yaml::Node node, std::string_view noun) const {
    std::string_view name = node.scalar();
    if (!is_identifier(name)) {
      fail(at(node), fmt::format("invalid {} '{}': names start with a letter or '_' and contain "
                                 "only letters, digits and '_'",
                                 noun, name));
    }
  }

  void check_parameter_name(yaml::Node node) const {
    check_identifier(node, "parameter name");
    std::string_view name = node.scalar();
    if (name == "in" || name == "out") {
      fail(at(node),
           fmt::format("parameter name '{}' is reserved for the {{{}}} placeholder", name, name));
    }
  }

  void check_template_value(yaml::Node node, TemplateUse use, std::string_view what) const {
    if (auto problem = check_template(node.scalar(), use)) {
      fail(at_offset(node, problem->offset), fmt::format("in {}: {}", what, problem->message));
    }
  }

  std::vector<NamedValue> read_params(yaml::Node key, yaml::Node value,
                                      const std::string& context) const;
  std::vector<Value> read_paths(yaml::Node key, yaml::Node value, std::string_view what,
                                const std::string& context) const;
  std::vector<Requirement> read_requires(yaml::Node key, yaml::Node value,
                                         const std::string& task) const;
  std::vector<MatrixAxis> read_matrix(yaml::Node key, yaml::Node value,
                                      const std::string& context) const;
  TaskSpec read_task(yaml::Node key, yaml::Node body) const;
  std::vector<Value> read_tools(yaml::Node key, yaml::Node value, const std::string& context) const;
  bool read_bool(yaml::Node key, yaml::Node value, const std::string& what) const;
  void check_version(yaml::Node root) const;
  bool read_allow_outside(yaml::Node root) const;

  std::string_view source_;
  bool allow_outside_ = false;  // `allow_outside_workspace: true`, read before the tasks
  const std::string& path_;
};

std::vector<NamedValue> Reader::read_params(yaml::Node key, yaml::Node value,
                                            const std::string& context) const {
  std::string where = fmt::format("'params' {}", context);
  if (value.is_null()) fail(at(key), fmt::format("{} needs a value", where));
  if (!value.is_map()) {
    fail(at(value),
         fmt::format("{} must be a mapping of names to values, not {}", where, describe(value)));
  }
  std::vector<NamedValue> params;
  params.reserve(value.size());
  for_each_entry(value, "parameter", fmt::format("in {}", where),
                 [&](yaml::Node name, std::string_view text, yaml::Node item) {
                   check_parameter_name(name);
                   std::string what = fmt::format("parameter '{}' {}", text, context);
                   if (item.is_sequence()) {
                     fail(at(item), fmt::format("{} must be a single value (a string, number or "
                                                "boolean), not a list; use 'matrix' for one "
                                                "instance per value",
                                                what));
                   }
                   scalar(name, item, what, "a single value (a string, number or boolean)");
                   params.push_back(NamedValue{std::string(text), value_of(item)});
                 });
  return params;
}

std::vector<Value> Reader::read_paths(yaml::Node key, yaml::Node value, std::string_view what,
                                      const std::string& context) const {
  std::string list = fmt::format("'{}' {}", what, context);
  std::string_view kind = what == "inputs" ? "input" : "output";
  std::vector<Value> paths;
  paths.reserve(std::max<size_t>(value.size(), 1));  // a scalar is a list of one
  for_each_item(key, value, list, [&](yaml::Node item) {
    if (!item.is_scalar()) {
      fail(at(item), fmt::format("entries of {} must be paths, not {}", list, describe(item)));
    }
    check_template_value(item, TemplateUse::kPath, list);
    bool opted_in = allow_outside_ && !item.scalar().empty();  // empty is never a path
    if (auto problem = opted_in ? std::nullopt : check_workspace_path(item.scalar(), kind)) {
      fail(at_offset(item, problem->offset), fmt::format("in {}: {}", list, problem->message));
    }
    paths.push_back(value_of(item));
  });
  return paths;
}

std::vector<Requirement> Reader::read_requires(yaml::Node key, yaml::Node value,
                                               const std::string& task) const {
  std::string list = fmt::format("'requires' of task '{}'", task);
  std::string entry_context = fmt::format("in a 'requires' entry of task '{}'", task);
  std::vector<Requirement> requirements;
  requirements.reserve(std::max<size_t>(value.size(), 1));
  for_each_item(key, value, list, [&](yaml::Node item) {
    if (item.is_scalar()) {
      check_identifier(item, "task name");
      requirements.push_back(Requirement{std::string(item.scalar()), {}, place(item)});
      return;
    }
    if (!item.is_map()) {
      fail(at(item), fmt::format("entries of {} must be task names or mappings "
                                 "{{task: NAME, params: {{...}}}}, not {}",
                                 list, describe(item)));
    }
    Requirement requirement;
    bool has_task = false;
    for_each_entry(item, "key", entry_context,
                   [&](yaml::Node k, std::string_view name, yaml::Node v) {
                     if (name == "task") {
                       scalar(k, v, fmt::format("'task' {}", entry_context), "a task name");
                       check_identifier(v, "task name");
                       requirement.task = v.scalar();
                       requirement.where = place(v);
                       has_task = true;
                     } else if (name == "params") {
                       requirement.params = read_params(k, v, entry_context);
                     } else {
                       unknown_key(k, entry_context, kRequirementKeys,
                                   "an entry is a task name or {task: NAME, params: {K: V}}");
                     }
                   });
    if (!has_task) {
      fail(at(item), fmt::format("a 'requires' entry of task '{}' needs 'task': "
                                 "{{task: NAME, params: {{K: V}}}}",
                                 task));
    }
    requirements.push_back(std::move(requirement));
  });
  return requirements;
}

std::vector<MatrixAxis> Reader::read_matrix(yaml::Node key, yaml::Node value,
                                            const std::string& context) const {
  std::string where = fmt::format("'matrix' {}", context);
  if (value.is_null()) fail(at(key), fmt::format("{} needs a value", where));
  if (!value.is_map()) {
    fail(at(value), fmt::format("{} must be a mapping of names to lists of values, not {}", where,
                                describe(value)));
  }
  std::vector<MatrixAxis> axes;
  for_each_entry(
      value, "matrix axis", fmt::format("in {}", where),
      [&](yaml::Node name, std::string_view text, yaml::Node list) {
        check_parameter_name(name);
        std::string what = fmt::format("matrix axis '{}' {}", text, context);
        if (list.is_null()) fail(at(name), fmt::format("{} needs values", what));
        if (!list.is_sequence()) {
          fail(at(list), fmt::format("{} must be a list of values, as in [a, b], "
                                     "not {}",
                                     what, describe(list)));
        }
        if (list.size() == 0) fail(at(list), fmt::format("{} has no values", what));
        MatrixAxis axis{std::string(text), {}, place(name)};
        axis.values.reserve(list.size());
        std::unordered_set<std::string_view> seen;
        for (size_t i = 0; i < list.size(); ++i) {
          yaml::Node item = list.item(i);
          if (item.is_null()) fail(at(item), fmt::format("empty value in {}", what));
          if (!item.is_scalar()) {
            fail(at(item),
                 fmt::format("values of {} must be single values, not {}", what, describe(item)));
          }
          if (!seen.insert(item.scalar()).second) {
            fail(at(item), fmt::format("duplicate value '{}' in {}", item.scalar(), what));
          }
          axis.values.push_back(value_of(item));
        }
        axes.push_back(std::move(axis));
      });
  return axes;
}

std::vector<Value> Reader::read_tools(yaml::Node key, yaml::Node value,
                                      const std::string& context) const {
  std::string list = fmt::format("'tools' {}", context);
  std::vector<Value> tools;
  tools.reserve(std::max<size_t>(value.size(), 1));
  for_each_item(key, value, list, [&](yaml::Node item) {
    if (!item.is_scalar()) {
      fail(at(item),
           fmt::format("entries of {} must be executable names, not {}", list, describe(item)));
    }
    if (auto problem = check_tool_name(item.scalar()))
      fail(at(item), fmt::format("in {}: {}", list, *problem));
    tools.push_back(value_of(item));
  });
  return tools;
}

// YAML 1.2 core booleans only: `yes`/`no` are strings there, and guessing would surprise.
bool Reader::read_bool(yaml::Node key, yaml::Node value, const std::string& what) const {
  std::string_view text = scalar(key, value, what, "true or false");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  fail(at(value), fmt::format("{} must be true or false, not '{}'", what, text));
}

TaskSpec Reader::read_task(yaml::Node key, yaml::Node body) const {
  check_identifier(key, "task name");
  TaskSpec task;
  task.name = key.scalar();
  task.where = place(key);
  std::string context = fmt::format("in task '{}'", task.name);
  if (body.is_null()) fail(at(key), fmt::format("task '{}' is empty; it needs a 'cmd'", task.name));
  if (!body.is_map()) {
    fail(at(body), fmt::format("task '{}' must be a mapping (cmd, inputs, outputs, ...), not {}",
                               task.name, describe(body)));
  }
  std::string of_task = fmt::format("of task '{}'", task.name);
  bool has_cmd = false;
  Location always_where;
  for_each_entry(body, "key", context, [&](yaml::Node k, std::string_view name, yaml::Node v) {
    if (name == "cmd") {
      std::string what = fmt::format("'cmd' {}", of_task);
      if (scalar(k, v, what, "a string").empty()) {
        fail(at(v), fmt::format("{} is empty", what));
      }
      check_template_value(v, TemplateUse::kCommand, what);
      task.cmd = value_of(v);
      has_cmd = true;
    } else if (name == "inputs") {
      task.inputs = read_paths(k, v, "inputs", of_task);
    } else if (name == "outputs") {
      task.outputs = read_paths(k, v, "outputs", of_task);
    } else if (name == "requires") {
      task.requires_ = read_requires(k, v, task.name);
    } else if (name == "params") {
      task.params() = read_params(k, v, of_task);
    } else if (name == "matrix") {
      task.matrix() = read_matrix(k, v, of_task);
    } else if (name == "env") {
      for_each_item(k, v, fmt::format("'env' {}", of_task), [&](yaml::Node item) {
        if (!item.is_scalar()) {
          fail(at(item), fmt::format("entries of 'env' {} must be variable names, "
                                     "not {}",
                                     of_task, describe(item)));
        }
        check_identifier(item, "environment variable name");
        if (is_credential_variable(value_of(item).text))
          fail(at(item),
               fmt::format("'env' {} names {}, a credential: its value would become part "
                           "of the task's key and of the records shared through the cache",
                           of_task, value_of(item).text));
        task.env().push_back(value_of(item));
      });
    } else if (name == "description") {
      task.description() = scalar(k, v, fmt::format("'description' {}", of_task), "a string");
    } else if (name == "tools") {
      task.tools() = read_tools(k, v, of_task);
    } else if (name == "always") {
      task.always = read_bool(k, v, fmt::format("'always' {}", of_task));
      always_where = at(k);
    } else if (name == "frozen") {
      task.frozen = read_bool(k, v, fmt::format("'frozen' {}", of_task));
    } else if (name == "cache") {
      task.cache = read_bool(k, v, fmt::format("'cache' {}", of_task));
    } else {
      unknown_key(k, context, kTaskKeys);
    }
  });
  if (!has_cmd) fail(at(key), fmt::format("task '{}' has no 'cmd'", task.name));
  if (task.always && task.frozen) {
    fail(always_where, fmt::format("task '{}' is both 'always: true' and 'frozen: true'; "
                                   "a task either reruns on every build or never",
                                   task.name));
  }
  return task;
}

// The version comes first: a file written for another version is refused as such, before
// any of its keys are judged by this version's rules.
void Reader::check_version(yaml::Node root) const {
  for (size_t i = 0; i < root.size(); ++i) {
    if (!root.key(i).is_scalar() || root.key(i).scalar() != "luisy") continue;
    yaml::Node value = root.value(i);
    std::string_view version =
        scalar(root.key(i), value, "'luisy' (the pipeline file version)", "the number 1");
    if (version == "1") return;
    bool is_number =
        !version.empty() && version.find_first_not_of("0123456789") == std::string::npos;
    if (is_number) {
      fail(at(value),
           fmt::format("unsupported pipeline version {}; this luisy reads version 1", version));
    }
    fail(at(value), fmt::format("'luisy' must be the pipeline file version 1, not '{}'", version));
  }
  fail(at(root), "missing 'luisy: 1' (the pipeline file version) at top level");
}

// Paths are checked as the tasks are read, so the opt-in is read first wherever it stands.
bool Reader::read_allow_outside(yaml::Node root) const {
  for (size_t i = 0; i < root.size(); ++i) {
    if (!root.key(i).is_scalar() || root.key(i).scalar() != "allow_outside_workspace") continue;
    std::string_view value =
        scalar(root.key(i), root.value(i), "'allow_outside_workspace'", "true or false");
    if (value == "true" || value == "True" || value == "TRUE") return true;
    if (value == "false" || value == "False" || value == "FALSE") return false;
    fail(at(root.value(i)),
         fmt::format("'allow_outside_workspace' must be true or false, not '{}'", value));
  }
  return false;
}

Pipeline Reader::read(yaml::Node root) {
  if (!root.is_map()) {
    fail(at(root), fmt::format("a pipeline file must be a mapping with 'luisy', 'project' and "
                               "'tasks', not {}",
                               describe(root)));
  }
  check_version(root);
  allow_outside_ = read_allow_outside(root);
  Pipeline pipeline;
  pipeline.allow_outside_workspace = allow_outside_;
  bool has_project = false;
  bool has_tasks = false;
  const std::string top = "at top level";
  for_each_entry(root, "key", top, [&](yaml::Node k, std::string_view name, yaml::Node v) {
    if (name == "luisy" || name == "allow_outside_workspace") {
      // Read by check_version and read_allow_outside.
    } else if (name == "project") {
      std::string_view project = scalar(k, v, "'project'", "a name");
      if (!is_project_name(project)) {
        fail(at(v), fmt::format("invalid project name '{}': use lowercase letters, "
                                "digits, '.', '_' and '-', starting with a letter "
                                "or digit",
                                project));
      }
      pipeline.project = project;
      pipeline.project_where = at(v);
      has_project = true;
    } else if (name == "remote") {
      std::string_view remote = scalar(k, v, "'remote'", "a URL or a path");
      if (remote.empty()) fail(at(v), "'remote' is empty");
      // A query string is where a SAS token would go: refuse it, and without the usual
      // excerpt of the line, so the token is not printed back.
      if (remote.find('?') != std::string::npos)
        throw ManifestError(at(v),
                            "'remote' must not carry a query string: a SAS token belongs in "
                            "LUISY_AZURE_SAS_TOKEN, never in the pipeline file");
      pipeline.remote = remote;
      pipeline.remote_where = at(v);
    } else if (name == "params") {
      pipeline.params = read_params(k, v, top);
    } else if (name == "tools") {
      pipeline.tools = read_tools(k, v, top);
    } else if (name == "confirm_after") {
      std::string_view text = scalar(k, v, "'confirm_after'", "a duration such as 10m");
      pipeline.confirm_after = parse_duration(text);
      if (!pipeline.confirm_after) {
        fail(at(v), fmt::format("'confirm_after' must be a duration such as 90s, 10m or 2h, "
                                "or 'never', not '{}'",
                                text));
      }
    } else if (name == "tasks") {
      if (v.is_null()) fail(at(k), "'tasks' needs at least one task");
      if (!v.is_map()) {
        fail(at(v), fmt::format("'tasks' must be a mapping of task names to "
                                "tasks, not {}",
                                describe(v)));
      }
      if (v.size() == 0) fail(at(v), "'tasks' needs at least one task");
      pipeline.tasks.reserve(v.size());
      for_each_entry(v, "task", "in 'tasks'",
                     [&](yaml::Node task_key, std::string_view, yaml::Node body) {
                       pipeline.tasks.push_back(read_task(task_key, body));
                     });
      has_tasks = true;
    } else {
      unknown_key(k, top, kTopKeys);
    }
  });
  if (!has_project) fail(at(root), "missing 'project' at top level");
  if (!has_tasks) fail(at(root), "missing 'tasks' at top level");
  return pipeline;
}

// Placeholders inside flow lists (`outputs: [data/{year}.csv]`) are the classic way to
// break YAML: braces are flow indicators there. When the failing line has a brace glued to
// text, say how to write it.
std::string yaml_hint(std::string_view source, const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  size_t start = 0;
  for (int line = 0; line < mark.line; ++line) {
    start = source.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  std::string_view line = source.substr(start, source.find('\n', start) - start);
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '{' && std::string_view(" \t[{,:").find(line[i - 1]) == std::string_view::npos) {
      return " (inside [ ] or { }, a value with a placeholder must be quoted, as in "
             "['data/{year}.csv'], or written as a block list with '- ')";
    }
  }
  return {};
}

}  // namespace

Pipeline parse_pipeline(std::string_view text, const std::string& path) {
  return parse_pipeline_text(std::string(text), path);
}

Pipeline parse_pipeline_text(std::string owned, const std::string& path) {
  if (auto pipeline = parse_pipeline_libyaml(owned, path)) return std::move(*pipeline);
  return parse_pipeline_yaml_cpp(std::move(owned), path);
}

std::optional<Pipeline> parse_pipeline_libyaml(std::string& text, const std::string& path) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) return std::nullopt;
  std::optional<yaml::Tree> tree = yaml::parse_libyaml(text);
  if (!tree) return std::nullopt;
  std::optional<Pipeline> pipeline;
  try {
    pipeline = Reader(text, path).read(tree->root_node());
  } catch (const ManifestError&) {
    return std::nullopt;  // yaml-cpp's tree words it
  }
  tree.reset();  // the tree goes before the caller builds a graph from the pipeline
  pipeline->path = path;
  pipeline->directory = util::dirname(util::absolute_path(path));
  pipeline->source = std::move(text);
  return pipeline;
}

Pipeline parse_pipeline_yaml_cpp(std::string owned, const std::string& path) {
  std::string_view text = owned;
  Reader reader(text, path);
  // yaml-cpp's marks are ints; past 2 GiB they would point nowhere.
  if (text.size() > static_cast<size_t>(INT32_MAX))
    reader.fail(Location{path, 0, 0}, "the pipeline file is larger than 2 GiB");
  yaml::Parsed parsed;
  try {
    parsed = yaml::parse(text);
  } catch (const YAML::ParserException& e) {
    reader.fail(reader.at(e.mark),
                fmt::format("invalid YAML: {}{}", e.msg, yaml_hint(text, e.mark)));
  } catch (const YAML::Exception& e) {
    reader.fail(reader.at(e.mark), fmt::format("cannot read YAML: {}", e.msg));
  }
  // A second document makes the file wrong; a document that starts where the previous one
  // did means the parser is stuck on a token it cannot use (yaml_tree.cpp).
  const auto& starts = parsed.starts;
  if (starts.empty()) {
    reader.fail(Location{path, 1, 1},
                "the pipeline file is empty; it needs 'luisy: 1', "
                "'project' and 'tasks'");
  }
  for (size_t i = 1; i < starts.size(); ++i) {
    if (starts[i].pos != starts[i - 1].pos) continue;
    size_t pos = static_cast<size_t>(starts[i].pos);
    std::string token = pos < text.size() ? std::string(1, text[pos]) : "end of file";
    reader.fail(reader.at(starts[i]),
                fmt::format("invalid YAML: unexpected '{}' outside a flow collection ([ ] or "
                            "{{ }}){}",
                            token, yaml_hint(text, starts[i])));
  }
  if (starts.size() > 1) {
    reader.fail(reader.at(parsed.second_node.is_null() ? starts[1] : parsed.second_node),
                "a pipeline file holds one YAML document, not several");
  }
  Pipeline pipeline = reader.read(parsed.tree.root_node());
  parsed = {};  // the tree goes before the caller builds a graph from the pipeline
  pipeline.path = path;
  pipeline.directory = util::dirname(util::absolute_path(path));
  pipeline.source = std::move(owned);
  return pipeline;
}

Pipeline load_pipeline(const std::string& path) {
  std::optional<std::string> text = util::read_file_if_exists(path);
  if (!text) {
    throw Error(fmt::format("cannot open pipeline file {}: {}", path, std::strerror(ENOENT)),
                kExitUsage);
  }
  return parse_pipeline_text(std::move(*text), path);
}

}  // namespace luisy::manifest
