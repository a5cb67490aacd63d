// Why this file exists: cpu_set_t is manipulated with the CPU_ZERO / CPU_SET / CPU_ISSET macros,
// which are macros over an opaque bit array and do not import into Swift. Everything else the agent
// needs from libc (kill, setpgid, execve, getpid) imports directly and is called from Swift.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include "CAgentShims.h"

int raspored_bind_cpus(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (count <= 0) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) {
            errno = EINVAL;
            return -1;
        }
        CPU_SET(cpus[i], &set);
    }
    return sched_setaffinity(0, sizeof(set), &set);
}

int raspored_allowed_cpus(int *out, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) out[n++] = cpu;
    }
    return n;
}

// SIG_DFL is a macro cast of 0 to a function pointer, which Swift does not import.
int raspored_reset_signals(void) {
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        // Signals reserved by the C library (32, 33 for NPTL) reject changes: that is fine.
        (void)signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL);
}

// ---------------------------------------------------------------------------------------------------
// The shim every job starts through (`raspored-exec`, and `schedagent exec-bound` by hand): resets signals,
// joins the job's cgroups, binds CPUs and memory, takes the user's identity, opens the output as that user
// and execs the command. In C so that it costs what an exec costs: a Swift
// executable would spend ~10 ms loading its runtime in front of every job.
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// "0-3,8" for a sorted-or-not list; written into `out` (size `cap`).
static void ranges(const int *ids, int n, char *out, size_t cap) {
    size_t used = 0;
    out[0] = 0;
    if (n == 0) {
        snprintf(out, cap, "none");
        return;
    }
    int *s = malloc(sizeof(int) * (size_t)n);
    if (!s) return;
    memcpy(s, ids, sizeof(int) * (size_t)n);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) { int t = s[j]; s[j] = s[j - 1]; s[j - 1] = t; }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && s[j + 1] <= s[j] + 1) j++;
        int w = (s[j] > s[i]) ? snprintf(out + used, cap - used, "%s%d-%d", used ? "," : "", s[i], s[j])
                              : snprintf(out + used, cap - used, "%s%d", used ? "," : "", s[i]);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
        i = j + 1;
    }
    free(s);
}

/// Writes `message` to stderr and, when open, to the status file; the job's exit status is then 127.
static int fail(int status_fd, const char *message) {
    fprintf(stderr, "raspored-exec: %s\n", message);
    fflush(stderr);
    if (status_fd >= 0) {
        size_t n = strlen(message);
        if (write(status_fd, message, n) != (ssize_t)n) { /* nothing more to say it with */ }
        close(status_fd);
    }
    return 127;
}

static int fail_errno(int status_fd, char *buf, size_t cap, const char *what, int e) {
    snprintf(buf, cap, "%s: %s (errno %d)", what, strerror(e), e);
    return fail(status_fd, buf);
}

