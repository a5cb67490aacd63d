// raspored-exec [--status-file FILE] [--cgroup PROCS_FILE]... [--cpus LIST] [--mems LIST]
//               [--uid N --gid N [--groups N,N,...]] [--chdir DIR] [--output FILE] [--error FILE] [--ctty]
//               [--truncate yes] -- COMMAND [ARGS...]
//
// The shim the agent starts every job through, as root: joins the job's cgroups, binds the CPUs and NUMA
// memory, becomes the job's user (groups, gid, uid; no capability left, no_new_privs), enters the working
// directory and opens the output files as that user, then execs the command (see raspored_exec_job in
// CAgentShims). `--ctty` (an interactive step's pseudo-terminal) takes standard input, a terminal, as the
// controlling terminal of the session the agent started it in. Exit status 127 when a step fails, with the
// reason on stderr and in the status file; 64 for arguments it cannot read.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CAgentShims.h"

enum { MAXIDS = 8192, MAXGROUPS = 65536, MAXCGROUPS = 16 };
static int cpus[MAXIDS], mems[MAXIDS];
static gid_t groups[MAXGROUPS];
static const char *cgroups[MAXCGROUPS];

static int number(const char *text, unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v > 0xFFFFFFFEul) return -1;
    *out = v;
    return 0;
}

/// "N,N,..." of unsigned ids (group ids are not ranges, and may be above INT_MAX); the count, or -1.
static int id_list(const char *text, gid_t *out, int capacity) {
    int n = 0;
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char one[16];
        unsigned long v;
        if (len == 0 || len >= sizeof one || n >= capacity) return -1;
        memcpy(one, p, len);
        one[len] = 0;
        if (number(one, &v) != 0) return -1;
        out[n++] = (gid_t)v;
        p += len;
        if (*p == ',') p++;
    }
    return n;
}

static int usage(const char *option, const char *value, const char *what) {
    fprintf(stderr, "raspored-exec: %s '%s' is not %s\n", option, value, what);
    return 64;
}

int main(int argc, char **argv) {
    struct raspored_job_spec spec;
    memset(&spec, 0, sizeof spec);
    int have_uid = 0, have_gid = 0, i = 1;
    unsigned long v;
    for (; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--") == 0) { i++; break; }
        if (strcmp(o, "--ctty") == 0) {
            spec.controlling_tty = 1;
            continue;
        }
        if (i + 1 >= argc) break;
        const char *a = argv[i + 1];
        if (strcmp(o, "--status-file") == 0) {
            spec.status_file = a;
        } else if (strcmp(o, "--cgroup") == 0) {
            if (spec.ncgroups >= MAXCGROUPS) return usage(o, a, "allowed: too many cgroups");
            cgroups[spec.ncgroups++] = a;
        } else if (strcmp(o, "--cpus") == 0) {
            if ((spec.ncpus = raspored_parse_list(a, cpus, MAXIDS)) <= 0) return usage(o, a, "a list like 0-3,8");
        } else if (strcmp(o, "--mems") == 0) {
            if ((spec.nmems = raspored_parse_list(a, mems, MAXIDS)) <= 0) return usage(o, a, "a list like 0-1");
        } else if (strcmp(o, "--uid") == 0) {
            if (number(a, &v) != 0) return usage(o, a, "a user id");
            spec.uid = (uid_t)v;
            have_uid = 1;
        } else if (strcmp(o, "--gid") == 0) {
            if (number(a, &v) != 0) return usage(o, a, "a group id");
            spec.gid = (gid_t)v;
            have_gid = 1;
        } else if (strcmp(o, "--groups") == 0) {
            if ((spec.ngroups = id_list(a, groups, MAXGROUPS)) < 0) return usage(o, a, "a list of group ids");
        } else if (strcmp(o, "--chdir") == 0) {
            spec.chdir = a;
        } else if (strcmp(o, "--output") == 0) {
            spec.output = a;
        } else if (strcmp(o, "--error") == 0) {
            spec.error = a;
        } else if (strcmp(o, "--truncate") == 0) {
            if (strcmp(a, "yes") != 0 && strcmp(a, "no") != 0) return usage(o, a, "yes or no");
            spec.truncate = strcmp(a, "yes") == 0;
        } else {
            break;
        }
        i++;
    }
    if (have_uid != have_gid) {
        fprintf(stderr, "raspored-exec: --uid and --gid go together\n");
        return 64;
    }
    spec.switch_user = have_uid;
    spec.cpus = cpus;
    spec.mems = mems;
    spec.groups = groups;
    spec.cgroup_procs = cgroups;
    return raspored_exec_job(&spec, argv + i);
}
