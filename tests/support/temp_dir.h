#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace firegrid::testing {

// A fresh directory made with mkdtemp under $TMPDIR (or /tmp), removed with everything in it on
// destruction unless the environment has FIREGRID_KEEP_TMP=1 (then its path is printed to stderr
// so a failing test's files can be inspected). Aborts the process when the directory cannot be
// created: no test can go on without it.
class TempDir {
 public:
  explicit TempDir(absl::string_view prefix = "firegrid");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace firegrid::testing
