#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace firegrid {

// The release version (CMake's PROJECT_VERSION) and the git commit the build was configured
// from ("unknown" outside a git checkout). Every binary prints them for --version, and each
// service exports them as firegrid_build_info{version,commit}.
absl::string_view BuildVersion();
absl::string_view BuildCommit();

// "<program> <version> (commit <commit>)", the --version line of every binary.
std::string VersionLine(absl::string_view program);

// True when the command line (argv[1..], up to a "--") holds "--version": the binary then
// prints VersionLine and exits 0 without doing anything else.
bool VersionRequested(int argc, const char* const* argv);

// The --version entry of a binary's --help text (in ConfigBinder::Usage's layout).
inline constexpr char kVersionFlagUsage[] =
    "  --version\n      print the version and commit, and exit\n";

}  // namespace firegrid
