#include "tests/support/fake_time.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace firegrid::testing {

FakeTime::FakeTime(const std::string& dir) : path_(dir + "/wallclock-offset") { (void)Write(); }

std::string FakeTime::LibraryPath() { return FIREGRID_WALLCLOCK_SHIFT_LIB; }

std::map<std::string, std::string> FakeTime::Env() const {
  return {{"LD_PRELOAD", LibraryPath()}, {"FIREGRID_WALLCLOCK_OFFSET_FILE", path_}};
}

absl::Status FakeTime::Advance(absl::Duration d) {
  offset_ += absl::Trunc(d, absl::Seconds(1));
  return Write();
}

absl::Status FakeTime::Write() {
  // Write-then-rename, so a process never reads a half-written offset.
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << absl::ToInt64Seconds(offset_) << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path_));
  }
  return absl::OkStatus();
}

}  // namespace firegrid::testing
