#include "libs/common/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(Ulid, EncodesTimeFirstSoIdsSortByCreation) {
  const std::string a = EncodeUlid(absl::FromUnixMillis(1000), 0xffff, ~uint64_t{0});
  const std::string b = EncodeUlid(absl::FromUnixMillis(1001), 0, 0);
  EXPECT_EQ(a.size(), 26u);
  EXPECT_LT(a, b);
  EXPECT_EQ(EncodeUlid(absl::FromUnixMillis(0), 0, 0), std::string(26, '0'));
}

TEST(RandomIdGenerator, ProducesDistinctWellFormedIds) {
  RandomIdGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = gen.NewId("bld");
    EXPECT_TRUE(IsWellFormedId(id, "bld")) << id;
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
  }
}

TEST(SequentialIdGenerator, CountsUp) {
  SequentialIdGenerator gen;
  EXPECT_EQ(gen.NewId("evt"), "evt_0001");
  EXPECT_EQ(gen.NewId("evt"), "evt_0002");
}

TEST(IsWellFormedId, RejectsWrongPrefixAndCharacters) {
  EXPECT_TRUE(IsWellFormedId("bld_01ABC", "bld"));
  EXPECT_FALSE(IsWellFormedId("hyd_01ABC", "bld"));
  EXPECT_FALSE(IsWellFormedId("bld_", "bld"));
  EXPECT_FALSE(IsWellFormedId("bld_a b", "bld"));
  EXPECT_FALSE(IsWellFormedId("bld_a:b", "bld"));
  EXPECT_FALSE(IsWellFormedId("bld_" + std::string(65, 'a'), "bld"));
}

}  // namespace
}  // namespace firegrid
