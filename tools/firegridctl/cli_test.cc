#include "tools/firegridctl/cli.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "libs/common/version.h"
#include "tools/firegridctl/fake_building_service.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;

using ::testing::ElementsAre;
using testing::FakeBuildingService;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

class CliTest : public ::testing::Test {
 protected:
  CliTest() : server_(&service_) {
    RegisterAllCommands(&registry_);
    bv1::Building b;
    b.set_building_id("bld_1");
    b.set_name("缙云大厦");
    b.set_tier_path("500109001001");
    b.set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b.set_height_m(99.9);
    b.set_floors_above_ground(33);
    b.set_building_class(bv1::BUILDING_CLASS_I);
    b.mutable_location()->set_latitude(29.82);
    b.mutable_location()->set_longitude(106.43);
    b.set_version(4);
    service_.AddBuilding(b);
    b.set_building_id("bld_2");
    b.set_name("北泉公寓");
    service_.AddBuilding(b);
  }

  // Runs firegridctl with --addr pointing at the fake server unless `env` names an address.
  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_ADDR")) args.insert(args.begin(), "--addr=" + server_.address());
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  Registry registry_;
  FakeBuildingService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
};

TEST_F(CliTest, UnaryCallsHaveATenSecondDeadlineByDefault) {
  std::ostringstream out, err;
  Context ctx(GlobalOptions{}, {}, out, err);
  grpc::ClientContext call;
  const auto before = std::chrono::system_clock::now();
  ctx.Prepare(&call, CallKind::kUnary);
  EXPECT_GE(call.deadline(), before + std::chrono::seconds(9));
  EXPECT_LE(call.deadline(), before + std::chrono::seconds(11));
}

TEST_F(CliTest, StreamingCallsHaveNoDeadlineByDefault) {
  std::ostringstream out, err;
  Context ctx(GlobalOptions{}, {}, out, err);
  grpc::ClientContext call;
  ctx.Prepare(&call, CallKind::kStreaming);
  EXPECT_EQ(call.deadline(), std::chrono::system_clock::time_point::max());
}

