#ifndef RASPORED_AGENT_SHIMS_H
#define RASPORED_AGENT_SHIMS_H

#include <sys/types.h>

/// Pins the calling thread group to the given logical CPUs (sched_setaffinity on pid 0).
/// Returns 0, or -1 with errno set (EINVAL for an id beyond CPU_SETSIZE or an empty set).
int raspored_bind_cpus(const int *cpus, int count);

/// Writes the calling process's allowed CPUs into `out` (up to `capacity` ids); returns the count or -1.
int raspored_allowed_cpus(int *out, int capacity);

#endif
