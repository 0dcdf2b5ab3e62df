// Makes absl::Mutex, absl::CondVar and absl::Notification visible to ThreadSanitizer in a TSan
// build (FIREGRID_SANITIZE=thread) linked against Debian's uninstrumented abseil.
//
// absl::Mutex tells TSan about its locks only when abseil itself is compiled with TSan; Debian's
// libabsl_synchronization.so is not, so TSan saw no happens-before edge through any absl::Mutex
// and reported every access guarded by one as a race. This file defines the lock and wait
// members of absl::Mutex, CondVar and Notification in the test executable (which the dynamic linker
// prefers to the library's, also for calls from inside abseil and gRPC), each of which calls
// the library's own member (dlsym RTLD_NEXT) between the TSan mutex annotations of
// <sanitizer/tsan_interface.h>, as an instrumented abseil would. Accesses inside the library
// calls (the waits' Condition functions among them) are ignored, as in an instrumented abseil.
//
// Linked into every executable of a TSan build (cmake/FiregridSanitize.cmake).
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define FG_STR2(x) #x
#define FG_STR(x) FG_STR2(x)

// The Itanium mangling of absl::<inline namespace>::<cls>::<member>: "_ZN4absl" + "<len><ns>"
// + "<len><cls>" + "<len><member>E" + the parameters' mangling.
// A const member has "_ZNK".
std::string Mangle(const char* cls, const char* member, const char* params, bool is_const) {
  std::string ns = FG_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  std::string c = cls, m = member;
  return std::string(is_const ? "_ZNK" : "_ZN") + "4absl" + std::to_string(ns.size()) + ns +
         std::to_string(c.size()) + c + std::to_string(m.size()) + m + "E" + params;
}

