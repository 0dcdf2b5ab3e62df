// `firegridctl watch | inbox | plan | webhook` against an in-process fake NotifyService on
// port 0, including watch's reconnection with the last cursors.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <streambuf>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/proto_json.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"
#include "tools/firegridctl/fake_notify_service.h"
#include "tools/firegridctl/table.h"
#include "tools/firegridctl/watch.h"

namespace firegrid::ctl {
namespace {

namespace nv1 = ::firegrid::notify::v1;

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeNotifyService;
using testing::FakeServer;
using ::testing::HasSubstr;
using testing::MakeNotification;
using ::testing::Not;
using ::testing::Pair;
using testing::SubscribeSession;
using ::testing::UnorderedElementsAre;

// An ostream buffer that a watch thread writes while the test reads.
class SyncBuf : public std::streambuf {
 public:
  std::string str() {
    absl::MutexLock lock(&mu_);
    return data_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    absl::MutexLock lock(&mu_);
    data_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    absl::MutexLock lock(&mu_);
    data_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
};

// Polls `cond` until it holds or `timeout` passes.
template <typename F>
bool WaitUntil(F cond, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time until = absl::Now() + timeout;
  while (!cond()) {
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::map<std::string, std::string> Cursors(const nv1::SubscribeRequest& r) {
  return {r.cursors().begin(), r.cursors().end()};
}

class WatchTest : public ::testing::Test {
 protected:
  WatchTest() : server_(&service_), out_(&out_buf_), err_(&err_buf_) {}

  // Runs Watch on a thread with short backoffs.
  void Start(WatchOptions options, const std::string& output = "table") {
    GlobalOptions o;
    o.addr = server_.address();
    o.token = "t-watch";
    o.output = output;
    ctx_ = std::make_unique<Context>(o, Context::Env{}, out_, err_);
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(100);
    thread_ = std::thread([this, options] { result_ = Watch(*ctx_, options, &stop_); });
  }
  absl::Status StopAndJoin() {
    stop_.Stop();
    thread_.join();
    return result_;
  }
  ~WatchTest() override {
    if (thread_.joinable()) StopAndJoin().IgnoreError();
  }

  FakeNotifyService service_;
  FakeServer server_;
  SyncBuf out_buf_, err_buf_;
  std::ostream out_, err_;
  std::unique_ptr<Context> ctx_;
  StopSignal stop_;
  std::thread thread_;
  absl::Status result_;
};

TEST_F(WatchTest, ReconnectsWithTheLastCursorsAndPrintsNothingTwice) {
  const auto n1 =
      MakeNotification("ntf_1", "org:500109.fire_rescue", "100-0", "隐患任务 一", "hzd_1");
  const auto n2 = MakeNotification("ntf_2", "org:500109001002", "101-0", "隐患任务 二", "hzd_2");
  const auto n3 =
      MakeNotification("ntf_3", "org:500109.fire_rescue", "102-0", "隐患任务 三", "hzd_3");
  service_.AddSession(SubscribeSession()
                          .Notify(n1)
                          .Notify(n2)
                          .CaughtUp()
                          .Heartbeat()
                          .Heartbeat());  // then OK end: the server closed the stream
  SubscribeSession second;
  second.Notify(n2).Notify(n3).CaughtUp().hold = true;  // n2 again: must not print twice
  service_.AddSession(second);
  Start({});
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(out_buf_.str(), "hzd_3"); }))
      << out_buf_.str() << err_buf_.str();
  ASSERT_TRUE(StopAndJoin().ok()) << result_;

  const std::vector<nv1::SubscribeRequest> reqs = service_.subscribe_requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0].cursors().empty());
  EXPECT_FALSE(reqs[0].live_only());
  EXPECT_THAT(Cursors(reqs[1]), UnorderedElementsAre(Pair("org:500109.fire_rescue", "100-0"),
                                                     Pair("org:500109001002", "101-0")));
  EXPECT_EQ(service_.last_authorization(), "Bearer t-watch");

