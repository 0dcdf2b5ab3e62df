#include "services/credit/export_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/proto_json.h"

namespace firegrid::credit {
namespace {

std::string Time(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(ts);
}

// RFC 4180: quote fields holding a comma, quote, CR or LF; double the quotes.
std::string Field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

template <typename E>
std::string Label(E value) {
  return EnumLabel(google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value));
}

}  // namespace

std::string RenderJsonLines(const std::vector<v1::ExportRecord>& records) {
  std::string out;
  for (const v1::ExportRecord& r : records) {
    auto json = MessageToJson(r, JsonStyle{.multiline = false});
    if (!json.ok()) continue;  // a message that cannot print is an internal bug; skip, not crash
    absl::StrAppend(&out, *json, "\n");
  }
  return out;
}

std::string CsvHeader() {
  return "record_id,subject_id,credit_code,name,type,level,score,blacklisted,blacklist,"
         "effective_at,rules_version\r\n";
}

std::string RenderCsv(const std::vector<v1::ExportRecord>& records) {
  std::string out = CsvHeader();
  for (const v1::ExportRecord& r : records) {
    std::vector<std::string> entries;
    for (const v1::BlacklistEntry& e : r.blacklist()) {
      entries.push_back(absl::StrJoin({e.entry_id(), Label(e.state()), Time(e.effective_at()),
                                       Time(e.expires_at()), e.reason(), e.legal_basis()},
                                      "|"));
    }
    const std::vector<std::string> fields = {
        r.record_id(), r.subject_id(), r.credit_code(), r.name(), Label(r.type()),
        Label(r.level()), absl::StrCat(r.score()), r.blacklisted() ? "true" : "false",
        absl::StrJoin(entries, ";"), Time(r.effective_at()), r.rules_version()};
    std::vector<std::string> quoted;
    quoted.reserve(fields.size());
    for (const std::string& f : fields) quoted.push_back(Field(f));
    absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\r\n");
  }
  return out;
}

}  // namespace firegrid::credit
