// firegridctl: the operators' command-line client of the firegrid services.
#include <iostream>
#include <string>
#include <vector>

#include "tools/firegridctl/cli.h"

extern char** environ;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  firegrid::ctl::Context::Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  firegrid::ctl::Registry registry;
  firegrid::ctl::RegisterAllCommands(&registry);
  return firegrid::ctl::RunCli(registry, args, std::move(env), std::cout, std::cerr);
}
