// Pseudo-terminals for interactive steps (`schedctl run --pty`): the agent holds the master and pumps it to
// the step's stream; the step's process gets the slave as its standard input, output and error.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "CAgentShims.h"

int raspored_set_window_size(int fd, unsigned short rows, unsigned short cols) {
    struct winsize size = {.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
    return ioctl(fd, TIOCSWINSZ, &size);
}

int raspored_open_pty(int *master, int *slave, unsigned short rows, unsigned short cols) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    char name[128];
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, sizeof name) != 0) {
        int e = errno;
        close(m);
        errno = e;
        return -1;
    }
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) {
        int e = errno;
        close(m);
        errno = e;
        return -1;
    }
    if (rows && cols) raspored_set_window_size(m, rows, cols);
    *master = m;
    *slave = s;
    return 0;
}
