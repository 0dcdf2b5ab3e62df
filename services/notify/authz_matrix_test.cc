// The notify service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation, through the real gRPC surface over a real redis-server (inboxes, plan progress and
// webhooks live in Redis). The table is README.md ("Recipients", "RPCs"), plan.h
// (ReportProgress) and webhook_config.h (AuthorizeWebhookOrgUnit). A public channel has no inbox:
// every RPC is PERMISSION_DENIED to it. Someone else's notification is NOT_FOUND.
//
// Relations: for the inbox calls, the inbox the notification is in — kNamed the caller's person
// inbox, kNotNamed another person's; kOwn the caller's own org unit's (its tier path; a micro
// station's station), kParent / kSibling / kOtherDistrict the unit above, beside, in another
// district; kOwnDepartment / kOtherDepartment a department officer's department's org unit or
// another's. For webhooks the same org units. For plan progress, kNamed: the task is led by the
// caller's department (department officers) or by "streets" (street officers).

#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "services/notify/grpc_service.h"
#include "services/notify/inbox.h"
#include "services/notify/plan.h"
#include "services/notify/recipients.h"
#include "services/notify/webhooks.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Expect;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;
using R = Relation;

// The inboxes each caller is tried against.
std::map<Caller, std::vector<Relation>> InboxRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kNamed, R::kNotNamed};
  out[C::kDistrictAdmin] = {R::kNamed, R::kNotNamed, R::kOwn, R::kOtherDistrict};
  out[C::kDepartmentOfficer] = {R::kNamed, R::kNotNamed, R::kOwnDepartment, R::kOtherDepartment};
  for (Caller c : {C::kStreetOfficer, C::kCommunityWorker}) {
    out[c] = {R::kNamed, R::kNotNamed, R::kOwn, R::kParent, R::kSibling, R::kOtherDistrict};
  }
  out[C::kMicroStation] = {R::kNamed, R::kNotNamed, R::kOwn, R::kSibling};
  return out;
}
// Each caller's own inboxes: its person inbox, its unit's.
std::map<Caller, std::set<Relation>> OwnInboxes() {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kNamed};
  out.erase(C::kPublicChannel);
  for (Caller c : {C::kDistrictAdmin, C::kStreetOfficer, C::kCommunityWorker, C::kMicroStation}) {
    out[c].insert(R::kOwn);
  }
  out[C::kDepartmentOfficer].insert(R::kOwnDepartment);
  return out;
}
// The other inboxes (each caller's relations but its own).
std::map<Caller, std::set<Relation>> OthersInboxes() {
  std::map<Caller, std::set<Relation>> out;
  const auto own = OwnInboxes();
  for (const auto& [c, relations] : InboxRelations()) {
    if (c == C::kPublicChannel) continue;
    for (Relation r : relations) {
      if (own.at(c).count(r) == 0) out[c].insert(r);
    }
  }
  return out;
}
std::map<Caller, std::vector<Relation>> WebhookRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kAny};
  out[C::kDistrictAdmin] = {R::kOwn, R::kOtherDistrict};
  out[C::kDepartmentOfficer] = {R::kOwnDepartment, R::kOtherDepartment};
  for (Caller c : {C::kStreetOfficer, C::kCommunityWorker}) {
    out[c] = {R::kOwn, R::kParent, R::kSibling, R::kOtherDistrict};
  }
  return out;
}
// AuthorizeWebhookOrgUnit: district admins the units of their district, department officers
// their department's, street officers and community workers their own unit.
std::map<Caller, std::set<Relation>> WebhookManagers() {
  return {{C::kDistrictAdmin, {R::kOwn}},
          {C::kDepartmentOfficer, {R::kOwnDepartment}},
          {C::kStreetOfficer, {R::kOwn}},
          {C::kCommunityWorker, {R::kOwn}}};
}
std::map<Caller, std::vector<Relation>> AnyRelation() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kAny};
  return out;
}
// Every role but public channels.
std::map<Caller, std::set<Relation>> EveryoneButChannels() {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    if (c != C::kPublicChannel) out[c] = Anywhere();
  }
  return out;
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      {.rpc = "Subscribe", .allowed = EveryoneButChannels(), .relations = AnyRelation()},
      // ListInbox: the caller's own inboxes; others' notifications are not in it.
      {.rpc = "ListInbox",
       .allowed = OwnInboxes(),
       .filtered = OthersInboxes(),
       .relations = InboxRelations()},
      {.rpc = "MarkRead",
       .allowed = OwnInboxes(),
       .hidden = OthersInboxes(),
       .relations = InboxRelations()},
      {.rpc = "Acknowledge",
       .allowed = OwnInboxes(),
       .hidden = OthersInboxes(),
       .relations = InboxRelations()},
      {.rpc = "ListPlanTasks", .allowed = EveryoneButChannels(), .relations = AnyRelation()},
      {.rpc = "GetPlanOverview", .allowed = EveryoneButChannels(), .relations = AnyRelation()},
      // ReportPlanProgress: the district's admins, officers of a lead department, street
      // officers when "streets" lead the task.
      {.rpc = "ReportPlanProgress",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kDepartmentOfficer, {R::kNamed}},
                   {C::kStreetOfficer, {R::kNamed}}},
       .relations =
           [] {
             auto r = AnyRelation();
             r[C::kDepartmentOfficer] = {R::kNamed, R::kNotNamed};
             r[C::kStreetOfficer] = {R::kNamed, R::kNotNamed};
             return r;
           }()},
      {.rpc = "SetWebhook", .allowed = WebhookManagers(), .relations = WebhookRelations()},
      {.rpc = "GetWebhook", .allowed = WebhookManagers(), .relations = WebhookRelations()},
      {.rpc = "DeleteWebhook", .allowed = WebhookManagers(), .relations = WebhookRelations()},
      {.rpc = "ListDeliveries", .allowed = WebhookManagers(), .relations = WebhookRelations()},
      // PushEvent: internal services only.
      {.rpc = "PushEvent",
       .allowed = {{C::kInternalService, Anywhere()}},
       .relations = AnyRelation()},
  };
  return *table;
}

