// srun [OPTIONS] [--] COMMAND [ARGS...]
//
// Slurm's step launcher, as jobs find it on their PATH (the agent puts this directory first): it is
// `schedctl run`, the `schedctl` beside this program, which starts a step in the job it runs in
// (RASPORED_JOB_ID, with the job's credential RASPORED_JOB_TOKEN) and exits with the step's status.
#include "schedctl_exec.h"

int main(int argc, char **argv) { return schedctl_exec("srun", "run", argc, argv); }
