#include "services/buildings/csv.h"

#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

TEST(ParseCsv, HandlesQuotesEmbeddedNewlinesCrlfAndBom) {
  auto r = ParseCsv("\xEF\xBB\xBFname,address\r\n\"A, \"\"B\"\"\",\"line1\nline2\"\r\nC,\n");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].fields, (std::vector<std::string>{"name", "address"}));
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"A, \"B\"", "line1\nline2"}));
  EXPECT_EQ((*r)[1].line, 2);
  EXPECT_EQ((*r)[2].fields, (std::vector<std::string>{"C", ""}));
  EXPECT_EQ((*r)[2].line, 4);  // the quoted newline took line 3
}

TEST(ParseCsv, LastLineWithoutNewlineAndBlankLines) {
  auto r = ParseCsv("a,b\n\n1,2");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*r)[1].line, 3);
}

TEST(ParseCsv, RejectsUnterminatedAndStrayQuotesNamingTheLine) {
  auto r = ParseCsv("a\n\"open");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status();
  EXPECT_FALSE(ParseCsv("a\nx\"y\n").ok());
  EXPECT_FALSE(ParseCsv("\"a\"b\n").ok());
}

TEST(CsvField, QuotesOnlyWhenNeededAndDefusesFormulas) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvField("-12.5"), "-12.5");
  EXPECT_EQ(CsvLine({"a", "b c"}), "a,b c\r\n");
}

TEST(Csv, WhatIsWrittenParsesBack) {
  const std::vector<std::string> fields = {"北碚区,天生街道", "x\"y", "multi\nline", ""};
  auto r = ParseCsv(CsvLine(fields));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].fields, fields);
}

// Found by csv_fuzzer: written as an empty line, the record was skipped when read back.
TEST(Csv, ARecordOfOneEmptyFieldIsWrittenSoThatItParsesBack) {
  EXPECT_EQ(CsvLine({""}), "\"\"\r\n");
  auto r = ParseCsv(CsvLine({""}) + CsvLine({"a"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].fields, std::vector<std::string>{""});
}

}  // namespace
}  // namespace firegrid::buildings
