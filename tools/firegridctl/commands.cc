#include "tools/firegridctl/commands.h"

#include "tools/firegridctl/completion.h"

namespace firegrid::ctl {

void RegisterAllCommands(Registry* registry) {
  RegisterTokenCommands(registry);
  RegisterGenericCommands(registry);
  RegisterBuildingsCommands(registry);
  RegisterHazardsCommands(registry);
  RegisterNotifyCommands(registry);
  RegisterAuditCommands(registry);
  RegisterCreditCommands(registry);
  RegisterMonitoringCommands(registry);
  RegisterAccountsCommands(registry);
  RegisterDlqCommands(registry);
  RegisterRebuildCommands(registry);
  RegisterCompletionCommand(registry);  // last: it lists the others
}

}  // namespace firegrid::ctl
