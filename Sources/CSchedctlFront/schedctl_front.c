// Before schedctl's Swift runtime starts: a `schedctl submit` is handed to this user's schedctl server when
// one is up and free, and this process ends with the server's answer, having loaded nothing but this code.
// Otherwise (or with RASPORED_SCHEDCTL_SERVER=off, or a command line naming this process's own /dev/fd or
// /proc) it returns and main runs the command itself; when there was no server, main then starts one for
// the next command (Sources/schedctl/main.swift).
#define _GNU_SOURCE
#include "schedctl_front.h"

#include "schedctl_handoff.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((constructor(101))) static void schedctl_front(int argc, char **argv, char **envp) {
    if (argc < 2 || strcmp(argv[1], "submit") != 0 || !envp) return;
    const char *mode = getenv("RASPORED_SCHEDCTL_SERVER");
    if (mode && strcmp(mode, "off") == 0) return;
    int only = mode && strcmp(mode, "only") == 0;
    char path[SCHEDCTL_HANDOFF_MAX_PATH];
    char folder[PATH_MAX];
    int outcome = SCHEDCTL_HANDOFF_HERE;
    int32_t status = 0;
    if (!schedctl_handoff_names_this_process(argc, argv) &&
        schedctl_handoff_path(path, sizeof path, folder, sizeof folder) == 0) {
        // A folder that is missing is the server's to make; one that is not private is never used.
        struct stat st;
        if (schedctl_handoff_folder_is_private(folder))
            outcome = schedctl_handoff_run(path, argc, argv, envp, &status);
        else if (lstat(folder, &st) != 0 && errno == ENOENT)
            outcome = SCHEDCTL_HANDOFF_START;
    }
    switch (outcome) {
    case SCHEDCTL_HANDOFF_RAN:
        _exit(status);
    case SCHEDCTL_HANDOFF_LOST:
        fprintf(stderr, "schedctl: error: the schedctl server ended before it answered: the job may or may not "
                        "have been submitted (schedctl queue shows which)\n");
        _exit(3);
    }
    if (only) {
        fprintf(stderr, "schedctl: error: no schedctl server took the command (RASPORED_SCHEDCTL_SERVER=only)\n");
        _exit(2);
    }
    if (outcome == SCHEDCTL_HANDOFF_START) schedctl_handoff_set_server_wanted(1);
}
