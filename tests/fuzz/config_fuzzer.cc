// Fuzzes the loaders of the rules files operators edit (config/*.textproto): the text is parsed
// and validated as each service does at start-up, and must either load or be refused with an
// error; a crash or a sanitizer report is a finding. The first byte picks the loader:
//   0 buildings rules, 1 hazards rules (with the shipped departments and an empty guidance
//   book), 2 hazards guidance (with the hazards rules of the repository), 3 departments,
//   4 credit rules, 5 monitoring rules.
// cmake/FiregridFuzz.cmake builds it.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "services/buildings/rules.h"
#include "services/credit/rules.h"
#include "services/hazards/departments.h"
#include "services/hazards/rules.h"
#include "services/monitoring/rules.h"

namespace {

using google::protobuf::TextFormat;

// The hazards rules shipped in config/, to load a fuzzed guidance book against.
const firegrid::hazards::RulesProto& ShippedHazardsRules() {
  static const firegrid::hazards::RulesProto* rules = [] {
    auto* proto = new firegrid::hazards::RulesProto();
    std::ifstream in(FIREGRID_HAZARDS_RULES);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TextFormat::ParseFromString(text, proto);
    return proto;
  }();
  return *rules;
}

template <typename Proto>
bool Parse(const std::string& text, Proto* proto) {
  return TextFormat::ParseFromString(text, proto);
}

}  // namespace

// TextFormat logs every parse error, and a fuzzer makes millions of them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)firegrid::buildings::ParseRules(text);
      break;
    case 1: {
      firegrid::hazards::RulesProto rules;
      if (Parse(text, &rules)) {
        (void)firegrid::hazards::Rules::Create(rules, firegrid::hazards::GuidanceBook());
      }
      break;
    }
    case 2: {
      firegrid::hazards::GuidanceBook guidance;
      if (Parse(text, &guidance)) {
        (void)firegrid::hazards::Rules::Create(ShippedHazardsRules(), guidance);
      }
      break;
    }
    case 3: {
      firegrid::config::v1::DepartmentBook book;
      if (Parse(text, &book)) (void)firegrid::hazards::Departments::Create(book);
      break;
    }
    case 4: {
      firegrid::config::v1::CreditRules rules;
      if (Parse(text, &rules)) (void)firegrid::credit::Rules::FromProto(rules);
      break;
    }
    case 5:
      (void)firegrid::monitoring::Rules::FromText(text);
      break;
  }
  return 0;
}
