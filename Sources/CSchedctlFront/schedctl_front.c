// Before schedctl's Swift runtime starts: a `schedctl submit` is handed to this user's schedctl server when
// one is up, and this process ends with the server's answer, having loaded nothing but this code. Without
// a server (or with RASPORED_SCHEDCTL_SERVER=off) it returns and main runs the command itself, and then
// starts a server for the next one (Sources/schedctl/main.swift).
#define _GNU_SOURCE
#include "schedctl_front.h"

#include "schedctl_handoff.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor(101))) static void schedctl_front(int argc, char **argv, char **envp) {
    if (argc < 2 || strcmp(argv[1], "submit") != 0 || !envp) return;
    const char *mode = getenv("RASPORED_SCHEDCTL_SERVER");
    if (mode && strcmp(mode, "off") == 0) return;
    int only = mode && strcmp(mode, "only") == 0;
    char path[SCHEDCTL_HANDOFF_MAX_PATH];
    char folder[PATH_MAX];
    uint64_t identity[5];
    int fd = -1;
    if (schedctl_handoff_path(path, sizeof path, folder, sizeof folder) == 0 &&
        schedctl_handoff_folder_is_private(folder) && schedctl_handoff_identity(identity) == 0)
        fd = schedctl_handoff_connect(path);
    // No time limit on the answer: a server takes one command at a time, and giving up on one that has
    // the message could run the command twice (here, and there once it gets to it).
    char answer = 0;
    if (fd >= 0 && (schedctl_handoff_send(fd, identity, argc, argv, envp) != 0 ||
                    schedctl_handoff_read_all(fd, &answer, 1, INT_MAX) != 0))
        answer = 0;
    if (answer == 'Y') {
        int32_t status;
        // The command runs as long as it needs (a controller's answer is bounded by schedctl's own timeouts).
        if (schedctl_handoff_read_all(fd, &status, sizeof status, INT_MAX) == 0) _exit(status);
        fprintf(stderr,
                "schedctl: error: the schedctl server ended before it answered: the job may or may not have "
                "been submitted (schedctl queue shows which)\n");
        _exit(3);
    }
    if (fd >= 0) close(fd);
    if (only) {
        fprintf(stderr, "schedctl: error: no schedctl server took the command (RASPORED_SCHEDCTL_SERVER=only)\n");
        _exit(2);
    }
    schedctl_handoff_set_server_wanted(1);
}
