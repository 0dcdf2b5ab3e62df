// The webhooks module against a real redis-server and real HTTP receivers (cpp-httplib servers on
// 127.0.0.1 port 0, started by the test): signed delivery, retries with backoff until "failed",
// dead and slow endpoints not delaying a healthy one, exactly-once delivery with two instances,
// the secret never returned, the delivery log, and state surviving a Redis restart.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/proto_json.h"
#include "services/notify/inbox_keys.h"
#include "services/notify/webhooks.h"
#include "tests/support/ports.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using auth::Role;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

// A pool on a server of the test's own (the restart test).
std::unique_ptr<redis::Pool> NewPool(int port) {
  redis::PoolOptions o;
  o.port = port;
  return redis::Pool::Create(o);
}

// The receiver's own check, independent of the module's code: OpenSSL HMAC-SHA256, lowercase hex.
std::string ExpectedSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex;
  static const char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kDigits[mac[i] >> 4]);
    hex.push_back(kDigits[mac[i] & 15]);
  }
  return "sha256=" + hex;
}

// A department system: an HTTP server on 127.0.0.1:<free port> recording every POST.
class Receiver {
 public:
  struct Request {
    std::string path;
    std::string content_type;
    std::string delivery;
    std::string event;
    std::string signature;
    std::string body;
    std::string traceparent;
  };

  // Plain HTTP; HTTPS with `cert` and `key` when given. Listens on `address` (a loopback one).
  explicit Receiver(int status = 200, X509* cert = nullptr, EVP_PKEY* key = nullptr,
                    const std::string& address = "127.0.0.1")
      : server_(cert != nullptr ? std::make_unique<httplib::SSLServer>(cert, key)
                                : std::make_unique<httplib::Server>()),
        status_(status) {
    server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      if (hang_.load()) release_.WaitForNotificationWithTimeout(absl::Seconds(20));
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back({req.path, req.get_header_value("Content-Type"),
                             req.get_header_value("X-Firegrid-Delivery"),
                             req.get_header_value("X-Firegrid-Event"),
                             req.get_header_value("X-Firegrid-Signature"), req.body,
                             req.get_header_value("traceparent")});
      }
      res.status = status_.load();
      {
        absl::MutexLock lock(&mu_);
        if (!location_.empty()) res.set_header("Location", location_);
      }
      res.set_content("{}", "application/json");
    });
    port_ = server_->bind_to_any_port(address);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }

  ~Receiver() {
    release_.Notify();
    // stop() only acts on a running server: wait (bounded) for the accept loop to have started.
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!server_->is_running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
    server_->stop();
    thread_.join();
  }

  // Handlers block (up to 20 s, or until this receiver is destroyed) before answering.
  void Hang() { hang_ = true; }
  void set_status(int status) { status_ = status; }
  // Answers with this Location header (with a 3xx status: a redirect).
  void set_location(const std::string& location) {
    absl::MutexLock lock(&mu_);
    location_ = location;
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  bool WaitForCount(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return requests_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<Request> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<int> status_;
  std::atomic<bool> hang_{false};
  absl::Notification release_;
  absl::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::string location_ ABSL_GUARDED_BY(mu_);
};

// Polls `condition` every few ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

Principal Admin() {
  Principal p;
  p.subject = "admin-1";
  p.role = Role::kDistrictAdmin;
  p.tier_path = "500109";
  return p;
}

constexpr char kSecret[] = "s3cr3t-0123456789-webhook";
constexpr char kDept[] = "500109.urban_management";

class WebhooksIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    prefix_ = "wh" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool();
    options_.initial_backoff = absl::Seconds(1);
    options_.max_backoff = absl::Seconds(3);
    options_.request_timeout = absl::Seconds(2);
    // The receivers are local HTTP servers.
    options_.allow_http = true;
    options_.destination.allow_loopback = true;
  }

  std::unique_ptr<Webhooks> New(redis::Pool* pool = nullptr) {
    return std::make_unique<Webhooks>(pool ? pool : pool_.get(), prefix_, options_, &clock_);
  }

  v1::Webhook MustSet(Webhooks& w, const std::string& org, const std::string& url,
                      bool enabled = true) {
    v1::Webhook hook;
    hook.set_org_unit(org);
    hook.set_url(url);
    hook.set_secret(kSecret);
    hook.set_enabled(enabled);
    auto r = w.Set(Admin(), hook);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::Webhook();
  }

  // XADD <prefix>:inbox:org:<org> * n <bytes>, as the inbox does. Returns the cursor.
  std::string AddNotification(const std::string& org, const std::string& id,
                              v1::Kind kind = v1::KIND_HAZARD_TASK, redis::Pool* pool = nullptr,
                              const std::string& trace_id = "") {
    v1::Notification n;
    n.set_trace_id(trace_id);
    n.set_notification_id(id);
    n.set_recipient(OrgRecipient(org));
    n.set_kind(kind);
    n.set_title("隐患推送: 消防车道被占用");
    n.set_hazard_id("hzd_1");
    n.set_tier_path("500109001002");
    *n.mutable_created_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(clock_.Now()));
    std::string bytes;
    n.SerializeToString(&bytes);
    auto r = (pool ? pool : pool_.get())
                 ->Command({"XADD", InboxStreamKey(prefix_, OrgRecipient(org)), "*",
                            kNotificationField, bytes});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->str : "";
  }

  std::vector<v1::Delivery> Deliveries(Webhooks& w, const std::string& org, int limit = 200) {
    auto r = w.ListDeliveries(Admin(), org, limit);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    return {r->deliveries().begin(), r->deliveries().end()};
  }

  v1::Delivery Only(Webhooks& w, const std::string& org) {
    std::vector<v1::Delivery> all = Deliveries(w, org);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? v1::Delivery() : all[0];
  }

  FakeClock clock_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  WebhookOptions options_;
};

