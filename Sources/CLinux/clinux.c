#define _GNU_SOURCE
#include <sys/socket.h>
#include "clinux.h"

int clinux_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }
