#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"
#include "services/notify/inbox_keys.h"

namespace firegrid::notify {

struct InboxPos;  // inbox.cc

// One entry of the feed (inbox_keys.h): the recipients one delivery wrote to.
struct FeedEntry {
  std::string id;
  std::vector<std::string> recipients;
};

struct InboxOptions {
  // A notification that requires acknowledgement and is not acknowledged this long after it was
  // delivered is re-notified once, to the next tier up.
  absl::Duration ack_timeout = absl::Hours(4);
  // The same for an urgent notification (PRIORITY_URGENT: a fire alarm), which cannot wait
  // hours (`--urgent-ack-timeout`).
  absl::Duration urgent_ack_timeout = absl::Minutes(3);
  // Retention (Trim): a notification is dropped only when it is read, is not an unacknowledged
  // task (requires_ack and not acknowledged), and is older than `retention` or beyond the newest
  // `max_per_recipient` of its inbox. Unread notifications and unacknowledged tasks are kept
  // however old or many (`--inbox-retention`, `--inbox-max-per-recipient`).
  absl::Duration retention = absl::Hours(24 * 90);
  int max_per_recipient = 10000;
  // Inbox entries one List call examines at most (a page can then be short, with a token to go
  // on; never empty and tokenless while more remain).
  int list_scan_budget = 2000;
  // Called after a Notify (or re-notification) put `recipients` copies of a notification into
  // inboxes (not for a redelivered event); e.g. for metrics.
  std::function<void(const v1::Notification&, int recipients)> on_notified;
};

// Inboxes in Redis. Keys under a prefix (default "fg:notify"):
//   <p>:inbox:<recipient>   stream of notifications (see inbox_keys.h); entry id = cursor
//   <p>:n:<id>              hash {data, recipient, tier, read, ack, ack_at, ack_by, ack_note}
//   <p>:unread:<recipient>  sorted set of unread ids by creation time (ms)
//   <p>:timers, <p>:timer:<id>   re-notification timers (sorted set by due ms; the key exists
//                           until consumed)
//   <p>:once:<key>          delivery idempotency marks
//   <p>:recipients          set of the recipients that have an inbox (for Trim)
// Delivery of one notification to all its recipients is one atomic write guarded by its once
// key, so a redelivered event yields each recipient's notification once.
// An acknowledgement note: at most kMaxAckNoteBytes of valid UTF-8 without control characters
// other than line breaks and tabs. INVALID_ARGUMENT "<field>: ..." otherwise.
inline constexpr size_t kMaxAckNoteBytes = 1000;
absl::Status ValidateAckNote(absl::string_view note, absl::string_view field = "note");

class Inbox final : public Notifier {
 public:
  Inbox(redis::Pool* pool, std::string prefix, Clock* clock, IdGenerator* ids,
        InboxOptions options = {});

  absl::Status Notify(const std::vector<std::string>& recipients,
                      const v1::Notification& notification, const std::string& once_key) override;
  // Several deliveries (e.g. the plans of one event) in one atomic write with one feed entry,
  // each still once per its key: when any key was used before, they go one by one through
  // Notify. A delivery without recipients is not written and counts as delivered, as in Notify.
  absl::StatusOr<std::vector<bool>> NotifyEach(const std::vector<Delivery>& deliveries) override;

  // The recipient's notifications after `cursor` ("" = from the start), oldest first.
  absl::StatusOr<std::vector<v1::Notification>> ReadAfter(const std::string& recipient,
                                                          const std::string& cursor, int count);
  // The cursor of the recipient's newest notification ("" when the inbox is empty).
  absl::StatusOr<std::string> LastCursor(const std::string& recipient);
  // Blocks on `connection` up to `timeout` for notifications after the given cursors (recipient
  // → cursor; "" = from the start); returns what arrived (possibly nothing), oldest first per
  // recipient.
  absl::StatusOr<std::vector<v1::Notification>> WaitAfter(
      redis::Pool::Dedicated& connection, const std::map<std::string, std::string>& cursors,
      absl::Duration timeout);

