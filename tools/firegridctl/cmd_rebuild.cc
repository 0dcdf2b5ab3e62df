// `firegridctl rebuild --check --service buildings|hazards|credit`: a service's read model
// (buildings' ledger counters, hazards' statistics counters, credit's scores, levels and
// rankings) recomputed by the service from its primary records or its history, without writing
// it, and compared with the live one (CheckReadModels, protos/firegrid/readmodels). Prints the
// differences; exit 1 when there are any. District admins. docs/backup-restore.md.
#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/readmodels/v1/readmodels.pb.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace rv1 = ::firegrid::readmodels::v1;

absl::StatusOr<Endpoint> EndpointFor(const ParsedArgs& args) {
  const std::string service = args.GetOr("service", "");
  if (service == "buildings") return kBuildingsEndpoint;
  if (service == "hazards") return kHazardsEndpoint;
  if (service == "credit") return kCreditEndpoint;
  return UsageError("--service: buildings, hazards or credit");
}

template <typename Service>
absl::StatusOr<rv1::CheckReadModelsResponse> Check(Context& ctx,
                                                   const rv1::CheckReadModelsRequest& req) {
  auto stub = Service::NewStub(ctx.channel());
  return Unary(ctx, *stub, &Service::Stub::CheckReadModels, req);
}

absl::Status RunRebuild(Context& ctx, const ParsedArgs& args) {
  FG_RETURN_IF_ERROR(EndpointFor(args).status());
  FG_ASSIGN_OR_RETURN(bool check, args.GetBool("check"));
  if (!check) {
    return UsageError(
        "--check is required: the services rebuild their read models only to compare them");
  }
  rv1::CheckReadModelsRequest req;
  FG_ASSIGN_OR_RETURN(int64_t max, args.GetInt("max-differences", 0));
  if (args.Has("max-differences") && (max < 1 || max > 1000)) {
    return UsageError("--max-differences: between 1 and 1000");
  }
  req.set_max_differences(static_cast<int32_t>(max));
  const std::string service = args.GetOr("service", "");
  absl::StatusOr<rv1::CheckReadModelsResponse> resp =
      service == "buildings" ? Check<buildings::v1::BuildingService>(ctx, req)
      : service == "hazards" ? Check<hazards::v1::HazardService>(ctx, req)
                             : Check<credit::v1::CreditService>(ctx, req);
  if (!resp.ok()) return resp.status();
  if (ctx.json()) {
    ctx.PrintJson(*resp);
  } else {
    ctx.out() << service << " " << resp->read_model() << ": " << resp->records()
              << " records rebuilt, " << resp->difference_count() << " differences\n";
    if (resp->difference_count() > 0) {
      Table t({"KEY", "FIELD", "LIVE", "REBUILT"});
      for (const auto& d : resp->differences()) {
        t.AddRow({d.key(), d.field(), d.live().empty() ? "-" : d.live(),
                  d.rebuilt().empty() ? "-" : d.rebuilt()});
      }
      ctx.out() << t.Render();
      if (resp->differences_size() < resp->difference_count()) {
        ctx.out() << "(the first " << resp->differences_size() << " of " << resp->difference_count()
                  << ")\n";
      }
    }
  }
  if (resp->difference_count() > 0) {
    return absl::DataLossError(absl::StrCat(service, " ", resp->read_model(),
                                            " differ from a rebuild in ", resp->difference_count(),
                                            " values"));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterRebuildCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"rebuild"},
      .synopsis = "--check --service buildings|hazards|credit [--max-differences N]",
      .summary = "compare a service's read model with a rebuild from its records or history "
                 "(district admins); exit 1 when they differ",
      .flags = {BoolFlag("check", "recompute and compare; nothing is written"),
                ValueFlag("service", "S  buildings, hazards or credit"),
                ValueFlag("max-differences", "N  differences to list, 1..1000 (default 100)")},
      .run = RunRebuild,
      .endpoint = [](const ParsedArgs& args) {
        absl::StatusOr<Endpoint> e = EndpointFor(args);
        return e.ok() ? *e : kBuildingsEndpoint;
      }});
}

}  // namespace firegrid::ctl
