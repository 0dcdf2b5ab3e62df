#pragma once

// For tests: the shipped rule set (config/monitoring_rules.textproto, the path compiled in as
// FIREGRID_MONITORING_RULES), loaded once per test binary.

#include "gtest/gtest.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

inline const Rules& ShippedRules() {
  static const Rules* rules = [] {
    absl::StatusOr<Rules> r = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*std::move(r));
  }();
  return *rules;
}

}  // namespace firegrid::monitoring
