#include "libs/audit/personal_data.h"

#include <vector>

#include "gtest/gtest.h"

namespace firegrid::audit {
namespace {

auth::Principal Admin() {
  auth::Principal p;
  p.subject = "user:admin";
  p.role = auth::Role::kDistrictAdmin;
  p.tier_path = "500109";
  return p;
}

TEST(PersonalDataRead, RecordNamesCallerObjectAndFieldsButNoValues) {
  std::vector<AuditRecord> records;
  RecordSink sink = [&](AuditRecord r) {
    records.push_back(r);
    return absl::OkStatus();
  };
  ASSERT_TRUE(RecordPersonalDataRead(sink, "/firegrid.hazards.v1.HazardService/GetHazard", Admin(),
                                     "hzd_1", {"reporter.name", "reporter.contact"})
                  .ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].principal(), "user:admin");
  EXPECT_EQ(records[0].role(), "district_admin");
  EXPECT_EQ(records[0].object_id(), "hzd_1");
  EXPECT_EQ(records[0].method(), "/firegrid.hazards.v1.HazardService/GetHazard");
  EXPECT_EQ(records[0].detail(), "revealed=reporter.name,reporter.contact");
}

TEST(PersonalDataRead, FailedAppendRefusesTheRead) {
  RecordSink sink = [](AuditRecord) { return absl::UnavailableError("redis down"); };
  absl::Status s = RecordPersonalDataRead(sink, "M", Admin(), "hzd_1", {"reporter.contact"});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RecordPersonalDataRead(nullptr, "M", Admin(), "hzd_1", {"x"}).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace firegrid::audit
