// The keyspace schema version and its migrations (schema.h) against a real redis-server.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/schema.h"
#include "tests/support/redis_server.h"

namespace firegrid::redis {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPrefix[] = "fg:svc";

class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    PoolOptions o;
    ASSERT_TRUE(ParseAddress(server_->address(), &o).ok());
    pool_ = Pool::Create(o);
    ASSERT_TRUE(pool_->Command({"FLUSHALL"}).ok());
  }

  // A migration that notes its name in "<prefix>:trace" (a list) each time it runs, with the
  // version it found: what proves order and once-only.
  Migration Traced(int to, std::string name) {
    Migration m;
    m.to = to;
    m.name = name;
    m.apply = [name](Pool& pool, const std::string& prefix) -> absl::Status {
      absl::StatusOr<int> at = ReadSchemaVersion(pool, prefix);
      if (!at.ok()) return at.status();
      return pool.Command({"RPUSH", absl::StrCat(prefix, ":trace"), absl::StrCat(name, "@", *at)})
          .status();
    };
    return m;
  }
  Schema UpTo3() {
    Schema s;
    s.version = 3;
    s.migrations = {Traced(2, "add-index"), Traced(3, "add-field")};
    return s;
  }
  SchemaOptions Options(std::string owner = "replica-a") {
    SchemaOptions o;
    o.owner = std::move(owner);
    o.poll = absl::Milliseconds(20);
    o.wait = absl::Seconds(20);
    return o;
  }
  std::vector<std::string> Trace() {
    absl::StatusOr<Reply> r =
        pool_->Command({"LRANGE", absl::StrCat(kPrefix, ":trace"), "0", "-1"});
    std::vector<std::string> out;
    if (r.ok()) {
      for (const Reply& e : r->elements) out.push_back(e.str);
    }
    return out;
  }
  std::string VersionKeyValue() {
    absl::StatusOr<Reply> r = pool_->Command({"GET", SchemaVersionKey(kPrefix)});
    return r.ok() && !r->IsNil() ? r->str : "(none)";
  }

  static testing::RedisServer* server_;
  std::unique_ptr<Pool> pool_;
};

testing::RedisServer* SchemaTest::server_ = nullptr;

TEST_F(SchemaTest, UnversionedDataIsVersionOneAndIsStamped) {
  ASSERT_TRUE(pool_->Command({"SET", absl::StrCat(kPrefix, ":hazard:h1"), "x"}).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, Schema{}, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 1);
  EXPECT_TRUE(out->unversioned);
  EXPECT_EQ(out->version, 1);
  EXPECT_EQ(out->applied, 0);
  EXPECT_EQ(VersionKeyValue(), "1");
  // The next start finds it stamped.
  out = EnsureSchema(*pool_, kPrefix, Schema{}, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->unversioned);
  EXPECT_EQ(out->found, 1);
}

TEST_F(SchemaTest, MigrationsRunInOrderOneStepAtATimeAndOnlyOnce) {
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 1);
  EXPECT_EQ(out->applied, 2);
  EXPECT_EQ(out->version, 3);
  EXPECT_THAT(Trace(), ElementsAre("add-index@1", "add-field@2"));
  EXPECT_EQ(VersionKeyValue(), "3");

  out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options("replica-b"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 3);
  EXPECT_EQ(out->applied, 0);
  EXPECT_THAT(Trace(), ElementsAre("add-index@1", "add-field@2"));
}

TEST_F(SchemaTest, StartsFromTheVersionFoundAndRunsOnlyTheLaterMigrations) {
  ASSERT_TRUE(pool_->Command({"SET", SchemaVersionKey(kPrefix), "2"}).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 2);
  EXPECT_EQ(out->applied, 1);
  EXPECT_THAT(Trace(), ElementsAre("add-field@2"));
}

TEST_F(SchemaTest, ReplicasStartingTogetherMigrateOnce) {
  constexpr int kReplicas = 6;
  std::atomic<int> runs{0};
  Schema schema;
  schema.version = 2;
  Migration m = Traced(2, "slow");
  // Long enough that the other replicas find the lease taken while it runs.
  m.apply = [&runs, inner = m.apply](Pool& pool, const std::string& prefix) {
    runs.fetch_add(1);
    absl::SleepFor(absl::Milliseconds(300));
    return inner(pool, prefix);
  };
  schema.migrations = {m};
  absl::Barrier start(kReplicas);
  std::vector<absl::StatusOr<SchemaOutcome>> outs(kReplicas, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      PoolOptions o = pool_->options();
      std::unique_ptr<Pool> own = Pool::Create(o);  // each replica its own connections
      start.Block();
      outs[i] = EnsureSchema(*own, kPrefix, schema, Options(absl::StrCat("replica-", i)));
    });
  }
  for (auto& t : threads) t.join();
  int applied = 0;
  for (const auto& out : outs) {
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->version, 2);
    applied += out->applied;
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_THAT(Trace(), ElementsAre("slow@1"));
  EXPECT_EQ(VersionKeyValue(), "2");
}

