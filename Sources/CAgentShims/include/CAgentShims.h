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

/// What `raspored_exec_job` does before it execs a job, in this order: join the cgroups, bind CPUs and
/// memory, take the user's identity, set no_new_privs, enter the working directory, open the output files
/// (as the user). NULL or zero leaves a step out.
struct raspored_job_spec {
    const int *cpus;
    int ncpus;
    const int *mems;
    int nmems;
    /// `cgroup.procs` files to write the process's pid to (one per v1 hierarchy, or v2's one).
    const char *const *cgroup_procs;
    int ncgroups;
    /// Non-zero: set the supplementary groups, gid and uid (real, effective and saved) to these.
    int switch_user;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
    const char *chdir;
    /// stdout (and stderr, unless `error` names another file): opened for appending, created 0600.
    const char *output;
    const char *error;
    /// Non-zero: the output files are emptied when opened (a job's first run, `--open-mode=truncate`).
    int truncate;
    /// Where the reason goes when a step fails; opened before the identity changes.
    const char *status_file;
    /// Non-zero: standard input is a terminal to take as the controlling terminal (TIOCSCTTY); the process
    /// must lead a session of its own (its spawner called setsid).
    int controlling_tty;
};

/// Prepares the process as `spec` says and execs `argv`. Returns only on failure: 127, after writing the
/// reason ("confinement failed: …", "binding failed: …", "identity failed: …", "cannot enter working
/// directory …", "cannot open output file …", "cannot execute …") to stderr and the status file.
int raspored_exec_job(const struct raspored_job_spec *spec, char *const argv[]);

/// Resets signals, binds to `cpus` (none: no CPU binding) and `mems` (none: no memory binding), and execs
/// `argv` (NULL-terminated). Returns only on failure: 127, after writing the reason ("binding failed: …",
/// "cannot execute …") to stderr and, when given, to `status_file`.
int raspored_exec_bound(const int *cpus, int ncpus, const int *mems, int nmems, char *const argv[],
                        const char *status_file);

/// Parses "0-3,8" into `out`; returns the count, or -1 for text that is not such a list (or too long).
int raspored_parse_list(const char *text, int *out, int capacity);

/// Attaches a cgroup v2 device program (BPF_CGROUP_DEVICE, with BPF_F_ALLOW_MULTI) to the cgroup open as
/// `cgroup_fd`: character devices of `major` with a minor from `minor_first` to below `minor_limit` may be
/// opened only when the minor is in `allowed` (n of them); every other device is left to the rest of the
/// hierarchy (and to the other programs attached, which must all allow). Returns 0, or -1 with errno set. The
/// attachment outlives the program's file descriptor, which is closed.
int raspored_attach_device_filter(int cgroup_fd, unsigned major, unsigned minor_first, unsigned minor_limit,
                                  const unsigned *allowed, int n);

/// Opens a pseudo-terminal pair: the master (close-on-exec) and its slave (not close-on-exec, no controlling
/// terminal taken), sized `rows` × `cols` when both are non-zero. Returns 0, or -1 with errno set.
int raspored_open_pty(int *master, int *slave, unsigned short rows, unsigned short cols);

/// Sets a terminal's window size (TIOCSWINSZ on the master: the slave's foreground group gets SIGWINCH).
int raspored_set_window_size(int fd, unsigned short rows, unsigned short cols);


/// Loads NVIDIA's management library (`library`, or libnvidia-ml.so.1 when NULL) and initialises it: 0, or -1
/// when it cannot be loaded, -2 when it lacks a call or does not initialise (no driver).
int raspored_nvml_open(const char *library);

/// Samples the GPU at PCI bus id `bus_id` ("0000:18:00.0"): utilisation in percent, device memory used in
/// bytes, power in milliwatts. Returns a mask of what was read (1 utilisation, 2 memory, 4 power), or -1.
int raspored_nvml_sample(const char *bus_id, unsigned *utilization, unsigned long long *memory_used,
                         unsigned *milliwatts);

/// Loads ROCm SMI (`library`, or librocm_smi64.so.1, then /opt/rocm/lib's) and initialises it, as
/// `raspored_nvml_open`.
int raspored_rsmi_open(const char *library);

/// Samples the AMD GPU at `bus_id` as `raspored_nvml_sample` does (busy percent, VRAM used, average power).
int raspored_rsmi_sample(const char *bus_id, unsigned *utilization, unsigned long long *memory_used,
                         unsigned *milliwatts);

#endif
