#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/notify/inbox_keys.h"

namespace firegrid::notify {

struct InboxOptions {
  // A notification that requires acknowledgement and is not acknowledged this long after it was
  // delivered is re-notified once, to the next tier up.
  absl::Duration ack_timeout = absl::Hours(4);
  // Newest notifications kept per recipient (older ones are trimmed from the stream).
  int max_per_recipient = 10000;
  // ListInbox looks at this many of the newest notifications per recipient.
  int list_window = 500;
};

// Inboxes in Redis. Keys under a prefix (default "fg:notify"):
//   <p>:inbox:<recipient>   stream of notifications (see inbox_keys.h); entry id = cursor
//   <p>:n:<id>              hash {data, recipient, tier, read, ack, ack_at, ack_by}
//   <p>:unread:<recipient>  sorted set of unread ids by creation time (ms)
//   <p>:timers, <p>:timer:<id>   re-notification timers (sorted set by due ms; the key exists
//                           until consumed)
//   <p>:once:<key>          delivery idempotency marks
// Delivery of one notification to all its recipients is one atomic write guarded by its once
// key, so a redelivered event yields each recipient's notification once.
class Inbox final : public Notifier {
 public:
  Inbox(redis::Pool* pool, std::string prefix, Clock* clock, IdGenerator* ids,
        InboxOptions options = {});

  absl::Status Notify(const std::vector<std::string>& recipients,
                      const v1::Notification& notification, const std::string& once_key) override;

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

  // A notification with its inbox state. NOT_FOUND when unknown.
  absl::StatusOr<v1::Notification> Get(const std::string& notification_id);
  absl::StatusOr<v1::Notification> MarkRead(const std::string& notification_id);
  absl::StatusOr<v1::Notification> Acknowledge(const std::string& notification_id,
                                               const std::string& subject);

  // Unread first (newest first), then read (newest first), within the newest `list_window` per
  // recipient. `page_token` is an offset into that order.
  absl::StatusOr<v1::ListInboxResponse> List(const std::vector<std::string>& recipients,
                                             bool unread_only, int page_size,
                                             const std::string& page_token);

  // Re-notifies, once, the next tier up for every unacknowledged task whose acknowledgement
  // time ran out. Safe on every replica. Returns how many re-notifications this call made.
  absl::StatusOr<int> FireRenotifications(int limit = 100);

  // Cursors are Redis stream ids: "<ms>-<seq>".
  static bool IsCursor(const std::string& s);

 private:
  std::string Key(const std::string& kind, const std::string& id) const {
    return prefix_ + ":" + kind + ":" + id;
  }
  absl::StatusOr<v1::Notification> Decode(const std::string& bytes, const std::string& cursor);
  // Decodes stream entries ([id, [field, value, ...]] each) into `out`.
  absl::Status AppendEntries(const redis::Reply& entries, std::vector<v1::Notification>* out);

  redis::Pool* pool_;
  std::string prefix_;
  Clock* clock_;
  IdGenerator* ids_;
  InboxOptions options_;
};

}  // namespace firegrid::notify
