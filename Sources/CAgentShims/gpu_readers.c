// GPU usage from the vendors' management libraries, loaded at run time with dlopen so that a node without
// NVIDIA's or AMD's driver (and a build machine without either) needs neither: NVML (libnvidia-ml.so.1) and
// ROCm SMI (librocm_smi64.so.1). Only the few calls the agent samples are bound, with the types of their
// public headers (nvml.h, rocm_smi.h), which are not needed to build.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include "CAgentShims.h"

// NVML: nvmlReturn_t is an int (0 is NVML_SUCCESS); a device is an opaque pointer.
typedef struct { unsigned int gpu; unsigned int memory; } raspored_nvml_utilization;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } raspored_nvml_memory;
static int (*nvml_init)(void);
static int (*nvml_by_bus)(const char *, void **);
static int (*nvml_utilization)(void *, raspored_nvml_utilization *);
static int (*nvml_memory)(void *, raspored_nvml_memory *);
static int (*nvml_power)(void *, unsigned int *);

int raspored_nvml_open(const char *library) {
    void *h = dlopen(library ? library : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
    nvml_init = (int (*)(void))dlsym(h, "nvmlInit_v2");
    nvml_by_bus = (int (*)(const char *, void **))dlsym(h, "nvmlDeviceGetHandleByPciBusId_v2");
    nvml_utilization = (int (*)(void *, raspored_nvml_utilization *))dlsym(h, "nvmlDeviceGetUtilizationRates");
    nvml_memory = (int (*)(void *, raspored_nvml_memory *))dlsym(h, "nvmlDeviceGetMemoryInfo");
    nvml_power = (int (*)(void *, unsigned int *))dlsym(h, "nvmlDeviceGetPowerUsage");
    if (!nvml_init || !nvml_by_bus || !nvml_utilization || nvml_init() != 0) {
        nvml_init = 0;
        return -2;
    }
    return 0;
}

int raspored_nvml_sample(const char *bus_id, unsigned *utilization, unsigned long long *memory_used,
                         unsigned *milliwatts) {
    if (!nvml_init) return -1;
    void *device = 0;
    if (nvml_by_bus(bus_id, &device) != 0) return -1;
    int got = 0;
    raspored_nvml_utilization u;
    if (nvml_utilization(device, &u) == 0) {
        *utilization = u.gpu;
        got |= 1;
    }
    raspored_nvml_memory m;
    if (nvml_memory && nvml_memory(device, &m) == 0) {
        *memory_used = m.used;
        got |= 2;
    }
    if (nvml_power && nvml_power(device, milliwatts) == 0) got |= 4;
    return got;
}

// ROCm SMI: rsmi_status_t is an int (0 is RSMI_STATUS_SUCCESS); devices are numbered 0..n-1.
static int (*rsmi_init)(uint64_t);
static int (*rsmi_count)(uint32_t *);
static int (*rsmi_pci_id)(uint32_t, uint64_t *);
static int (*rsmi_busy)(uint32_t, uint32_t *);
static int (*rsmi_memory_usage)(uint32_t, int, uint64_t *);
static int (*rsmi_power)(uint32_t, uint32_t, uint64_t *);

int raspored_rsmi_open(const char *library) {
    void *h = dlopen(library ? library : "librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h && !library) h = dlopen("/opt/rocm/lib/librocm_smi64.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
    rsmi_init = (int (*)(uint64_t))dlsym(h, "rsmi_init");
    rsmi_count = (int (*)(uint32_t *))dlsym(h, "rsmi_num_monitor_devices");
    rsmi_pci_id = (int (*)(uint32_t, uint64_t *))dlsym(h, "rsmi_dev_pci_id_get");
    rsmi_busy = (int (*)(uint32_t, uint32_t *))dlsym(h, "rsmi_dev_busy_percent_get");
    rsmi_memory_usage = (int (*)(uint32_t, int, uint64_t *))dlsym(h, "rsmi_dev_memory_usage_get");
    rsmi_power = (int (*)(uint32_t, uint32_t, uint64_t *))dlsym(h, "rsmi_dev_power_ave_get");
    if (!rsmi_init || !rsmi_count || !rsmi_pci_id || !rsmi_busy || rsmi_init(0) != 0) {
        rsmi_init = 0;
        return -2;
    }
    return 0;
}

int raspored_rsmi_sample(const char *bus_id, unsigned *utilization, unsigned long long *memory_used,
                         unsigned *milliwatts) {
    if (!rsmi_init) return -1;
    unsigned domain, bus, dev, fn;
    if (sscanf(bus_id, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4) return -1;
    // rsmi_dev_pci_id_get's BDFID: domain << 32 | bus << 8 | device << 3 | function.
    uint64_t want = ((uint64_t)domain << 32) | ((bus & 0xff) << 8) | ((dev & 0x1f) << 3) | (fn & 0x7);
    uint32_t n = 0;
    if (rsmi_count(&n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id = 0;
        if (rsmi_pci_id(i, &id) != 0 || id != want) continue;
        int got = 0;
        uint32_t busy = 0;
        if (rsmi_busy(i, &busy) == 0) {
            *utilization = busy;
            got |= 1;
        }
        uint64_t used = 0;
        if (rsmi_memory_usage && rsmi_memory_usage(i, 0 /* RSMI_MEM_TYPE_VRAM */, &used) == 0) {
            *memory_used = used;
            got |= 2;
        }
        uint64_t microwatts = 0;
        if (rsmi_power && rsmi_power(i, 0, &microwatts) == 0) {
            *milliwatts = (unsigned)(microwatts / 1000);
            got |= 4;
        }
        return got;
    }
    return -1;
}