TEST_F(WebhooksIntegrationTest, DeliversSignedNotificationThatTheReceiverVerifies) {
  Receiver receiver;
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url("/fire/notify?src=firegrid"));
  const std::string cursor = AddNotification(kDept, "ntf_1", v1::KIND_HAZARD_TASK);

  auto started = webhooks->RunOnce();
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*started, 1);
  ASSERT_TRUE(receiver.WaitForCount(1, absl::Seconds(5)));
  webhooks->WaitIdle();

  const Receiver::Request req = receiver.requests().at(0);
  EXPECT_EQ(req.path, "/fire/notify");
  EXPECT_EQ(req.content_type, "application/json");
  // One spelling everywhere: the CLI's (`firegridctl --output json`) enum labels and field names.
  EXPECT_EQ(req.event, "hazard_task");
  EXPECT_NE(req.body.find(R"("kind":"hazard_task")"), std::string::npos) << req.body;
  EXPECT_NE(req.body.find(R"("notification_id":"ntf_1")"), std::string::npos) << req.body;
  EXPECT_EQ(req.signature, ExpectedSignature(kSecret, req.body));
  EXPECT_NE(req.signature, ExpectedSignature("another-secret-0123", req.body));
  v1::Notification body;
  ASSERT_TRUE(JsonToMessage(req.body, &body).ok()) << req.body;
  EXPECT_EQ(body.notification_id(), "ntf_1");
  EXPECT_EQ(body.cursor(), cursor);
  EXPECT_EQ(body.recipient(), "org:500109.urban_management");
  EXPECT_EQ(body.title(), "隐患推送: 消防车道被占用");

  const v1::Delivery d = Only(*webhooks, kDept);
  EXPECT_EQ(d.delivery_id(), req.delivery);
  EXPECT_EQ(d.notification_id(), "ntf_1");
  EXPECT_EQ(d.org_unit(), kDept);
  EXPECT_EQ(d.state(), "delivered");
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_EQ(d.last_http_status(), 200);
  EXPECT_FALSE(d.has_next_attempt_at());

  // Nothing is delivered twice.
  EXPECT_EQ(*webhooks->RunOnce(), 0);
  webhooks->WaitIdle();
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST_F(WebhooksIntegrationTest, OnlyNotificationsArrivingAfterTheWebhookWasSetAreDelivered) {
  Receiver receiver;
  auto webhooks = New();
  AddNotification(kDept, "ntf_old");
  MustSet(*webhooks, kDept, receiver.url());
  AddNotification(kDept, "ntf_new", v1::KIND_REMINDER);
  // Replacing the webhook keeps its position: nothing is taken twice or skipped.
  MustSet(*webhooks, kDept, receiver.url("/v2"));
  ASSERT_TRUE(webhooks->RunOnce().ok());
  ASSERT_TRUE(receiver.WaitForCount(1, absl::Seconds(5)));
  webhooks->WaitIdle();
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].path, "/v2");
  EXPECT_EQ(receiver.requests()[0].event, "reminder");
  EXPECT_EQ(Only(*webhooks, kDept).notification_id(), "ntf_new");
}

