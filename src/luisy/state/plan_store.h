#pragma once
// .luisy/plan: the compiled plan (a serialised graph) keyed by a digest of what produced it
// (pipeline text, parameters, targets), so an unchanged pipeline file is not parsed again.
#include <optional>
#include <string>
#include <string_view>

#include "luisy/util/digest.h"
#include "luisy/util/fs.h"

namespace luisy::state {

// The stored bytes when they were saved under the same key; nullopt otherwise.
std::optional<std::string> load_plan(const std::string& state_dir, const util::Digest& key);

// The same without copying: the file mapped, and the stored bytes inside it.
struct MappedPlan {
  util::MappedFile file;
  std::string_view bytes;
};
std::optional<MappedPlan> map_plan(const std::string& state_dir, const util::Digest& key);
// `bytes` is taken (move it in): the file is made inside it.
void save_plan(const std::string& state_dir, const util::Digest& key, std::string bytes);

}  // namespace luisy::state