  const std::string out = out_buf_.str();
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out;
  EXPECT_THAT(lines[0], HasSubstr("hzd_1"));
  EXPECT_THAT(lines[0], HasSubstr("2024-06-01 08:00:00 +08:00"));  // with its zone
  EXPECT_THAT(lines[0], HasSubstr("org:500109.fire_rescue"));
  EXPECT_THAT(lines[0], HasSubstr("hazard_task"));
  EXPECT_THAT(lines[0], HasSubstr("隐患任务 一"));
  EXPECT_THAT(lines[1], HasSubstr("hzd_2"));
  EXPECT_EQ(lines[2], "caught up");
  EXPECT_THAT(lines[3], HasSubstr("hzd_3"));
  EXPECT_THAT(out, Not(HasSubstr("heartbeat")));
  EXPECT_THAT(err_buf_.str(), HasSubstr("the server closed the stream"));
  EXPECT_THAT(err_buf_.str(), HasSubstr("reconnected"));
}

TEST_F(WatchTest, UnavailableIsRetriedWithBackoffUntilAStreamWorks) {
  // Two failed streams, then a working one.
  service_.AddSession({.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis down")});
  service_.AddSession({.status = grpc::Status(grpc::StatusCode::INTERNAL, "boom")});
  SubscribeSession ok;
  ok.Notify(MakeNotification("ntf_1", "org:x", "5-0", "t", "hzd_1")).CaughtUp().hold = true;
  service_.AddSession(ok);
  Start({});
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(out_buf_.str(), "caught up"); }))
      << err_buf_.str();
  ASSERT_TRUE(StopAndJoin().ok());
  EXPECT_EQ(service_.subscribe_requests().size(), 3u);
  EXPECT_THAT(err_buf_.str(), HasSubstr("UNAVAILABLE: redis down"));
  EXPECT_THAT(err_buf_.str(), HasSubstr("INTERNAL: boom"));
  EXPECT_EQ(Count(out_buf_.str(), "hzd_1"), 1);
}

TEST_F(WatchTest, GivenCursorsAreSentOnTheFirstStream) {
  SubscribeSession s;
  s.CaughtUp().hold = true;
  service_.AddSession(s);
  WatchOptions o;
  o.cursors = {{"org:500109.fire_rescue", "1717000000000-3"}};
  Start(o);
  ASSERT_TRUE(WaitUntil([&] { return service_.holding() == 1; }));
  ASSERT_TRUE(StopAndJoin().ok());
  ASSERT_EQ(service_.subscribe_requests().size(), 1u);
  EXPECT_THAT(Cursors(service_.subscribe_requests()[0]),
              ElementsAre(Pair("org:500109.fire_rescue", "1717000000000-3")));
}

TEST_F(WatchTest, LiveOnlyReconnectReplaysOnlyWhatCameAfterTheWatchStarted) {
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const std::string old_cursor = std::to_string(now_ms - 3600 * 1000) + "-0";
  const std::string new_cursor = std::to_string(now_ms + 60 * 1000) + "-0";
  const std::string seen_cursor = std::to_string(now_ms + 1000) + "-0";
  service_.AddSession(SubscribeSession()
                          .CaughtUp()
                          .Notify(MakeNotification("ntf_a", "org:a", seen_cursor, "t", "hzd_live"))
                          .Heartbeat());
  SubscribeSession replay;
  replay.Notify(MakeNotification("ntf_a", "org:a", seen_cursor, "t", "hzd_live"))
      .Notify(MakeNotification("ntf_old", "org:b", old_cursor, "t", "hzd_history"))
      .Notify(MakeNotification("ntf_new", "org:b", new_cursor, "t", "hzd_missed"))
      .CaughtUp()
      .hold = true;
  service_.AddSession(replay);
  WatchOptions o;
  o.live_only = true;
  Start(o);
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(out_buf_.str(), "hzd_missed"); }))
      << out_buf_.str() << err_buf_.str();
  ASSERT_TRUE(StopAndJoin().ok());
  const auto reqs = service_.subscribe_requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0].live_only());
  EXPECT_FALSE(reqs[1].live_only()) << "a reconnect must replay what was missed";
  EXPECT_THAT(Cursors(reqs[1]), ElementsAre(Pair("org:a", seen_cursor)));
  const std::string out = out_buf_.str();
  EXPECT_EQ(Count(out, "hzd_live"), 1);
  EXPECT_EQ(Count(out, "hzd_missed"), 1);
  EXPECT_THAT(out, Not(HasSubstr("hzd_history")));
}

