#pragma once
// Shared by the manifest unit tests.
#include <string>

#include "luisy/manifest/loader.h"
#include "luisy/manifest/manifest_error.h"

namespace luisy::manifest::testing {

// The message parse_pipeline refuses `text` with, or "" when it accepts it.
inline std::string refusal(const std::string& text) {
  try {
    parse_pipeline(text, "pipeline.yaml");
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace luisy::manifest::testing
