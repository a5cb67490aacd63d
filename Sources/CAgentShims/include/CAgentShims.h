#ifndef RASPORED_AGENT_SHIMS_H
#define RASPORED_AGENT_SHIMS_H

#include <sys/types.h>

/// Pins the calling thread group to the given logical CPUs (sched_setaffinity on pid 0).
/// Returns 0, or -1 with errno set (EINVAL for an id beyond CPU_SETSIZE or an empty set).
int raspored_bind_cpus(const int *cpus, int count);

/// Writes the calling process's allowed CPUs into `out` (up to `capacity` ids); returns the count or -1.
int raspored_allowed_cpus(int *out, int capacity);

/// Unblocks every signal and restores the default action of every catchable one. The job must not inherit
/// the agent's signal state: ignored signals stay ignored across execve (a daemon that ignores SIGTERM to
/// handle it through a dispatch source would hand that to every job, and cancel could not stop them).
/// Returns 0, or -1 with errno set.
int raspored_reset_signals(void);

/// Resets signals, binds to `cpus` (none: no CPU binding) and `mems` (none: no memory binding), and execs
/// `argv` (NULL-terminated). Returns only on failure: 127, after writing the reason ("binding failed: …",
/// "cannot execute …") to stderr and, when given, to `status_file`.
int raspored_exec_bound(const int *cpus, int ncpus, const int *mems, int nmems, char *const argv[],
                        const char *status_file);

/// Parses "0-3,8" into `out`; returns the count, or -1 for text that is not such a list (or too long).
int raspored_parse_list(const char *text, int *out, int capacity);

#endif
