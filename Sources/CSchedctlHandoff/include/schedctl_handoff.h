#ifndef SCHEDCTL_HANDOFF_H
#define SCHEDCTL_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

// A schedctl command handed to a schedctl that stays up (docs/schedctl.md, "In scripts"): the command's
// arguments, environment, directory, umask and standard descriptors go over a Unix socket of the user's own
// to a server process of the same user and the same executable, which runs the command as the user's
// schedctl would and answers with its exit status.
//
// One message from the client: the header (magic, version, payload length) sent with the three descriptors
// attached (SCM_RIGHTS), then the payload: the executable's identity (5 x uint64: device, inode, size,
// modification seconds and nanoseconds), the umask (uint32), the counts of arguments and of environment
// entries (2 x uint32), then the directory, the arguments after argv[0] and the `NAME=VALUE` entries, each
// ending in a NUL. The server answers 'Y' (it runs the command) or 'N' (it does not: another build, or it
// is stopping), and after 'Y' the exit status (int32).

#define SCHEDCTL_HANDOFF_MAGIC 0x52535044u  // "RSPD"
#define SCHEDCTL_HANDOFF_VERSION 1u
// The largest payload a server reads: argv and the environment are bounded by the kernel's ARG_MAX for a
// program's start, 2 MiB on Linux by default; a larger message is refused.
#define SCHEDCTL_HANDOFF_MAX_PAYLOAD (8u << 20)
// The header: magic, version, payload length (3 x uint32).
#define SCHEDCTL_HANDOFF_HEADER 12u
// The payload's fixed part: identity (5 x uint64), umask and the two counts (3 x uint32).
#define SCHEDCTL_HANDOFF_FIXED 52u

// The longest socket path (sockaddr_un's sun_path, with its NUL).
#define SCHEDCTL_HANDOFF_MAX_PATH 108

// The socket's path for this user: $XDG_RUNTIME_DIR/raspored-schedctl.sock when that is an absolute path
// that fits a socket's, else /tmp/raspored-schedctl-UID/schedctl.sock. Writes it to `out` (NUL-terminated) and the folder that must
// be the user's own (mode 0700) to `folder`; returns 0, or -1 when they do not fit.
int schedctl_handoff_path(char *out, size_t size, char *folder, size_t folderSize);

// Whether `folder` is a real folder (not a link) owned by this user that no one else may enter or write.
int schedctl_handoff_folder_is_private(const char *folder);

// Whether the process at the other end of a connected Unix socket runs as this user (SO_PEERCRED).
int schedctl_handoff_peer_is_me(int fd);

// This executable's identity (5 x uint64), as the payload carries it; 0, or -1 when /proc/self/exe fails.
int schedctl_handoff_identity(uint64_t identity[5]);

// The client's side. A connection to the server at `path` whose other end runs as this user; -1 when
// there is none (or it is another user's).
int schedctl_handoff_connect(const char *path);

// Sends a command over `fd`: the header with this process's descriptors 0, 1 and 2 attached, then the
// payload with `identity`, this process's umask and directory, argv[1...] and `envp`. 0, or -1 when it
// cannot (a message over the limit, a closed descriptor, the connection gone).
int schedctl_handoff_send(int fd, const uint64_t identity[5], int argc, char **argv, char **envp);

// The server's side. Reads a client's header and the descriptors attached to it from `fd`, within `timeout`
// ms: returns the payload length and stores the three descriptors in `fds` (each close-on-exec), or -1 for a
// client that sent no valid header with exactly three descriptors in time (any descriptors it sent are
// closed).
int64_t schedctl_handoff_receive_header(int fd, int fds[3], int timeoutMs);

// Reads exactly `length` bytes from `fd` within `timeoutMs` ms in all: 0, or -1.
int schedctl_handoff_read_all(int fd, void *buffer, size_t length, int timeoutMs);

// Writes all of `length` bytes to `fd`: 0, or -1.
int schedctl_handoff_write_all(int fd, const void *buffer, size_t length);

// Replaces the environment with `count` `NAME=VALUE` entries from `entries` (copied); 0, or -1 when memory
// runs out.
int schedctl_handoff_set_environment(char **entries, size_t count);

// Starts a server for this user on `socketPath` (schedctl_handoff_path's), detached (its own session,
// standard descriptors on /dev/null, an empty environment): this executable run as
// `schedctl __serve SOCKET`. Returns at once; the server is a grandchild, so no child is left to reap.
void schedctl_handoff_start_server(const char *socketPath);

// accept(2) of a client on `listener`, close-on-exec; -1 when it fails.
int schedctl_handoff_accept(int listener);

// Flushes every C stream (stdout's buffer, which Swift's print fills), before the descriptors change.
void schedctl_handoff_flush(void);

// Whether the client's side, run before main (CSchedctlFront), found no server to take this command and
// one should be started once the command is done.
int schedctl_handoff_server_wanted(void);
void schedctl_handoff_set_server_wanted(int wanted);

#endif
