// scontrol show hostnames [LIST] | scontrol show hostlist LIST
//
// What batch scripts ask Slurm's scontrol inside a job, as jobs find it on their PATH: `schedctl scontrol`,
// the `schedctl` beside this program, which expands and folds host lists (docs/schedctl.md).
#include "schedctl_exec.h"

int main(int argc, char **argv) { return schedctl_exec("scontrol", "scontrol", argc, argv); }
