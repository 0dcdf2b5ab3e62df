#include "libs/audit/chain.h"

#include "gtest/gtest.h"

namespace firegrid::audit {
namespace {

AuditRecord Make(int64_t seq, const std::string& prev_hash) {
  AuditRecord r;
  r.set_sequence(seq);
  r.mutable_time()->set_seconds(1'700'000'000 + seq);
  r.set_service("hazards");
  r.set_method("/firegrid.hazards.v1.HazardService/VerifyHazard");
  r.set_object_id("hzd_1");
  r.set_principal("dept-fire_rescue");
  r.set_role("department_officer");
  r.set_result_code("OK");
  r.set_prev_hash(prev_hash);
  r.set_hash(HashRecord(r));
  return r;
}

TEST(AuditChainTest, HashIsHexSha256AndIgnoresTheHashFieldItself) {
  AuditRecord r = Make(1, "");
  EXPECT_EQ(r.hash().size(), 64u);
  AuditRecord copy = r;
  copy.set_hash("something else");
  EXPECT_EQ(HashRecord(copy), r.hash());
}

TEST(AuditChainTest, ChangingAnyFieldChangesTheHash) {
  const AuditRecord r = Make(1, "");
  for (auto mutate : std::vector<void (*)(AuditRecord*)>{
           [](AuditRecord* x) { x->set_result_code("PERMISSION_DENIED"); },
           [](AuditRecord* x) { x->set_principal("someone"); },
           [](AuditRecord* x) { x->set_object_id("hzd_2"); },
           [](AuditRecord* x) { x->mutable_time()->set_seconds(1); },
           [](AuditRecord* x) { x->set_prev_hash("00"); }}) {
    AuditRecord changed = r;
    mutate(&changed);
    EXPECT_NE(HashRecord(changed), r.hash());
  }
}

TEST(AuditChainTest, ALinkedSuccessorVerifies) {
  AuditRecord a = Make(1, "");
  AuditRecord b = Make(2, a.hash());
  EXPECT_TRUE(VerifyLink(nullptr, a).ok());
  EXPECT_TRUE(VerifyLink(&a, b).ok());
}

TEST(AuditChainTest, AnAlteredRecordIsDataLoss) {
  AuditRecord a = Make(1, "");
  a.set_result_code("OK_BUT_EDITED");
  absl::Status s = VerifyLink(nullptr, a);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("altered"), absl::string_view::npos);
}

TEST(AuditChainTest, AGapOrAForeignPredecessorIsDataLoss) {
  AuditRecord a = Make(1, "");
  AuditRecord c = Make(3, a.hash());
  EXPECT_EQ(VerifyLink(&a, c).code(), absl::StatusCode::kDataLoss);  // record 2 missing
  AuditRecord other = Make(1, "");
  other.set_principal("x");
  other.set_hash(HashRecord(other));
  AuditRecord b = Make(2, other.hash());
  EXPECT_EQ(VerifyLink(&a, b).code(), absl::StatusCode::kDataLoss);  // links elsewhere
}

}  // namespace
}  // namespace firegrid::audit
