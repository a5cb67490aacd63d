// libnuma: numa_available, and set_mempolicy (numaif.h) for the binding shim.
#include <numa.h>
#include <numaif.h>
