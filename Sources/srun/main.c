// srun [OPTIONS] [--] COMMAND [ARGS...]
//
// Slurm's step launcher, as jobs find it on their PATH (the agent puts this directory first): it is
// `schedctl run`, the `schedctl` beside this program, which starts a step in the job it runs in
// (RASPORED_JOB_ID, with the job's credential RASPORED_JOB_TOKEN) and exits with the step's status.
// A C program, so a step's start costs an exec rather than a Swift runtime's loading.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "srun: cannot find itself: %s\n", strerror(errno));
        return 2;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash) return 2;
    const char *name = "schedctl";
    if ((size_t)(slash - self) + 1 + strlen(name) + 1 > sizeof self) return 2;
    strcpy(slash + 1, name);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return 2;
    args[0] = self;
    args[1] = "run";
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    execv(self, args);
    fprintf(stderr, "srun: cannot execute %s: %s\n", self, strerror(errno));
    return 127;
}
