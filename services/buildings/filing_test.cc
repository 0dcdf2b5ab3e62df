#include "services/buildings/filing.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

class FilingTest : public ::testing::Test {
 protected:
  absl::Time At(int y, int m, int d, int h = 10) {
    return absl::FromCivil(absl::CivilHour(y, m, d, h), cal_.zone);
  }
  v1::Responsibility Changed(absl::Time when) {
    v1::Responsibility r;
    r.mutable_chain()->set_management_unit("unit");
    *r.mutable_changed_at() = Ts(when);
    return r;
  }
  WorkCalendar cal_;
};

TEST_F(FilingTest, NoChainIsMissing) {
  v1::Responsibility r;
  ComputeFilingState(&r, At(2026, 12, 1), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_MISSING);
}

TEST_F(FilingTest, UnfiledChangeIsPendingForFiveWorkingDaysThenLate) {
  // Changed Monday 2026-11-23; due end of Monday 2026-11-30 (5 working days later).
  v1::Responsibility r = Changed(At(2026, 11, 23));
  ComputeFilingState(&r, At(2026, 11, 30, 23), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_PENDING);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(r.filing_due()),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(2026, 12, 1), cal_.zone)));
  ComputeFilingState(&r, At(2026, 12, 1, 0), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_LATE);
}

TEST_F(FilingTest, FilingOnOrAfterTheChangeDayCountsAsFiled) {
  v1::Responsibility r = Changed(At(2026, 11, 23, 15));
  r.mutable_filing()->set_document_number("北碚消备〔2026〕12号");
  *r.mutable_filing()->mutable_filed_at() = Ts(At(2026, 11, 23, 9));  // same day, earlier hour
  ComputeFilingState(&r, At(2027, 1, 1), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_FILED);
  EXPECT_EQ(r.working_days_late(), 0);
}

TEST_F(FilingTest, FilingOnTheLastDayOfThePeriodIsOnTime) {
  // Changed Monday 2026-11-23; the period ends at 24:00 on Monday 2026-11-30.
  v1::Responsibility r = Changed(At(2026, 11, 23));
  r.mutable_filing()->set_document_number("北碚消备〔2026〕13号");
  *r.mutable_filing()->mutable_filed_at() = Ts(At(2026, 11, 30, 23));
  ComputeFilingState(&r, At(2027, 1, 1), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_FILED);
  EXPECT_EQ(r.working_days_late(), 0);
}

TEST_F(FilingTest, FilingAfterThePeriodIsFiledLateByTheWorkingDaysPastIt) {
  v1::Responsibility r = Changed(At(2026, 11, 23));
  r.mutable_filing()->set_document_number("北碚消备〔2026〕14号");
  // Tuesday 2026-12-01: the first working day after the period.
  *r.mutable_filing()->mutable_filed_at() = Ts(At(2026, 12, 1, 0));
  ComputeFilingState(&r, At(2027, 1, 1), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_FILED_LATE);
  EXPECT_EQ(r.working_days_late(), 1);
  // Monday 2026-12-07: Tue, Wed, Thu, Fri, (weekend), Mon.
  *r.mutable_filing()->mutable_filed_at() = Ts(At(2026, 12, 7));
  ComputeFilingState(&r, At(2027, 1, 1), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_FILED_LATE);
  EXPECT_EQ(r.working_days_late(), 5);
}

TEST_F(FilingTest, UnfiledLateCountsWorkingDaysUntilNow) {
  v1::Responsibility r = Changed(At(2026, 11, 23));
  ComputeFilingState(&r, At(2026, 12, 4), cal_, 5);  // Friday
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_LATE);
  EXPECT_EQ(r.working_days_late(), 4);
  ComputeFilingState(&r, At(2026, 12, 6), cal_, 5);  // Sunday: no more working days
  EXPECT_EQ(r.working_days_late(), 4);
  ComputeFilingState(&r, At(2026, 11, 30), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_PENDING);
  EXPECT_EQ(r.working_days_late(), 0);
}

TEST_F(FilingTest, FilingBeforeTheLastChangeDoesNotCount) {
  v1::Responsibility r = Changed(At(2026, 11, 23));
  r.mutable_filing()->set_document_number("old");
  *r.mutable_filing()->mutable_filed_at() = Ts(At(2026, 11, 1));
  ComputeFilingState(&r, At(2026, 12, 15), cal_, 5);
  EXPECT_EQ(r.filing_state(), v1::FILING_STATE_LATE);
}

}  // namespace
}  // namespace firegrid::buildings
