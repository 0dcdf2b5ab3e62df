#include "tools/firegridctl/completion.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firegrid::ctl {
namespace {

std::string Flags(const std::vector<FlagSpec>& flags) {
  std::vector<std::string> out;
  for (const FlagSpec& f : flags) out.push_back(absl::StrCat("--", f.name));
  return absl::StrJoin(out, " ");
}

}  // namespace

std::string BashCompletion(const Registry& registry) {
  // Command words that may follow each path prefix ("" = the first word).
  std::map<std::string, std::set<std::string>> next_words;
  // Flags that take a value (their next word is not a command word).
  std::set<std::string> value_flags;
  const std::vector<FlagSpec> globals = GlobalFlagSpecs();
  for (const FlagSpec& f : globals) {
    if (f.kind != FlagSpec::Kind::kBool) value_flags.insert(absl::StrCat("--", f.name));
  }
  for (const Command& c : registry.commands()) {
    std::string prefix;
    for (const std::string& word : c.path) {
      next_words[prefix].insert(word);
      prefix = prefix.empty() ? word : absl::StrCat(prefix, " ", word);
    }
    for (const FlagSpec& f : c.flags) {
      if (f.kind != FlagSpec::Kind::kBool) value_flags.insert(absl::StrCat("--", f.name));
    }
  }

  std::string out =
      "# bash completion for firegridctl, generated from its command table by\n"
      "# `firegridctl completion bash`. Use: source <(firegridctl completion bash), or save it as\n"
      "# /etc/bash_completion.d/firegridctl.\n"
      "_firegridctl() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i skip=0\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=\"${COMP_WORDS[i]}\"\n"
      "    if [ \"$skip\" = 1 ]; then skip=0; continue; fi\n"
      "    case \"$word\" in\n"
      "      --*=*) continue ;;\n";
  absl::StrAppend(&out, "      ", absl::StrJoin(value_flags, " | "), ") skip=1; continue ;;\n");
  absl::StrAppend(&out,
                  "      -*) continue ;;\n"
                  "    esac\n"
                  "    path=\"${path:+$path }$word\"\n"
                  "  done\n"
                  "  local words=\"\" flags=\"\" p\n"
                  "  case \"$path\" in\n");
  for (const auto& [prefix, words] : next_words) {
    absl::StrAppend(&out, "    \"", prefix, "\") words=\"", absl::StrJoin(words, " "), "\" ;;\n");
  }
  absl::StrAppend(&out,
                  "  esac\n"
                  "  # The flags of the longest command the words so far start with.\n"
                  "  p=\"$path\"\n"
                  "  while [ -n \"$p\" ] && [ -z \"$flags\" ]; do\n"
                  "    case \"$p\" in\n");
  for (const Command& c : registry.commands()) {
    absl::StrAppend(&out, "      \"", absl::StrJoin(c.path, " "), "\") flags=\"", Flags(c.flags),
                    " \" ;;\n");
  }
  absl::StrAppend(&out,
                  "    esac\n"
                  "    case \"$p\" in *\" \"*) p=\"${p% *}\" ;; *) p=\"\" ;; esac\n"
                  "  done\n"
                  "  flags=\"$flags ",
                  Flags(globals),
                  " --version\"\n"
                  "  if [[ \"$cur\" == -* ]]; then\n"
                  "    mapfile -t COMPREPLY < <(compgen -W \"$flags\" -- \"$cur\")\n"
                  "  else\n"
                  "    mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
                  "  fi\n"
                  "}\n"
                  "complete -F _firegridctl firegridctl\n");
  return out;
}

void RegisterCompletionCommand(Registry* registry) {
  registry->Add(
      Command{.path = {"completion"},
              .synopsis = "bash",
              .summary = "print a bash completion script (source <(firegridctl completion bash))",
              .min_positionals = 1,
              .max_positionals = 1,
              .run = [registry](Context& ctx, const ParsedArgs& args) -> absl::Status {
                if (args.positionals()[0] != "bash") {
                  return UsageError(absl::StrCat("unknown shell \"", args.positionals()[0],
                                                 "\"; supported: bash"));
                }
                ctx.out() << BashCompletion(*registry);
                return absl::OkStatus();
              }});
}

}  // namespace firegrid::ctl
