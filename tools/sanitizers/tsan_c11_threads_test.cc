// In a TSan build (FIREGRID_SANITIZE=thread): C11 threads as librdkafka uses them. Without
// tsan_c11_threads.cc, TSan does not know a thread started by thrd_create (its first malloc
// crashes the process) and sees no lock taken by mtx_lock (a race is reported).
#include <threads.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

struct Shared {
  mtx_t mu;
  cnd_t cv;
  int counter = 0;
  bool ready = false;
  std::string text;
};

TEST(TsanC11ThreadsTest, AThreadStartedByThrdCreateAllocatesAndIsJoined) {
  std::string text;
  thrd_t t;
  ASSERT_EQ(thrd_create(
                &t,
                [](void* arg) {
                  *static_cast<std::string*>(arg) = std::string(100, 'x');  // malloc
                  return 7;
                },
                &text),
            thrd_success);
  int result = 0;
  ASSERT_EQ(thrd_join(t, &result), thrd_success);
  EXPECT_EQ(result, 7);
  EXPECT_EQ(text.size(), 100u);
}

TEST(TsanC11ThreadsTest, MtxLockOrdersIncrementsOfEveryThread) {
  Shared s;
  ASSERT_EQ(mtx_init(&s.mu, mtx_plain), thrd_success);
  std::vector<thrd_t> threads(4);
  for (auto& t : threads) {
    ASSERT_EQ(thrd_create(
                  &t,
                  [](void* arg) {
                    auto* s = static_cast<Shared*>(arg);
                    for (int i = 0; i < 500; ++i) {
                      mtx_lock(&s->mu);
                      ++s->counter;
                      mtx_unlock(&s->mu);
                    }
                    return 0;
                  },
                  &s),
              thrd_success);
  }
  for (auto& t : threads) thrd_join(t, nullptr);
  EXPECT_EQ(s.counter, 2000);
  mtx_destroy(&s.mu);
}

TEST(TsanC11ThreadsTest, CndWaitSeesWhatTheSignallingThreadWrote) {
  Shared s;
  ASSERT_EQ(mtx_init(&s.mu, mtx_plain | mtx_recursive), thrd_success);
  ASSERT_EQ(cnd_init(&s.cv), thrd_success);
  thrd_t t;
  ASSERT_EQ(thrd_create(
                &t,
                [](void* arg) {
                  auto* s = static_cast<Shared*>(arg);
                  mtx_lock(&s->mu);
                  mtx_lock(&s->mu);  // Recursive.
                  s->text = "written";
                  s->ready = true;
                  cnd_signal(&s->cv);
                  mtx_unlock(&s->mu);
                  mtx_unlock(&s->mu);
                  return 0;
                },
                &s),
            thrd_success);
  mtx_lock(&s.mu);
  while (!s.ready) cnd_wait(&s.cv, &s.mu);
  EXPECT_EQ(s.text, "written");
  mtx_unlock(&s.mu);
  thrd_join(t, nullptr);
  cnd_destroy(&s.cv);
  mtx_destroy(&s.mu);
}

}  // namespace