TEST_F(SchemaTest, RefusesAKeyspaceNewerThanItKnowsNamingBothVersions) {
  ASSERT_TRUE(pool_->Command({"SET", SchemaVersionKey(kPrefix), "4"}).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options());
  ASSERT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << out.status();
  EXPECT_THAT(out.status().message(),
              AllOf(HasSubstr("fg:svc:schema:version is at schema version 4"),
                    HasSubstr("newer than version 3"), HasSubstr("docs/upgrades.md")));
  EXPECT_EQ(VersionKeyValue(), "4");
  EXPECT_THAT(Trace(), ElementsAre());
}

TEST_F(SchemaTest, AFailedMigrationStopsAtTheLastStepDoneAndTheNextStartResumes) {
  Schema failing = UpTo3();
  failing.migrations[1].apply = [](Pool&, const std::string&) {
    return absl::InternalError("disk full");
  };
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, failing, Options());
  ASSERT_EQ(out.status().code(), absl::StatusCode::kInternal) << out.status();
  EXPECT_EQ(VersionKeyValue(), "2");
  // The lease was given back: the next start does not wait for it.
  EXPECT_TRUE(pool_->Command({"GET", SchemaLeaseKey(kPrefix)})->IsNil());

  out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 2);
  EXPECT_EQ(out->applied, 1);
  EXPECT_THAT(Trace(), ElementsAre("add-index@1", "add-field@2"));
}

TEST_F(SchemaTest, WaitsForADeadMigratorsLeaseToExpireThenMigrates) {
  ASSERT_TRUE(pool_->Command({"SET", SchemaLeaseKey(kPrefix), "dead-replica", "PX", "400"}).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, UpTo3(), Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->applied, 2);
  EXPECT_EQ(VersionKeyValue(), "3");
}

TEST_F(SchemaTest, GivesUpAfterTheWaitWhileAnotherHoldsTheLease) {
  ASSERT_TRUE(pool_->Command({"SET", SchemaLeaseKey(kPrefix), "stuck-replica"}).ok());
  SchemaOptions o = Options();
  o.wait = absl::Milliseconds(300);
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, UpTo3(), o);
  ASSERT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("another replica migrates"));
  EXPECT_EQ(VersionKeyValue(), "(none)");
}

TEST_F(SchemaTest, RejectsMigrationsThatDoNotLeadToItsVersionStepByStep) {
  Schema gap = UpTo3();
  gap.migrations[1].to = 4;
  EXPECT_EQ(EnsureSchema(*pool_, kPrefix, gap, Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
  Schema missing;
  missing.version = 2;
  EXPECT_EQ(EnsureSchema(*pool_, kPrefix, missing, Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VersionKeyValue(), "(none)");
}

TEST_F(SchemaTest, AVersionKeyThatIsNotANumberIsRefused) {
  ASSERT_TRUE(pool_->Command({"SET", SchemaVersionKey(kPrefix), "two"}).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, kPrefix, Schema{}, Options());
  ASSERT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << out.status();
  EXPECT_THAT(out.status().message(), HasSubstr("not a schema version"));
}

TEST_F(SchemaTest, EachPrefixHasItsOwnVersion) {
  ASSERT_TRUE(EnsureSchema(*pool_, "fg:a", UpTo3(), Options()).ok());
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool_, "fg:b", Schema{}, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->found, 1);
  EXPECT_EQ(*ReadSchemaVersion(*pool_, "fg:a"), 3);
  EXPECT_EQ(*ReadSchemaVersion(*pool_, "fg:b"), 1);
}

TEST(SchemaWithoutRedisTest, GivesUpAfterTheWaitWhenRedisIsUnreachable) {
  PoolOptions po;
  po.port = 1;  // nothing listens on loopback port 1
  po.connect_timeout = absl::Milliseconds(100);
  std::unique_ptr<Pool> pool = Pool::Create(po);
  SchemaOptions o;
  o.owner = "replica-a";
  o.poll = absl::Milliseconds(20);
  o.wait = absl::Milliseconds(300);
  absl::StatusOr<SchemaOutcome> out = EnsureSchema(*pool, kPrefix, Schema{}, o);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded) << out.status();
}

}  // namespace
}  // namespace firegrid::redis
