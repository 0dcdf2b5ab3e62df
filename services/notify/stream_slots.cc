#include "services/notify/stream_slots.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace firegrid::notify {

StreamSlots::Slot& StreamSlots::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    principal_ = std::move(other.principal_);
    other.owner_ = nullptr;
  }
  return *this;
}

void StreamSlots::Slot::Release() {
  if (owner_ != nullptr) owner_->Release(principal_);
  owner_ = nullptr;
}

absl::StatusOr<StreamSlots::Slot> StreamSlots::Acquire(const std::string& principal) {
  absl::MutexLock lock(&mu_);
  if (open_ >= limits_.per_replica) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this replica serves its maximum of ", limits_.per_replica,
                     " notification streams; retry later or on another replica"));
  }
  auto it = by_principal_.find(principal);
  if (it != by_principal_.end() && it->second >= limits_.per_principal) {
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", limits_.per_principal,
                     " notification streams per user at once; close one first"));
  }
  ++by_principal_[principal];
  ++open_;
  return Slot(this, principal);
}

void StreamSlots::Release(const std::string& principal) {
  absl::MutexLock lock(&mu_);
  --open_;
  auto it = by_principal_.find(principal);
  if (it != by_principal_.end() && --it->second <= 0) by_principal_.erase(it);
}

int StreamSlots::open() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

int StreamSlots::open_for(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto it = by_principal_.find(principal);
  return it == by_principal_.end() ? 0 : it->second;
}

}  // namespace firegrid::notify