TEST_F(WebhooksIntegrationTest, FailingEndpointIsRetriedWithBackoffAndEndsFailed) {
  options_.max_attempts = 4;
  std::vector<std::string> results;  // what on_attempt saw (the metrics' source)
  absl::Mutex results_mu;
  options_.on_attempt = [&](const v1::Delivery& d) {
    absl::MutexLock lock(&results_mu);
    results.push_back(d.state());
  };
  Receiver receiver(500);
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url());
  AddNotification(kDept, "ntf_1");

  // Waits before attempts 2, 3 and 4: 1 s, 2 s, then 4 s capped to max_backoff = 3 s.
  const absl::Duration waits[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)};
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto started = webhooks->RunOnce();
    ASSERT_TRUE(started.ok()) << started.status();
    EXPECT_EQ(*started, 1) << "attempt " << attempt;
    webhooks->WaitIdle();
    const v1::Delivery d = Only(*webhooks, kDept);
    EXPECT_EQ(d.attempts(), attempt);
    EXPECT_EQ(d.state(), "pending");
    EXPECT_EQ(d.last_http_status(), 500);
    EXPECT_EQ(d.last_error(), "HTTP 500");
    const absl::Duration wait = waits[attempt - 1];
    EXPECT_EQ(TimeUtil::TimestampToMilliseconds(d.next_attempt_at()),
              absl::ToUnixMillis(clock_.Now() + wait));
    // Not due yet: no attempt.
    clock_.Advance(wait - absl::Milliseconds(1));
    EXPECT_EQ(*webhooks->RunOnce(), 0);
    webhooks->WaitIdle();
    EXPECT_EQ(receiver.requests().size(), static_cast<size_t>(attempt));
    clock_.Advance(absl::Milliseconds(1));
  }
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  webhooks->WaitIdle();
  const v1::Delivery d = Only(*webhooks, kDept);
  EXPECT_EQ(d.attempts(), 4);
  EXPECT_EQ(d.state(), "failed");
  EXPECT_FALSE(d.has_next_attempt_at());
  // Given up: never attempted again.
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*webhooks->RunOnce(), 0);
  webhooks->WaitIdle();
  EXPECT_EQ(receiver.requests().size(), 4u);
  {
    absl::MutexLock lock(&results_mu);
    EXPECT_THAT(results, ::testing::ElementsAre("pending", "pending", "pending", "failed"));
  }
  // Every retry carried the same delivery id, body and signature.
  const std::vector<Receiver::Request> reqs = receiver.requests();
  for (const Receiver::Request& r : reqs) {
    EXPECT_EQ(r.delivery, d.delivery_id());
    EXPECT_EQ(r.body, reqs[0].body);
    EXPECT_EQ(r.signature, reqs[0].signature);
  }
}

