// `firegridctl audit`: the audit log of the service that owns an object (libs/audit), for
// district admins: an object's records, and a check of a service's whole hash chain.
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace av1 = ::firegrid::audit::v1;

// The service that owns an object, from its id: hazards "hzd_…", notifications and webhooks in
// notify ("ntf_…"), everything else (buildings "bld_…", org unit codes, hydrants, stations) in
// buildings. --service overrides it.
absl::StatusOr<Endpoint> EndpointFor(const ParsedArgs& args) {
  std::string service = args.GetOr("service", "");
  if (service.empty() && !args.positionals().empty()) {
    const std::string& id = args.positionals()[0];
    service = absl::StartsWith(id, "hzd_")   ? "hazards"
              : absl::StartsWith(id, "ntf_") ? "notify"
                                             : "buildings";
  }
  if (service.empty() || service == "buildings") return kBuildingsEndpoint;
  if (service == "hazards") return kHazardsEndpoint;
  if (service == "notify") return kNotifyEndpoint;
  return UsageError(
      absl::StrCat("--service: '", service, "' is not one of buildings, hazards, notify"));
}

absl::Status RunAudit(Context& ctx, const ParsedArgs& args) {
  auto stub = av1::AuditService::NewStub(ctx.channel());
  av1::ListAuditRecordsRequest req;
  req.set_object_id(args.positionals()[0]);
  req.set_page_size(500);
  Table t({"SEQ", "TIME", "METHOD", "CALLER", "ROLE", "RESULT", "TRACE"});
  t.WideOnly(4);
  t.WideOnly(6);
  t.Elastic(2);
  t.Elastic(3);
  av1::ListAuditRecordsResponse all;
  while (true) {
    FG_ASSIGN_OR_RETURN(av1::ListAuditRecordsResponse page,
                        Unary(ctx, *stub, &av1::AuditService::Stub::ListAuditRecords, req));
    for (const auto& r : page.records()) {
      *all.add_records() = r;
      const std::string method = r.method().substr(r.method().rfind('/') + 1);
      t.AddRow({absl::StrCat(r.sequence()), FormatTime(r.time()), method, r.principal(), r.role(),
                r.result_code(), r.trace_id()});
    }
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (ctx.json()) {
    ctx.PrintJson(all);
  } else {
    t.AlignRight(0);
    ctx.out() << t.Render();
  }
  return absl::OkStatus();
}

absl::Status RunVerify(Context& ctx, const ParsedArgs& args) {
  auto stub = av1::AuditService::NewStub(ctx.channel());
  av1::VerifyAuditChainRequest req;
  req.set_limit(10000);
  int64_t checked = 0;
  av1::VerifyAuditChainResponse last;
  while (true) {
    FG_ASSIGN_OR_RETURN(last, Unary(ctx, *stub, &av1::AuditService::Stub::VerifyAuditChain, req));
    checked += last.checked();
    if (!last.intact() || last.next_sequence() == 0) break;
    // Progress on long chains: records checked so far of those retained.
    const int64_t total = last.head_sequence() - last.first_sequence() + 1;
    ctx.err() << "\rchecked " << checked << " of " << total << " records" << std::flush;
    req.set_from_sequence(last.next_sequence());
  }
  if (checked > 0) ctx.err() << "\r";
  last.set_checked(checked);
  if (ctx.json()) {
    ctx.PrintJson(last);
  } else if (last.intact()) {
    ctx.out() << "intact: " << checked << " records (" << last.first_sequence() << " to "
              << last.head_sequence() << ")\n";
  } else {
    ctx.out() << "BROKEN at record " << last.broken_at() << ": " << last.problem() << "\n";
  }
  if (!last.intact())
    return absl::DataLossError(absl::StrCat("audit chain broken at record ", last.broken_at()));
  return absl::OkStatus();
}

std::function<Endpoint(const ParsedArgs&)> AuditEndpoint() {
  return [](const ParsedArgs& args) {
    absl::StatusOr<Endpoint> e = EndpointFor(args);
    return e.ok() ? *e : kBuildingsEndpoint;
  };
}

}  // namespace

void RegisterAuditCommands(Registry* registry) {
  registry->Add(
      Command{.path = {"audit", "verify"},
              .synopsis = "--service buildings|hazards|notify",
              .summary = "check a service's audit hash chain (district admins); exit 1 when broken",
              .flags = {ValueFlag("service", "S  buildings (default), hazards or notify")},
              .run =
                  [](Context& ctx, const ParsedArgs& args) {
                    FG_RETURN_IF_ERROR(EndpointFor(args).status());
                    return RunVerify(ctx, args);
                  },
              .endpoint = AuditEndpoint()});
  registry->Add(
      Command{.path = {"audit"},
              .synopsis = "OBJECT_ID [--service buildings|hazards|notify]",
              .summary = "who changed an object, when, with what outcome (district admins)",
              .flags = {ValueFlag("service", "S  the owning service (default: from the id)")},
              .min_positionals = 1,
              .max_positionals = 1,
              .run =
                  [](Context& ctx, const ParsedArgs& args) {
                    FG_RETURN_IF_ERROR(EndpointFor(args).status());
                    return RunAudit(ctx, args);
                  },
              .endpoint = AuditEndpoint()});
}

}  // namespace firegrid::ctl