TEST_F(WatchTest, AStreamSilentPastTheIdleTimeoutIsReplaced) {
  SubscribeSession silent;
  silent.CaughtUp().hold = true;  // no heartbeats: a dead connection
  service_.AddSession(silent);
  SubscribeSession next;
  next.Notify(MakeNotification("ntf_1", "org:x", "7-0", "t", "hzd_after")).CaughtUp().hold = true;
  service_.AddSession(next);
  WatchOptions o;
  o.idle_timeout = absl::Milliseconds(300);
  Start(o);
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(out_buf_.str(), "hzd_after"); }))
      << err_buf_.str();
  EXPECT_THAT(err_buf_.str(), HasSubstr("no message for 300ms"));
  ASSERT_TRUE(StopAndJoin().ok());
}

TEST_F(WatchTest, JsonOutputIsOneObjectPerLineAndCaughtUpGoesToStderr) {
  SubscribeSession s;
  s.Notify(MakeNotification("ntf_1", "org:x", "5-0", "消防车道被占用", "hzd_1"))
      .Notify(MakeNotification("ntf_2", "org:x", "6-0", "t2", "hzd_2"))
      .CaughtUp()
      .hold = true;
  service_.AddSession(s);
  Start({}, "json");
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(err_buf_.str(), "caught up"); }));
  ASSERT_TRUE(StopAndJoin().ok());
  std::vector<std::string> lines = absl::StrSplit(out_buf_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out_buf_.str();
  for (const std::string& line : lines) {
    nv1::Notification parsed;
    ASSERT_TRUE(firegrid::JsonToMessage(line, &parsed).ok()) << line;
  }
  EXPECT_THAT(lines[0], HasSubstr("\"hazard_id\":\"hzd_1\""));
  EXPECT_THAT(lines[0], HasSubstr("\"cursor\":\"5-0\""));
  EXPECT_THAT(lines[1], HasSubstr("\"notification_id\":\"ntf_2\""));
}

TEST_F(WatchTest, PermissionDeniedEndsTheWatchWithTheError) {
  service_.AddSession(
      {.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "this principal has no inbox")});
  Start({});
  thread_.join();
  EXPECT_EQ(result_.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_.subscribe_requests().size(), 1u);
}

TEST(CursorTest, ParsesStreamIdsAndOrdersThemNumerically) {
  ASSERT_TRUE(ParseCursor("1717000000000-12").has_value());
  EXPECT_LT(*ParseCursor("999-5"), *ParseCursor("1000-0"));
  EXPECT_LT(*ParseCursor("1000-2"), *ParseCursor("1000-10"));
  EXPECT_FALSE(ParseCursor("").has_value());
  EXPECT_FALSE(ParseCursor("12").has_value());
  EXPECT_FALSE(ParseCursor("a-1").has_value());
}

// ----- through the command line

class NotifyCliTest : public ::testing::Test {
 protected:
  NotifyCliTest() : server_(&service_) { RegisterAllCommands(&registry_); }

  // Runs firegridctl with FIREGRID_NOTIFY_ADDR pointing at the fake unless `env` sets it.
  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_NOTIFY_ADDR")) env["FIREGRID_NOTIFY_ADDR"] = server_.address();
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  void FillInbox() {
    auto a = MakeNotification("ntf_a", "org:500109.urban_management", "100-0",
                              "隐患任务：消防车道被占用", "hzd_1");
    a.set_trace_id("0af7651916cd43dd8448eb211c80319c");
    auto b = MakeNotification("ntf_b", "person:um-1", "101-0", "整改期限将至", "hzd_2");
    b.set_kind(nv1::KIND_REMINDER);
    b.set_requires_ack(false);
    b.set_read(true);
    service_.AddToInbox(a);
    service_.AddToInbox(b);
  }

  Registry registry_;
  FakeNotifyService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
};

