// What a schedctl client and a schedctl server share (schedctl_handoff.h): the socket's place, the checks
// that both ends are the same user, and the descriptors' passing, which Swift cannot spell (CMSG macros).
#define _GNU_SOURCE
#include "schedctl_handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int serverWanted = 0;

int schedctl_handoff_server_wanted(void) { return serverWanted; }
void schedctl_handoff_set_server_wanted(int wanted) { serverWanted = wanted; }

int schedctl_handoff_path(char *out, size_t size, char *folder, size_t folderSize) {
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    int n, m;
    if (runtime && runtime[0] == '/') {
        n = snprintf(folder, folderSize, "%s", runtime);
        m = snprintf(out, size, "%s/raspored-schedctl.sock", runtime);
        if (n >= 0 && m >= 0 && (size_t)n < folderSize && (size_t)m < size) return 0;
    }
    // No runtime folder, or one too deep for a socket's path (107 bytes).
    n = snprintf(folder, folderSize, "/tmp/raspored-schedctl-%u", (unsigned)getuid());
    m = snprintf(out, size, "%s/schedctl.sock", folder);
    if (n < 0 || m < 0 || (size_t)n >= folderSize || (size_t)m >= size) return -1;
    return 0;
}

int schedctl_handoff_folder_is_private(const char *folder) {
    struct stat st;
    if (lstat(folder, &st) != 0) return 0;
    return S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0;
}

int schedctl_handoff_peer_is_me(int fd) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return 0;
    return cred.uid == getuid();
}

// FNV-1a over `length` bytes, from `hash`.
static uint64_t fnv(uint64_t hash, const void *bytes, size_t length) {
    for (size_t i = 0; i < length; i++) hash = (hash ^ ((const unsigned char *)bytes)[i]) * 0x100000001b3ull;
    return hash;
}

static int compareGroups(const void *a, const void *b) {
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

int schedctl_handoff_identity(uint64_t identity[SCHEDCTL_HANDOFF_IDENTITY]) {
    struct stat st, mnt, net;
    if (stat("/proc/self/exe", &st) != 0 || stat("/proc/self/ns/mnt", &mnt) != 0 ||
        stat("/proc/self/ns/net", &net) != 0)
        return -1;
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    if (n < 0) return -1;
    qsort(groups, (size_t)n, sizeof *groups, compareGroups);
    gid_t effective = getegid();
    uint64_t hash = fnv(0xcbf29ce484222325ull, &effective, sizeof effective);
    hash = fnv(hash, groups, (size_t)n * sizeof *groups);
    identity[0] = (uint64_t)st.st_dev;
    identity[1] = (uint64_t)st.st_ino;
    identity[2] = (uint64_t)st.st_size;
    identity[3] = (uint64_t)st.st_mtim.tv_sec;
    identity[4] = (uint64_t)st.st_mtim.tv_nsec;
    identity[5] = (uint64_t)mnt.st_ino;
    identity[6] = (uint64_t)net.st_ino;
    identity[7] = hash;
    return 0;
}

int schedctl_handoff_names_this_process(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *value = strchr(argv[i], '=');
        const char *candidates[2] = {argv[i], value ? value + 1 : NULL};
        for (int k = 0; k < 2; k++) {
            const char *c = candidates[k];
            if (!c) continue;
            if (strncmp(c, "/dev/fd/", 8) == 0 || strncmp(c, "/proc/", 6) == 0 || strcmp(c, "/dev/stdin") == 0 ||
                strcmp(c, "/dev/stdout") == 0 || strcmp(c, "/dev/stderr") == 0 || strcmp(c, "/dev/tty") == 0)
                return 1;
        }
    }
    return 0;
}

