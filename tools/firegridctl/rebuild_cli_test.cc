// `firegridctl rebuild --check` against in-process fakes of the three services on port 0: the
// service named by --service is asked, its differences are printed, and the exit code says
// whether the read model differs.
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"

namespace firegrid::ctl {
namespace {

namespace rv1 = ::firegrid::readmodels::v1;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

// CheckReadModels of `Service` answering `answer` and keeping the request it got.
template <typename Service>
class FakeCheck final : public Service {
 public:
  grpc::Status CheckReadModels(grpc::ServerContext*, const rv1::CheckReadModelsRequest* req,
                               rv1::CheckReadModelsResponse* out) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    last_ = *req;
    *out = answer_;
    return grpc::Status::OK;
  }
  void Answer(rv1::CheckReadModelsResponse a) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(a);
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  rv1::CheckReadModelsRequest last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  absl::Mutex mu_;
  int calls_ = 0;
  rv1::CheckReadModelsRequest last_;
  rv1::CheckReadModelsResponse answer_;
};

rv1::CheckReadModelsResponse Clean(const std::string& model, int64_t records) {
  rv1::CheckReadModelsResponse r;
  r.set_read_model(model);
  r.set_records(records);
  return r;
}

class RebuildCliTest : public ::testing::Test {
 protected:
  RebuildCliTest()
      : buildings_server_(&buildings_), hazards_server_(&hazards_), credit_server_(&credit_) {
    RegisterAllCommands(&registry_);
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Context::Env env = {{"FIREGRID_ADDR", buildings_server_.address()},
                        {"FIREGRID_HAZARDS_ADDR", hazards_server_.address()},
                        {"FIREGRID_CREDIT_ADDR", credit_server_.address()}};
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  Registry registry_;
  FakeCheck<buildings::v1::BuildingService::Service> buildings_;
  FakeCheck<hazards::v1::HazardService::Service> hazards_;
  FakeCheck<credit::v1::CreditService::Service> credit_;
  FakeServer buildings_server_, hazards_server_, credit_server_;
  std::ostringstream out_, err_;
};

TEST_F(RebuildCliTest, AnEqualReadModelPrintsTheCountAndExitsZero) {
  hazards_.Answer(Clean("statistics counters", 42));
  EXPECT_EQ(Run({"rebuild", "--check", "--service", "hazards"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "hazards statistics counters: 42 records rebuilt, 0 differences\n");
  EXPECT_EQ(hazards_.calls(), 1);
  EXPECT_EQ(buildings_.calls(), 0);
  EXPECT_EQ(credit_.calls(), 0);
}

TEST_F(RebuildCliTest, DifferencesArePrintedWithBothValuesAndExitOne) {
  rv1::CheckReadModelsResponse r = Clean("scores and rankings", 9);
  r.set_difference_count(3);
  auto* d = r.add_differences();
  d->set_key("fg:credit:g:2026.1:s:org:91110000600037341L");
  d->set_field("score");
  d->set_live("95");
  d->set_rebuilt("70");
  d = r.add_differences();
  d->set_key("fg:credit:g:2026.1:rank:all:owner");
  d->set_field("org:91350100M000100Y43");
  d->set_rebuilt("100");  // missing from the live ranking
  credit_.Answer(r);
  EXPECT_EQ(Run({"rebuild", "--check", "--service", "credit", "--max-differences", "2"}), 1);
  EXPECT_EQ(credit_.last().max_differences(), 2);
  EXPECT_THAT(out_.str(),
              HasSubstr("credit scores and rankings: 9 records rebuilt, 3 differences"));
  EXPECT_THAT(out_.str(), HasSubstr("KEY"));
  EXPECT_THAT(out_.str(), HasSubstr("fg:credit:g:2026.1:s:org:91110000600037341L  score"));
  EXPECT_THAT(out_.str(), HasSubstr("95"));
  EXPECT_THAT(out_.str(), HasSubstr("70"));
  EXPECT_THAT(out_.str(), HasSubstr("(the first 2 of 3)"));
  EXPECT_THAT(err_.str(), HasSubstr("DATA_LOSS"));
}

TEST_F(RebuildCliTest, JsonOutputIsTheAnswerAndStillExitsOneOnDifferences) {
  rv1::CheckReadModelsResponse r = Clean("ledger counters", 3);
  r.set_difference_count(1);
  auto* d = r.add_differences();
  d->set_key("fg:buildings:agg:500109");
  d->set_field("buildings");
  d->set_live("9");
  d->set_rebuilt("3");
  buildings_.Answer(r);
  EXPECT_EQ(Run({"rebuild", "--check", "--service", "buildings", "--output", "json"}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("\"live\": \"9\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"rebuilt\": \"3\""));
}

TEST_F(RebuildCliTest, UsageErrorsNameTheFlagAndCallNothing) {
  EXPECT_EQ(Run({"rebuild", "--check"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--service"));
  EXPECT_EQ(Run({"rebuild", "--check", "--service", "notify"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--service"));
  EXPECT_EQ(Run({"rebuild", "--service", "credit"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--check"));
  EXPECT_EQ(Run({"rebuild", "--check", "--service", "credit", "--max-differences", "0"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--max-differences"));
  EXPECT_EQ(buildings_.calls() + hazards_.calls() + credit_.calls(), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("records rebuilt")));
}

}  // namespace
}  // namespace firegrid::ctl
