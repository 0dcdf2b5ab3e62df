// An LD_PRELOAD library for the e2e tests: shifts the wall clock of a real binary forward by an
// offset that a test changes at run time, so that deadlines, escalations and re-notifications
// can be proven on the real services without a test-only flag in them (tests/support/
// fake_time.h starts processes with it).
//
// Only the wall clock is shifted: clock_gettime(CLOCK_REALTIME[_COARSE]), gettimeofday() and
// time(). Every other clock, and glibc-internal reads such as timespec_get(), keep the real
// time. That is deliberate and is why this is not libfaketime: librdkafka computes its timed
// waits with timespec_get() and waits with cnd_timedwait() inside glibc; libfaketime shifts the
// former but cannot reach the latter, so under it librdkafka's heartbeats stall and consumers
// drop out of their group.
//
// FIREGRID_WALLCLOCK_OFFSET_FILE names a file holding the offset in whole seconds (replaced by
// rename, so a read never sees half of it), read on every wall-clock read. No allocation and no
// dlsym: the real clocks are read with the raw system call, so the library is safe to load into any
// process (redis-server's allocator reads the clock while it initialises).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int RawClock(clockid_t clk, struct timespec* ts) {
  return (int)syscall(SYS_clock_gettime, clk, ts);
}

// Read on every call: an Advance() is seen by the very next clock read of every process, so a
// token minted for the new time is never judged by the old one.
static int64_t Offset(void) {
  const char* path = getenv("FIREGRID_WALLCLOCK_OFFSET_FILE");
  if (path == NULL) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  int64_t v = 0;
  int neg = 0;
  const char* p = buf;
  if (*p == '-' || *p == '+') neg = (*p++ == '-');
  for (; *p >= '0' && *p <= '9'; ++p) v = v * 10 + (*p - '0');
  return neg ? -v : v;
}

int clock_gettime(clockid_t clk, struct timespec* ts) {
  int rc = RawClock(clk, ts);
  if (rc == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE)) ts->tv_sec += Offset();
  return rc;
}

// glibc declares `tv` non-null.
int gettimeofday(struct timeval* tv, void* tz) {
  (void)tz;
  struct timespec ts;
  int rc = RawClock(CLOCK_REALTIME, &ts);
  if (rc == 0) {
    tv->tv_sec = ts.tv_sec + Offset();
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

time_t time(time_t* out) {
  struct timespec ts;
  RawClock(CLOCK_REALTIME, &ts);
  time_t t = ts.tv_sec + Offset();
  if (out != NULL) *out = t;
  return t;
}
