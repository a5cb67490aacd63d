"""The DGX H200 layout tables that gen-dgx-h200-topology.py turns into hwloc XML (edit here; sources in
Tests/Fixtures/hwloc/dgx-h200.PROVENANCE.md)."""

CORES_PER_PKG = 56
NPKG = 2
NCORES = CORES_PER_PKG * NPKG            # 112
NPUS = NCORES * 2                        # 224
NUMA_BYTES = 1099511627776               # 1 TiB per NUMA node
GPU_BUS = [0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB]   # GPU i at 0000:GPU_BUS[i]:00.0
COMPUTE_NIC = ["mlx5_0", "mlx5_3", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_9", "mlx5_10", "mlx5_11"]
STORAGE = [  # (package, host bridge bus, NIC bus, (port1 name, port2 name))
    (0, 0x1F, 0x20, ("mlx5_1", "mlx5_2")),
    (1, 0xA0, 0xA1, ("mlx5_7", "mlx5_8")),
]
NVSWITCH_LINKS = [5, 4, 4, 5]            # NVLink4 links from every GPU to NVSwitch 0..3
NVLINK_BW = 25000                        # MB/s per link, hwloc topology-nvml.c (NVLink v2..v4)
GPU_MODEL = "NVIDIA H200"
GPU_PCI = "0302 [10de:2335] [10de:18be] a1"
# cudaDeviceProp.totalGlobalMem >> 10: 143771 MiB is the H200 total that nvidia-smi reports;
# (a real CUDA value is a few hundred MiB lower, cf. ipa20.xml H100: CUDA 81081 MiB vs nvidia-smi 81559 MiB)
CUDA_MEM_KIB = 143771 * 1024
GEN5_X16 = "63.015385"
GEN4_X4 = "7.876923"
GEN4_X2 = "3.938462"
GEN3_X1 = "0.984615"
