// libnuma: numa_available, numa_parse_nodestring, numa_set_membind for the binding shim.
#include <numa.h>