TEST_F(WebhooksIntegrationTest, DeadAndSlowEndpointsDoNotDelayAHealthyOneInTheSameRound) {
  // The slow endpoint answers nothing within the attempt's timeout. What the test proves about
  // "not delayed" is checked while that attempt is still open (no attempt of it recorded yet),
  // not against a stopwatch, so a loaded machine does not decide the outcome.
  options_.request_timeout = absl::Seconds(5);
  Receiver slow;
  slow.Hang();
  Receiver healthy;
  const int dead_port = testing::FreeTcpPort();
  ASSERT_GT(dead_port, 0);
  auto webhooks = New();
  MustSet(*webhooks, "500109001", "http://127.0.0.1:" + std::to_string(dead_port) + "/hook");
  MustSet(*webhooks, "500109002", slow.url());
  MustSet(*webhooks, "500109003", healthy.url());
  AddNotification("500109001", "ntf_dead");
  AddNotification("500109002", "ntf_slow");
  AddNotification("500109003", "ntf_healthy");

  const absl::Time start = absl::Now();
  auto started = webhooks->RunOnce();
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*started, 3);
  // RunOnce started the attempts without waiting for them: the slow one is still open.
  EXPECT_EQ(Only(*webhooks, "500109002").attempts(), 0);
  // The healthy endpoint gets its notification, and it is recorded delivered, while the slow
  // attempt is still open.
  ASSERT_TRUE(healthy.WaitForCount(1, absl::Seconds(30)));
  EXPECT_TRUE(WaitUntil([&] { return Only(*webhooks, "500109003").state() == "delivered"; },
                        absl::Seconds(30)));
  EXPECT_EQ(Only(*webhooks, "500109002").attempts(), 0)
      << "the slow endpoint's attempt ended before the healthy delivery was recorded";

  webhooks->WaitIdle();  // the slow attempt ends with its read timeout
  EXPECT_GE(absl::Now() - start, options_.request_timeout);
  const v1::Delivery dead = Only(*webhooks, "500109001");
  EXPECT_EQ(dead.state(), "pending");
  EXPECT_EQ(dead.attempts(), 1);
  EXPECT_EQ(dead.last_http_status(), 0);
  EXPECT_EQ(dead.last_error(), kNoResponseError);
  const v1::Delivery timed_out = Only(*webhooks, "500109002");
  EXPECT_EQ(timed_out.state(), "pending");
  EXPECT_EQ(timed_out.attempts(), 1);
  EXPECT_EQ(timed_out.last_error(), kNoResponseError);
  EXPECT_EQ(Only(*webhooks, "500109003").attempts(), 1);
}

TEST_F(WebhooksIntegrationTest, TwoInstancesDeliverEachNotificationExactlyOnce) {
  Receiver receiver;
  auto pool_b = testing::NewSharedRedisPool();
  auto a = New();
  auto b = New(pool_b.get());
  MustSet(*a, kDept, receiver.url());
  constexpr int kCount = 40;
  for (int i = 0; i < kCount / 2; ++i) AddNotification(kDept, "ntf_" + std::to_string(i));

  std::atomic<bool> done{false};
  auto loop = [&](Webhooks* w) {
    while (!done.load()) {
      auto r = w->RunOnce();
      EXPECT_TRUE(r.ok()) << r.status();
      absl::SleepFor(absl::Milliseconds(2));
    }
  };
  std::thread ta(loop, a.get());
  std::thread tb(loop, b.get());
  // More notifications arrive while both instances are dispatching.
  for (int i = kCount / 2; i < kCount; ++i) AddNotification(kDept, "ntf_" + std::to_string(i));
  const bool all = receiver.WaitForCount(kCount, absl::Seconds(20));
  // Keep both going a little longer: a duplicate would show up now.
  WaitUntil([] { return false; }, absl::Milliseconds(200));
  done = true;
  ta.join();
  tb.join();
  a->WaitIdle();
  b->WaitIdle();
  ASSERT_TRUE(all);

  const std::vector<Receiver::Request> reqs = receiver.requests();
  EXPECT_EQ(reqs.size(), static_cast<size_t>(kCount));
  std::set<std::string> notification_ids;
  std::set<std::string> delivery_ids;
  for (const Receiver::Request& r : reqs) {
    v1::Notification n;
    ASSERT_TRUE(JsonToMessage(r.body, &n).ok());
    notification_ids.insert(n.notification_id());
    delivery_ids.insert(r.delivery);
    EXPECT_EQ(r.signature, ExpectedSignature(kSecret, r.body));
  }
  EXPECT_EQ(notification_ids.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(delivery_ids.size(), static_cast<size_t>(kCount));
  const std::vector<v1::Delivery> log = Deliveries(*a, kDept);
  EXPECT_EQ(log.size(), static_cast<size_t>(kCount));
  for (const v1::Delivery& d : log) {
    EXPECT_EQ(d.state(), "delivered");
    EXPECT_EQ(d.attempts(), 1);
  }
}

TEST_F(WebhooksIntegrationTest, SecretIsStoredForSigningButNeverReturned) {
  Receiver receiver;
  auto webhooks = New();
  const v1::Webhook set = MustSet(*webhooks, kDept, receiver.url());
  EXPECT_EQ(set.secret(), "");
  EXPECT_EQ(set.org_unit(), kDept);
  EXPECT_EQ(set.url(), receiver.url());
  EXPECT_TRUE(set.enabled());
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(set.updated_at()), absl::ToUnixMillis(clock_.Now()));
  auto got = webhooks->Get(Admin(), kDept);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->secret(), "");
  EXPECT_EQ(got->url(), receiver.url());
  // A department officer sees its own webhook, also without the secret.
  Principal officer;
  officer.role = Role::kDepartmentOfficer;
  officer.tier_path = "500109";
  officer.department = "urban_management";
  auto own = webhooks->Get(officer, kDept);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->secret(), "");
  // ... and it is used: the delivery is signed with it.
  AddNotification(kDept, "ntf_1");
  ASSERT_TRUE(webhooks->RunOnce().ok());
  ASSERT_TRUE(receiver.WaitForCount(1, absl::Seconds(5)));
  const Receiver::Request req = receiver.requests().at(0);
  EXPECT_EQ(req.signature, ExpectedSignature(kSecret, req.body));
  EXPECT_EQ(req.body.find(kSecret), std::string::npos);
  webhooks->WaitIdle();
}

