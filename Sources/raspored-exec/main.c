// raspored-exec [--status-file FILE] [--cpus LIST] [--mems LIST] -- COMMAND [ARGS...]
//
// The shim the agent starts every job through: binds the CPUs and NUMA memory, resets signals and execs the
// command (see raspored_exec_bound in CAgentShims). Exit status 127 when binding or exec fails, with the
// reason on stderr and in the status file.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CAgentShims.h"

enum { MAXIDS = 8192 };
static int cpus[MAXIDS], mems[MAXIDS];

int main(int argc, char **argv) {
    const char *status = NULL;
    int ncpus = 0, nmems = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (i + 1 >= argc) break;
        if (strcmp(argv[i], "--status-file") == 0) {
            status = argv[++i];
        } else if (strcmp(argv[i], "--cpus") == 0) {
            if ((ncpus = raspored_parse_list(argv[++i], cpus, MAXIDS)) <= 0) {
                fprintf(stderr, "raspored-exec: --cpus '%s' is not a list like 0-3,8\n", argv[i]);
                return 64;
            }
        } else if (strcmp(argv[i], "--mems") == 0) {
            if ((nmems = raspored_parse_list(argv[++i], mems, MAXIDS)) <= 0) {
                fprintf(stderr, "raspored-exec: --mems '%s' is not a list like 0-1\n", argv[i]);
                return 64;
            }
        } else {
            break;
        }
    }
    return raspored_exec_bound(cpus, ncpus, mems, nmems, argv + i, status);
}
