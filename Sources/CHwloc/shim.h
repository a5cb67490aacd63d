// hwloc's public API in one header; the helpers (get_non_io_ancestor_obj, obj_get_info_by_name,
// the distances API) are static inline there and import into Swift as ordinary functions.
#include <hwloc.h>
