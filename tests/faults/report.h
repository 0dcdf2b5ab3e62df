#pragma once

// The figures of one fault experiment, printed and (for tests/faults/run.sh) collected.
//
// Every experiment under tests/faults is a GoogleTest binary that runs a few cycles in the test
// command and many in the full run: `Cycles(short)` is FIREGRID_FAULTS_CYCLES when set (run.sh
// --full sets it), else `short`. At its end an experiment calls `Report(figures)`, which prints
// one line `faults: {json}` and, when FIREGRID_FAULTS_REPORT names a file, appends the same JSON
// object as one line to it; run.sh renders those lines into docs/reliability.md.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace firegrid::faults {

// FIREGRID_FAULTS_CYCLES when set to a positive number, else `short_default`.
int Cycles(int short_default);

// True when FIREGRID_FAULTS_CYCLES is set (the long run of tests/faults/run.sh --full).
bool FullRun();

struct Figures {
  std::string experiment;    // e.g. "kill -9 hazards under ReportHazard load"
  int cycles = 0;            // faults injected
  int64_t writes = 0;        // writes sent
  int64_t acknowledged = 0;  // of them acknowledged (OK) to the client
  int64_t lost = 0;          // acknowledged but not found where they must be
  int64_t duplicated = 0;    // applied, stored or delivered more than once
  absl::Duration recovery_max = absl::ZeroDuration();  // longest fault → serving again
  // Further figures of the experiment, in order (name, value): e.g. {"refused", "0"}.
  std::vector<std::pair<std::string, std::string>> extra;
};

// The JSON object of `figures` (one line, no newline).
std::string ToJson(const Figures& figures);

// Prints `faults: <json>` on stdout and appends the JSON line to $FIREGRID_FAULTS_REPORT when set.
void Report(const Figures& figures);

}  // namespace firegrid::faults
