// sd-daemon: sd_notify, sd_watchdog_enabled, sd_listen_fds. sd_notifyf is variadic and
// unavailable to Swift: the daemon formats its messages itself and calls sd_notify.
#include <systemd/sd-daemon.h>
