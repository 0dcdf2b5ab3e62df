#include "services/credit/export_record.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "services/credit/export_format.h"

namespace firegrid::credit {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kPersonId[] = "11010519491231002X";
constexpr char kPhone[] = "13912345678";

// Every field the credit service holds about a subject set, personal ones included.
v1::SubjectState FullState(const std::string& subject_id, const std::string& name,
                           const std::string& credit_code) {
  v1::SubjectState s;
  v1::Subject* subject = s.mutable_subject();
  subject->set_subject_id(subject_id);
  subject->set_type(subjects::v1::SUBJECT_TYPE_USER);
  subject->set_name(name);
  subject->set_credit_code(credit_code);
  if (credit_code.empty()) subject->set_person_id(kPersonId);
  subject->add_account_subjects("user:zhangsan");
  subject->add_buildings()->set_building_id("bld_1");
  s.set_score(40);
  s.set_level(v1::LEVEL_D);
  s.add_notify_subjects("user:manager-" + std::string(kPhone));
  v1::BlacklistEntry* e = s.add_blacklist();
  e->set_entry_id(subject_id + "#bl1");
  e->set_subject_id(subject_id);
  e->set_subject_name(name);
  e->set_credit_code(credit_code);
  e->set_state(v1::BLACKLIST_STATE_ACTIVE);
  e->set_reason("严重失信");
  e->set_legal_basis("某条例第十条");
  e->set_proposed_by("user:officer-lisi");
  e->mutable_proposed_at()->set_seconds(1'800'000'000);
  e->mutable_effective_at()->set_seconds(1'800'100'000);
  e->mutable_expires_at()->set_seconds(1'900'000'000);
  e->mutable_objection()->set_text("我的电话 " + std::string(kPhone));
  e->mutable_objection()->set_filed_by("user:zhangsan");
  e->mutable_objection()->set_reviewed_by("user:admin-wang");
  e->mutable_repair()->set_requested_by("user:zhangsan");
  e->mutable_repair()->set_statement("已整改");
  return s;
}

v1::Fact AFact() {
  v1::Fact f;
  f.set_fact_id("evt_1");
  f.mutable_time()->set_seconds(1'800'100'000);
  return f;
}

// The paths of the fields set in `m` ("blacklist.reason"), recursively.
void SetPaths(const Message& m, const std::string& prefix, std::set<std::string>* out) {
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = prefix + f->name();
    if (f->type() != FieldDescriptor::TYPE_MESSAGE ||
        f->message_type()->full_name() == "google.protobuf.Timestamp") {
      out->insert(path);
      continue;
    }
    if (f->is_repeated()) {
      for (int i = 0; i < m.GetReflection()->FieldSize(m, f); ++i) {
        SetPaths(m.GetReflection()->GetRepeatedMessage(m, f, i), path + ".", out);
      }
    } else {
      SetPaths(m.GetReflection()->GetMessage(m, f), path + ".", out);
    }
  }
}

// What the platform is entitled to (docs/credit-export.md). A field that leaves in the export
// and is not here fails the test: add it here only after docs/privacy.md says it may leave.
const std::set<std::string>& Entitled() {
  static const auto* entitled = new std::set<std::string>{"record_id",
                                                          "subject_id",
                                                          "credit_code",
                                                          "name",
                                                          "type",
                                                          "level",
                                                          "score",
                                                          "blacklisted",
                                                          "blacklist.entry_id",
                                                          "blacklist.subject_id",
                                                          "blacklist.subject_name",
                                                          "blacklist.credit_code",
                                                          "blacklist.state",
                                                          "blacklist.reason",
                                                          "blacklist.legal_basis",
                                                          "blacklist.automatic",
                                                          "blacklist.duration_days",
                                                          "blacklist.proposed_at",
                                                          "blacklist.objection_deadline",
                                                          "blacklist.effective_at",
                                                          "blacklist.expires_at",
                                                          "blacklist.ended_at",
                                                          "effective_at",
                                                          "rules_version"};
  return *entitled;
}

TEST(ExportRecord, CarriesOnlyTheFieldsThePublicCreditPlatformIsEntitledTo) {
  for (const v1::SubjectState& s :
       {FullState("org:91350100M000100Y43", "某物业公司", "91350100M000100Y43"),
        FullState("person:0123456789abcdef01234567", "张三丰", "")}) {
    std::set<std::string> paths;
    SetPaths(ExportRecordOf(s, AFact(), "2026.1"), "", &paths);
    for (const std::string& p : paths) {
      EXPECT_TRUE(Entitled().count(p) == 1)
          << p << " leaves in the export of " << s.subject().subject_id();
    }
    EXPECT_TRUE(paths.count("blacklist.reason") == 1);
  }
}

TEST(ExportRecord, NoPersonalDataInEitherFormat) {
  const v1::ExportRecord person =
      ExportRecordOf(FullState("person:0123456789abcdef01234567", "张三丰", ""), AFact(), "2026.1");
  const v1::ExportRecord org = ExportRecordOf(
      FullState("org:91350100M000100Y43", "某物业公司", "91350100M000100Y43"), AFact(), "2026.1");
  for (const std::string& out : {RenderJsonLines({person, org}), RenderCsv({person, org})}) {
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr(kPersonId)));
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("19491231")));  // the birth date in it
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr(kPhone)));
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("张三丰")));
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("user:")));  // no principal
    EXPECT_THAT(out, ::testing::HasSubstr("张**"));
    EXPECT_THAT(out, ::testing::HasSubstr("某物业公司"));
    EXPECT_THAT(out, ::testing::HasSubstr("91350100M000100Y43"));
    EXPECT_THAT(out, ::testing::HasSubstr("严重失信"));
  }
}

}  // namespace
}  // namespace firegrid::credit
