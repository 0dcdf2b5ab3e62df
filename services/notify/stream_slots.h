#pragma once

// Caps on live Subscribe streams. A stream holds no thread or Redis connection of its own (the
// fan-out hub serves them all, fanout.h), but memory and a share of the replica's writes, so
// their number is bounded per principal (one user cannot take a replica's streams) and per
// replica (what one process can hold). A stream beyond either cap is refused
// with RESOURCE_EXHAUSTED; its slot is given back when the stream ends, however it ends.

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace firegrid::notify {

struct StreamLimits {
  // Open streams of one principal (token subject) on one replica (`--max-streams-per-principal`).
  // A person has a phone, a desktop and a few tabs; a department system one or two.
  int per_principal = 8;
  // Open streams on one replica, all principals (`--max-streams`).
  int per_replica = 20000;
};

// Thread-safe.
class StreamSlots {
 public:
  explicit StreamSlots(StreamLimits limits) : limits_(limits) {}
  StreamSlots(const StreamSlots&) = delete;
  StreamSlots& operator=(const StreamSlots&) = delete;

  // An open stream's place; gives it back when destroyed. Movable.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_), principal_(std::move(other.principal_)) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { Release(); }

   private:
    friend class StreamSlots;
    Slot(StreamSlots* owner, std::string principal)
        : owner_(owner), principal_(std::move(principal)) {}
    void Release();
    StreamSlots* owner_ = nullptr;
    std::string principal_;
  };

  // A slot for one more stream of `principal`; RESOURCE_EXHAUSTED (saying which cap) when the
  // principal or the replica is at its cap.
  absl::StatusOr<Slot> Acquire(const std::string& principal);

  int open() const;
  int open_for(const std::string& principal) const;

 private:
  void Release(const std::string& principal);

  const StreamLimits limits_;
  mutable absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> by_principal_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::notify
