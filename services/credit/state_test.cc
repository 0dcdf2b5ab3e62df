#include "services/credit/state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::credit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

absl::Time T(int s) { return absl::FromUnixSeconds(1'700'000'000 + s); }

TEST(MemoryStateTest, FindDoesNotCreateAndMutableCreatesWithTheId) {
  MemoryState st;
  EXPECT_EQ(st.FindSubject("org:A"), nullptr);
  v1::SubjectState* s = st.MutableSubject("org:A");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->subject().subject_id(), "org:A");
  EXPECT_EQ(st.FindSubject("org:A"), s);
  EXPECT_EQ(st.MutableHazard("h1")->hazard_id(), "h1");
  EXPECT_EQ(st.MutableBuilding("b1")->building_id(), "b1");
}

TEST(MemoryStateTest, PointersStayValidWhileTheStateGrows) {
  MemoryState st;
  v1::SubjectState* first = st.MutableSubject("org:first");
  first->set_score(7);
  for (int i = 0; i < 5000; ++i) st.MutableSubject("org:" + std::to_string(i));
  EXPECT_EQ(first, st.FindSubject("org:first"));
  EXPECT_EQ(first->score(), 7);
}

TEST(MemoryStateTest, LoaderIsAskedOnceAndMissesAreRemembered) {
  int asked = 0;
  MemoryState::Loader loader;
  loader.subject = [&](const std::string& id, v1::SubjectState* out) {
    ++asked;
    if (id != "org:stored") return false;
    out->set_score(55);
    out->mutable_subject()->set_subject_id(id);
    return true;
  };
  MemoryState st(loader);
  ASSERT_NE(st.FindSubject("org:stored"), nullptr);
  EXPECT_EQ(st.FindSubject("org:stored")->score(), 55);
  EXPECT_EQ(st.FindSubject("org:none"), nullptr);
  EXPECT_EQ(st.FindSubject("org:none"), nullptr);
  EXPECT_EQ(asked, 2);
  // Reading marks nothing changed.
  EXPECT_THAT(st.TakeDirty().subjects, IsEmpty());
  // A missing subject can still be created.
  EXPECT_EQ(st.MutableSubject("org:none")->subject().subject_id(), "org:none");
}

TEST(MemoryStateTest, TakeDirtyReturnsSortedChangesOnce) {
  MemoryState st;
  st.MutableSubject("org:b");
  st.MutableSubject("org:a");
  st.MutableHazard("h2");
  st.MutableBuilding("b1");
  st.SetDue("e1", T(5));
  MemoryState::Dirty d = st.TakeDirty();
  EXPECT_THAT(d.subjects, ElementsAre("org:a", "org:b"));
  EXPECT_THAT(d.hazards, ElementsAre("h2"));
  EXPECT_THAT(d.buildings, ElementsAre("b1"));
  EXPECT_THAT(d.due, ElementsAre(Pair("e1", T(5))));
  MemoryState::Dirty again = st.TakeDirty();
  EXPECT_THAT(again.subjects, IsEmpty());
  EXPECT_THAT(again.due, IsEmpty());
}

TEST(MemoryStateTest, DueEntriesAreOrderedByTimeThenId) {
  MemoryState st;
  st.SetDue("z", T(1));
  st.SetDue("b", T(2));
  st.SetDue("a", T(2));
  st.SetDue("late", T(100));
  EXPECT_THAT(st.DueEntries(T(2)), ElementsAre("z", "a", "b"));
  st.SetDue("z", T(50));  // moved
  EXPECT_THAT(st.DueEntries(T(2)), ElementsAre("a", "b"));
  st.SetDue("a", absl::InfinitePast());  // cleared
  EXPECT_THAT(st.DueEntries(T(100)), ElementsAre("b", "z", "late"));
  EXPECT_THAT(st.TakeDirty().due, ElementsAre(Pair("a", absl::InfinitePast()), Pair("b", T(2)),
                                              Pair("late", T(100)), Pair("z", T(50))));
}

TEST(MemoryStateTest, DueEntriesMergeTheStoreButMemoryWins) {
  MemoryState::Loader loader;
  loader.due = [](absl::Time until) {
    std::vector<std::pair<std::string, absl::Time>> out;
    for (auto& [id, t] : std::vector<std::pair<std::string, absl::Time>>{
             {"stored", T(1)}, {"cleared", T(1)}, {"moved", T(1)}}) {
      if (t <= until) out.emplace_back(id, t);
    }
    return out;
  };
  MemoryState st(loader);
  st.SetDue("cleared", absl::InfinitePast());
  st.SetDue("moved", T(30));
  EXPECT_THAT(st.DueEntries(T(10)), ElementsAre("stored"));
  EXPECT_THAT(st.DueEntries(T(30)), ElementsAre("stored", "moved"));
}

TEST(MemoryStateTest, ClearKeepsOnlyChangesNotYetTaken) {
  MemoryState st;
  st.MutableSubject("org:taken");
  st.SetDue("e-taken", T(1));
  st.TakeDirty();
  st.MutableSubject("org:pending");
  st.SetDue("e-pending", T(2));
  st.Clear();
  EXPECT_EQ(st.FindSubject("org:taken"), nullptr);
  ASSERT_NE(st.FindSubject("org:pending"), nullptr);
  EXPECT_THAT(st.DueEntries(T(10)), ElementsAre("e-pending"));
  MemoryState::Dirty d = st.TakeDirty();
  EXPECT_THAT(d.subjects, ElementsAre("org:pending"));
  st.Clear();
  EXPECT_EQ(st.FindSubject("org:pending"), nullptr);
  EXPECT_THAT(st.DueEntries(T(10)), IsEmpty());
}

}  // namespace
}  // namespace firegrid::credit
