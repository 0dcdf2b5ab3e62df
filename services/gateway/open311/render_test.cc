#include "services/gateway/open311/render.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/open311/xml_well_formed_test_util.h"

namespace firegrid::gateway::open311 {
namespace {

using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;

TEST(XmlEscapeTest, EscapesMarkupCharactersAndKeepsChineseText) {
  EXPECT_EQ(XmlEscape("a<b>&\"c\"'d' 消防车道"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos; 消防车道");
}

TEST(XmlEscapeTest, DropsControlCharactersXmlCannotHoldButKeepsLineBreaks) {
  EXPECT_EQ(XmlEscape(std::string("a\x01\x1f"
                                  "b\tc\nd\re",
                                  10)),
            "ab\tc\nd\re");
}

TEST(XmlEscapeTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(XmlEscape("a\xff"
                      "b\xe6\xb6"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_TRUE(IsValidUtf8("消防 ok"));
}

TEST(ToXmlTest, WritesObjectsArraysAndNullsAsElements) {
  Json item = Json::object();
  item["service_request_id"] = "hzd_1";
  item["lat"] = 29.5;
  item["account_id"] = nullptr;
  item["description"] = "车辆 <占道> & 锁闭";
  Json list = Json::array();
  list.push_back(item);
  EXPECT_EQ(ToXml("service_requests", list),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request>"
            "<service_request_id>hzd_1</service_request_id><lat>29.5</lat><account_id/>"
            "<description>车辆 &lt;占道&gt; &amp; 锁闭</description></request>"
            "</service_requests>");
}

TEST(ToXmlTest, NamesTheItemsOfNestedLists) {
  Json def = Json::object();
  def["service_code"] = "x";
  def["attributes"] =
      Json::array({Json{{"code", "floor"}, {"values", Json::array({Json{{"key", "a"}}})}}});
  EXPECT_THAT(ToXml("service_definition", def),
              HasSubstr("<attributes><attribute><code>floor</code><values><value><key>a</key>"
                        "</value></values></attribute></attributes>"));
}

TEST(XmlWellFormednessTest, FindsWhatIsWrong) {
  const std::string decl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  EXPECT_EQ(XmlWellFormedness(decl + "<a><b>x &amp; y</b><c/></a>"), "");
  EXPECT_NE(XmlWellFormedness("<a/>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a><b></a></b>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a>x & y</a>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a>x &nbsp; y</a>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a>x > y</a>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a>\x01</a>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a></a><b/>"), "");
  EXPECT_NE(XmlWellFormedness(decl + "<a>"), "");
}

TEST(ToXmlTest, AnyTextGivesAWellFormedDocument) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  Json item = Json::object();
  item["text"] = every_byte + "消防 <![CDATA[ ]]> &amp; </text> \xed\xa0\x80";
  Json list = Json::array({item, nullptr, Json::array({1, true})});
  EXPECT_EQ(XmlWellFormedness(ToXml("service_requests", list)), "");
}

TEST(ErrorResponseTest, JsonErrorIsAListOfCodeAndDescription) {
  HttpResponse r = ErrorResponse(Format::kJson, 400, "lat: must be a number");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"([{"code":400,"description":"lat: must be a number"}])");
  EXPECT_EQ(r.headers[0].second, "application/json; charset=utf-8");
}

TEST(ErrorResponseTest, XmlErrorIsAnErrorsDocument) {
  HttpResponse r = ErrorResponse(Format::kXml, 403, "api_key: <bad>");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>403</code>"
            "<description>api_key: &lt;bad&gt;</description></error></errors>");
}

TEST(ToJsonTest, InvalidUtf8IsReplacedNotThrown) {
  Json j = Json::object();
  j["d"] = std::string("a\xff");
  EXPECT_EQ(ToJson(j), "{\"d\":\"a\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace firegrid::gateway::open311