// The library's definition of a member; aborts (the test fails) when it cannot be found, as a
// silent fallback would hide every lock from TSan again.
template <typename Fn>
Fn Real(const char* cls, const char* member, const char* params, bool is_const = false) {
  std::string name = Mangle(cls, member, params, is_const);
  void* f = dlsym(RTLD_NEXT, name.c_str());
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in abseil\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

// Parameter manglings (with the inline namespace substituted in S_ = absl, S0_ = absl::<ns>).
// Condition const& is "RKNS0_9ConditionE", Duration "NS0_8DurationE", Time "NS0_4TimeE",
// Mutex* (in CondVar) "PNS0_5MutexE".
using Void = void (*)(void*);
using Bool = bool (*)(void*);
using CondVoid = void (*)(void*, const absl::Condition&);
using CondDur = bool (*)(void*, const absl::Condition&, absl::Duration);
using CondTime = bool (*)(void*, const absl::Condition&, absl::Time);
using CvVoid = void (*)(void*, absl::Mutex*);
using CvDur = bool (*)(void*, absl::Mutex*, absl::Duration);
using CvTime = bool (*)(void*, absl::Mutex*, absl::Time);
using ConstVoid = void (*)(const void*);
using ConstDur = bool (*)(const void*, absl::Duration);
using ConstTime = bool (*)(const void*, absl::Time);

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;
constexpr unsigned kTryFailed = __tsan_mutex_try_lock_failed;

// The library calls its own members too (AwaitWithTimeout calls AwaitWithDeadline,
// Notification::Notify locks its Mutex); the outermost call's annotations cover those.
thread_local int depth = 0;

// Runs `call` (which calls the library's member) with TSan told `before()` and `after(result)`,
// unless this thread is already inside an interposed member.
template <typename Before, typename Call, typename After>
auto Annotated(Before before, Call call, After after) {
  if (depth > 0) return call();
  before();
  ++depth;
  auto result = call();
  --depth;
  after(result);
  return result;
}

// A lock: `flags` as for __tsan_mutex_pre_lock; `try_lock` when `call` may fail (returns false).
template <typename Call>
auto Locking(void* m, unsigned flags, Call call) {
  return Annotated([&] { __tsan_mutex_pre_lock(m, flags); }, call,
                   [&](auto ok) {
                     bool failed = (flags & kTry) != 0 && !static_cast<bool>(ok);
                     __tsan_mutex_post_lock(m, failed ? flags | kTryFailed : flags, 0);
                   });
}

template <typename Call>
void Unlocking(void* m, unsigned flags, Call call) {
  Annotated([&] { __tsan_mutex_pre_unlock(m, flags); }, call,
            [&](int) { __tsan_mutex_post_unlock(m, flags); });
}

// The waits that release the mutex and take it again inside the library (Await,
// CondVar::Wait): a release before, an acquisition after; the wait itself (and the Condition
// functions it evaluates) is ignored as between the halves of an unlock.
template <typename Call>
auto ReleasedDuring(void* m, Call call) {
  return Annotated([&] { __tsan_mutex_pre_unlock(m, 0); }, call,
                   [&](auto) {
                     __tsan_mutex_post_unlock(m, 0);
                     __tsan_mutex_pre_lock(m, 0);
                     __tsan_mutex_post_lock(m, 0, 0);
                   });
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

#define FG_REAL(type, cls, member, params) static const auto real = Real<type>(cls, member, params)

void Mutex::Lock() {
  FG_REAL(Void, "Mutex", "Lock", "v");
  Locking(this, 0, [&] { return real(this), 0; });
}

void Mutex::Unlock() {
  FG_REAL(Void, "Mutex", "Unlock", "v");
  Unlocking(this, 0, [&] { return real(this), 0; });
}

bool Mutex::TryLock() {
  FG_REAL(Bool, "Mutex", "TryLock", "v");
  return Locking(this, kTry, [&] { return real(this); });
}

void Mutex::ReaderLock() {
  FG_REAL(Void, "Mutex", "ReaderLock", "v");
  Locking(this, kRead, [&] { return real(this), 0; });
}

void Mutex::ReaderUnlock() {
  FG_REAL(Void, "Mutex", "ReaderUnlock", "v");
  Unlocking(this, kRead, [&] { return real(this), 0; });
}

bool Mutex::ReaderTryLock() {
  FG_REAL(Bool, "Mutex", "ReaderTryLock", "v");
  return Locking(this, kRead | kTry, [&] { return real(this); });
}

// The Condition functions the lock-when members evaluate run between the halves of the lock.
void Mutex::LockWhen(const Condition& cond) {
  FG_REAL(CondVoid, "Mutex", "LockWhen", "RKNS0_9ConditionE");
  Locking(this, 0, [&] { return real(this, cond), 0; });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  FG_REAL(CondVoid, "Mutex", "ReaderLockWhen", "RKNS0_9ConditionE");
  Locking(this, kRead, [&] { return real(this, cond), 0; });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  FG_REAL(CondDur, "Mutex", "LockWhenWithTimeout", "RKNS0_9ConditionENS0_8DurationE");
  return Locking(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  FG_REAL(CondTime, "Mutex", "LockWhenWithDeadline", "RKNS0_9ConditionENS0_4TimeE");
  return Locking(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  FG_REAL(CondDur, "Mutex", "ReaderLockWhenWithTimeout", "RKNS0_9ConditionENS0_8DurationE");
  return Locking(this, kRead, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  FG_REAL(CondTime, "Mutex", "ReaderLockWhenWithDeadline", "RKNS0_9ConditionENS0_4TimeE");
  return Locking(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  FG_REAL(CondVoid, "Mutex", "Await", "RKNS0_9ConditionE");
  ReleasedDuring(this, [&] { return real(this, cond), 0; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  FG_REAL(CondDur, "Mutex", "AwaitWithTimeout", "RKNS0_9ConditionENS0_8DurationE");
  return ReleasedDuring(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  FG_REAL(CondTime, "Mutex", "AwaitWithDeadline", "RKNS0_9ConditionENS0_4TimeE");
  return ReleasedDuring(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  FG_REAL(CvVoid, "CondVar", "Wait", "PNS0_5MutexE");
  ReleasedDuring(mu, [&] { return real(this, mu), 0; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  FG_REAL(CvDur, "CondVar", "WaitWithTimeout", "PNS0_5MutexENS0_8DurationE");
  return ReleasedDuring(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  FG_REAL(CvTime, "CondVar", "WaitWithDeadline", "PNS0_5MutexENS0_4TimeE");
  return ReleasedDuring(mu, [&] { return real(this, mu, deadline); });
}

// Notification: a waiter that finds it notified returns without taking its mutex (an atomic
// flag the library reads uninstrumented), so Notify releases and a successful wait acquires on
// the notification itself. (HasBeenNotified() is inline and stays invisible: its true result
// orders nothing for TSan.)
void Notification::Notify() {
  static const auto real = Real<Void>("Notification", "Notify", "v");
  Annotated([&] { __tsan_release(this); }, [&] { return real(this), 0; }, [](int) {});
}

void Notification::WaitForNotification() const {
  static const auto real = Real<ConstVoid>("Notification", "WaitForNotification", "v", true);
  auto* self = const_cast<Notification*>(this);
  Annotated([] {}, [&] { return real(this), 0; }, [&](int) { __tsan_acquire(self); });
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  static const auto real =
      Real<ConstDur>("Notification", "WaitForNotificationWithTimeout", "NS0_8DurationE", true);
  auto* self = const_cast<Notification*>(this);
  return Annotated([] {}, [&] { return real(this, timeout); },
                   [&](bool notified) {
                     if (notified) __tsan_acquire(self);
                   });
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  static const auto real =
      Real<ConstTime>("Notification", "WaitForNotificationWithDeadline", "NS0_4TimeE", true);
  auto* self = const_cast<Notification*>(this);
  return Annotated([] {}, [&] { return real(this, deadline); },
                   [&](bool notified) {
                     if (notified) __tsan_acquire(self);
                   });
}

#undef FG_REAL

ABSL_NAMESPACE_END
}  // namespace absl
