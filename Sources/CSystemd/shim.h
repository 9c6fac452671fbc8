// sd_notify, sd_watchdog_enabled, sd_listen_fds*, sd_is_socket. sd_notifyf is variadic and
// cannot be called from Swift: format the state string in Swift and call sd_notify.
#include <systemd/sd-daemon.h>
