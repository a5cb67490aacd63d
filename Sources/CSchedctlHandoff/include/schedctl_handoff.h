#ifndef SCHEDCTL_HANDOFF_H
#define SCHEDCTL_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

// A schedctl command handed to a schedctl that stays up (docs/schedctl.md, "In scripts"): the command's
// arguments, environment, umask, directory and standard descriptors go over a Unix socket of the user's own
// to a server process of the same user, the same executable and the same context (mount and network
// namespaces, groups), which runs the command as the user's schedctl would and answers with its exit status.
//
// The exchange, on one connection:
// - the server, free to take a command, says 'A';
// - the client sends the header (magic, version, payload length: 3 x uint32) with four descriptors attached
//   (SCM_RIGHTS: its standard input, output and error, and its working directory, opened O_PATH), then the
//   payload: its identity (8 x uint64, schedctl_handoff_identity), its umask and the counts of arguments and
//   of environment entries (3 x uint32), then the arguments after argv[0] and the `NAME=VALUE` entries, each
//   ending in a NUL;
// - the server answers 'Y' and, once the command has run, its exit status (int32); or 'N' (another
//   context: the client runs the command itself) or 'S' (another executable: the server stops, and the
//   client runs the command and starts a new one).
// A client that gets no 'A' within a second (the server is busy with another command) shuts its side down
// and runs the command itself; a server that finds the client's side shut down when it is about to say 'Y'
// says nothing and runs nothing. So a command runs once, here or there.

#define SCHEDCTL_HANDOFF_MAGIC 0x52535044u  // "RSPD"
#define SCHEDCTL_HANDOFF_VERSION 2u
// The largest payload a server reads: argv and the environment are bounded by the kernel's ARG_MAX for a
// program's start, 2 MiB on Linux by default; a larger message is refused.
#define SCHEDCTL_HANDOFF_MAX_PAYLOAD (8u << 20)
// The header: magic, version, payload length (3 x uint32).
#define SCHEDCTL_HANDOFF_HEADER 12u
// The identity's words: the executable's device, inode, size, modification seconds and nanoseconds, then
// the context's mount and network namespaces and a hash of the effective and supplementary groups.
#define SCHEDCTL_HANDOFF_IDENTITY 8
// The executable's part of the identity: a difference there means another build.
#define SCHEDCTL_HANDOFF_EXECUTABLE 5
// The payload's fixed part: identity (8 x uint64), umask and the two counts (3 x uint32).
#define SCHEDCTL_HANDOFF_FIXED 76u
// The descriptors a client sends: 0, 1, 2 and its working directory.
#define SCHEDCTL_HANDOFF_FDS 4
// The longest socket path (sockaddr_un's sun_path, with its NUL).
#define SCHEDCTL_HANDOFF_MAX_PATH 108

// The socket's path for this user: $XDG_RUNTIME_DIR/raspored-schedctl.sock when that is an absolute path
// that fits a socket's, else /tmp/raspored-schedctl-UID/schedctl.sock. Writes it to `out` (NUL-terminated)
// and the folder that must be the user's own (mode 0700) to `folder`; returns 0, or -1 when they do not fit.
int schedctl_handoff_path(char *out, size_t size, char *folder, size_t folderSize);

// Whether `folder` is a real folder (not a link) owned by this user that no one else may enter or write.
int schedctl_handoff_folder_is_private(const char *folder);

// Whether the process at the other end of a connected Unix socket runs as this user (SO_PEERCRED).
int schedctl_handoff_peer_is_me(int fd);

// This process's identity (SCHEDCTL_HANDOFF_IDENTITY words, as above); 0, or -1 when /proc fails.
int schedctl_handoff_identity(uint64_t identity[SCHEDCTL_HANDOFF_IDENTITY]);

// Whether a command line names something of this process itself, alone or after `=`: a path under /dev/fd/
// (the `/dev/fd/63` of a `<(…)`) or /proc/, /dev/stdin, /dev/stdout, /dev/stderr or /dev/tty. A server would
// open its own, so such a command is not handed off.
int schedctl_handoff_names_this_process(int argc, char **argv);

// The client's side. A connection to the server at `path` whose other end runs as this user; -1 when
// there is none (errno from connect(2), or EPERM when it is another user's).
int schedctl_handoff_connect(const char *path);

// Sends a command over `fd`: the header with descriptors 0, 1, 2 and the working directory attached, then
// the payload with `identity`, this process's umask, argv[1...] and `envp`. 0, or -1 when it cannot (a
// message over the limit, a closed descriptor, the connection gone or full for a second).
int schedctl_handoff_send(int fd, const uint64_t identity[SCHEDCTL_HANDOFF_IDENTITY], int argc, char **argv,
                          char **envp);

// What schedctl_handoff_run did.
enum {
    // The server ran the command; its exit status is in `*status`.
    SCHEDCTL_HANDOFF_RAN = 0,
    // Not handed off, and no server took it: run it here, then start a server.
    SCHEDCTL_HANDOFF_START = 1,
    // Not handed off (a busy server, another context, nothing to send): run it here.
    SCHEDCTL_HANDOFF_HERE = 2,
    // The server took it and ended before it answered: whether it ran is unknown.
    SCHEDCTL_HANDOFF_LOST = 3,
};

// Offers the command to the server at `path` (the whole exchange above); one of the values above.
int schedctl_handoff_run(const char *path, int argc, char **argv, char **envp, int32_t *status);

// The server's side. Reads a client's header and the descriptors attached to it from `fd`, within `timeout`
// ms: returns the payload length and stores the four descriptors in `fds` (each close-on-exec), or -1 for a
// client that sent no valid header with exactly four descriptors in time (any descriptors it sent are
// closed).
int64_t schedctl_handoff_receive_header(int fd, int fds[SCHEDCTL_HANDOFF_FDS], int timeoutMs);

// Whether the client has shut its side down (or gone) without sending more: the server then runs nothing.
int schedctl_handoff_client_left(int fd);

// Reads exactly `length` bytes from `fd` within `timeoutMs` ms in all: 0, or -1.
int schedctl_handoff_read_all(int fd, void *buffer, size_t length, int timeoutMs);

// Writes all of `length` bytes to `fd`: 0, or -1.
int schedctl_handoff_write_all(int fd, const void *buffer, size_t length);

// Replaces the environment with `count` `NAME=VALUE` entries from `entries` (copied); 0, or -1 when memory
// runs out.
int schedctl_handoff_set_environment(char **entries, size_t count);

// accept(2) of a client on `listener`, close-on-exec; -1 when it fails.
int schedctl_handoff_accept(int listener);

// Flushes every C stream (stdout's buffer, which Swift's print fills), before the descriptors change.
void schedctl_handoff_flush(void);

// Starts a server for this user on `socketPath` (schedctl_handoff_path's), detached (its own session,
// standard descriptors on /dev/null, no other descriptor, an empty environment): this executable run as
// `schedctl __serve SOCKET`. Returns at once; the server is a grandchild, so no child is left to reap.
void schedctl_handoff_start_server(const char *socketPath);

// Whether the client's side, run before main (CSchedctlFront), found no server to take this command and
// one should be started once the command is done.
int schedctl_handoff_server_wanted(void);
void schedctl_handoff_set_server_wanted(int wanted);

#endif
