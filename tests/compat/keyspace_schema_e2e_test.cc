// The keyspace schema version at a service's start (Runtime::PrepareKeyspace,
// docs/upgrades.md), on the real binaries with redis-server and the dev broker: a fresh keyspace
// and one with data but no version are stamped as version 1 and served; a keyspace a newer
// release migrated is refused, the service exiting with both versions named and the keyspace
// left as it was; two replicas starting together on one keyspace both serve.
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

using ::testing::HasSubstr;

struct Service {
  std::string name;
  std::string binary;
  std::string prefix;
  std::vector<std::string> flags;  // beyond the common ones
};

// What CTest shows after a case's name: the service, not the struct's bytes.
void PrintTo(const Service& s, std::ostream* os) { *os << s.name; }

std::vector<Service> Services() {
  const std::string cfg = FIREGRID_CONFIG_DIR;
  return {
      {"buildings",
       FIREGRID_BUILDINGS_BIN,
       "fg:buildings",
       {"--rules-file=" + cfg + "/buildings_rules.textproto"}},
      {"hazards",
       FIREGRID_HAZARDS_BIN,
       "fg:hazards",
       {"--rules-file=" + cfg + "/hazards_rules.textproto",
        "--guidance-file=" + cfg + "/hazards_guidance.textproto"}},
  };
}

class KeyspaceSchemaE2E : public ::testing::TestWithParam<Service> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    key_file_ = testing::WriteKeyFile(dir_.path());
    redis::PoolOptions o;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &o).ok());
    pool_ = redis::Pool::Create(o);
  }

  std::vector<std::string> Flags() const {
    std::vector<std::string> f = {
        "--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + broker_.bootstrap(),
        "--jwt-hs256-key-file=" + key_file_, "--jwt-allow-hs256", "--drain-timeout=2s"};
    f.insert(f.end(), GetParam().flags.begin(), GetParam().flags.end());
    return f;
  }
  std::unique_ptr<testing::ServiceProcess> NewReplica() {
    return std::make_unique<testing::ServiceProcess>(
        testing::ServiceProcessOptions{.binary = GetParam().binary,
                                       .name = GetParam().name,
                                       .flags = Flags(),
                                       .log_dir = dir_.path()});
  }
  std::string VersionKey() const { return GetParam().prefix + ":schema:version"; }
  std::string Get(const std::string& key) {
    absl::StatusOr<redis::Reply> r = pool_->Command({"GET", key});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && !r->IsNil() ? r->str : "(none)";
  }

  testing::TempDir dir_{"keyspace-schema-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::string key_file_;
  std::unique_ptr<redis::Pool> pool_;
};

TEST_P(KeyspaceSchemaE2E, AFreshKeyspaceIsStampedAsVersionOneAndServed) {
  auto service = NewReplica();
  ASSERT_TRUE(service->Start().ok());
  EXPECT_EQ(Get(VersionKey()), "1");
  auto code = service->Stop();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

TEST_P(KeyspaceSchemaE2E, DataWithoutAVersionIsVersionOneAndKept) {
  const std::string data_key = GetParam().prefix + ":compat-test:kept";
  ASSERT_TRUE(pool_->Command({"SET", data_key, "before versions"}).ok());
  auto service = NewReplica();
  ASSERT_TRUE(service->Start().ok());
  EXPECT_EQ(Get(VersionKey()), "1");
  EXPECT_EQ(Get(data_key), "before versions");
}

TEST_P(KeyspaceSchemaE2E, RefusesAKeyspaceANewerReleaseMigratedNamingBothVersions) {
  ASSERT_TRUE(pool_->Command({"SET", VersionKey(), "2"}).ok());
  testing::Subprocess process;
  std::vector<std::string> argv = {GetParam().binary, "--grpc-address=127.0.0.1:0",
                                   "--metrics-address=127.0.0.1:0"};
  for (const std::string& f : Flags()) argv.push_back(f);
  ASSERT_TRUE(process.Start({.argv = argv, .log_dir = dir_.path(), .name = GetParam().name}).ok());
  auto code = process.Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_NE(*code, 0);
  std::string logs;
  for (const std::string& path : {process.stdout_path(), process.stderr_path()}) {
    std::ifstream in(path);
    logs.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_THAT(logs, HasSubstr(VersionKey() + " is at schema version 2, newer than version 1"));
  EXPECT_THAT(logs, HasSubstr("docs/upgrades.md"));
  EXPECT_THAT(logs, ::testing::Not(HasSubstr("\"msg\":\"listening\"")));
  EXPECT_EQ(Get(VersionKey()), "2");
}

TEST_P(KeyspaceSchemaE2E, TwoReplicasStartingTogetherBothServe) {
  auto a = NewReplica();
  auto b = NewReplica();
  absl::Status sa, sb;
  std::thread ta([&] { sa = a->Start(); });
  std::thread tb([&] { sb = b->Start(); });
  ta.join();
  tb.join();
  EXPECT_TRUE(sa.ok()) << sa;
  EXPECT_TRUE(sb.ok()) << sb;
  EXPECT_EQ(Get(VersionKey()), "1");
}

INSTANTIATE_TEST_SUITE_P(Services, KeyspaceSchemaE2E, ::testing::ValuesIn(Services()),
                         [](const ::testing::TestParamInfo<Service>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace firegrid
