// `firegridctl dlq ...` against an in-process fake DeadLetterService on port 0.
#include <sstream>

#include "absl/strings/str_cat.h"
#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"
#include "tools/firegridctl/fake_request_log.h"

namespace firegrid::ctl {
namespace {

namespace dv1 = ::firegrid::events::v1;

using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kId[] = "firegrid.buildings.events.v1.dlq:7";

// Two pages of dead letters; Replay and Drop answer from the request, unknown ids NOT_FOUND.
class FakeDeadLetterService final : public dv1::DeadLetterService::Service, public RequestLog {
 public:
  static dv1::DeadLetterEntry Entry(int offset) {
    dv1::DeadLetterEntry e;
    e.set_dead_letter_id(absl::StrCat("firegrid.buildings.events.v1.dlq:", offset));
    e.set_topic("firegrid.buildings.events.v1");
    e.set_partition(2);
    e.set_offset(100 + offset);
    e.set_dlq_offset(offset);
    e.mutable_failed_at()->set_seconds(1796464800);
    e.set_key("bld_1");
    e.set_event_id(absl::StrCat("evt_", offset));
    e.set_event_type("firegrid.buildings.v1.ResponsibilityFiled");
    e.set_reason("FAILED_PRECONDITION: responsibility of unknown building bld_1");
    e.set_consumer_group("hazards");
    e.set_state(dv1::DEAD_LETTER_STATE_PENDING);
    return e;
  }

  grpc::Status ListDeadLetters(grpc::ServerContext* ctx, const dv1::ListDeadLettersRequest* req,
                               dv1::ListDeadLettersResponse* out) override {
    Record(ctx, *req);
    if (req->page_token().empty()) {
      *out->add_dead_letters() = Entry(7);
      out->set_next_page_token("page2");
    } else {
      *out->add_dead_letters() = Entry(9);
    }
    return grpc::Status::OK;
  }
  grpc::Status GetDeadLetter(grpc::ServerContext* ctx, const dv1::GetDeadLetterRequest* req,
                             dv1::DeadLetterDetail* out) override {
    Record(ctx, *req);
    if (req->dead_letter_id() != kId) return {grpc::StatusCode::NOT_FOUND, "no such dead letter"};
    *out->mutable_entry() = Entry(7);
    (*out->mutable_headers())["traceparent"] = "00-abc-def-01";
    if (undecodable_) {
      out->set_value("\x01\x02zz");
      out->set_decode_error("not an envelope");
      out->mutable_entry()->clear_event_id();
      out->mutable_entry()->clear_event_type();
    } else {
      out->mutable_envelope()->set_event_id("evt_7");
      out->mutable_envelope()->set_building_id("bld_1");
      out->set_value(out->envelope().SerializeAsString());
    }
    return grpc::Status::OK;
  }
  grpc::Status ReplayDeadLetter(grpc::ServerContext* ctx, const dv1::ReplayDeadLetterRequest* req,
                                dv1::ReplayDeadLetterResponse* out) override {
    Record(ctx, *req);
    if (replayed_) {
      return {grpc::StatusCode::FAILED_PRECONDITION, absl::StrCat(kId, " was replayed by u-a")};
    }
    replayed_ = true;
    out->set_dead_letter_id(req->dead_letter_id());
    *out->mutable_entry() = Entry(7);
    out->mutable_entry()->set_state(dv1::DEAD_LETTER_STATE_REPLAYED);
    return grpc::Status::OK;
  }
  grpc::Status DropDeadLetter(grpc::ServerContext* ctx, const dv1::DropDeadLetterRequest* req,
                              dv1::DropDeadLetterResponse* out) override {
    Record(ctx, *req);
    out->set_dead_letter_id(req->dead_letter_id());
    *out->mutable_entry() = Entry(7);
    out->mutable_entry()->set_state(dv1::DEAD_LETTER_STATE_DROPPED);
    out->mutable_entry()->set_drop_reason(req->reason());
    return grpc::Status::OK;
  }

  bool undecodable_ = false;
  bool replayed_ = false;
};

class DlqCliTest : public ::testing::Test {
 protected:
  DlqCliTest() : server_(&service_) { RegisterAllCommands(&registry_); }

