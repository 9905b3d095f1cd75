#include <doctest/doctest.h>

#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"

using namespace luisy;
using namespace luisy::manifest;

namespace {

struct Failure {
  int line = -1;
  int column = -1;
  std::string what = "no error";
  std::string file;
};

Failure failure_of(const std::string& text) {
  try {
    parse_pipeline(text, "dir/pipeline.yaml");
  } catch (const ManifestError& e) {
    return Failure{e.where().line, e.where().column, e.what(), e.where().file};
  }
  return {};
}

// A pipeline whose only task `T` has the given body lines (each indented by 4 spaces):
// the first body line is line 5.
std::string task(const std::string& body) {
  return "luisy: 1\nproject: p\ntasks:\n  T:\n" + body;
}

struct Case {
  const char* name;
  std::string text;
  int line;
  int column;
  const char* message;
};

}  // namespace

TEST_CASE("manifest: errors point at the offending node") {
  const Case cases[] = {
      {"yaml syntax", "luisy: 1\ntasks: [a\n", 3, 1,
       "invalid YAML: end of sequence flow not found"},
      {"bad indentation", "luisy: 1\nproject: p\n  x: y\n", 3, 4, "invalid YAML"},
      {"empty file", "# nothing\n", 1, 1, "the pipeline file is empty"},
      {"top level list", "- a\n- b\n", 1, 1, "must be a mapping"},
      {"two documents", "luisy: 1\n---\nfoo: 1\n", 3, 1, "one YAML document"},
      {"missing luisy", "project: p\ntasks: {A: {cmd: x}}\n", 1, 1, "missing 'luisy: 1'"},
      {"version 2", "luisy: 2\nproject: p\nbogus: 1\n", 1, 8,
       "unsupported pipeline version 2; this luisy reads version 1"},
      {"version text", "luisy: one\n", 1, 8, "'luisy' must be the pipeline file version 1"},
      {"version list", "luisy: [1]\n", 1, 8, "must be the number 1, not a list"},
      {"missing project", "luisy: 1\ntasks: {A: {cmd: x}}\n", 1, 1, "missing 'project'"},
      {"missing tasks", "luisy: 1\nproject: p\n", 1, 1, "missing 'tasks'"},
      {"null project", "luisy: 1\nproject:\ntasks: {A: {cmd: x}}\n", 2, 1,
       "'project' needs a value"},
      {"bad project", "luisy: 1\nproject: Sales\n", 2, 10, "invalid project name 'Sales'"},
      {"unknown top key", "luisy: 1\nproject: p\ntask:\n  A: {cmd: x}\n", 3, 1,
       "unknown key 'task' at top level; did you mean 'tasks'?"},
      {"unknown far key", "luisy: 1\nproject: p\nzzzzzz: 1\n", 3, 1,
       "known keys: luisy, project, remote, params, tools, tasks, confirm_after"},
      {"duplicate top key", "luisy: 1\nproject: p\nproject: q\n", 3, 1,
       "duplicate key 'project' at top level (first at line 2)"},
      {"empty tasks", "luisy: 1\nproject: p\ntasks: {}\n", 3, 8, "'tasks' needs at least one task"},
      {"null tasks", "luisy: 1\nproject: p\ntasks:\n", 3, 1, "'tasks' needs at least one task"},
      {"tasks list", "luisy: 1\nproject: p\ntasks:\n  - A\n", 4, 3, "'tasks' must be a mapping"},
      {"duplicate task",
       "luisy: 1\nproject: p\ntasks:\n  A: {cmd: x}\n  B: {cmd: y}\n  A: {cmd: z}\n", 6, 3,
       "duplicate task 'A' in 'tasks' (first at line 4)"},
      {"bad task name", "luisy: 1\nproject: p\ntasks:\n  my-task: {cmd: x}\n", 4, 3,
       "invalid task name 'my-task'"},
      {"empty task", "luisy: 1\nproject: p\ntasks:\n  A:\n", 4, 3, "task 'A' is empty"},
      {"task string", "luisy: 1\nproject: p\ntasks:\n  A: echo\n", 4, 6,
       "task 'A' must be a mapping"},
      {"no cmd", task("    inputs: [a]\n"), 4, 3, "task 'T' has no 'cmd'"},
      {"unknown task key", task("    cmd: x\n    cmds: y\n"), 6, 5,
       "unknown key 'cmds' in task 'T'; did you mean 'cmd'?"},
      {"unknown key transposed", task("    cmd: x\n    ouptuts: [a]\n"), 6, 5,
       "did you mean 'outputs'?"},
      {"duplicate task key", task("    cmd: x\n    inputs: [a]\n    cmd: y\n"), 7, 5,
       "duplicate key 'cmd' in task 'T' (first at line 5)"},
      {"cmd list", task("    cmd: [a, b]\n"), 5, 10,
       "'cmd' of task 'T' must be a string, not a list"},
      {"cmd null", task("    cmd:\n"), 5, 5, "'cmd' of task 'T' needs a value"},
      {"cmd empty", task("    cmd: ''\n"), 5, 10, "'cmd' of task 'T' is empty"},
      {"unclosed brace", task("    cmd: echo {year > x\n"), 5, 15, "unclosed '{'"},
      {"stray brace", task("    cmd: awk print $1} f\n"), 5, 22, "stray '}'"},
      {"empty placeholder", task("    cmd: echo {} x\n"), 5, 15, "empty placeholder '{}'"},
      {"bad index", task("    cmd: cat {in[x]} > {out}\n"), 5, 14,
       "invalid placeholder '{in[x]}': the index must be a non-negative integer"},
      {"negative index", task("    cmd: cat {out[-1]}\n"), 5, 14,
       "invalid placeholder '{out[-1]}'"},
      {"bad placeholder", task("    cmd: awk '{print $1}' f\n"), 5, 15,
       "invalid placeholder '{print $1}'"},
      {"quoted placeholder points at start", task("    cmd: \"echo {\"\n"), 5, 10, "unclosed '{'"},
      {"multi-line plain points at start", task("    cmd: echo a\n      b {\n"), 5, 10,
       "unclosed '{'"},
      {"placeholder in block list", task("    cmd: x\n    inputs:\n      - a\n      - b/{c\n"), 8,
       11, "in 'inputs' of task 'T': unclosed '{'"},
      {"placeholder in flow list needs quotes", task("    cmd: x\n    inputs: [a, b/{c}]\n"), 6, 19,
       "must be quoted, as in ['data/{year}.csv']"},
      {"{in} in output", task("    cmd: x\n    outputs:\n      - out/{in}.csv\n"), 7, 13,
       "'{in}' cannot be used in a path"},
      {"{out[0]} in input", task("    cmd: x\n    inputs: 'a{out[0]}'\n"), 6, 13,
       "'{out[0]}' cannot be used in a path"},
      {"empty output path", task("    cmd: x\n    outputs: ['']\n"), 6, 15, "empty output path"},
      {"absolute input", task("    cmd: x\n    inputs: [/etc/passwd]\n"), 6, 14,
       "input path '/etc/passwd' is absolute"},
      {"dotdot output", task("    cmd: x\n    outputs: [data/../../x]\n"), 6, 20,
       "output path 'data/../../x' leaves the workspace through '..'"},
      {"inputs null", task("    cmd: x\n    inputs:\n"), 6, 5,
       "'inputs' of task 'T' needs a value"},
      {"inputs mapping", task("    cmd: x\n    inputs: {a: b}\n"), 6, 13,
       "must be a list, not a mapping"},
      {"nested list in inputs", task("    cmd: x\n    inputs: [a, [b]]\n"), 6, 17,
       "entries of 'inputs' of task 'T' must be paths, not a list"},
      {"params list value", task("    cmd: x\n    params:\n      year: [1, 2]\n"), 7, 13,
       "parameter 'year' of task 'T' must be a single value"},
      {"params null value", task("    cmd: x\n    params:\n      year:\n"), 7, 7,
       "parameter 'year' of task 'T' needs a value"},
      {"params bad name", task("    cmd: x\n    params: {my-year: 1}\n"), 6, 14,
       "invalid parameter name 'my-year'"},
      {"params reserved name", task("    cmd: x\n    params: {in: 1}\n"), 6, 14,
       "parameter name 'in' is reserved"},
      {"params duplicate", task("    cmd: x\n    params: {a: 1, a: 2}\n"), 6, 20,
       "duplicate parameter 'a'"},
      {"params list", task("    cmd: x\n    params: [a]\n"), 6, 13, "must be a mapping of names"},
      {"top params nested", "luisy: 1\nproject: p\nparams:\n  x: {a: 1}\n", 4, 6,
       "parameter 'x' at top level must be a single value"},
      {"matrix empty list", task("    cmd: x\n    matrix:\n      model: []\n"), 7, 14,
       "matrix axis 'model' of task 'T' has no values"},
      {"matrix scalar", task("    cmd: x\n    matrix: {model: linear}\n"), 6, 21,
       "must be a list of values"},
      {"matrix nested", task("    cmd: x\n    matrix: {model: [a, [b]]}\n"), 6, 25,
       "must be single values, not a list"},
      {"matrix duplicate value", task("    cmd: x\n    matrix: {m: [a, b, a]}\n"), 6, 24,
       "duplicate value 'a'"},
      {"matrix null", task("    cmd: x\n    matrix:\n"), 6, 5,
       "'matrix' of task 'T' needs a value"},
      {"env bad name", task("    cmd: x\n    env: [LC_ALL, 'A B']\n"), 6, 19,
       "invalid environment variable name 'A B'"},
      {"env credential", task("    cmd: x\n    env: [LC_ALL, LUISY_AZURE_STORAGE_KEY]\n"), 6, 19,
       "names LUISY_AZURE_STORAGE_KEY, a credential"},
      {"remote with a SAS", "luisy: 1\nproject: p\nremote: azure://a/c?sv=1&sig=SECRET\n", 3, 9,
       "'remote' must not carry a query string"},
      {"requires bad name", task("    cmd: x\n    requires: [a.b]\n"), 6, 16,
       "invalid task name 'a.b'"},
      {"requires without task", task("    cmd: x\n    requires:\n      - {params: {a: 1}}\n"), 7, 9,
       "a 'requires' entry of task 'T' needs 'task'"},
      {"requires unknown key",
       task("    cmd: x\n    requires:\n      - {task: A, param: {a: 1}}\n"), 7, 19,
       "unknown key 'param' in a 'requires' entry of task 'T'; did you mean 'params'?"},
      {"requires task as key", task("    cmd: x\n    requires: [{A: {year: 1}}]\n"), 6, 17,
       "unknown key 'A' in a 'requires' entry of task 'T'; an entry is a task name or"},
      {"requires null task", task("    cmd: x\n    requires: [{task: }]\n"), 6, 17,
       "'task' in a 'requires' entry of task 'T' needs a value"},
      {"requires list entry", task("    cmd: x\n    requires: [[A]]\n"), 6, 16,
       "entries of 'requires' of task 'T' must be task names or mappings"},
      {"description list", task("    cmd: x\n    description: [a]\n"), 6, 18,
       "'description' of task 'T' must be a string"},
      {"remote empty", "luisy: 1\nproject: p\nremote: ''\n", 3, 9, "'remote' is empty"},
      {"complex key", task("    cmd: x\n    ? [a]\n    : b\n"), 6, 7,
       "key names in task 'T' must be plain text"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Failure f = failure_of(c.text);
    CAPTURE(f.what);
    CHECK(f.file == "dir/pipeline.yaml");
    CHECK(f.line == c.line);
    CHECK(f.column == c.column);
    CHECK(f.what.find(c.message) != std::string::npos);
    CHECK(f.what.rfind(
              "dir/pipeline.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ",
              0) == 0);
  }
}

TEST_CASE("manifest: the message shows the source line with a caret") {
  Failure f = failure_of(task("    cmd: echo {year > x\n"));
  CHECK(f.what ==
        "dir/pipeline.yaml:5:15: in 'cmd' of task 'T': unclosed '{' in placeholder; "
        "write '{{' and '}}' for literal braces\n"
        "    cmd: echo {year > x\n"
        "              ^");
}

TEST_CASE("manifest: well-formed placeholders and literal braces are accepted") {
  Failure f =
      failure_of(task("    cmd: \"awk '{{print $1}}' {in} {in[0]} {out[12]} {out} {_x9} }}{{\"\n"
                      "    inputs: ['data/{year}/{{raw}}.csv']\n"
                      "    outputs: [out/]\n"));
  CHECK(f.what == "no error");
}
