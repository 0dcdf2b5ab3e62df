#include "tools/firegridctl/commands.h"

namespace firegrid::ctl {

void RegisterAllCommands(Registry* registry) {
  RegisterTokenCommands(registry);
  RegisterGenericCommands(registry);
  RegisterBuildingsCommands(registry);
  RegisterHazardsCommands(registry);
  RegisterNotifyCommands(registry);
}

}  // namespace firegrid::ctl
