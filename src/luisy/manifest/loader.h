#pragma once
// Reads pipeline.yaml (yaml-cpp stays inside this module).
#include <string>
#include <string_view>

#include "luisy/manifest/pipeline.h"

namespace luisy::manifest {

// Parses and validates the structure of a pipeline file: YAML syntax, known keys, value
// types, name patterns, placeholder syntax. Throws ManifestError (exit status 2) with the
// file, line and column of the first problem. Does not look at the file system.
Pipeline parse_pipeline(std::string_view text, const std::string& path);
// The same, keeping `text` as the pipeline's source rather than a copy of it (at 100,000
// tasks the file is 11 MB).
Pipeline parse_pipeline_text(std::string text, const std::string& path);

// Reads the file, then parse_pipeline. `directory` becomes the file's absolute directory.
Pipeline load_pipeline(const std::string& path);

}  // namespace luisy::manifest
