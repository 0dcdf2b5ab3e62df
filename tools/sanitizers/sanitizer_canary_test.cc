// In a sanitizer build (FIREGRID_SANITIZE): each test commits one defect of a kind the build's
// sanitizers look for, in a child process (a death test), and expects the child to end with the
// sanitizer's report. They prove that the sanitizer is compiled in, that UBSan does not recover,
// and that the settings CTest gives every test (halt_on_error, cmake/FiregridSanitize.cmake)
// reach it: a build or a setting that lets a defect pass fails here.
#include <sys/wait.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"

namespace {

class SanitizerCanaryTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

#ifdef FIREGRID_SANITIZE_ADDRESS
int* volatile sink = nullptr;

int ReadAfterFree() {
  int* p = new int[4]{1, 2, 3, 4};
  sink = p;
  delete[] p;
  return sink[1];
}

TEST_F(SanitizerCanaryTest, AddressSanitizerEndsAReadAfterFree) {
  EXPECT_DEATH(std::printf("%d\n", ReadAfterFree()), "AddressSanitizer: heap-use-after-free");
}

TEST_F(SanitizerCanaryTest, LeakSanitizerFailsAProcessThatLeaks) {
  EXPECT_EXIT(
      {
        // Allocated and forgotten on a thread whose stack is gone before the exit's leak check.
        std::thread([] {
          sink = new int[16];
          sink = nullptr;
        }).join();
        std::exit(0);
      },
      [](int status) { return WIFEXITED(status) && WEXITSTATUS(status) != 0; },
      "LeakSanitizer: detected memory leaks");
}
#endif

#ifdef FIREGRID_SANITIZE_UNDEFINED
volatile int largest = INT_MAX;

int Increment(int x) { return x + 1; }

TEST_F(SanitizerCanaryTest, UndefinedBehaviourSanitizerEndsASignedOverflow) {
  EXPECT_DEATH(std::printf("%d\n", Increment(largest)), "signed integer overflow");
}
#endif

#ifdef FIREGRID_SANITIZE_THREAD
TEST_F(SanitizerCanaryTest, ThreadSanitizerEndsADataRace) {
  EXPECT_DEATH(
      {
        int* shared = new int(0);
        std::thread writer([shared] { *shared = 1; });
        *shared = 2;
        writer.join();
        std::printf("%d\n", *shared);
        delete shared;
      },
      "ThreadSanitizer: data race");
}
#endif

}  // namespace
