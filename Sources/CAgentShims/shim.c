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
