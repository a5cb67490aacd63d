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
// The binding shim every job starts through (`raspored-exec`, and `schedagent exec-bound` by hand): binds
// CPUs and memory, resets signals, execs the command. In C so that it costs what an exec costs: a Swift
// executable would spend ~10 ms loading its runtime in front of every job.
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
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

static int fail(const char *status_file, const char *message) {
    fprintf(stderr, "schedagent exec-bound: %s\n", message);
    if (status_file) {
        FILE *f = fopen(status_file, "w");
        if (f) {
            fputs(message, f);
            fclose(f);
        }
    }
    return 127;
}

int raspored_exec_bound(const int *cpus, int ncpus, const int *mems, int nmems, char *const argv[],
                        const char *status_file) {
    char message[8192], list[4096];
    if (!argv || !argv[0]) return fail(status_file, "no command to run");
    if (raspored_reset_signals() != 0) {
        int e = errno;
        snprintf(message, sizeof message, "sigprocmask failed: %s (errno %d)", strerror(e), e);
        return fail(status_file, message);
    }
    if (ncpus > 0 && raspored_bind_cpus(cpus, ncpus) != 0) {
        int e = errno;
        ranges(cpus, ncpus, list, sizeof list);
        snprintf(message, sizeof message, "binding failed: sched_setaffinity(%s): %s (errno %d)", list, strerror(e), e);
        return fail(status_file, message);
    }
    if (nmems > 0) {
        ranges(mems, nmems, list, sizeof list);
        if (numa_available() < 0) {
            // Without NUMA support the whole machine is node 0: binding to it is binding to everything.
            if (!(nmems == 1 && mems[0] == 0)) {
                snprintf(message, sizeof message,
                         "binding failed: memory binding to NUMA %s requested, but the kernel has no NUMA support", list);
                return fail(status_file, message);
            }
        } else {
            const int bits = (int)(sizeof(unsigned long) * 8);
            int max = 0;
            for (int i = 0; i < nmems; i++) if (mems[i] > max) max = mems[i];
            int words = (max + 1 + bits - 1) / bits;
            unsigned long *mask = calloc((size_t)words, sizeof(unsigned long));
            if (!mask) return fail(status_file, "out of memory");
            for (int i = 0; i < nmems; i++)
                if (mems[i] >= 0) mask[mems[i] / bits] |= 1UL << (mems[i] % bits);
            // maxnode counts bits; the kernel ignores the last one of it, hence + 1.
            long rc = set_mempolicy(MPOL_BIND, mask, (unsigned long)(words * bits + 1));
            int e = errno;
            free(mask);
            if (rc != 0) {
                snprintf(message, sizeof message, "binding failed: set_mempolicy(MPOL_BIND, %s): %s (errno %d)", list,
                         strerror(e), e);
                return fail(status_file, message);
            }
        }
    }
    execvp(argv[0], argv);
    int e = errno;
    snprintf(message, sizeof message, "cannot execute %s: %s (errno %d)", argv[0], strerror(e), e);
    return fail(status_file, message);
}

/// "0-3,8" → ids; returns the count, or -1 when the text is not such a list.
int raspored_parse_list(const char *text, int *out, int capacity) {
    int n = 0;
    const char *p = text;
    if (!*p) return -1;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p || a < 0) return -1;
        long b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || b < a) return -1;
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
