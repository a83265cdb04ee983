// Linux interfaces that Swift's Glibc module does not export, and fixed-arity wrappers for the
// variadic C calls Swift cannot call. Nothing here has logic beyond a single syscall.
#ifndef CLINUX_H
#define CLINUX_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

static inline int clinux_errno(void) { return errno; }

// accept4 is a GNU extension the Glibc module hides; defined in clinux.c under _GNU_SOURCE.
int clinux_accept4(int fd, int flags);

static inline int clinux_open_readonly(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

// Relative to a directory descriptor: a cgroup walk opens and stats below one open directory
// instead of resolving the whole path from / each time.
static inline int clinux_open_readonly_at(int dirfd, const char *path) {
    return openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}
static inline int clinux_open_directory_at(int dirfd, const char *path) {
    return openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
}

// getdents64 is declared only under _GNU_SOURCE; defined in clinux.c. Fills buf with
// struct linux_dirent64 records (d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name).
long clinux_getdents64(int fd, void *buf, unsigned long count);

static inline int clinux_fcntl_getfl(int fd) { return fcntl(fd, F_GETFL); }
static inline int clinux_fcntl_setfl(int fd, int flags) { return fcntl(fd, F_SETFL, flags); }
static inline int clinux_fcntl_getfd(int fd) { return fcntl(fd, F_GETFD); }
static inline int clinux_fcntl_setfd(int fd, int flags) { return fcntl(fd, F_SETFD, flags); }

// Constants that import awkwardly (enums, macros built from other macros).
static const uint32_t CLINUX_EPOLLIN = EPOLLIN;
static const uint32_t CLINUX_EPOLLOUT = EPOLLOUT;
static const uint32_t CLINUX_EPOLLERR = EPOLLERR;
static const uint32_t CLINUX_EPOLLHUP = EPOLLHUP;
static const uint32_t CLINUX_EPOLLRDHUP = EPOLLRDHUP;
static const int CLINUX_SOCK_STREAM = SOCK_STREAM;
static const int CLINUX_SOCK_DGRAM = SOCK_DGRAM;
static const int CLINUX_SOCK_RAW = SOCK_RAW;
static const int CLINUX_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CLINUX_SOCK_CLOEXEC = SOCK_CLOEXEC;
static const int CLINUX_MSG_NOSIGNAL = MSG_NOSIGNAL;
static const int CLINUX_MSG_DONTWAIT = MSG_DONTWAIT;
static const int CLINUX_TFD_NONBLOCK = TFD_NONBLOCK;
static const int CLINUX_TFD_CLOEXEC = TFD_CLOEXEC;
static const int CLINUX_SFD_NONBLOCK = SFD_NONBLOCK;
static const int CLINUX_SFD_CLOEXEC = SFD_CLOEXEC;
static const int CLINUX_EPOLL_CLOEXEC = EPOLL_CLOEXEC;

#endif
