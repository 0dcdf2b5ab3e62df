#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "firegrid/notify/v1/notify.pb.h"

namespace firegrid::notify {


// Recipients: "org:<org unit code>" and "person:<subject>".
inline std::string OrgRecipient(const std::string& code) { return "org:" + code; }
inline std::string PersonRecipient(const std::string& subject) { return "person:" + subject; }

// Each recipient's inbox is a Redis stream "<prefix>:inbox:<recipient>" whose entries hold the
// serialized Notification (without cursor and inbox state) in field "n". The entry id is the
// notification's cursor.
inline std::string InboxStreamKey(const std::string& prefix, const std::string& recipient) {
  return prefix + ":inbox:" + recipient;
}
inline constexpr char kNotificationField[] = "n";

// The feed: one stream "<prefix>:feed" with an entry per delivery, written in the same atomic
// write as the inbox entries, whose field "r" lists the recipients written to (one per line).
// Each replica's FanoutHub (fanout.h) reads it to learn which inboxes grew. Capped at about
// kFeedMaxLen entries (it is a wake-up signal; the inboxes hold the notifications).
inline std::string FeedStreamKey(const std::string& prefix) { return prefix + ":feed"; }
inline constexpr char kFeedRecipientsField[] = "r";
inline constexpr int kFeedMaxLen = 100000;

// Delivers one notification to each recipient, once per `once_key` (a repeated call with the
// same key changes nothing and returns ALREADY_EXISTS). The template's recipient,
// notification_id and cursor are filled in per recipient.
class Notifier {
 public:
  // One notification for its recipients, under its once key (as Notify takes them).
  struct Delivery {
    const std::vector<std::string>* recipients;
    const v1::Notification* notification;
    std::string once_key;
  };

  virtual ~Notifier() = default;
  virtual absl::Status Notify(const std::vector<std::string>& recipients,
                              const v1::Notification& notification,
                              const std::string& once_key) = 0;
  // Several deliveries, each once per its key: for each, whether it was delivered now (false:
  // its key was used before). This default makes one Notify call per delivery; a notifier that
  // can write them together overrides it.
  virtual absl::StatusOr<std::vector<bool>> NotifyEach(const std::vector<Delivery>& deliveries);
};

}  // namespace firegrid::notify
