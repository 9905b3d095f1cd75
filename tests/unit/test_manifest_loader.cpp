#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"
#include "luisy/util/fs.h"

using namespace luisy;
using namespace luisy::manifest;

namespace {

const char* const kFullPipeline =
    R"(# yaml-language-server: $schema=../../schemas/pipeline.schema.json
luisy: 1
project: sales-forecast
remote: azure://acct/container/prefix
params:
  year: 2024
  flag: true
  rate: 0.50
tasks:
  Download:
    description: Fetch the raw sales
    cmd: python3 scripts/download.py --year {year} --out {out}
    inputs: [scripts/download.py]
    outputs: ['data/raw/sales_{year}.csv']
  Clean:
    requires: [Download]
    cmd: python3 scripts/clean.py {in[0]} {out} '{{literal}}'
    inputs: scripts/clean.py
    outputs:
      - data/interim/clean_{year}.csv
      - data/interim/stats/
    env: [LC_ALL, TZ]
  Report:
    requires:
      - Clean
      - {task: Download, params: {year: 2023}}
    params: {top: "10"}
    matrix:
      model: [linear, forest]
      seed: [1, 2, 3]
    cmd: "python3 scripts/report.py --model {model} {in} > {out}"
    outputs:
      - data/final/report_{model}_{year}.txt
)";

}  // namespace

TEST_CASE("manifest: a full pipeline parses with its values and locations") {
  Pipeline p = parse_pipeline(kFullPipeline, "pipes/pipeline.yaml");
  CHECK(p.path == "pipes/pipeline.yaml");
  CHECK(p.version == 1);
  CHECK(p.source == kFullPipeline);
  CHECK(p.directory == util::absolute_path("pipes"));
  CHECK(p.project == "sales-forecast");
  CHECK(p.project_where.file == "pipes/pipeline.yaml");
  CHECK(p.project_where.line == 3);
  CHECK(p.project_where.column == 10);
  CHECK(p.remote == "azure://acct/container/prefix");
  CHECK(p.remote_where.line == 4);

  REQUIRE(p.params.size() == 3);
  CHECK(p.params[0].name == "year");
  CHECK(p.params[0].value.text == "2024");
  CHECK(p.params[0].value.where.line == 6);
  CHECK(p.params[0].value.where.column == 9);
  CHECK(p.params[1].name == "flag");
  CHECK(p.params[1].value.text == "true");
  CHECK(p.params[2].value.text == "0.50");

  REQUIRE(p.tasks.size() == 3);
  const TaskSpec& download = p.tasks[0];
  CHECK(download.name == "Download");
  CHECK(download.where.line == 10);
  CHECK(download.where.column == 3);
  CHECK(download.description() == "Fetch the raw sales");
  CHECK(download.cmd.text == "python3 scripts/download.py --year {year} --out {out}");
  CHECK(download.cmd.where.line == 12);
  CHECK(download.cmd.where.column == 10);
  REQUIRE(download.inputs.size() == 1);
  CHECK(download.inputs[0].text == "scripts/download.py");
  CHECK(download.inputs[0].where.line == 13);
  CHECK(download.inputs[0].where.column == 14);
  REQUIRE(download.outputs.size() == 1);
  CHECK(download.outputs[0].text == "data/raw/sales_{year}.csv");
  CHECK(download.requires_.empty());

  const TaskSpec& clean = p.tasks[1];
  CHECK(clean.name == "Clean");
  REQUIRE(clean.requires_.size() == 1);
  CHECK(clean.requires_[0].task == "Download");
  CHECK(clean.requires_[0].params.empty());
  CHECK(clean.requires_[0].where.line == 16);
  CHECK(clean.requires_[0].where.column == 16);
  REQUIRE(clean.inputs.size() == 1);  // a single string is a list of one
  CHECK(clean.inputs[0].text == "scripts/clean.py");
  REQUIRE(clean.outputs.size() == 2);
  CHECK(clean.outputs[1].text == "data/interim/stats/");
  CHECK(clean.outputs[1].where.line == 21);
  CHECK(clean.outputs[1].where.column == 9);
  REQUIRE(clean.env().size() == 2);
  CHECK(clean.env()[0].text == "LC_ALL");
  CHECK(clean.env()[1].text == "TZ");
  CHECK(clean.description().empty());

  const TaskSpec& report = p.tasks[2];
  REQUIRE(report.requires_.size() == 2);
  CHECK(report.requires_[0].task == "Clean");
  CHECK(report.requires_[1].task == "Download");
  CHECK(report.requires_[1].where.line == 26);
  CHECK(report.requires_[1].where.column == 16);
  REQUIRE(report.requires_[1].params.size() == 1);
  CHECK(report.requires_[1].params[0].name == "year");
  CHECK(report.requires_[1].params[0].value.text == "2023");
  REQUIRE(report.params().size() == 1);
  CHECK(report.params()[0].value.text == "10");
  REQUIRE(report.matrix().size() == 2);
  CHECK(report.matrix()[0].name == "model");
  CHECK(report.matrix()[0].where.line == 29);
  REQUIRE(report.matrix()[0].values.size() == 2);
  CHECK(report.matrix()[0].values[0].text == "linear");
  CHECK(report.matrix()[0].values[1].text == "forest");
  CHECK(report.matrix()[1].name == "seed");
  REQUIRE(report.matrix()[1].values.size() == 3);
  CHECK(report.matrix()[1].values[2].text == "3");
  CHECK(report.cmd.text == "python3 scripts/report.py --model {model} {in} > {out}");

  CHECK(p.find_task("Clean") == &p.tasks[1]);
  CHECK(p.find_task("Nope") == nullptr);
}