/// Moves the calling process into a cgroup by writing its pid to `procs` (v1 `cgroup.procs` of one
/// hierarchy, or v2's).
static int join_cgroup(const char *procs) {
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    ssize_t w = write(fd, pid, (size_t)n);
    int e = errno;
    close(fd);
    if (w != n) {
        errno = w < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

static int open_output(const char *path, int truncate) {
    return open(path, O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0) | O_NOCTTY | O_CLOEXEC, 0600);
}

int raspored_exec_job(const struct raspored_job_spec *spec, char *const argv[]) {
    char message[8192], list[4096];
    int status_fd = -1;
    if (spec->status_file) {
        // Opened while still privileged: the state directory is the agent's alone.
        status_fd = open(spec->status_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (!argv || !argv[0]) return fail(status_fd, "no command to run");
    if (raspored_reset_signals() != 0) return fail_errno(status_fd, message, sizeof message, "sigprocmask failed", errno);
    if (spec->controlling_tty && ioctl(0, TIOCSCTTY, 0) != 0)
        return fail_errno(status_fd, message, sizeof message, "cannot take the terminal (TIOCSCTTY)", errno);
    for (int i = 0; i < spec->ncgroups; i++) {
        if (join_cgroup(spec->cgroup_procs[i]) != 0) {
            int e = errno;
            snprintf(list, sizeof list, "confinement failed: cannot join cgroup %s", spec->cgroup_procs[i]);
            return fail_errno(status_fd, message, sizeof message, list, e);
        }
    }
    if (spec->ncpus > 0 && raspored_bind_cpus(spec->cpus, spec->ncpus) != 0) {
        int e = errno;
        ranges(spec->cpus, spec->ncpus, list, sizeof list);
        snprintf(message, sizeof message, "binding failed: sched_setaffinity(%s): %s (errno %d)", list, strerror(e), e);
        return fail(status_fd, message);
    }
    if (spec->nmems > 0) {
        const int *mems = spec->mems;
        int nmems = spec->nmems;
        ranges(mems, nmems, list, sizeof list);
        if (numa_available() < 0) {
            // Without NUMA support the whole machine is node 0: binding to it is binding to everything.
            if (!(nmems == 1 && mems[0] == 0)) {
                snprintf(message, sizeof message,
                         "binding failed: memory binding to NUMA %s requested, but the kernel has no NUMA support", list);
                return fail(status_fd, message);
            }
        } else {
            const int bits = (int)(sizeof(unsigned long) * 8);
            int max = 0;
            for (int i = 0; i < nmems; i++) if (mems[i] > max) max = mems[i];
            int words = (max + 1 + bits - 1) / bits;
            unsigned long *mask = calloc((size_t)words, sizeof(unsigned long));
            if (!mask) return fail(status_fd, "out of memory");
            for (int i = 0; i < nmems; i++)
                if (mems[i] >= 0) mask[mems[i] / bits] |= 1UL << (mems[i] % bits);
            // maxnode counts bits; the kernel ignores the last one of it, hence + 1.
            long rc = set_mempolicy(MPOL_BIND, mask, (unsigned long)(words * bits + 1));
            int e = errno;
            free(mask);
            if (rc != 0) {
                snprintf(message, sizeof message, "binding failed: set_mempolicy(MPOL_BIND, %s): %s (errno %d)", list,
                         strerror(e), e);
                return fail(status_fd, message);
            }
        }
    }
    if (spec->switch_user) {
        // Groups, then gid, then uid: once the uid is the user's, nothing else may be changed.
        if (setgroups((size_t)spec->ngroups, spec->groups) != 0)
            return fail_errno(status_fd, message, sizeof message, "identity failed: setgroups", errno);
        if (setresgid(spec->gid, spec->gid, spec->gid) != 0)
            return fail_errno(status_fd, message, sizeof message, "identity failed: setresgid", errno);
        if (setresuid(spec->uid, spec->uid, spec->uid) != 0)
            return fail_errno(status_fd, message, sizeof message, "identity failed: setresuid", errno);
        uid_t r, e, s;
        gid_t gr, ge, gs;
        if (getresuid(&r, &e, &s) != 0 || r != spec->uid || e != spec->uid || s != spec->uid ||
            getresgid(&gr, &ge, &gs) != 0 || gr != spec->gid || ge != spec->gid || gs != spec->gid)
            return fail(status_fd, "identity failed: the uid or gid did not change");
        // A process that could become root again still holds root's power: refuse to run the job.
        if (spec->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
            return fail(status_fd, "identity failed: root could be regained after dropping privileges");
    }
    // Ambient capabilities would survive the exec of an unprivileged program; no_new_privs keeps setuid
    // binaries and file capabilities from granting any.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail_errno(status_fd, message, sizeof message, "identity failed: clearing ambient capabilities", errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail_errno(status_fd, message, sizeof message, "identity failed: PR_SET_NO_NEW_PRIVS", errno);
    if (spec->chdir && chdir(spec->chdir) != 0) {
        snprintf(list, sizeof list, "cannot enter working directory %s", spec->chdir);
        return fail_errno(status_fd, message, sizeof message, list, errno);
    }
    // Output files are opened as the job's user: a job writes only where its user may.
    if (spec->output) {
        int fd = open_output(spec->output, spec->truncate);
        if (fd < 0) {
            snprintf(list, sizeof list, "cannot open output file %s", spec->output);
            return fail_errno(status_fd, message, sizeof message, list, errno);
        }
        int efd = fd;
        if (spec->error && strcmp(spec->error, spec->output) != 0) {
            efd = open_output(spec->error, spec->truncate);
            if (efd < 0) {
                int e = errno;
                close(fd);
                snprintf(list, sizeof list, "cannot open error file %s", spec->error);
                return fail_errno(status_fd, message, sizeof message, list, e);
            }
        }
        if (dup2(fd, 1) < 0 || dup2(efd, 2) < 0)
            return fail_errno(status_fd, message, sizeof message, "cannot redirect output", errno);
        if (fd > 2) close(fd);
        if (efd > 2 && efd != fd) close(efd);
    }
    execvp(argv[0], argv);
    int e = errno;
    snprintf(message, sizeof message, "cannot execute %s: %s (errno %d)", argv[0], strerror(e), e);
    return fail(status_fd, message);
}

int raspored_exec_bound(const int *cpus, int ncpus, const int *mems, int nmems, char *const argv[],
                        const char *status_file) {
    struct raspored_job_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.cpus = cpus;
    spec.ncpus = ncpus;
    spec.mems = mems;
    spec.nmems = nmems;
    spec.status_file = status_file;
    return raspored_exec_job(&spec, argv);
}

/// "0-3,8" → ids; returns the count, or -1 when the text is not such a list.
int raspored_parse_list(const char *text, int *out, int capacity) {
    int n = 0;
    const char *p = text;
    if (!*p) return -1;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p || a < 0 || a > INT_MAX) return -1;
        long b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || b < a || b > INT_MAX) return -1;
            p = end;
        }
        for (long v = a; v <= b; v++) {
            if (n >= capacity) return -1;
            out[n++] = (int)v;
        }
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return n;
}
