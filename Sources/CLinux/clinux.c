#define _GNU_SOURCE
#include <dirent.h>
#include <sys/socket.h>
#include "clinux.h"

int clinux_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

long clinux_getdents64(int fd, void *buf, unsigned long count) { return (long)getdents64(fd, buf, count); }