TEST_F(WebhooksIntegrationTest, DeliversInInboxOrderAndListsNewestFirstWithinLogSize) {
  options_.log_size = 3;
  Receiver receiver;
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url());
  for (int i = 1; i <= 5; ++i) AddNotification(kDept, "ntf_" + std::to_string(i));
  ASSERT_TRUE(webhooks->RunOnce().ok());
  ASSERT_TRUE(receiver.WaitForCount(5, absl::Seconds(5)));
  webhooks->WaitIdle();

  std::vector<v1::Delivery> log = Deliveries(*webhooks, kDept, 0);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].notification_id(), "ntf_5");
  EXPECT_EQ(log[1].notification_id(), "ntf_4");
  EXPECT_EQ(log[2].notification_id(), "ntf_3");
  for (const v1::Delivery& d : log) EXPECT_EQ(d.state(), "delivered");
  // One endpoint gets its notifications one at a time, in inbox order.
  const std::vector<Receiver::Request> reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    v1::Notification n;
    ASSERT_TRUE(JsonToMessage(reqs[i].body, &n).ok());
    EXPECT_EQ(n.notification_id(), "ntf_" + std::to_string(i + 1));
  }
  log = Deliveries(*webhooks, kDept, 2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].notification_id(), "ntf_5");
  // A webhook with nothing delivered yet has an empty log.
  EXPECT_TRUE(Deliveries(*webhooks, "500109001").empty());
}

TEST_F(WebhooksIntegrationTest, DisabledWebhookTakesNothingAndEnablingDeliversTheBacklog) {
  Receiver receiver;
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url(), /*enabled=*/false);
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*webhooks->RunOnce(), 0);
  webhooks->WaitIdle();
  EXPECT_TRUE(Deliveries(*webhooks, kDept).empty());
  EXPECT_TRUE(receiver.requests().empty());
  MustSet(*webhooks, kDept, receiver.url(), /*enabled=*/true);
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  ASSERT_TRUE(receiver.WaitForCount(1, absl::Seconds(5)));
  webhooks->WaitIdle();
  EXPECT_EQ(Only(*webhooks, kDept).notification_id(), "ntf_1");
}

TEST_F(WebhooksIntegrationTest, DeleteDropsWebhookWithPendingDeliveriesAndLog) {
  Receiver receiver(503);
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url());
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  webhooks->WaitIdle();
  const std::string id = Only(*webhooks, kDept).delivery_id();

  ASSERT_TRUE(webhooks->Delete(Admin(), kDept).ok());
  EXPECT_EQ(webhooks->Get(Admin(), kDept).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(webhooks->Delete(Admin(), kDept).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Deliveries(*webhooks, kDept).empty());
  EXPECT_EQ(webhooks->GetDelivery(id).status().code(), absl::StatusCode::kNotFound);
  receiver.set_status(200);
  clock_.Advance(absl::Hours(1));
  AddNotification(kDept, "ntf_2");
  EXPECT_EQ(*webhooks->RunOnce(), 0);
  webhooks->WaitIdle();
  EXPECT_EQ(receiver.requests().size(), 1u);
}

