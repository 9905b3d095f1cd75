#pragma once
#include "luisy/cli/args.h"
#include "luisy/engine/plan.h"

namespace luisy::cli {

inline engine::PlanRequest plan_request(const CommandLine& line) {
  engine::PlanRequest request;
  request.pipeline_path = line.pipeline_path;
  request.options.param_overrides = line.params;
  request.options.targets = line.targets;
  return request;
}

}  // namespace luisy::cli