// The org unit a row's relation names for its caller.
std::string UnitOf(const Row& row) {
  const auth::Principal p = authz_matrix::PrincipalOf(row.caller);
  const std::string& tier = p.tier_path;
  const bool station = row.caller == C::kMicroStation;
  switch (row.relation) {
    case R::kOwn:
      return station ? authz_matrix::kHomeStation : tier;
    case R::kParent:
      return tier.substr(0, tier.size() - 3);
    case R::kSibling:
      return station ? "mfs_other" : absl::StrCat(tier.substr(0, tier.size() - 3), "002");
    case R::kOtherDistrict:
      return absl::StrCat(authz_matrix::kOtherDistrict, tier.substr(6));
    case R::kOwnDepartment:
      return absl::StrCat(authz_matrix::kHomeDistrict, ".", authz_matrix::kOwnDepartment);
    case R::kOtherDepartment:
      return absl::StrCat(authz_matrix::kHomeDistrict, ".", authz_matrix::kOtherDepartment);
    default:
      return authz_matrix::kHomeCommunity;
  }
}
// The recipient a row's notification is delivered to.
std::string RecipientOf(const Row& row) {
  if (row.relation == R::kNamed) {
    return PersonRecipient(authz_matrix::PrincipalOf(row.caller).subject);
  }
  if (row.relation == R::kNotNamed) return PersonRecipient(authz_matrix::kSomeoneElse);
  return OrgRecipient(UnitOf(row));
}

class NotifyMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    RandomIdGenerator ids;
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<Inbox> inbox;
    std::unique_ptr<PlanTasks> plan;
    std::unique_ptr<Webhooks> webhooks;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<NotifyGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::NotifyService::Stub> stub;
    int next = 0;

    ~Env() {
      if (service) service->Close();
      if (server) server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.pool = testing::NewSharedRedisPool(16);
    e.inbox = std::make_unique<Inbox>(e.pool.get(), "authz", &e.clock, &e.ids);
    auto book = LoadPlanBook(FIREGRID_PLAN_TASKS);
    ASSERT_TRUE(book.ok()) << book.status();
    auto plan = PlanTasks::Create(e.pool.get(), "authz", *book, &e.clock, e.inbox.get());
    ASSERT_TRUE(plan.ok()) << plan.status();
    e.plan = std::move(*plan);
    WebhookOptions wo;
    wo.allow_http = true;
    wo.destination.allow_loopback = true;
    e.webhooks = std::make_unique<Webhooks>(e.pool.get(), "authz", wo, &e.clock);
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    SubscribeOptions so;
    so.poll = absl::Milliseconds(50);
    e.service = std::make_unique<NotifyGrpcService>(e.inbox.get(), e.pool.get(), e.plan.get(),
                                                    e.webhooks.get(), e.authenticator.get(), so);
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::NotifyService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  // A new notification in the row's inbox; its id.
  static std::string Deliver(const Row& row) {
    Env& e = *env_;
    v1::Notification n;
    n.set_kind(v1::KIND_HAZARD_TASK);
    n.set_title("隐患待确认");
    n.set_body("消防车道被占用");
    n.set_requires_ack(true);
    const std::string recipient = RecipientOf(row);
    const std::string once = absl::StrCat("authz-", ++e.next);
    auto before = e.inbox->LastCursor(recipient);
    EXPECT_TRUE(before.ok()) << before.status();
    EXPECT_TRUE(e.inbox->Notify({recipient}, n, once).ok());
    auto delivered = e.inbox->ReadAfter(recipient, before.ok() ? *before : "", 1);
    EXPECT_TRUE(delivered.ok() && !delivered->empty());
    return delivered.ok() && !delivered->empty() ? delivered->back().notification_id() : "";
  }
  // A webhook of the row's org unit (so that reading or deleting it is not NOT_FOUND).
  static void SeedWebhook(const Row& row) {
    v1::Webhook w;
    w.set_org_unit(UnitOf(row));
    w.set_url("http://127.0.0.1:1/hook");
    w.set_secret("a-webhook-secret-of-some-length");
    w.set_enabled(false);
    auth::Principal admin;  // the admin of the unit's district
    admin.role = auth::Role::kDistrictAdmin;
    admin.subject = "seed-admin";
    admin.tier_path = w.org_unit().substr(0, 6);
    auto set = env_->webhooks->Set(admin, w);
    EXPECT_TRUE(set.ok()) << set.status();
  }

  Observed Call(const Row& row);

  static Env* env_;
};

NotifyMatrix::Env* NotifyMatrix::env_ = nullptr;