// A self-signed certificate for 127.0.0.1 (P-256), valid for an hour.
struct SelfSigned {
  SelfSigned() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

TEST_F(WebhooksIntegrationTest, HttpsEndpointWithUntrustedCertificateIsNotDeliveredTo) {
  SelfSigned tls;
  ASSERT_NE(tls.key, nullptr);
  Receiver receiver(200, tls.cert, tls.key);
  auto webhooks = New();
  MustSet(*webhooks, kDept, "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  webhooks->WaitIdle();
  const v1::Delivery d = Only(*webhooks, kDept);
  EXPECT_EQ(d.state(), "pending");
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_EQ(d.last_http_status(), 0);
  EXPECT_EQ(d.last_error(), kNoResponseError);
  EXPECT_TRUE(receiver.requests().empty());  // the server certificate was verified
}

TEST_F(WebhooksIntegrationTest, WebhookIsAcceptedOnlyForARegisteredOrgUnit) {
  // The buildings service's registry in the same Redis: one org unit, the gas company.
  const std::string buildings = prefix_ + "_buildings";
  ASSERT_TRUE(pool_->Command({"SET", buildings + ":ou:500109.gas", "unit"}).ok());
  options_.org_units = RedisOrgUnitRegistry(pool_.get(), buildings);
  auto webhooks = New();
  Receiver receiver;
  MustSet(*webhooks, "500109.gas", receiver.url());
  v1::Webhook hook;
  hook.set_org_unit("500109.gas_company");  // no such org unit
  hook.set_url(receiver.url());
  hook.set_secret(kSecret);
  hook.set_enabled(true);
  auto r = webhooks->Set(Admin(), hook);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("webhook.org_unit: "));
  EXPECT_EQ(webhooks->Get(Admin(), "500109.gas_company").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WebhooksIntegrationTest, PostCarriesTheNotificationsTraceInTraceparentOnEveryRetry) {
  options_.initial_backoff = absl::Milliseconds(1);
  options_.max_backoff = absl::Milliseconds(1);
  Receiver receiver(500);
  auto webhooks = New();
  MustSet(*webhooks, kDept, receiver.url());
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";
  AddNotification(kDept, "ntf_traced", v1::KIND_HAZARD_TASK, nullptr, trace);
  AddNotification(kDept, "ntf_untraced");
  // A failed attempt ends the endpoint's turn: one attempt per round, until each was tried twice.
  for (int round = 0; round < 10 && receiver.requests().size() < 4; ++round) {
    ASSERT_TRUE(webhooks->RunOnce().ok());
    webhooks->WaitIdle();
    clock_.Advance(absl::Seconds(1));
  }
  std::vector<Receiver::Request> traced, untraced;
  for (const Receiver::Request& r : receiver.requests()) {
    v1::Notification body;
    ASSERT_TRUE(JsonToMessage(r.body, &body).ok());
    (body.notification_id() == "ntf_traced" ? traced : untraced).push_back(r);
  }
  ASSERT_EQ(traced.size(), 2u);
  ASSERT_EQ(untraced.size(), 2u);
  const std::string& tp = traced[0].traceparent;
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(0, 3), "00-");
  EXPECT_EQ(tp.substr(3, 32), trace);
  EXPECT_NE(tp.substr(36, 16), std::string(16, '0'));
  EXPECT_EQ(tp.substr(52), "-01");
  EXPECT_EQ(traced[1].traceparent, tp);           // the retry: same trace and delivery span
  EXPECT_THAT(traced[0].body, HasSubstr(trace));  // "traceId" in the body
  for (const Receiver::Request& r : untraced) EXPECT_EQ(r.traceparent, "");
}

// ---- Destination policy (SSRF) ----

TEST_F(WebhooksIntegrationTest, RedirectIsAFailedAttemptAndItsTargetIsNeverContacted) {
  Receiver target;
  Receiver redirecting(307);
  redirecting.set_location(target.url("/internal"));
  auto webhooks = New();
  MustSet(*webhooks, kDept, redirecting.url());
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  webhooks->WaitIdle();
  const v1::Delivery d = Only(*webhooks, kDept);
  EXPECT_EQ(d.state(), "pending");
  EXPECT_EQ(d.last_http_status(), 307);
  EXPECT_EQ(redirecting.requests().size(), 1u);
  EXPECT_TRUE(target.requests().empty());
}

TEST_F(WebhooksIntegrationTest, StoredLoopbackUrlIsNotPostedToWhenLoopbackIsNotAllowed) {
  Receiver receiver;
  MustSet(*New(), kDept, receiver.url());  // stored while loopback was allowed
  options_.destination.allow_loopback = false;
  auto strict = New();
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*strict->RunOnce(), 1);
  strict->WaitIdle();
  const v1::Delivery d = Only(*strict, kDept);
  EXPECT_EQ(d.state(), "pending");
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_EQ(d.last_http_status(), 0);
  // The registrant learns nothing about the address; the reason is in the log only.
  EXPECT_EQ(d.last_error(), kNoResponseError);
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(WebhooksIntegrationTest, NameResolvingToAPrivateAddressIsRefusedBeforeAnyConnect) {
  std::atomic<int> questions{0};
  options_.resolver = [&](const std::string& host) -> absl::StatusOr<std::vector<IpAddress>> {
    ++questions;
    if (host != "hooks.example.gov.cn") return absl::NotFoundError(host);
    return std::vector<IpAddress>{IpAddress::V4(10, 0, 0, 1)};
  };
  auto webhooks = New();
  MustSet(*webhooks, kDept, "http://hooks.example.gov.cn/firegrid");
  AddNotification(kDept, "ntf_1");
  const absl::Time start = absl::Now();
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  webhooks->WaitIdle();
  const v1::Delivery d = Only(*webhooks, kDept);
  EXPECT_EQ(questions.load(), 1);
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_EQ(d.last_http_status(), 0);
  EXPECT_EQ(d.last_error(), kNoResponseError);
  // Refused without a connect attempt (which would have run into the 2 s connect timeout).
  EXPECT_LT(absl::Now() - start, options_.request_timeout);
}

TEST_F(WebhooksIntegrationTest, ConnectionGoesToTheCheckedAddressNotToASecondLookup) {
  // "localhost" is 127.0.0.1 / ::1 to the system; the injected resolver says 127.0.0.2, where
  // the only receiver listens. Delivered only if the client connects to the checked address.
  Receiver receiver(200, nullptr, nullptr, "127.0.0.2");
  ASSERT_GT(receiver.port(), 0);
  options_.resolver = [](const std::string& host) -> absl::StatusOr<std::vector<IpAddress>> {
    if (host != "localhost") return absl::NotFoundError(host);
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 2)};
  };
  auto webhooks = New();
  MustSet(*webhooks, kDept, "http://localhost:" + std::to_string(receiver.port()) + "/hook");
  AddNotification(kDept, "ntf_1");
  EXPECT_EQ(*webhooks->RunOnce(), 1);
  ASSERT_TRUE(receiver.WaitForCount(1, absl::Seconds(5)));
  webhooks->WaitIdle();
  EXPECT_EQ(Only(*webhooks, kDept).state(), "delivered");
}

