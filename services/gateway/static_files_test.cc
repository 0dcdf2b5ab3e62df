#include "services/gateway/static_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::gateway {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fg-static-XXXXXX";
    base_ = ::mkdtemp(tmpl);
    root_ = base_ + "/dist";
    ::mkdir(root_.c_str(), 0755);
    ::mkdir((root_ + "/assets").c_str(), 0755);
    Write(root_ + "/index.html", "<html>console</html>");
    Write(root_ + "/assets/app-3F9A1C2B.js", "console.log(1)");
    Write(root_ + "/favicon.svg", "<svg/>");
    Write(base_ + "/secret.txt", "secret");
    ::symlink((base_ + "/secret.txt").c_str(), (root_ + "/leak.txt").c_str());
  }
  void TearDown() override { std::system(("rm -rf " + base_).c_str()); }
  static void Write(const std::string& p, const std::string& s) { std::ofstream(p) << s; }
  HttpResponse Get(const std::string& path) {
    StaticFilesHandler h(root_);
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    return h.Handle(r);
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  std::string base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypesAndCaching) {
  HttpResponse index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>console</html>");
  EXPECT_EQ(Header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  HttpResponse js = Get("/assets/app-3F9A1C2B.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(Header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  HttpResponse svg = Get("/favicon.svg");
  EXPECT_EQ(Header(svg, "Content-Type"), "image/svg+xml");
  EXPECT_EQ(Header(svg, "Cache-Control"), "public, max-age=3600");
}

TEST_F(StaticFilesTest, UnknownRoutesGetIndexUnknownFilesAre404) {
  HttpResponse route = Get("/hazards/hzd_1");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, "<html>console</html>");
  EXPECT_EQ(Header(route, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/missing.js").status, 404);
  EXPECT_EQ(Get("/api/v1/unknown").status, 404);
}

TEST_F(StaticFilesTest, TraversalAndSymlinksOutOfTheRootAreRefused) {
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/./index.html",
                        "/assets\\..\\..\\secret.txt"}) {
    HttpResponse r = Get(p);
    EXPECT_EQ(r.status, 400) << p;
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("secret"))) << p;
  }
  HttpResponse leak = Get("/leak.txt");
  EXPECT_EQ(leak.status, 404);
  EXPECT_EQ(leak.body.find("secret"), std::string::npos);
}

TEST_F(StaticFilesTest, OnlyGet) {
  StaticFilesHandler h(root_);
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  EXPECT_EQ(h.Handle(r).status, 405);
}

TEST_F(StaticFilesTest, AMissingDirectorySaysHowToBuildTheConsole) {
  StaticFilesHandler h(base_ + "/nope");
  HttpRequest r;
  r.method = "GET";
  r.path = "/";
  HttpResponse resp = h.Handle(r);
  EXPECT_EQ(resp.status, 404);
  EXPECT_THAT(resp.body, HasSubstr("npm run build"));
}

}  // namespace
}  // namespace firegrid::gateway
