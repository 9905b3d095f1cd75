#pragma once
// Reads pipeline.yaml (yaml-cpp stays inside this module).
#include <optional>
#include <string>
#include <string_view>

#include "luisy/manifest/pipeline.h"

namespace luisy::manifest {

// Parses and validates the structure of a pipeline file: YAML syntax, known keys, value
// types, name patterns, placeholder syntax. Throws ManifestError (exit status 2) with the
// file, line and column of the first problem. Does not look at the file system.
// libyaml reads the file first (8x faster than yaml-cpp: half of a no-op's planning time at
// 10,000 tasks); when it or the loader finds any problem, yaml-cpp reads it again and words
// the error, as it always has.
Pipeline parse_pipeline(std::string_view text, const std::string& path);
// The same, keeping `text` as the pipeline's source rather than a copy of it (at 100,000
// tasks the file is 11 MB).
Pipeline parse_pipeline_text(std::string text, const std::string& path);

// The two halves of parse_pipeline_text, for a caller that can still fail after the parse
// (the graph build names places in the file) and wants yaml-cpp's marks in that message too.
// parse_pipeline_libyaml: the pipeline, `text` moved into its source; nullopt, `text`
// untouched, when libyaml refused the file, left it to yaml-cpp, or the loader found a
// problem. parse_pipeline_yaml_cpp: what luisy always did (it throws the errors).
std::optional<Pipeline> parse_pipeline_libyaml(std::string& text, const std::string& path);
Pipeline parse_pipeline_yaml_cpp(std::string text, const std::string& path);

// Reads the file, then parse_pipeline. `directory` becomes the file's absolute directory.
Pipeline load_pipeline(const std::string& path);

}  // namespace luisy::manifest
