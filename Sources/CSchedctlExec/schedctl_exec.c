// The Slurm commands a job finds on its PATH (srun, scontrol) are small C programs that become a schedctl
// subcommand: a step's start (or a host list's expansion) costs an exec rather than a Swift runtime's
// loading twice.
#include "schedctl_exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int schedctl_exec(const char *name, const char *subcommand, int argc, char **argv) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "%s: cannot find itself: %s\n", name, strerror(errno));
        return 2;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash) return 2;
    const char *schedctl = "schedctl";
    if ((size_t)(slash - self) + 1 + strlen(schedctl) + 1 > sizeof self) return 2;
    strcpy(slash + 1, schedctl);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return 2;
    args[0] = self;
    args[1] = (char *)subcommand;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    execv(self, args);
    fprintf(stderr, "%s: cannot execute %s: %s\n", name, self, strerror(errno));
    return 127;
}