Observed NotifyMatrix::Call(const Row& row) {
  Env& e = *env_;
  const std::string token = e.tokens.For(row.caller, e.clock.Now());
  grpc::ClientContext ctx;
  authz_matrix::Attach(&ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  const std::string& rpc = row.rpc;
  Observed o;

  if (rpc == "Subscribe") {
    // Allowed: the stream answers (its replay ends with caught_up); refused: it ends at once.
    v1::SubscribeRequest req;
    auto reader = stub->Subscribe(&ctx, req);
    v1::SubscribeResponse first;
    if (reader->Read(&first)) {
      ctx.TryCancel();
      while (reader->Read(&first)) {
      }
      reader->Finish().IgnoreError();
      o.status = grpc::Status::OK;
    } else {
      o.status = reader->Finish();
    }
  } else if (rpc == "ListInbox") {
    const std::string id = Deliver(row);
    v1::ListInboxRequest req;
    req.set_page_size(200);
    o.object_shown = false;
    do {
      grpc::ClientContext page_ctx;
      authz_matrix::Attach(&page_ctx, token);
      v1::ListInboxResponse resp;
      o.status = stub->ListInbox(&page_ctx, req, &resp);
      for (const auto& n : resp.notifications()) o.object_shown |= n.notification_id() == id;
      req.set_page_token(resp.next_page_token());
    } while (o.status.ok() && !o.object_shown && !req.page_token().empty());
  } else if (rpc == "MarkRead") {
    v1::MarkReadRequest req;
    req.set_notification_id(Deliver(row));
    v1::Notification out;
    o.status = stub->MarkRead(&ctx, req, &out);
  } else if (rpc == "Acknowledge") {
    v1::AcknowledgeRequest req;
    req.set_notification_id(Deliver(row));
    req.set_note("已处理");
    v1::Notification out;
    o.status = stub->Acknowledge(&ctx, req, &out);
  } else if (rpc == "ListPlanTasks") {
    v1::ListPlanTasksResponse out;
    o.status = stub->ListPlanTasks(&ctx, v1::ListPlanTasksRequest(), &out);
  } else if (rpc == "GetPlanOverview") {
    v1::PlanOverview out;
    o.status = stub->GetPlanOverview(&ctx, v1::GetPlanOverviewRequest(), &out);
  } else if (rpc == "ReportPlanProgress") {
    // Task 6 is led by fire_rescue, task 2 by the streets, task 7 by planning
    // (config/plan_tasks.textproto).
    v1::ReportPlanProgressRequest req;
    int number = 7;
    if (row.relation == R::kNamed) number = row.caller == C::kStreetOfficer ? 2 : 6;
    req.set_number(number);
    req.set_progress_percent(50);
    v1::PlanTask out;
    o.status = stub->ReportPlanProgress(&ctx, req, &out);
  } else if (rpc == "SetWebhook") {
    v1::SetWebhookRequest req;
    auto* w = req.mutable_webhook();
    w->set_org_unit(UnitOf(row));
    w->set_url("http://127.0.0.1:1/hook");
    w->set_secret("a-webhook-secret-of-some-length");
    w->set_enabled(false);
    v1::Webhook out;
    o.status = stub->SetWebhook(&ctx, req, &out);
  } else if (rpc == "GetWebhook") {
    SeedWebhook(row);
    v1::GetWebhookRequest req;
    req.set_org_unit(UnitOf(row));
    v1::Webhook out;
    o.status = stub->GetWebhook(&ctx, req, &out);
  } else if (rpc == "DeleteWebhook") {
    SeedWebhook(row);
    v1::DeleteWebhookRequest req;
    req.set_org_unit(UnitOf(row));
    v1::DeleteWebhookResponse out;
    o.status = stub->DeleteWebhook(&ctx, req, &out);
  } else if (rpc == "ListDeliveries") {
    SeedWebhook(row);
    v1::ListDeliveriesRequest req;
    req.set_org_unit(UnitOf(row));
    v1::ListDeliveriesResponse out;
    o.status = stub->ListDeliveries(&ctx, req, &out);
  } else if (rpc == "PushEvent") {
    // A raise without a dispatch: it notifies no one, but the call is taken.
    monitoring::v1::AlarmRaised raised;
    raised.mutable_alarm()->set_alarm_id(absl::StrCat("alm_", ++e.next));
    const events::Envelope env = events::NewEnvelope(
        raised, "monitoring", "bld_1", authz_matrix::kHomeCommunity, e.clock.Now(), e.ids);
    v1::PushEventRequest req;
    req.set_envelope(env.SerializeAsString());
    v1::PushEventResponse out;
    o.status = stub->PushEvent(&ctx, req, &out);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(NotifyMatrix, Call) {
  const Row& row = GetParam();
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, NotifyMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

TEST(NotifyMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::NotifyService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::notify