TEST_F(CliTest, TimeoutZeroIsAcceptedAndMeansNoDeadline) {
  EXPECT_EQ(Run({"buildings", "get", "bld_1", "--timeout", "0"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("缙云大厦"));
  EXPECT_EQ(Run({"--timeout=0", "health"}), 0) << err_.str();
  GlobalOptions o;
  o.timeout = absl::InfiniteDuration();
  std::ostringstream out, err;
  Context ctx(o, {}, out, err);
  grpc::ClientContext call;
  ctx.Prepare(&call, CallKind::kUnary);
  EXPECT_EQ(call.deadline(), std::chrono::system_clock::time_point::max());
}

TEST_F(CliTest, NearbyBuildingsArePrintedWithTheirIdNameAndTier) {
  ASSERT_EQ(Run({"nearby", "--lat", "29.82", "--lon", "106.43", "--kind", "building"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("bld_1"));
  EXPECT_THAT(out_.str(), HasSubstr("缙云大厦"));
  EXPECT_THAT(out_.str(), HasSubstr("500109001001"));
  EXPECT_THAT(out_.str(), HasSubstr("200"));  // the second one's distance
  EXPECT_THAT(out_.str(), Not(HasSubstr(" staff")));
}

TEST_F(CliTest, NegativeTimeoutIsAUsageError) {
  EXPECT_EQ(Run({"buildings", "get", "bld_1", "--timeout", "-1s"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--timeout: must not be negative"));
}

TEST_F(CliTest, NoArgumentsPrintsUsageAndExitsTwo) {
  EXPECT_EQ(RunCli(registry_, {}, {}, out_, err_), 2);
  EXPECT_THAT(err_.str(), HasSubstr("buildings list"));
  EXPECT_THAT(err_.str(), HasSubstr("orgunits upsert"));
}

TEST_F(CliTest, HelpPrintsUsageAndExitsZero) {
  EXPECT_EQ(RunCli(registry_, {"help"}, {}, out_, err_), 0);
  EXPECT_THAT(out_.str(), HasSubstr("fire-access assess"));
}

TEST_F(CliTest, CommandHelpDescribesItsFlags) {
  EXPECT_EQ(Run({"buildings", "file", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("--document-number"));
  EXPECT_EQ(Run({"ledger", "-h"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("usage: firegridctl ledger [--tier P]"));
}

TEST_F(CliTest, UnknownCommandIsAUsageError) {
  EXPECT_EQ(Run({"demolish"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("error: INVALID_ARGUMENT: unknown command \"demolish\""));
}

TEST_F(CliTest, GroupWithoutSubcommandListsTheGroup) {
  EXPECT_EQ(Run({"buildings"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("buildings get"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("orgunits list")));
}

TEST_F(CliTest, MissingPositionalIsAUsageError) {
  EXPECT_EQ(Run({"buildings", "get"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing argument"));
  EXPECT_THAT(err_.str(), HasSubstr("usage: firegridctl buildings get ID"));
}

TEST_F(CliTest, RpcErrorPrintsCodeAndMessageAndExitsOne) {
  EXPECT_EQ(Run({"buildings", "get", "bld_404"}), 1);
  EXPECT_EQ(err_.str(), "error: NOT_FOUND: building bld_404 not found\n");
}

TEST_F(CliTest, GetPrintsKeyValuesAndSendsTheToken) {
  ASSERT_EQ(Run({"--token", "abc", "buildings", "get", "bld_1"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("name:              缙云大厦"));
  EXPECT_THAT(out_.str(), HasSubstr("class:             class_i\n"));
  EXPECT_EQ(service_.last_authorization(), "Bearer abc");
}

TEST_F(CliTest, GlobalFlagsWorkAfterTheCommandToo) {
  ASSERT_EQ(Run({"buildings", "get", "bld_1", "--output", "json", "--token=xyz"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"building_id\": \"bld_1\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"building_class\": \"class_i\""));
  EXPECT_EQ(service_.last_authorization(), "Bearer xyz");
}

TEST_F(CliTest, AddressAndTokenComeFromTheEnvironment) {
  ASSERT_EQ(Run({"buildings", "get", "bld_1"},
                {{"FIREGRID_ADDR", server_.address()}, {"FIREGRID_TOKEN", "from-env"}}),
            0);
  EXPECT_EQ(service_.last_authorization(), "Bearer from-env");
}

TEST_F(CliTest, TokenFileIsReadAndTrimmed) {
  std::string path = WriteTemp("token.txt", "file-token\n");
  ASSERT_EQ(Run({"--token-file", path, "buildings", "get", "bld_1"}), 0);
  EXPECT_EQ(service_.last_authorization(), "Bearer file-token");
}

TEST_F(CliTest, InvalidOutputIsAUsageError) {
  EXPECT_EQ(Run({"--output=yaml", "buildings", "get", "bld_1"}), 2);
}

TEST_F(CliTest, ListAllFollowsEveryPageIntoOneTable) {
  ASSERT_EQ(Run({"buildings", "list", "--all"}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[0], HasSubstr("ID"));
  EXPECT_THAT(lines[1], HasSubstr("缙云大厦"));
  EXPECT_THAT(lines[2], HasSubstr("北泉公寓"));
}

TEST_F(CliTest, ListWithoutAllShowsOnePageAndHowToContinue) {
  ASSERT_EQ(Run({"buildings", "list"}), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("北泉公寓")));
  EXPECT_THAT(err_.str(), HasSubstr("more: --page-token 1"));
}

TEST_F(CliTest, ListFiltersBecomeRequestFields) {
  ASSERT_EQ(Run({"buildings", "list", "--tier", "500109001", "--class", "class_i,super_high_rise",
                 "--incomplete", "--three-nos=false"}),
            0);
  bv1::ListBuildingsRequest req = service_.last_list();
  EXPECT_EQ(req.tier_path_prefix(), "500109001");
  EXPECT_THAT(req.classes(),
              ElementsAre(bv1::BUILDING_CLASS_I, bv1::BUILDING_CLASS_SUPER_HIGH_RISE));
  EXPECT_TRUE(req.incomplete_only());
  ASSERT_TRUE(req.has_three_nos());
  EXPECT_FALSE(req.three_nos());
  EXPECT_FALSE(req.has_old_residential());
}

TEST_F(CliTest, LedgerFigureFiltersAndFiledLateBecomeRequestFields) {
  ASSERT_EQ(Run({"buildings", "list", "--with-lanes=false", "--hydrants-with-water", "true",
                 "--filing", "filed_late"}),
            0)
      << err_.str();
  bv1::ListBuildingsRequest req = service_.last_list();
  ASSERT_TRUE(req.has_with_lanes());
  EXPECT_FALSE(req.with_lanes());
  ASSERT_TRUE(req.has_indoor_hydrants_with_water());
  EXPECT_TRUE(req.indoor_hydrants_with_water());
  EXPECT_FALSE(req.has_lanes_marked());
  EXPECT_THAT(req.filing_states(), ElementsAre(bv1::FILING_STATE_FILED_LATE));
}

TEST_F(CliTest, BadEnumFlagNamesTheFlag) {
  EXPECT_EQ(Run({"buildings", "list", "--class", "tall"}), 2);  // a usage error
  EXPECT_THAT(err_.str(), HasSubstr("error: INVALID_ARGUMENT: --class: unknown BuildingClass"));
}

TEST_F(CliTest, UpdateSendsOnlyTheSetFieldsWithTheirMask) {
  ASSERT_EQ(Run({"buildings", "update", "bld_1", "--version", "4", "--set", "height_m=60", "--set",
                 "use=office"}),
            0)
      << err_.str();
  bv1::UpdateBuildingRequest req = service_.last_update();
  EXPECT_EQ(req.expected_version(), 4);
  EXPECT_THAT(req.update_mask().paths(), ElementsAre("height_m", "use"));
  EXPECT_EQ(req.building().building_id(), "bld_1");
  EXPECT_DOUBLE_EQ(req.building().height_m(), 60);
  EXPECT_EQ(req.building().use(), bv1::BUILDING_USE_OFFICE);
  EXPECT_TRUE(req.building().name().empty());
}

TEST_F(CliTest, UpdateOfANestedFieldKeepsItsSiblings) {
  ASSERT_EQ(
      Run({"buildings", "update", "bld_1", "--version", "4", "--set", "location.latitude=29.9"}), 0)
      << err_.str();
  bv1::UpdateBuildingRequest req = service_.last_update();
  EXPECT_THAT(req.update_mask().paths(), ElementsAre("location"));
  EXPECT_DOUBLE_EQ(req.building().location().latitude(), 29.9);
  EXPECT_DOUBLE_EQ(req.building().location().longitude(), 106.43);
  EXPECT_TRUE(req.building().name().empty());
}

TEST_F(CliTest, FileBuildsTheChainAndTheFiling) {
  ASSERT_EQ(Run({"buildings", "file", "bld_1", "--version", "4", "--management-unit", "缙云物业",
                 "--responsible", "张伟:13800000001", "--manager", "李娜:13800000002:u_lina",
                 "--head", "王强:13800000003", "--property-company", "缙云物业",
                 "--document-number", "北碚消备〔2024〕12号", "--filed-at", "2024-05-06"}),
            0)
      << err_.str();
  bv1::FileResponsibilityRequest req = service_.last_file();
  EXPECT_EQ(req.expected_version(), 4);
  EXPECT_EQ(req.chain().manager().subject(), "u_lina");
  EXPECT_EQ(req.chain().building_head().phone(), "13800000003");
  EXPECT_EQ(req.filing().document_number(), "北碚消备〔2024〕12号");
  EXPECT_EQ(req.filing().filed_at().seconds(), 1714924800);  // 2024-05-06 00:00 +08:00
}

// ----- parties

TEST_F(CliTest, CreateSendsOnePartyPerPartyFlag) {
  ASSERT_EQ(Run({"buildings", "create",
                 "--name",    "缙云大厦",
                 "--address", "缙云路 1 号",
                 "--tier",    "500109001001",
                 "--use",     "residential",
                 "--height",  "60",
                 "--floors",  "20",
                 "--lat",     "29.82",
                 "--lon",     "106.43",
                 "--party",   "owner:重庆缙云置业有限公司:91500109MA5U0001A4",
                 "--party",   "occupant:张伟:id:500109198503121232",
                 "--party",   "维保单位:重庆消安:91500109MA60003C02:agency-1"}),
            0)
      << err_.str();
  const bv1::CreateBuildingRequest req = service_.last_create();
  ASSERT_EQ(req.building().parties_size(), 3);
  EXPECT_EQ(req.building().parties(0).role(), subjects::v1::PARTY_ROLE_OWNER);
  EXPECT_EQ(req.building().parties(0).credit_code(), "91500109MA5U0001A4");
  EXPECT_EQ(req.building().parties(1).role(), subjects::v1::PARTY_ROLE_OCCUPANT);
  EXPECT_EQ(req.building().parties(1).person_id(), "500109198503121232");
  EXPECT_EQ(req.building().parties(2).role(), subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(req.building().parties(2).account_subject(), "agency-1");
}

TEST_F(CliTest, UpdateWithPartyFlagsReplacesThePartiesByTheirMaskPath) {
  ASSERT_EQ(Run({"buildings", "update", "bld_1", "--version", "4", "--set", "height_m=60",
                 "--party", "management_unit:缙云物业:91500109MA5U0002B8"}),
            0)
      << err_.str();
  bv1::UpdateBuildingRequest req = service_.last_update();
  EXPECT_THAT(req.update_mask().paths(), ElementsAre("height_m", "parties"));
  ASSERT_EQ(req.building().parties_size(), 1);
  EXPECT_EQ(req.building().parties(0).role(), subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
  EXPECT_DOUBLE_EQ(req.building().height_m(), 60);

  // Parties alone, and clearing them: the path with an empty list.
  ASSERT_EQ(Run({"buildings", "update", "bld_1", "--version", "5", "--clear-parties"}), 0)
      << err_.str();
  req = service_.last_update();
  EXPECT_THAT(req.update_mask().paths(), ElementsAre("parties"));
  EXPECT_EQ(req.building().parties_size(), 0);
}

TEST_F(CliTest, MalformedPartyFlagsAreUsageErrorsNamingTheFlag) {
  EXPECT_EQ(Run({"buildings", "update", "bld_1", "--version", "4", "--party", "landlord:某人:x"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--party: unknown role 'landlord'"));
  EXPECT_EQ(Run({"buildings", "update", "bld_1", "--version", "4", "--party", "owner:only-name"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--party: want ROLE:NAME:CREDIT_CODE"));
  EXPECT_EQ(Run({"buildings", "update", "bld_1", "--version", "4", "--clear-parties", "--party",
                 "owner:甲:91500109MA5U0001A4"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("exclude each other"));
  EXPECT_EQ(service_.last_update().expected_version(), 0);  // nothing was sent
}

TEST_F(CliTest, GetPrintsThePartiesAsTheServerSentThem) {
  bv1::Building b;
  b.set_building_id("bld_p");
  b.set_name("嘉陵苑");
  subjects::v1::Party* owner = b.add_parties();
  owner->set_role(subjects::v1::PARTY_ROLE_OWNER);
  owner->set_name("重庆嘉陵置业有限公司");
  owner->set_credit_code("91500109MA5U0001A4");
  subjects::v1::Party* occupant = b.add_parties();
  occupant->set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  occupant->set_name("张伟");
  occupant->set_person_id("500109********1232");  // masked by the server
  service_.AddBuilding(b);
  ASSERT_EQ(Run({"buildings", "get", "bld_p"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("PARTY"));
  EXPECT_THAT(out_.str(),
              ::testing::ContainsRegex("owner +重庆嘉陵置业有限公司 +91500109MA5U0001A4"));
  EXPECT_THAT(out_.str(), ::testing::ContainsRegex("occupant +张伟 +id 500109\\*{8}1232"));
}

TEST_F(CliTest, FileRejectsMalformedPerson) {
  EXPECT_EQ(Run({"buildings", "file", "bld_1", "--version", "4", "--manager", "nobody"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--manager: want NAME:PHONE[:SUBJECT]"));
}

TEST_F(CliTest, ImportWithBadRowsListsThemAndExitsOne) {
  std::string path = WriteTemp("bad.csv", "name\nbad\n");
  EXPECT_EQ(Run({"import", path}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("   3  height_m  not a number"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing imported"));
}

TEST_F(CliTest, ImportOfGoodFileReportsTheCount) {
  std::string path = WriteTemp("good.csv", "name\nok\n");
  ASSERT_EQ(Run({"import", path}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("imported 2 of 2 rows"));
}

TEST_F(CliTest, ImportOfALargeFileStreamsItWithAProgressBar) {
  std::string csv = "name,address\n";
  while (csv.size() < (3u << 20)) csv += "ok row of a large file,地址\n";  // ~3 MiB
  std::string path = WriteTemp("large.csv", csv);
  ASSERT_EQ(Run({"import", path}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("imported 2 of 2 rows"));
  auto [chunks, bytes] = service_.streamed();
  EXPECT_GT(chunks, 40);  // 64 KiB chunks
  EXPECT_EQ(bytes, csv.size());
  EXPECT_THAT(err_.str(), HasSubstr("[##############################] 100%"));
  const std::string err = err_.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\r'), chunks) << "one redraw per chunk";
}

TEST_F(CliTest, LedgerShowsUndefinedRatiosAsDashNotAPercentage) {
  ASSERT_EQ(Run({"ledger"}), 0);
  const std::string out = out_.str();
  std::string bare, full;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "500109001001")) bare = std::string(line);
    if (absl::StartsWith(line, "500109001002")) full = std::string(line);
  }
  ASSERT_FALSE(bare.empty()) << out;
  EXPECT_THAT(bare, HasSubstr(" 0%"));  // 0 of 2 filed: a real 0 %
  const std::vector<std::string> parts = absl::StrSplit(bare, "—");
  EXPECT_EQ(parts.size(), 3u) << "lanes marked and hydrants wet undefined: " << bare;
  EXPECT_THAT(full, ::testing::Not(HasSubstr("—"))) << full;
  EXPECT_THAT(full, HasSubstr("100%"));
}

TEST_F(CliTest, CallPrintsTheResponseAsJson) {
  ASSERT_EQ(Run({"call", "firegrid.buildings.v1.BuildingService/GetBuilding",
                 R"({"buildingId":"bld_2"})"}),
            0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"name\": \"北泉公寓\""));
}

TEST_F(CliTest, CallOfUnknownMethodFailsWithoutContactingTheServer) {
  EXPECT_EQ(Run({"call", "firegrid.buildings.v1.BuildingService/Nope", "{}"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("error: NOT_FOUND: no method"));
}

// `call` sends one request: a client-streaming method (the CSV import's stream) is refused
// before any call, as UNIMPLEMENTED by firegridctl itself, saying so.
TEST_F(CliTest, CallOfAClientStreamingMethodIsRefusedWithoutContactingTheServer) {
  EXPECT_EQ(Run({"call", "firegrid.buildings.v1.BuildingService/ImportBuildingsCsvStream", "{}"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("error: UNIMPLEMENTED: firegrid.buildings.v1.BuildingService."
                                    "ImportBuildingsCsvStream is client-streaming; `call` sends "
                                    "one request"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("does not serve this call")));
}

TEST_F(CliTest, MethodsListsTheBuildingsApi) {
  ASSERT_EQ(Run({"methods"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("firegrid.buildings.v1.BuildingService/ImportBuildingsCsv"));
}

TEST_F(CliTest, HealthPrintsServing) {
  ASSERT_EQ(Run({"health"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "SERVING\n");
}

TEST_F(CliTest, WrongAddressSaysWhichServiceWasExpectedThereAndWhere) {
  // The fake serves only the buildings API; a hazards command sent there gets UNIMPLEMENTED.
  EXPECT_EQ(Run({"hazards", "get", "hzd_1"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("error: UNIMPLEMENTED: " + server_.address() +
                                    " does not serve this call: the hazards service was "
                                    "expected there"));
  EXPECT_THAT(err_.str(), HasSubstr("env FIREGRID_HAZARDS_ADDR, default 127.0.0.1:50052"));
  EXPECT_EQ(Run({"call", "firegrid.notify.v1.NotifyService/ListInbox", "{}"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("the notify service was expected there"));
}

TEST_F(CliTest, JsonOutputSpellsEnumsAsTheFlagsDo) {
  ASSERT_EQ(Run({"buildings", "get", "bld_1", "--output", "json"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"building_class\": \"class_i\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"use\": \"residential\""));
  EXPECT_THAT(out_.str(), Not(HasSubstr("BUILDING_CLASS_I")));
  // The spelling of the output is accepted back by the flags.
  ASSERT_EQ(Run({"buildings", "list", "--class", "class_i", "--use", "residential"}), 0)
      << err_.str();
}

TEST_F(CliTest, VersionPrintsTheVersionAndCommit) {
  EXPECT_EQ(RunCli(registry_, {"--version"}, {}, out_, err_), 0);
  EXPECT_EQ(out_.str(), VersionLine("firegridctl") + "\n");
  EXPECT_THAT(out_.str(), HasSubstr("(commit "));
}

TEST_F(CliTest, AMissingRequiredFlagIsAUsageErrorWithTheCommandsUsage) {
  EXPECT_EQ(Run({"buildings", "file", "bld_1"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --"));
  EXPECT_THAT(err_.str(), HasSubstr("usage: firegridctl buildings file"));
  EXPECT_EQ(Run({"buildings", "list", "--page-size", "many"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--page-size: not an integer"));
  EXPECT_EQ(Run({"no-such-command"}), 2);
  EXPECT_EQ(Run({"buildings", "list", "--no-such-flag"}), 2);
}

TEST_F(CliTest, HealthOfAnUnreachableServerFails) {
  EXPECT_EQ(Run({"health", "--timeout", "300ms"}, {{"FIREGRID_ADDR", "127.0.0.1:1"}}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("error: "));
}

TEST_F(CliTest, TokenIsMintedFromTheKeyFileAndVerifies) {
  const std::string key(40, 'k');
  std::string path = WriteTemp("dev.key", key + "\n");  // the newline is not part of the key
  ASSERT_EQ(RunCli(registry_,
                   {"token", "--role", "street_officer", "--tier-path", "500109001", "--subject",
                    "u1", "--org-unit", "500109001", "--ttl", "1h"},
                   {{"FIREGRID_DEV_KEY_FILE", path}}, out_, err_),
            0)
      << err_.str();
  std::string token(absl::StripAsciiWhitespace(out_.str()));
  auth::VerifierOptions opts;
  opts.hs256_key = key;
  auto verifier = auth::TokenVerifier::Create(opts);
  ASSERT_TRUE(verifier.ok());
  auto p = (*verifier)->Verify(token, absl::Now());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "u1");
  EXPECT_EQ(p->role, auth::Role::kStreetOfficer);
  EXPECT_EQ(p->tier_path, "500109001");
  EXPECT_EQ(p->org_unit, "500109001");
  EXPECT_LE(p->expiry, absl::Now() + absl::Hours(1) + absl::Seconds(2));
}

TEST_F(CliTest, TokenWithUnknownRoleOrMissingKeyFails) {
  std::string path = WriteTemp("dev2.key", std::string(40, 'k'));
  EXPECT_EQ(
      RunCli(registry_,
             {"token", "--role", "mayor", "--tier-path", "5", "--subject", "u", "--key-file", path},
             {}, out_, err_),
      1);
  EXPECT_THAT(err_.str(), HasSubstr("--role: \"mayor\" is not a role"));
  err_.str("");
  EXPECT_EQ(RunCli(registry_,
                   {"token", "--role", "district_admin", "--tier-path", "500109", "--subject", "u",
                    "--key-file", "/nonexistent/key"},
                   {}, out_, err_),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read /nonexistent/key"));
}

TEST_F(CliTest, TokenRefusesClaimsTheServicesWouldRejectAndLifetimesAboveTheirMaximum) {
  std::string path = WriteTemp("dev3.key", std::string(40, 'k'));
  EXPECT_EQ(RunCli(registry_,
                   {"token", "--role", "community_worker", "--tier-path", "500109", "--subject",
                    "u", "--key-file", path},
                   {}, out_, err_),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("needs a community/village tier_path"));
  err_.str("");
  EXPECT_EQ(RunCli(registry_,
                   {"token", "--role", "community_worker", "--tier-path", "500109001002",
                    "--org-unit", "500109.fire_rescue", "--subject", "u", "--key-file", path},
                   {}, out_, err_),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("org_unit is not its tier_path"));
  err_.str("");
  EXPECT_EQ(RunCli(registry_,
                   {"token", "--role", "district_admin", "--tier-path", "500109", "--subject", "u",
                    "--ttl", "25h", "--key-file", path},
                   {}, out_, err_),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("--ttl: at most 24h"));
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace firegrid::ctl