static long long nowMs(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

// Waits until `fd` is readable, at most until `deadline` (ms on the monotonic clock): 0, or -1.
static int waitReadable(int fd, long long deadline) {
    for (;;) {
        long long left = deadline - nowMs();
        if (left <= 0) return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

// Appends `length` bytes to the growing message; -1 when it would pass the server's limit.
static int append(char **buffer, size_t *used, size_t *capacity, const void *bytes, size_t length) {
    if (*used + length > SCHEDCTL_HANDOFF_HEADER + SCHEDCTL_HANDOFF_MAX_PAYLOAD) return -1;
    if (*used + length > *capacity) {
        size_t grown = *capacity ? *capacity : 4096;
        while (grown < *used + length) grown *= 2;
        char *more = realloc(*buffer, grown);
        if (!more) return -1;
        *buffer = more;
        *capacity = grown;
    }
    memcpy(*buffer + *used, bytes, length);
    *used += length;
    return 0;
}

int schedctl_handoff_send(int fd, const uint64_t identity[SCHEDCTL_HANDOFF_IDENTITY], int argc, char **argv,
                          char **envp) {
    char *buffer = NULL;
    size_t used = 0, capacity = 0;
    uint32_t header[3] = {SCHEDCTL_HANDOFF_MAGIC, SCHEDCTL_HANDOFF_VERSION, 0};
    mode_t mask = umask(0);
    umask(mask);
    uint32_t counts[3] = {(uint32_t)mask, (uint32_t)(argc - 1), 0};
    for (char **e = envp; *e; e++) counts[2]++;
    int ok = append(&buffer, &used, &capacity, header, sizeof header) == 0 &&
             append(&buffer, &used, &capacity, identity, SCHEDCTL_HANDOFF_IDENTITY * sizeof *identity) == 0 &&
             append(&buffer, &used, &capacity, counts, sizeof counts) == 0;
    for (int i = 1; ok && i < argc; i++) ok = append(&buffer, &used, &capacity, argv[i], strlen(argv[i]) + 1) == 0;
    for (char **e = envp; ok && *e; e++) ok = append(&buffer, &used, &capacity, *e, strlen(*e) + 1) == 0;
    int directory = ok ? open(".", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (directory < 0) {
        free(buffer);
        return -1;
    }
    uint32_t payload = (uint32_t)(used - SCHEDCTL_HANDOFF_HEADER);
    memcpy(buffer + 2 * sizeof(uint32_t), &payload, sizeof payload);

    int fds[SCHEDCTL_HANDOFF_FDS] = {0, 1, 2, directory};
    union {
        char space[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = buffer, .iov_len = SCHEDCTL_HANDOFF_HEADER};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    // A server that does not read (busy with another command) may leave a large message unsent: give up
    // after a second rather than wait for it.
    struct timeval limit = {.tv_sec = 1, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    ssize_t n;
    do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    close(directory);
    int r = -1;
    if (n == SCHEDCTL_HANDOFF_HEADER)
        r = schedctl_handoff_write_all(fd, buffer + SCHEDCTL_HANDOFF_HEADER, used - SCHEDCTL_HANDOFF_HEADER);
    free(buffer);
    return r;
}

int schedctl_handoff_connect(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(path);
    if (length >= sizeof address.sun_path) return -1;
    memcpy(address.sun_path, path, length + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!schedctl_handoff_peer_is_me(fd)) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

int schedctl_handoff_run(const char *path, int argc, char **argv, char **envp, int32_t *status) {
    uint64_t identity[SCHEDCTL_HANDOFF_IDENTITY];
    if (schedctl_handoff_identity(identity) != 0) return SCHEDCTL_HANDOFF_HERE;
    int fd = schedctl_handoff_connect(path);
    if (fd < 0) return errno == ENOENT || errno == ECONNREFUSED ? SCHEDCTL_HANDOFF_START : SCHEDCTL_HANDOFF_HERE;
    char answer = 0;
    if (schedctl_handoff_send(fd, identity, argc, argv, envp) != 0) {
        shutdown(fd, SHUT_WR);
        close(fd);
        return SCHEDCTL_HANDOFF_HERE;
    }
    if (schedctl_handoff_read_all(fd, &answer, 1, 1000) != 0) {
        // No 'A' in a second: the server is busy with another command. Once this side is shut down, a
        // server that gets to this connection runs nothing; an 'A' already here means it got to it first.
        shutdown(fd, SHUT_WR);
        if (recv(fd, &answer, 1, MSG_DONTWAIT) != 1) {
            close(fd);
            return SCHEDCTL_HANDOFF_HERE;
        }
    }
    // It is handling this command now: its answer comes at once, with no time limit needed.
    if (answer != 'A' || schedctl_handoff_read_all(fd, &answer, 1, INT_MAX) != 0 || answer != 'Y') {
        close(fd);
        return answer == 'S' ? SCHEDCTL_HANDOFF_START : SCHEDCTL_HANDOFF_HERE;
    }
    // The command runs as long as it needs (a controller's answer is bounded by schedctl's own timeouts).
    int r = schedctl_handoff_read_all(fd, status, sizeof *status, INT_MAX) == 0 ? SCHEDCTL_HANDOFF_RAN
                                                                                 : SCHEDCTL_HANDOFF_LOST;
    close(fd);
    return r;
}

int64_t schedctl_handoff_receive_header(int fd, int fds[SCHEDCTL_HANDOFF_FDS], int timeoutMs) {
    long long deadline = nowMs() + timeoutMs;
    uint32_t header[3];
    union {
        char space[CMSG_SPACE((SCHEDCTL_HANDOFF_FDS + 1) * sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = header, .iov_len = sizeof header};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    if (waitReadable(fd, deadline) != 0) return -1;
    ssize_t n;
    do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    int got[SCHEDCTL_HANDOFF_FDS];
    int count = 0, extra = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int d;
            memcpy(&d, CMSG_DATA(c) + i * sizeof(int), sizeof d);
            if (count < SCHEDCTL_HANDOFF_FDS) got[count++] = d;
            else {
                close(d);
                extra = 1;
            }
        }
    }
    int valid = !(msg.msg_flags & MSG_CTRUNC) && !extra && count == SCHEDCTL_HANDOFF_FDS;
    if (valid && (size_t)n < sizeof header)
        valid = schedctl_handoff_read_all(fd, (char *)header + n, sizeof header - (size_t)n,
                                          (int)(deadline - nowMs())) == 0;
    if (valid)
        valid = header[0] == SCHEDCTL_HANDOFF_MAGIC && header[1] == SCHEDCTL_HANDOFF_VERSION &&
                header[2] >= SCHEDCTL_HANDOFF_FIXED && header[2] <= SCHEDCTL_HANDOFF_MAX_PAYLOAD;
    if (!valid) {
        for (int i = 0; i < count; i++) close(got[i]);
        return -1;
    }
    for (int i = 0; i < SCHEDCTL_HANDOFF_FDS; i++) fds[i] = got[i];
    return header[2];
}

int schedctl_handoff_client_left(int fd) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // 0: its side is shut down; 1: bytes past the message, which no client sends; -1 but EAGAIN: gone.
    return n >= 0 || errno != EAGAIN;
}

int schedctl_handoff_read_all(int fd, void *buffer, size_t length, int timeoutMs) {
    long long deadline = nowMs() + timeoutMs;
    size_t done = 0;
    while (done < length) {
        if (waitReadable(fd, deadline) != 0) return -1;
        ssize_t n = read(fd, (char *)buffer + done, length - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

int schedctl_handoff_write_all(int fd, const void *buffer, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = send(fd, (const char *)buffer + done, length - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

int schedctl_handoff_set_environment(char **entries, size_t count) {
    if (clearenv() != 0) return -1;
    for (size_t i = 0; i < count; i++) {
        char *eq = strchr(entries[i], '=');
        if (!eq || eq == entries[i]) continue;
        size_t nameLength = (size_t)(eq - entries[i]);
        char *name = strndup(entries[i], nameLength);
        if (!name) return -1;
        int r = setenv(name, eq + 1, 1);
        free(name);
        if (r != 0) return -1;
    }
    return 0;
}

void schedctl_handoff_start_server(const char *socketPath) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    pid_t child = fork();
    if (child < 0) return;
    if (child == 0) {
        // Only async-signal-safe calls from here to the exec: this process may have had other threads.
        if (fork() != 0) _exit(0);
        setsid();
        int null = open("/dev/null", O_RDWR);
        if (null < 0) _exit(127);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
        // Nothing else of the client's: a descriptor it inherited (the read end a `$(schedctl submit)` waits
        // on, a parent's pipe) must not stay open for as long as the server runs.
        if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
            for (int fd = 3; fd < 65536; fd++) close(fd);
        char *args[] = {self, "__serve", (char *)socketPath, NULL};
        char *env[] = {NULL};
        execve(self, args, env);
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
}

int schedctl_handoff_accept(int listener) { return accept4(listener, NULL, NULL, SOCK_CLOEXEC); }

void schedctl_handoff_flush(void) { fflush(NULL); }
