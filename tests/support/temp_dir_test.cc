#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace firegrid::testing {
namespace {

TEST(TempDir, IsCreatedAndRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir("tdtest");
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_NE(path.find("tdtest."), std::string::npos);
    std::filesystem::create_directories(dir.Join("a/b"));
    std::ofstream(dir.Join("a/b/file")) << "x";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, TwoDirsAreDistinct) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDir, IsKeptWhenFiregridKeepTmpIsSet) {
  std::string path;
  ::setenv("FIREGRID_KEEP_TMP", "1", 1);
  {
    TempDir dir("tdkeep");
    path = dir.path();
  }
  ::unsetenv("FIREGRID_KEEP_TMP");
  EXPECT_TRUE(std::filesystem::is_directory(path));
  std::filesystem::remove_all(path);
}

TEST(TempDir, HonoursTmpdir) {
  TempDir outer;
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", outer.path().c_str(), 1);
  {
    TempDir inner;
    EXPECT_EQ(inner.path().rfind(outer.path() + "/", 0), 0u) << inner.path();
  }
  if (old) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace firegrid::testing