TEST_CASE("manifest: minimal pipeline, block scalars and empty lists") {
  Pipeline p = parse_pipeline(
      "luisy: 1\nproject: p0\ntasks:\n  A:\n    cmd: |\n      echo hi\n      echo {{x}}\n"
      "    inputs: []\n    requires: []\n",
      "pipeline.yaml");
  CHECK(p.remote.empty());
  CHECK(p.params.empty());
  REQUIRE(p.tasks.size() == 1);
  CHECK(p.tasks[0].cmd.text == "echo hi\necho {{x}}\n");
  CHECK(p.tasks[0].inputs.empty());
  CHECK(p.tasks[0].requires_.empty());
  CHECK(p.directory == util::absolute_path("."));
}

TEST_CASE("manifest: tasks keep file order") {
  std::string text = "luisy: 1\nproject: order\ntasks:\n";
  for (int i = 99; i >= 0; --i) text += "  T" + std::to_string(i) + ": {cmd: run}\n";
  Pipeline p = parse_pipeline(text, "p.yaml");
  REQUIRE(p.tasks.size() == 100);
  CHECK(p.tasks.front().name == "T99");
  CHECK(p.tasks.back().name == "T0");
  CHECK(p.tasks.back().where.line == 103);
}

TEST_CASE("manifest: load_pipeline reads the file, and names a missing one") {
  std::string dir = "/tmp/luisy_manifest_test_" + std::to_string(::getpid());
  util::make_dirs(dir);
  std::string file = dir + "/pipeline.yaml";
  util::write_file_atomic(file, "luisy: 1\nproject: p\ntasks:\n  A: {cmd: 'true'}\n");
  Pipeline p = load_pipeline(file);
  CHECK(p.directory == dir);
  CHECK(p.path == file);
  CHECK(p.tasks.at(0).cmd.text == "true");

  std::string missing = dir + "/missing.yaml";
  try {
    load_pipeline(missing);
    FAIL("no error for a missing file");
  } catch (const ManifestError&) {
    FAIL("a missing file is not a manifest error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "cannot open pipeline file " + missing + ": No such file or directory");
    CHECK(e.exit_code() == 2);
  }
  util::remove_all(dir);
}

TEST_CASE("manifest: single strings stand for one-element lists") {
  Pipeline p = parse_pipeline(
      "luisy: 1\nproject: p\ntasks:\n  A: {cmd: y, outputs: a.out}\n"
      "  T: {cmd: x, env: LC_ALL, requires: A, inputs: a.out, outputs: 'x/{y}/'}\n",
      "p.yaml");
  const TaskSpec& t = p.tasks.at(1);
  REQUIRE(t.env().size() == 1);
  CHECK(t.env()[0].text == "LC_ALL");
  REQUIRE(t.requires_.size() == 1);
  CHECK(t.requires_[0].task == "A");
  CHECK(t.requires_[0].where.line == 5);
  CHECK(t.requires_[0].where.column == 38);
  REQUIRE(t.outputs.size() == 1);
  CHECK(t.outputs[0].text == "x/{y}/");
}