  // The feed (inbox_keys.h): the id of its newest entry ("0-0" when empty), and its entries
  // after `after`, blocking on `connection` up to `timeout` for one.
  absl::StatusOr<std::string> LastFeedId();
  absl::StatusOr<std::vector<FeedEntry>> WaitFeed(redis::Pool::Dedicated& connection,
                                                  const std::string& after, absl::Duration timeout);

  // A notification with its inbox state. NOT_FOUND when unknown.
  absl::StatusOr<v1::Notification> Get(const std::string& notification_id);
  absl::StatusOr<v1::Notification> MarkRead(const std::string& notification_id);
  // Acknowledges (and reads) the notification with `note` (ValidateAckNote); a second
  // acknowledgement changes nothing.
  absl::StatusOr<v1::Notification> Acknowledge(const std::string& notification_id,
                                               const std::string& subject,
                                               const std::string& note = "");

  // All of the recipients' notifications, page by page: first the unread ones, newest first,
  // then (unless unread_only) the read ones, newest first; several recipients merged by inbox
  // position. The page token is a cursor into that order (opaque, bound to the recipients and
  // unread_only), not an offset: notifications arriving meanwhile do not shift later pages (they
  // come through Subscribe), and one marked read while paging may show up again among the read.
  // A call examines at most list_scan_budget inbox entries, so a page may be short (with a token)
  // when unread ones are few among many read.
  absl::StatusOr<v1::ListInboxResponse> List(const std::vector<std::string>& recipients,
                                             bool unread_only, int page_size,
                                             const std::string& page_token);

  // Drops what retention allows (InboxOptions) from every inbox, oldest first, examining at most
  // `scan_limit` entries per inbox. Safe on every replica. Returns how many it dropped.
  absl::StatusOr<int> Trim(int scan_limit = 1000);

  // Re-notifies, once, the next tier up for every unacknowledged task whose acknowledgement
  // time ran out. Safe on every replica. Returns how many re-notifications this call made.
  absl::StatusOr<int> FireRenotifications(int limit = 100);

  // Cursors are Redis stream ids: "<ms>-<seq>".
  static bool IsCursor(const std::string& s);

 private:
  std::string Key(const std::string& kind, const std::string& id) const {
    return prefix_ + ":" + kind + ":" + id;
  }
  // The commands that put a notification from `tmpl` into each recipient's inbox.
  void AddDelivery(const std::vector<std::string>& recipients, const v1::Notification& tmpl,
                   absl::Time now, redis::AtomicWrite* w);
  // The feed entry (inbox_keys.h) naming the inboxes a write grows.
  void AddFeedEntry(const std::vector<std::string>& recipients, redis::AtomicWrite* w);
  absl::StatusOr<v1::Notification> Decode(const std::string& bytes, const std::string& cursor);
  // Decodes stream entries ([id, [field, value, ...]] each) into `out`.
  absl::Status AppendEntries(const redis::Reply& entries, std::vector<v1::Notification>* out);
  // Appends to `out` the recipients' entries below `after` (all when unset) whose read state is
  // !unread, in listing order, until `out` holds `want`, the budget of examined entries runs
  // out, or the entries do (then true). `after` ends at the last entry examined.
  absl::StatusOr<bool> ScanPhase(const std::vector<std::string>& recipients, bool unread,
                                 std::optional<InboxPos>* after, int want, int* budget,
                                 std::vector<std::pair<InboxPos, v1::Notification>>* out);
  // Fills read / acknowledged state from the notifications' hashes.
  absl::Status FillState(std::vector<v1::Notification>* notifications);
  absl::Status TrimRecipient(const std::string& recipient, absl::Time now, int scan_limit,
                             int* dropped);

  redis::Pool* pool_;
  std::string prefix_;
  Clock* clock_;
  IdGenerator* ids_;
  InboxOptions options_;
};

}  // namespace firegrid::notify
