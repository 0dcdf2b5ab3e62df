// The generated bash completion, run by a real bash: it offers every command word and every
// flag of the command table, so a command added to the table is completed without more work.
#include "tools/firegridctl/completion.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/commands.h"

namespace firegrid::ctl {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Runs the completion function once per query (the words typed so far, the last one being
// completed) in one bash process; returns the offers per query.
std::vector<std::vector<std::string>> Complete(
    const std::string& script, const std::vector<std::vector<std::string>>& queries) {
  // A directory of its own: ctest runs the tests of this binary in parallel processes.
  std::string dir_template = ::testing::TempDir() + "/firegridctl-completion-XXXXXX";
  const std::string dir = mkdtemp(dir_template.data());
  const std::string script_path = dir + "/firegridctl.bash";
  std::ofstream(script_path, std::ios::trunc) << script;
  std::string driver = absl::StrCat("source '", script_path, "'\n");
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<std::string> quoted;
    for (const std::string& w : queries[i]) quoted.push_back(absl::StrCat("'", w, "'"));
    absl::StrAppend(&driver, "COMP_WORDS=(firegridctl ", absl::StrJoin(quoted, " "),
                    "); COMP_CWORD=", queries[i].size(), "; COMPREPLY=(); _firegridctl; echo \"", i,
                    ":${COMPREPLY[*]}\"\n");
  }
  const std::string driver_path = dir + "/completion_driver.bash";
  std::ofstream(driver_path, std::ios::trunc) << driver;
  FILE* p = popen(absl::StrCat("bash '", driver_path, "' 2>&1").c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string output;
  char buf[4096];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) output += buf;
  if (p != nullptr) EXPECT_EQ(pclose(p), 0) << output;
  std::filesystem::remove_all(dir);
  std::vector<std::vector<std::string>> offers(queries.size());
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    size_t index = 0;
    if (!absl::SimpleAtoi(kv.first, &index) || index >= queries.size()) {
      ADD_FAILURE() << "unexpected output from bash: " << line;
      continue;
    }
    offers[index] = absl::StrSplit(kv.second, ' ', absl::SkipEmpty());
  }
  return offers;
}

class CompletionTest : public ::testing::Test {
 protected:
  CompletionTest() { RegisterAllCommands(&registry_); }
  Registry registry_;
};

TEST_F(CompletionTest, OffersEveryCommandWordOfTheCommandTable) {
  std::vector<std::vector<std::string>> queries;
  std::vector<std::string> expected;
  for (const Command& c : registry_.commands()) {
    for (size_t i = 0; i < c.path.size(); ++i) {
      std::vector<std::string> q(c.path.begin(), c.path.begin() + i);
      q.push_back("");
      queries.push_back(q);
      expected.push_back(c.path[i]);
    }
  }
  const auto offers = Complete(BashCompletion(registry_), queries);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_THAT(offers[i], Contains(expected[i]))
        << "after \"firegridctl " << absl::StrJoin(queries[i], " ") << "\"";
  }
}

TEST_F(CompletionTest, OffersEveryFlagOfTheCommandAfterItsArguments) {
  std::vector<std::vector<std::string>> queries;
  std::vector<std::string> expected;
  for (const Command& c : registry_.commands()) {
    for (const FlagSpec& f : c.flags) {
      // The command words, a positional argument and a value flag before the completed word.
      std::vector<std::string> q = c.path;
      q.push_back("some-id");
      q.push_back("--addr");
      q.push_back("127.0.0.1:1");
      q.push_back("--");
      queries.push_back(q);
      expected.push_back("--" + f.name);
    }
  }
  ASSERT_FALSE(queries.empty());
  const auto offers = Complete(BashCompletion(registry_), queries);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_THAT(offers[i], Contains(expected[i]))
        << "after \"firegridctl " << absl::StrJoin(queries[i], " ") << "\"";
  }
}

TEST_F(CompletionTest, CompletesAPrefixAndTheGlobalFlags) {
  const auto offers = Complete(BashCompletion(registry_),
                               {{"hazards", "ass"}, {"buildings", "list", "--out"}, {"--ver"}});
  EXPECT_EQ(offers[0], std::vector<std::string>{"assign"});
  EXPECT_EQ(offers[1], std::vector<std::string>{"--output"});
  EXPECT_EQ(offers[2], std::vector<std::string>{"--version"});
}

// Three-word commands: `credit blacklist <subcommand>` and their flags.
TEST_F(CompletionTest, CompletesTheCreditBlacklistSubcommandsAndTheirFlags) {
  const auto offers =
      Complete(BashCompletion(registry_), {{"credit", "bl"},
                                           {"credit", "blacklist", "repair"},
                                           {"credit", "blacklist", "review", "e#bl1", "--up"},
                                           {"credit", "export", "--fo"}});
  EXPECT_EQ(offers[0], std::vector<std::string>{"blacklist"});
  EXPECT_THAT(offers[1], ::testing::UnorderedElementsAre("repair", "repair-review"));
  EXPECT_EQ(offers[2], std::vector<std::string>{"--upheld"});
  EXPECT_EQ(offers[3], std::vector<std::string>{"--format"});
}

TEST_F(CompletionTest, CompletionCommandPrintsTheScriptAndRefusesOtherShells) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCli(registry_, {"completion", "bash"}, {}, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), BashCompletion(registry_));
  EXPECT_THAT(out.str(), HasSubstr("complete -F _firegridctl firegridctl"));
  out.str("");
  err.str("");
  EXPECT_EQ(RunCli(registry_, {"completion", "fish"}, {}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("supported: bash"));
}

}  // namespace
}  // namespace firegrid::ctl