TEST_F(WebhooksIntegrationTest, PendingDeliveriesAndCursorsSurviveARedisRestart) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  Receiver receiver(500);
  std::string delivery_id;
  {
    auto pool = NewPool(redis.port());
    Webhooks webhooks(pool.get(), prefix_, options_, &clock_);
    MustSet(webhooks, kDept, receiver.url());
    AddNotification(kDept, "ntf_1", v1::KIND_HAZARD_TASK, pool.get());
    EXPECT_EQ(*webhooks.RunOnce(), 1);
    webhooks.WaitIdle();
    delivery_id = Only(webhooks, kDept).delivery_id();
  }
  ASSERT_TRUE(redis.Restart().ok());
  receiver.set_status(200);
  auto pool = NewPool(redis.port());
  Webhooks webhooks(pool.get(), prefix_, options_, &clock_);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(*webhooks.RunOnce(), 1);
  ASSERT_TRUE(receiver.WaitForCount(2, absl::Seconds(5)));
  webhooks.WaitIdle();
  const v1::Delivery d = Only(webhooks, kDept);
  EXPECT_EQ(d.delivery_id(), delivery_id);
  EXPECT_EQ(d.state(), "delivered");
  EXPECT_EQ(d.attempts(), 2);
  // The cursor survived too: the notification was not taken again.
  EXPECT_EQ(*webhooks.RunOnce(), 0);
  webhooks.WaitIdle();
  EXPECT_EQ(receiver.requests().size(), 2u);
  EXPECT_EQ(receiver.requests()[1].delivery, delivery_id);
}

}  // namespace
}  // namespace firegrid::notify
