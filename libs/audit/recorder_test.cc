#include "libs/audit/recorder.h"

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/events/v1/dead_letters.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "gtest/gtest.h"

namespace firegrid::audit {
namespace {

TEST(AuditRecorderTest, ReadsAreNotMutationsAndEverythingElseIs) {
  for (const char* read :
       {"/firegrid.hazards.v1.HazardService/GetHazard", "ListHazards", "FindNearby",
        "ExportLedgerCsv", "Subscribe", "/firegrid.audit.v1.AuditService/VerifyAuditChain"}) {
    EXPECT_FALSE(IsMutation(read)) << read;
  }
  for (const char* write :
       {"/firegrid.hazards.v1.HazardService/VerifyHazard", "ReportHazard", "CreateBuilding",
        "Acknowledge", "SetWebhook", "ImportBuildingsCsv", "VerifyHazard"}) {
    EXPECT_TRUE(IsMutation(write)) << write;
  }
}

TEST(AuditRecorderTest, DeadLetterReplayAndDropAreAuditedUnderTheDeadLetterId) {
  EXPECT_TRUE(IsMutation("/firegrid.events.v1.DeadLetterService/ReplayDeadLetter"));
  EXPECT_TRUE(IsMutation("/firegrid.events.v1.DeadLetterService/DropDeadLetter"));
  EXPECT_FALSE(IsMutation("/firegrid.events.v1.DeadLetterService/ListDeadLetters"));
  EXPECT_FALSE(IsMutation("/firegrid.events.v1.DeadLetterService/GetDeadLetter"));
  events::v1::ReplayDeadLetterRequest req;
  req.set_dead_letter_id("firegrid.buildings.events.v1.dlq:3");
  events::v1::ReplayDeadLetterResponse resp;
  resp.set_dead_letter_id("firegrid.buildings.events.v1.dlq:3");
  resp.mutable_entry()->set_key("bld_1");
  EXPECT_EQ(ObjectIdOf(req, nullptr), "firegrid.buildings.events.v1.dlq:3");
  EXPECT_EQ(ObjectIdOf(req, &resp), "firegrid.buildings.events.v1.dlq:3");
}

TEST(AuditRecorderTest, ObjectIdComesFromTheRequestWhenItNamesOne) {
  hazards::v1::VerifyHazardRequest req;
  req.set_hazard_id("hzd_42");
  EXPECT_EQ(ObjectIdOf(req, nullptr), "hzd_42");
}

TEST(AuditRecorderTest, ObjectIdOfACreatedObjectComesFromTheResponse) {
  buildings::v1::CreateBuildingRequest req;
  req.mutable_building()->set_name("朝阳大厦");
  buildings::v1::Building created;
  created.set_building_id("bld_7");
  EXPECT_EQ(ObjectIdOf(req, &created), "bld_7");
  EXPECT_EQ(ObjectIdOf(req, nullptr), "");
}

TEST(AuditRecorderTest, ObjectIdOfAReportIsTheNewHazardNotTheBuildingItIsAbout) {
  hazards::v1::ReportHazardRequest req;
  req.set_building_id("bld_1");
  hazards::v1::ReportHazardResponse resp;
  resp.mutable_hazard()->set_hazard_id("hzd_9");
  resp.mutable_hazard()->set_building_id("bld_1");
  EXPECT_EQ(ObjectIdOf(req, &resp), "hzd_9");
  EXPECT_EQ(ObjectIdOf(req, nullptr), "bld_1");  // refused: the building it was about
}

TEST(AuditRecorderTest, ObjectIdIsFoundOneMessageDown) {
  buildings::v1::UpsertOrgUnitRequest req;
  req.mutable_org_unit()->set_code("500109001");
  EXPECT_EQ(ObjectIdOf(req, nullptr), "500109001");
}

}  // namespace
}  // namespace firegrid::audit