  // Runs firegridctl with the hazards address pointing at the fake unless `env` sets it.
  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_HAZARDS_ADDR")) env["FIREGRID_HAZARDS_ADDR"] = server_.address();
    env["FIREGRID_TOKEN"] = "admin-token";
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  Registry registry_;
  FakeDeadLetterService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
};

TEST_F(DlqCliTest, ListAsksTheNamedServiceForOneTopicAndShowsEachDeadLetter) {
  ASSERT_EQ(Run({"dlq", "list", "--service", "hazards", "--topic", "buildings", "--state",
                 "pending", "--wide"}),
            0)
      << err_.str();
  auto req = service_.last<dv1::ListDeadLettersRequest>();
  EXPECT_EQ(req.topic(), "firegrid.buildings.events.v1");
  EXPECT_EQ(req.state(), dv1::DEAD_LETTER_STATE_PENDING);
  EXPECT_EQ(req.page_size(), 50);
  EXPECT_THAT(out_.str(), HasSubstr(kId));
  EXPECT_THAT(out_.str(), HasSubstr("ResponsibilityFiled"));
  EXPECT_THAT(out_.str(), HasSubstr("pending"));
  EXPECT_THAT(out_.str(), HasSubstr("unknown building bld_1"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("dlq:9")));  // one page only
  EXPECT_THAT(err_.str(), HasSubstr("--page-token page2"));
  EXPECT_EQ(service_.last_authorization(), "Bearer admin-token");
}

TEST_F(DlqCliTest, ListAllReadsEveryPage) {
  ASSERT_EQ(Run({"dlq", "list", "--service", "hazards", "--topic", "firegrid.buildings.events.v1",
                 "--all"}),
            0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("dlq:7"));
  EXPECT_THAT(out_.str(), HasSubstr("dlq:9"));
  EXPECT_EQ(service_.calls(), 2);
}

TEST_F(DlqCliTest, ServiceAndTopicAreRequiredAndCheckedBeforeAnyCall) {
  EXPECT_EQ(Run({"dlq", "list", "--topic", "buildings"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--service"));
  EXPECT_EQ(Run({"dlq", "list", "--service", "buildings", "--topic", "buildings"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("hazards, credit, monitoring or notify"));
  EXPECT_EQ(Run({"dlq", "list", "--service", "hazards"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--topic"));
  EXPECT_EQ(Run({"dlq", "list", "--service", "hazards", "--topic", "buildings", "--state", "lost"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--state"));
  EXPECT_EQ(Run({"dlq", "drop", kId, "--service", "hazards"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--reason"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(DlqCliTest, EachServiceIsAskedAtItsOwnAddress) {
  ASSERT_EQ(
      Run({"dlq", "show", kId, "--service", "notify"},
          {{"FIREGRID_HAZARDS_ADDR", "127.0.0.1:1"}, {"FIREGRID_NOTIFY_ADDR", server_.address()}}),
      0)
      << err_.str();
  EXPECT_EQ(service_.last<dv1::GetDeadLetterRequest>().dead_letter_id(), kId);
}

TEST_F(DlqCliTest, ShowPrintsWhyHeadersAndTheDecodedEvent) {
  ASSERT_EQ(Run({"dlq", "show", kId, "--service", "hazards"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("unknown building bld_1"));
  EXPECT_THAT(out_.str(), HasSubstr("header traceparent"));
  EXPECT_THAT(out_.str(), HasSubstr("envelope:"));
  EXPECT_THAT(out_.str(), HasSubstr("\"event_id\": \"evt_7\""));
}

TEST_F(DlqCliTest, ShowOfARecordThatIsNoEventPrintsItsBytesAsHex) {
  service_.undecodable_ = true;
  ASSERT_EQ(Run({"dlq", "show", kId, "--service", "hazards"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("not an envelope"));
  EXPECT_THAT(out_.str(), HasSubstr("01027a7a"));
}

TEST_F(DlqCliTest, ShowOfAnUnknownIdIsTheServersNotFoundAndExitsOne) {
  EXPECT_EQ(Run({"dlq", "show", "firegrid.buildings.events.v1.dlq:99", "--service", "hazards"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND"));
}

TEST_F(DlqCliTest, ReplayOnceThenTheSecondIsRefusedWithTheServersReason) {
  ASSERT_EQ(Run({"dlq", "replay", kId, "--service", "hazards"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("replayed " + std::string(kId)));
  EXPECT_EQ(service_.last<dv1::ReplayDeadLetterRequest>().dead_letter_id(), kId);
  EXPECT_EQ(Run({"dlq", "replay", kId, "--service", "hazards"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(err_.str(), HasSubstr("replayed by u-a"));
}

TEST_F(DlqCliTest, DropSendsTheReason) {
  ASSERT_EQ(Run({"dlq", "drop", kId, "--service", "credit", "--reason", "test building"},
                {{"FIREGRID_CREDIT_ADDR", server_.address()}}),
            0)
      << err_.str();
  EXPECT_EQ(service_.last<dv1::DropDeadLetterRequest>().reason(), "test building");
  EXPECT_THAT(out_.str(), HasSubstr("dropped " + std::string(kId)));
}

TEST_F(DlqCliTest, JsonOutputSpellsTheStateAsTheFlagDoes) {
  ASSERT_EQ(
      Run({"dlq", "list", "--service", "hazards", "--topic", "buildings", "--output", "json"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"state\": \"pending\""));
}

}  // namespace
}  // namespace firegrid::ctl
