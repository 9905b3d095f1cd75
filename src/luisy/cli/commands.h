#pragma once
// One function per command, each in its own file. Each returns the exit code.
#include "luisy/cli/args.h"

namespace luisy::cli {

int command_build(const CommandLine& line);
int command_status(const CommandLine& line);
int command_explain(const CommandLine& line);
int command_graph(const CommandLine& line);
int command_clean(const CommandLine& line);
int command_validate(const CommandLine& line);
int command_push(const CommandLine& line);
int command_pull(const CommandLine& line);
int command_cache(const CommandLine& line);
int command_completion(const CommandLine& line);
int command_complete_tasks(const CommandLine& line);
int command_verify(const CommandLine& line);

}  // namespace luisy::cli
