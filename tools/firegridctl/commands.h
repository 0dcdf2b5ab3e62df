#pragma once

#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {

// Command groups, one .cc each. A new service adds cmd_<service>.cc with its
// Register<Service>Commands and one line in commands.cc.
void RegisterTokenCommands(Registry* registry);      // cmd_token.cc: token
void RegisterGenericCommands(Registry* registry);    // cmd_generic.cc: call, methods, health
void RegisterBuildingsCommands(Registry* registry);  // cmd_buildings.cc: orgunits, buildings, ...
void RegisterHazardsCommands(Registry* registry);    // cmd_hazards.cc: hazards ...
void RegisterNotifyCommands(Registry* registry);     // cmd_notify.cc: watch, inbox, plan, webhook
void RegisterAuditCommands(Registry* registry);      // cmd_audit.cc: audit, audit verify
void RegisterCreditCommands(Registry* registry);     // cmd_credit.cc: credit ...
void RegisterMonitoringCommands(Registry* registry);  // cmd_monitoring.cc: monitoring ...
void RegisterAccountsCommands(Registry* registry);    // cmd_accounts.cc: accounts ...
void RegisterDlqCommands(Registry* registry);         // cmd_dlq.cc: dlq list|show|replay|drop
void RegisterRebuildCommands(Registry* registry);     // cmd_rebuild.cc: rebuild --check

}  // namespace firegrid::ctl
