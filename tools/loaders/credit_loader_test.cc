#include "tools/loaders/credit_loader.h"

#include <fstream>
#include <set>
#include <sstream>

#include "firegrid/config/v1/credit_rules.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "libs/subjects/party.h"

namespace firegrid::loaders {
namespace {

config::v1::CreditRules LoadRules() {
  std::ifstream in(FIREGRID_CREDIT_RULES);
  std::stringstream text;
  text << in.rdbuf();
  config::v1::CreditRules rules;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &rules));
  return rules;
}

credit::v1::Level LevelOf(const config::v1::CreditRules& rules, int score) {
  for (const auto& band : rules.levels()) {
    if (score >= band.min_score()) return band.level();
  }
  return credit::v1::LEVEL_UNSPECIFIED;
}

TEST(CreditPlan, EverySubjectHasAValidCreditCode) {
  const CreditPlan plan = PlanBeibeiCredit({"b1", "b2", "b3", "b4"});
  ASSERT_FALSE(plan.subjects.empty());
  for (const PlannedSubject& s : plan.subjects) {
    EXPECT_TRUE(subjects::ValidateParty(s.party, "party").ok()) << s.key;
  }
}

// The shipped rule set's deltas put the planned subjects at every level, A to D, and the
// blacklisted agency at D (where the rules propose an entry).
TEST(CreditPlan, PutsSubjectsAtEveryLevelUnderTheShippedRules) {
  const config::v1::CreditRules rules = LoadRules();
  const CreditPlan plan = PlanBeibeiCredit({"b1", "b2", "b3", "b4"});
  std::map<std::string, int> score;
  for (const PlannedSubject& s : plan.subjects) score[s.key] = rules.base_score();
  for (const PlannedRecord& r : plan.records) {
    const config::v1::ManualRule* rule = nullptr;
    for (const auto& m : rules.manual_rules()) {
      if (m.id() == r.rule_id) rule = &m;
    }
    ASSERT_NE(rule, nullptr) << r.rule_id;
    EXPECT_NE(std::find(rule->roles().begin(), rule->roles().end(),
                        std::string(auth::RoleName(r.by.role))),
              rule->roles().end())
        << r.rule_id << " recorded by a role it does not allow";
    score[r.subject_key] =
        std::clamp(score[r.subject_key] + rule->delta(), rules.min_score(), rules.max_score());
  }
  std::set<credit::v1::Level> levels;
  for (const auto& [key, s] : score) levels.insert(LevelOf(rules, s));
  EXPECT_EQ(levels, (std::set<credit::v1::Level>{credit::v1::LEVEL_A, credit::v1::LEVEL_B,
                                                 credit::v1::LEVEL_C, credit::v1::LEVEL_D}));
  EXPECT_EQ(LevelOf(rules, score[plan.blacklisted_key]), rules.blacklist().auto_propose_level());
}

}  // namespace
}  // namespace firegrid::loaders
