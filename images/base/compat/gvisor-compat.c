/*
 * Preloaded into every process of a Paddock sandbox (/etc/ld.so.preload): works around two bugs
 * of older gVisor releases (Debian's runsc 2022 among them). On a kernel without those bugs each
 * wrapper does exactly what the plain call does.
 *
 * statx: gVisor refuses AT_NO_AUTOMOUNT as EINVAL, and coreutils passes that flag on every call,
 *   so under the gvisor tier `ls -l`, `stat`, `cp -a` failed on every file. The flag only says
 *   "do not trigger an automount" and a sandbox has no automount points: when it is refused, the
 *   call is retried without it.
 *
 * poll: gVisor writes POLLERR|POLLHUP back into each pollfd's `events` (Linux only ever writes
 *   `revents`). libevent drops an fd from its poll set when the fd's `events` become empty, so
 *   an fd it had closed stayed in the set and poll answered POLLNVAL at once, forever: every
 *   tmux server (which makes libevent use poll) spun a whole CPU from its first client's exit.
 *   The wrapper puts back the `events` the caller asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf) {
  long r = syscall(SYS_statx, dirfd, path, flags, mask, buf);
  if (r < 0 && errno == EINVAL && (flags & AT_NO_AUTOMOUNT)) {
    r = syscall(SYS_statx, dirfd, path, flags & ~AT_NO_AUTOMOUNT, mask, buf);
  }
  return (int)r;
}

#define STACK_FDS 256

/* ppoll with the caller's `events` restored afterwards; timeout NULL = wait forever. */
static int ppoll_keeping_events(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *sigmask) {
  short stack[STACK_FDS];
  short *saved = n <= STACK_FDS ? stack : malloc(n * sizeof(short));
  if (saved) for (nfds_t i = 0; i < n; i++) saved[i] = fds[i].events;
  long r = syscall(SYS_ppoll, fds, n, timeout, sigmask, sigmask ? _NSIG / 8 : 0);
  if (saved) {
    int e = errno;
    for (nfds_t i = 0; i < n; i++) fds[i].events = saved[i];
    if (saved != stack) free(saved);
    errno = e;
  }
  return (int)r;
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
  struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
  return ppoll_keeping_events(fds, n, timeout_ms < 0 ? NULL : &ts, NULL);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *sigmask) {
  /* the kernel may write the time left back: give it a copy, as glibc does */
  struct timespec ts;
  if (timeout) ts = *timeout;
  return ppoll_keeping_events(fds, n, timeout ? &ts : NULL, sigmask);
}

/* _FORTIFY_SOURCE builds (Debian's tmux and libevent) call these instead. */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen) {
  (void)fdslen;
  return poll(fds, n, timeout_ms);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *sigmask, size_t fdslen) {
  (void)fdslen;
  return ppoll(fds, n, timeout, sigmask);
}
