#pragma once
// `luisy build --depfile FILE`: a make-format dependency file, so that a Makefile calls
// luisy only when something the build read has changed. The rule's target is FILE itself:
// it is rewritten after every successful build, so it is the build's stamp.
//
//   FILE: pipeline.yaml data/a.csv scripts/clean.py data/in
//   pipeline.yaml:
//   ...
//
// Prerequisites: the pipeline file, every source input (declared inputs, glob matches
// included, that no task of the build produces) and every directory a glob listed (a new
// file there changes its mtime). Each also gets an empty rule, as gcc -MP does, so that
// deleting one does not stop make with "No rule to make target". Paths are relative to
// the current directory (make's) when they are below it, else absolute.
#include <string>

#include "luisy/engine/plan.h"

namespace luisy::engine {

// The text of the dependency file whose target is `target`, paths relative to `cwd`.
std::string depfile_text(const Plan& plan, const std::string& target, const std::string& cwd);

// Writes it atomically, then sets its mtime to now so it is never older than a directory
// it was written into. Throws Error naming the path.
void write_depfile(const Plan& plan, const std::string& path);

}  // namespace luisy::engine
