#pragma once
// Placeholders in cmd, inputs and outputs: {K} a parameter; {in}, {out} all paths;
// {in[N]}, {out[N]} one of them; {{ and }} literal braces.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace luisy::graph {

struct Placeholder {
  enum class Kind { kLiteral, kParam, kInputs, kOutputs } kind = Kind::kLiteral;
  std::string text;   // literal text, or the parameter name
  int index = -1;     // for {in[N]} / {out[N]}; -1 means all
  int column = 0;     // 0-based offset in the template of the '{', for error locations
};

// Splits a template into literals and placeholders. Throws std::invalid_argument with a
// message and sets *error_offset (when given) for an unclosed '{', a stray '}', or a
// placeholder that is not a name, in, out, in[N] or out[N].
std::vector<Placeholder> parse_template(std::string_view text, size_t* error_offset = nullptr);

// Names of the parameters a template uses, in order of first use.
std::vector<std::string> template_params(const std::vector<Placeholder>& parts);

}  // namespace luisy::graph
