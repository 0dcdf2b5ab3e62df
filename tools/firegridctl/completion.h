#pragma once

#include <string>

#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {

// A bash completion script for every command of `registry`: command words, then each command's
// flags and the global ones. Generated from the command table, so it cannot drift from it.
//   source <(firegridctl completion bash)
std::string BashCompletion(const Registry& registry);

// Registers `completion bash`, which prints BashCompletion(*registry). Registered last, so that
// it sees every other command; `registry` must outlive the command.
void RegisterCompletionCommand(Registry* registry);

}  // namespace firegrid::ctl