TEST_F(NotifyCliTest, HelpListsTheNotifyCommandsAndTheirAddress) {
  EXPECT_EQ(Run({"help"}), 0);
  for (const char* c :
       {"watch", "inbox read", "inbox ack", "plan list", "plan progress", "plan overview",
        "webhook set", "webhook get", "webhook delete", "webhook deliveries"}) {
    EXPECT_THAT(out_.str(), HasSubstr(c));
  }
  EXPECT_THAT(out_.str(), HasSubstr("FIREGRID_NOTIFY_ADDR or"));
  EXPECT_EQ(Run({"webhook"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("webhook deliveries"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("plan list")));
}

TEST_F(NotifyCliTest, InboxAllFollowsPagesAndShowsStateAndUnreadCount) {
  FillInbox();
  ASSERT_EQ(Run({"--token", "t1", "inbox", "--all", "--unread", "--recipient",
                 "org:500109.urban_management", "--wide"}),
            0)
      << err_.str();
  const auto req = service_.last<nv1::ListInboxRequest>();
  EXPECT_TRUE(req.unread_only());
  EXPECT_EQ(req.recipient(), "org:500109.urban_management");
  EXPECT_EQ(req.page_size(), 200);
  EXPECT_EQ(service_.last_authorization(), "Bearer t1");
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << out_.str();
  for (const char* h : {"ID", "CREATED", "RECIPIENT", "KIND", "TITLE", "HAZARD", "STATE"}) {
    EXPECT_THAT(lines[0], HasSubstr(h));
  }
  EXPECT_THAT(lines[1], HasSubstr("ntf_a"));
  EXPECT_THAT(lines[1], HasSubstr("hazard_task"));
  EXPECT_THAT(lines[1], HasSubstr("unread, ack needed"));
  EXPECT_THAT(lines[2], HasSubstr("ntf_b"));
  EXPECT_THAT(lines[2], HasSubstr("reminder"));
  EXPECT_THAT(lines[2], HasSubstr("read"));
  EXPECT_THAT(lines[2], Not(HasSubstr("ack needed")));
  EXPECT_EQ(lines[3], "2 unread");
}

TEST_F(NotifyCliTest, InboxWithoutAllPrintsOnePageAndTheNextToken) {
  FillInbox();
  ASSERT_EQ(Run({"inbox", "--page-size", "1"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("ntf_a"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("ntf_b")));
  EXPECT_THAT(err_.str(), HasSubstr("more: --page-token 1"));
  EXPECT_EQ(Run({"inbox", "--page-size", "201"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--page-size"));
}

TEST_F(NotifyCliTest, InboxReadAndAckSendTheIdAndNote) {
  FillInbox();
  ASSERT_EQ(Run({"inbox", "read", "ntf_a"}), 0) << err_.str();
  EXPECT_EQ(service_.last<nv1::MarkReadRequest>().notification_id(), "ntf_a");
  EXPECT_THAT(out_.str(), HasSubstr("read, ack needed"));
  EXPECT_THAT(out_.str(), HasSubstr("0af7651916cd43dd8448eb211c80319c"));  // the trace
  ASSERT_EQ(Run({"inbox", "ack", "ntf_a", "--note", "已安排人员核查"}), 0) << err_.str();
  const auto ack = service_.last<nv1::AcknowledgeRequest>();
  EXPECT_EQ(ack.notification_id(), "ntf_a");
  EXPECT_EQ(ack.note(), "已安排人员核查");
  EXPECT_THAT(out_.str(), HasSubstr("acknowledged"));
  EXPECT_THAT(out_.str(), HasSubstr("by um-1"));
  EXPECT_THAT(out_.str(), HasSubstr("已安排人员核查"));  // the stored note, shown
  // The inbox table shows it too.
  out_.str("");
  ASSERT_EQ(Run({"inbox", "--wide"}), 0) << err_.str();  // every cell whole
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("NOTE"));
  EXPECT_THAT(lines[1], HasSubstr("ntf_a"));
  EXPECT_THAT(lines[1], HasSubstr("已安排人员核查"));
  // Without --wide the same table fits 120 columns; the id and the time stay whole.
  ASSERT_EQ(Run({"inbox"}), 0) << err_.str();
  for (absl::string_view line : absl::StrSplit(out_.str(), '\n', absl::SkipEmpty())) {
    EXPECT_LE(DisplayWidth(line), kTableWidth) << line;
  }
  EXPECT_THAT(out_.str(), HasSubstr("ntf_a"));
  EXPECT_THAT(out_.str(), HasSubstr("2024-06-01 08:00 +08:00"));
  EXPECT_EQ(Run({"inbox", "ack", "ntf_zzz"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND: no notification ntf_zzz"));
}

TEST_F(NotifyCliTest, CreditNotificationsShowTheirCreditSubject) {
  auto c = MakeNotification("ntf_c", "person:mgr-1", "102-0",
                            "信用等级变动 credit level changed: 缙云物业", "");
  c.set_kind(nv1::KIND_CREDIT);
  c.set_requires_ack(false);
  c.set_credit_subject_id("org:91500109MA5U5T9X8G");
  service_.AddToInbox(c);
  ASSERT_EQ(Run({"inbox", "read", "ntf_c"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("credit"));
  EXPECT_THAT(out_.str(), HasSubstr("credit subject:"));
  EXPECT_THAT(out_.str(), HasSubstr("org:91500109MA5U5T9X8G"));
  const std::string line = FormatWatchLine(c);
  EXPECT_THAT(line, HasSubstr("credit"));
  EXPECT_THAT(line, ::testing::EndsWith("  org:91500109MA5U5T9X8G"));
}

TEST_F(NotifyCliTest, PlanCommands) {
  ASSERT_EQ(Run({"plan", "list", "--department", "fire_rescue"}), 0) << err_.str();
  EXPECT_EQ(service_.last<nv1::ListPlanTasksRequest>().department(), "fire_rescue");
  EXPECT_THAT(out_.str(), HasSubstr("高层建筑消防车道标识划线"));
  EXPECT_THAT(out_.str(), HasSubstr("40%"));
  EXPECT_THAT(out_.str(), HasSubstr("0% (overdue)"));

  ASSERT_EQ(Run({"plan", "progress", "12", "--percent", "60", "--note", "已完成划线60%"}), 0)
      << err_.str();
  const auto p = service_.last<nv1::ReportPlanProgressRequest>();
  EXPECT_EQ(p.number(), 12);
  EXPECT_EQ(p.progress_percent(), 60);
  EXPECT_EQ(p.note(), "已完成划线60%");
  EXPECT_THAT(out_.str(), HasSubstr("60%"));
  EXPECT_THAT(out_.str(), HasSubstr("by um-1"));
  const int calls = service_.calls();
  EXPECT_EQ(Run({"plan", "progress", "12", "--percent", "101"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--percent: 0..100"));
  EXPECT_EQ(Run({"plan", "progress", "12"}), 2);  // missing --percent: a usage error
  EXPECT_THAT(err_.str(), HasSubstr("missing --percent"));
  EXPECT_EQ(service_.calls(), calls) << "invalid input must fail before any call";

  ASSERT_EQ(Run({"plan", "overview"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("fire_rescue"));
  EXPECT_THAT(out_.str(), HasSubstr("47.5%"));
  EXPECT_THAT(out_.str(), HasSubstr("total (distinct tasks)"));
}

TEST_F(NotifyCliTest, WebhookSetReadsTheSecretFileAndNeverPrintsIt) {
  const std::string secret_file = ::testing::TempDir() + "/webhook-secret";
  std::ofstream(secret_file) << "s3cret-0123456789abcdef\n";
  ASSERT_EQ(Run({"webhook", "set", "--org-unit", "500109.fire_rescue", "--url",
                 "https://119.example/hooks/firegrid", "--secret-file", secret_file, "--disabled"}),
            0)
      << err_.str();
  const auto req = service_.last<nv1::SetWebhookRequest>();
  EXPECT_EQ(req.webhook().org_unit(), "500109.fire_rescue");
  EXPECT_EQ(req.webhook().url(), "https://119.example/hooks/firegrid");
  EXPECT_EQ(req.webhook().secret(), "s3cret-0123456789abcdef");
  EXPECT_FALSE(req.webhook().enabled());
  EXPECT_THAT(out_.str(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(out_.str(), HasSubstr("enabled"));

  EXPECT_EQ(Run({"webhook", "set", "--org-unit", "u", "--url", "https://x", "--secret-file",
                 "/nonexistent/secret"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("/nonexistent/secret"));
}

TEST_F(NotifyCliTest, WebhookGetDeleteAndDeliveries) {
  ASSERT_EQ(Run({"webhook", "get", "500109.fire_rescue"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("https://119.example/hooks/firegrid"));
  EXPECT_EQ(Run({"webhook", "get", "500109.housing"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND"));
  ASSERT_EQ(Run({"webhook", "delete", "500109.fire_rescue"}), 0) << err_.str();
  EXPECT_EQ(service_.last<nv1::DeleteWebhookRequest>().org_unit(), "500109.fire_rescue");
  ASSERT_EQ(Run({"webhook", "deliveries", "500109.fire_rescue", "--limit", "5"}), 0) << err_.str();
  EXPECT_EQ(service_.last<nv1::ListDeliveriesRequest>().limit(), 5);
  EXPECT_THAT(out_.str(), HasSubstr("dlv_1"));
  EXPECT_THAT(out_.str(), HasSubstr("503"));
  EXPECT_THAT(out_.str(), HasSubstr("pending"));
}

TEST_F(NotifyCliTest, WatchPassesCursorFlagsAndEndsWithAnUnrecoverableError) {
  service_.AddSession({.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "token expired")});
  EXPECT_EQ(Run({"--token", "t2", "watch", "--cursor", "org:500109.fire_rescue=1717-0", "--cursor",
                 "person:um-1=1718-2"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("UNAUTHENTICATED: token expired"));
  ASSERT_EQ(service_.subscribe_requests().size(), 1u);
  EXPECT_THAT(Cursors(service_.subscribe_requests()[0]),
              UnorderedElementsAre(Pair("org:500109.fire_rescue", "1717-0"),
                                   Pair("person:um-1", "1718-2")));
}

TEST_F(NotifyCliTest, WatchRejectsMalformedCursorsAndLiveOnlyWithCursors) {
  EXPECT_EQ(Run({"watch", "--cursor", "org:x"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--cursor: want RECIPIENT=CURSOR"));
  EXPECT_EQ(Run({"watch", "--cursor", "org:x=abc"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("is not a cursor"));
  EXPECT_EQ(Run({"watch", "--live-only", "--cursor", "org:x=1-0"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--live-only"));
  EXPECT_TRUE(service_.subscribe_requests().empty());
}

TEST_F(NotifyCliTest, CtrlCEndsWatchWithExitZero) {
  SubscribeSession s;
  s.Notify(MakeNotification("ntf_1", "org:x", "5-0", "t", "hzd_1")).CaughtUp().hold = true;
  service_.AddSession(s);
  SyncBuf out_buf, err_buf;
  std::ostream out(&out_buf), err(&err_buf);
  int code = -1;
  std::thread watch([&] {
    code = RunCli(registry_, {"watch"}, {{"FIREGRID_NOTIFY_ADDR", server_.address()}}, out, err);
  });
  ASSERT_TRUE(WaitUntil([&] { return service_.holding() == 1; }));
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(out_buf.str(), "caught up"); }));
  kill(getpid(), SIGINT);
  watch.join();
  EXPECT_EQ(code, 0) << err_buf.str();
  EXPECT_THAT(out_buf.str(), HasSubstr("hzd_1"));
  EXPECT_EQ(service_.subscribe_requests().size(), 1u) << "Ctrl-C must not reconnect";
}

TEST_F(NotifyCliTest, CallAndMethodsKnowTheNotifyApi) {
  ASSERT_EQ(Run({"methods", "firegrid.notify.v1.NotifyService"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("firegrid.notify.v1.NotifyService/Subscribe"));
  EXPECT_THAT(out_.str(), HasSubstr("stream firegrid.notify.v1.SubscribeResponse"));
  EXPECT_THAT(out_.str(), HasSubstr("firegrid.notify.v1.NotifyService/ListDeliveries"));
  // `call` goes to FIREGRID_NOTIFY_ADDR for a notify method.
  ASSERT_EQ(Run({"call", "firegrid.notify.v1.NotifyService/GetPlanOverview", "{}"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"average_progress_percent\": 47.5"));
  // And streams Subscribe to its end.
  service_.AddSession(SubscribeSession()
                          .Notify(MakeNotification("ntf_1", "org:x", "5-0", "t", "hzd_1"))
                          .CaughtUp());
  ASSERT_EQ(Run({"call", "firegrid.notify.v1.NotifyService/Subscribe", R"({"live_only": true})"}),
            0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"hazard_id\": \"hzd_1\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"caught_up\": true"));
  EXPECT_TRUE(service_.subscribe_requests().back().live_only());
}

}  // namespace
}  // namespace firegrid::ctl
