#include "tools/loaders/monitoring_loader.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"

namespace firegrid::loaders {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;

absl::Status FromGrpc(const grpc::Status& st, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                      absl::StrCat(what, ": ", st.error_message()));
}

}  // namespace

std::string MonitoringSummary::ToString() const {
  return absl::StrCat(registered + existing, " devices on ", buildings, " buildings (", registered,
                      " registered, ", existing, " already there, ", in_service,
                      " put in service)");
}

absl::StatusOr<MonitoringSummary> MonitoringLoader::Load(
    const std::vector<devicesim::SimDevice>& fleet,
    const std::map<std::string, std::string>& building_ids) {
  MonitoringSummary summary;
  std::set<std::string> buildings;
  const absl::Time give_up = absl::Now() + options_.wait;
  auto prepare = [&](grpc::ClientContext* c) {
    c->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    prepare_(c);
  };
  for (const devicesim::SimDevice& d : fleet) {
    auto building = building_ids.find(d.building_request_id);
    if (building == building_ids.end()) {
      return absl::FailedPreconditionError(absl::StrCat("device ", d.device_id, ": demo building ",
                                                        d.building_request_id, " was not loaded"));
    }
    buildings.insert(building->second);
    mv1::RegisterDeviceRequest req;
    mv1::Device& dev = *req.mutable_device();
    dev.set_device_id(d.device_id);
    dev.set_type(d.type);
    dev.set_model(d.model);
    dev.set_manufacturer(d.manufacturer);
    dev.set_building_id(building->second);
    dev.set_floor(d.floor);
    dev.set_point(d.point);
    dev.set_facility(d.facility);
    dev.set_gateway_id(d.gateway_id);
    *dev.mutable_heartbeat_period() = google::protobuf::util::TimeUtil::SecondsToDuration(
        absl::ToInt64Seconds(d.heartbeat_period));
    mv1::Device out;
    while (true) {
      grpc::ClientContext c;
      prepare(&c);
      grpc::Status st = stub_->RegisterDevice(&c, req, &out);
      if (st.ok()) {
        ++summary.registered;
        break;
      }
      if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        mv1::GetDeviceRequest get;
        get.set_device_id(d.device_id);
        grpc::ClientContext gc;
        prepare(&gc);
        st = stub_->GetDevice(&gc, get, &out);
        if (!st.ok()) return FromGrpc(st, absl::StrCat("reading device ", d.device_id));
        ++summary.existing;
        break;
      }
      const bool not_yet = st.error_code() == grpc::StatusCode::NOT_FOUND ||
                           st.error_code() == grpc::StatusCode::UNAVAILABLE;
      if (!not_yet || absl::Now() > give_up) {
        return FromGrpc(st, absl::StrCat("registering device ", d.device_id));
      }
      absl::SleepFor(options_.poll);
    }
    if (out.status() == mv1::DEVICE_STATUS_IN_SERVICE) continue;
    if (out.status() == mv1::DEVICE_STATUS_DECOMMISSIONED) continue;  // someone's decision
    mv1::UpdateDeviceRequest update;
    update.mutable_device()->set_device_id(d.device_id);
    update.mutable_device()->set_status(mv1::DEVICE_STATUS_IN_SERVICE);
    update.mutable_update_mask()->add_paths("status");
    update.set_expected_version(out.version());
    grpc::ClientContext c;
    prepare(&c);
    grpc::Status st = stub_->UpdateDevice(&c, update, &out);
    if (!st.ok()) return FromGrpc(st, absl::StrCat("putting device ", d.device_id, " in service"));
    ++summary.in_service;
  }
  summary.buildings = static_cast<int>(buildings.size());
  return summary;
}

}  // namespace firegrid::loaders
