#ifndef SCHEDCTL_EXEC_H
#define SCHEDCTL_EXEC_H

// Replaces this process with `schedctl SUBCOMMAND ARGS...`, the schedctl beside this program (found through
// /proc/self/exe), passing argv[1...] on. Returns only when it cannot: 2 when it cannot find itself, 127
// when the exec fails (with a line on stderr, prefixed by `name`).
int schedctl_exec(const char *name, const char *subcommand, int argc, char **argv);

#endif
