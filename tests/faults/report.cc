#include "tests/faults/report.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/strings/numbers.h"
#include "nlohmann/json.hpp"

namespace firegrid::faults {

int Cycles(int short_default) {
  const char* v = std::getenv("FIREGRID_FAULTS_CYCLES");
  int n = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &n) && n > 0) return n;
  return short_default;
}

bool FullRun() {
  const char* v = std::getenv("FIREGRID_FAULTS_CYCLES");
  return v != nullptr && *v != '\0';
}

std::string ToJson(const Figures& f) {
  nlohmann::ordered_json j;
  j["experiment"] = f.experiment;
  j["cycles"] = f.cycles;
  j["writes"] = f.writes;
  j["acknowledged"] = f.acknowledged;
  j["lost"] = f.lost;
  j["duplicated"] = f.duplicated;
  j["recovery_max_ms"] = absl::ToInt64Milliseconds(f.recovery_max);
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  for (const auto& [name, value] : f.extra) extra[name] = value;
  j["extra"] = extra;
  return j.dump();
}

void Report(const Figures& figures) {
  const std::string line = ToJson(figures);
  std::cout << "faults: " << line << std::endl;
  const char* path = std::getenv("FIREGRID_FAULTS_REPORT");
  if (path == nullptr || *path == '\0') return;
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  if (!out) std::cerr << "faults: could not append to " << path << std::endl;
}

}  // namespace firegrid::faults
