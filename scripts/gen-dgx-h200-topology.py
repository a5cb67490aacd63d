#!/usr/bin/env python3
"""Generate Tests/Fixtures/hwloc/dgx-h200.xml, an AUTHORED hwloc v2 XML topology of an NVIDIA DGX H200.

    python3 scripts/gen-dgx-h200-topology.py [OUTPUT]     (default: Tests/Fixtures/hwloc/dgx-h200.xml)
    python3 scripts/gen-dgx-h200-topology.py --check      (exit 1 if the committed file differs)

Python 3 standard library only; deterministic output (no clock, no randomness).

THIS IS NOT A CAPTURE. No public hwloc export of a DGX H100/H200 exists, so the file is written from
NVIDIA's published layout (DGX H100/H200 User Guide: 2x Xeon Platinum 8480C, 2 TB RAM, 8 GPUs, 4 NVSwitches,
8 single-port ConnectX-7 compute HCAs paired 1:1 with GPUs, 2 dual-port ConnectX-7 storage/in-band cards;
"Network Modules" table: GPU0..7 <-> mlx5_0,3,4,5,6,9,10,11). The XML follows the exact layout that
`lstopo --of xml` (hwloc 2.9 .. 2.12) writes, modelled on the real captures ipa20.xml (Dell XE8640, 2x 8480+,
4x H100) and nvidiaDGX2.xml (NVSwitch objects, NVLinkBandwidth distances2hetero). Apart from the trailing
marker comment, the output is byte-identical to its own round trip through
`lstopo-no-graphics -i dgx-h200.xml --whole-io --of xml -` (hwloc 2.9.0, libxml2 and minimal parser alike).

Modelled choices (see Tests/Fixtures/hwloc/dgx-h200.PROVENANCE.md for the sources):
  * 2 Packages x 56 cores x 2 PUs; core c (0..111, package c // 56) has PUs c and c + 112 (Linux numbering).
  * 1 NUMA node per package (no SNC), local_memory = 1 TiB = 1099511627776 bytes each (2 TB system RAM;
    a real node reports a little less because of firmware/kernel reservations).
  * 8 GPUs 10de:2335 class 0302 "NVIDIA H200", GPU_BUS below (GPUs 0-3 on package/NUMA 0, 4-7 on 1). Each
    GPU sits in its own PCIe switch (Broadcom PEX890xx 1000:c030) together with one compute ConnectX-7
    (15b3:1021, class 0207, InfiniBand, Port1State=4 ACTIVE) and one U.2 NVMe data drive.
    GPU OS devices: cudaN (CoProc, CUDAGlobalMemorySize in KiB) and nvmlN (GPU, NVIDIAUUID/NVIDIASerial).
  * 2 dual-port ConnectX-7 storage cards (slot 1 on package 0: mlx5_1/mlx5_2, slot 2 on package 1:
    mlx5_7/mlx5_8): both ports (functions .0 and .1) Ethernet/RoCE (class 0200, Port1State=4 ACTIVE), the
    bonded in-band/storage configuration of the DGX BasePOD deployment guide and what cluster.yaml declares.
  * 4 NVSwitches 10de:22a3 class 0680 subsystem 10de:1796 (subtype "NVSwitch"), behind a Microchip
    Switchtec (11f8:4128) management switch on package 0; NVLinkBandwidth = distances2hetero between nvml0..7
    and the 4 NVSwitch PCI objects: 5/4/4/5 NVLink4 links x 25000 MB/s, 1000000 on the diagonal
    (hwloc topology-nvml.c conventions).
  * BMC ASPEED AST2600 VGA (1a03:2000, class 0300: a non-NVIDIA "GPU" class device) and 2 M.2 boot NVMe.
hwloc has no InfiniBand link-rate attribute (OpenFabrics osdevs only carry NodeGUID, SysImageGUID,
PortNState, PortNLID, PortNLMC, PortNGIDm); 400 Gb/s NDR therefore does not appear in the file. The PCIe
link of every Gen5 x16 device is pci_link_speed="63.015385" (GB/s), as hwloc computes it.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Tests" / "Fixtures" / "hwloc" / "dgx-h200.xml"

# ---------------------------------------------------------------- layout tables (edit here) ----------
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

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE topology SYSTEM "hwloc2.dtd">
"""
# The marker comment goes AFTER </topology>: hwloc's built-in minimal XML parser (used when the libxml2
# plugin, package libhwloc-plugins, is absent or HWLOC_LIBXML_IMPORT=0) rejects any comment before or inside
# <topology>, and the libxml2 importer rejects one inside <topology>. The Machine info "FixtureOrigin"
# carries the same marker through hwloc itself (hwloc_obj_get_info_by_name(root, "FixtureOrigin")).
TRAILER = """<!--
  AUTHORED FIXTURE - NOT A CAPTURE FROM REAL HARDWARE.
  NVIDIA DGX H200 (2x Xeon Platinum 8480C, 2x1 TiB NUMA, 8x H200 141GB, 4x NVSwitch, 8+2 ConnectX-7)
  generated by scripts/gen-dgx-h200-topology.py from NVIDIA's published DGX H100/H200 layout.
  Sources and modelling choices: dgx-h200.PROVENANCE.md. Regenerate instead of editing by hand.
-->
"""
FIXTURE_ORIGIN = ("AUTHORED by scripts/gen-dgx-h200-topology.py from NVIDIA's published DGX H100/H200 layout; "
                  "not a hardware capture (see dgx-h200.PROVENANCE.md)")


# ---------------------------------------------------------------- helpers -----------------------------
def bitmap(bits):
    """hwloc_bitmap_snprintf() format: 32-bit words, most significant first, zero words left empty."""
    bits = sorted(set(bits))
    if not bits:
        return "0x0"
    nwords = bits[-1] // 32 + 1
    words = [0] * nwords
    for b in bits:
        words[b // 32] |= 1 << (b % 32)
    out = []
    for i in range(nwords - 1, -1, -1):
        w = words[i]
        if i == nwords - 1 or w:
            out.append("0x%08x" % w)
        elif i == 0:
            out.append("0x0")
        else:
            out.append("")
    return ",".join(out)


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


class Obj:
    def __init__(self, attrs, infos=(), extra=()):
        self.attrs = attrs          # list of (key, value), written in this order
        self.infos = list(infos)    # list of (name, value)
        self.extra = list(extra)    # raw lines (page_type)
        self.children = []

    def add(self, child):
        self.children.append(child)
        return child

    def write(self, out, indent):
        pad = "  " * indent
        head = pad + "<object " + " ".join('%s="%s"' % (k, esc(v)) for k, v in self.attrs)
        if not (self.infos or self.extra or self.children):
            out.append(head + "/>")
            return
        out.append(head + ">")
        for n, v in self.infos:
            out.append('%s  <info name="%s" value="%s"/>' % (pad, esc(n), esc(v)))
        for line in self.extra:
            out.append(pad + "  " + line)
        for c in self.children:
            c.write(out, indent + 1)
        out.append(pad + "</object>")


class Gp:
    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1
        return self.n


def cpu_attrs(typ, os_index, cpus, nodes):
    a = [("type", typ)]
    if os_index is not None:
        a.append(("os_index", os_index))
    cs, ns = bitmap(cpus), bitmap(nodes)
    a += [("cpuset", cs), ("complete_cpuset", cs), ("nodeset", ns), ("complete_nodeset", ns)]
    return a


def cache(typ, os_index, cpus, nodes, gp, size, depth, assoc, ctype):
    return Obj(cpu_attrs(typ, os_index, cpus, nodes) + [
        ("gp_index", gp()), ("cache_size", size), ("depth", depth), ("cache_linesize", 64),
        ("cache_associativity", assoc), ("cache_type", ctype)], infos=[("Inclusive", "0")])


def hostbridge(gp, lo, hi):
    return Obj([("type", "Bridge"), ("gp_index", gp()), ("bridge_type", "0-1"), ("depth", 0),
                ("bridge_pci", "0000:[%02x-%02x]" % (lo, hi))])


def pcibridge(gp, depth, busid, lo, hi, pcitype, speed):
    return Obj([("type", "Bridge"), ("gp_index", gp()), ("bridge_type", "1-1"), ("depth", depth),
                ("bridge_pci", "0000:[%02x-%02x]" % (lo, hi)), ("pci_busid", busid),
                ("pci_type", pcitype), ("pci_link_speed", speed)])


def pcidev(gp, busid, pcitype, speed, subtype=None):
    a = [("type", "PCIDev"), ("gp_index", gp())]
    if subtype:
        a.append(("subtype", subtype))
    a += [("pci_busid", busid), ("pci_type", pcitype), ("pci_link_speed", speed)]
    return Obj(a)


def osdev(gp, name, osdev_type, subtype=None, infos=()):
    a = [("type", "OSDev"), ("gp_index", gp()), ("name", name)]
    if subtype:
        a.append(("subtype", subtype))
    a.append(("osdev_type", osdev_type))
    return Obj(a, infos=infos)


def guid(n):
    """Synthetic ConnectX-7 node GUID (Mellanox OUI a0:88:c2 as seen in ipa20.xml)."""
    return "a088:c203:00d2:%04x" % n


def ib_osdevs(gp, netname, rdma, guid_n, state, lid):
    g = guid(guid_n)
    gbytes = ":".join(g.replace(":", "")[i:i + 2] for i in range(0, 16, 2))
    net = osdev(gp, netname, 2, infos=[
        ("Address", "00:00:10:49:fe:80:00:00:00:00:00:00:" + gbytes), ("Port", "1")])
    of = osdev(gp, rdma, 3, infos=[
        ("NodeGUID", g), ("SysImageGUID", g), ("Port1State", str(state)), ("Port1LID", lid),
        ("Port1LMC", "0"), ("Port1GID0", "fe80:0000:0000:0000:" + g)])
    return net, of


def eth_osdevs(gp, netname, rdma, guid_n, sysguid_n, mac):
    m = [int(x, 16) for x in mac.split(":")]
    eui = "%02x%02x:%02xff:fe%02x:%02x%02x" % (m[0] ^ 2, m[1], m[2], m[3], m[4], m[5])
    net = osdev(gp, netname, 2, infos=[("Address", mac)])
    of = osdev(gp, rdma, 3, infos=[
        ("NodeGUID", guid(guid_n)), ("SysImageGUID", guid(sysguid_n)), ("Port1State", "4"),
        ("Port1LID", "0x0"), ("Port1LMC", "0"), ("Port1GID0", "fe80:0000:0000:0000:" + eui)])
    return net, of


def disk(gp, name, kib):
    return osdev(gp, name, 0, subtype="Disk", infos=[("Size", str(kib)), ("SectorSize", "512")])


# ---------------------------------------------------------------- build ------------------------------
def build():
    gp = Gp()
    all_cpus = range(NPUS)
    machine = Obj([("type", "Machine"), ("os_index", 0), ("cpuset", bitmap(all_cpus)),
                   ("complete_cpuset", bitmap(all_cpus)), ("allowed_cpuset", bitmap(all_cpus)),
                   ("nodeset", bitmap(range(NPKG))), ("complete_nodeset", bitmap(range(NPKG))),
                   ("allowed_nodeset", bitmap(range(NPKG))), ("gp_index", gp())],
                  infos=[("FixtureOrigin", FIXTURE_ORIGIN), ("DMIProductName", "DGXH200"), ("DMIBoardVendor", "NVIDIA"),
                         ("DMISysVendor", "NVIDIA"), ("Backend", "Linux"), ("OSName", "Linux"),
                         ("OSRelease", "5.15.0-1063-nvidia"), ("HostName", "dgx-h200-authored-fixture"),
                         ("Architecture", "x86_64")])
    nvml_gps, nvswitch_gps = [], []
    nvme = iter(range(100))

    for p in range(NPKG):
        cores = range(p * CORES_PER_PKG, (p + 1) * CORES_PER_PKG)
        pus = [c for c in cores] + [c + NCORES for c in cores]
        pkg = machine.add(Obj(cpu_attrs("Package", p, pus, [p]) + [("gp_index", gp())], infos=[
            ("CPUVendor", "GenuineIntel"), ("CPUFamilyNumber", "6"), ("CPUModelNumber", "143"),
            ("CPUModel", "Intel(R) Xeon(R) Platinum 8480C"), ("CPUStepping", "8")]))
        pkg.add(Obj(cpu_attrs("NUMANode", p, pus, [p]) + [("gp_index", gp()), ("local_memory", NUMA_BYTES)],
                    extra=['<page_type size="4096" count="%d"/>' % (NUMA_BYTES // 4096),
                           '<page_type size="2097152" count="0"/>',
                           '<page_type size="1073741824" count="0"/>']))
        l3 = pkg.add(cache("L3Cache", p, pus, [p], gp, 110100480, 3, 15, 0))
        for c in cores:
            cpus = [c, c + NCORES]
            cid = p * 64 + (c - p * CORES_PER_PKG)   # Linux cache ids have holes per socket (cf. ipa20.xml)
            l2 = l3.add(cache("L2Cache", cid, cpus, [p], gp, 2097152, 2, 16, 0))
            l1 = l2.add(cache("L1Cache", cid, cpus, [p], gp, 49152, 1, 12, 1))
            l1i = l1.add(cache("L1iCache", cid, cpus, [p], gp, 32768, 1, 8, 2))
            core = l1i.add(Obj(cpu_attrs("Core", c - p * CORES_PER_PKG, cpus, [p]) + [("gp_index", gp())]))
            for t in cpus:
                core.add(Obj(cpu_attrs("PU", t, [t], [p]) + [("gp_index", gp())]))

        if p == 0:
            # BMC: ASPEED AST2600 PCIe bridge + VGA (a non-NVIDIA display-class device)
            hb = pkg.add(hostbridge(gp, 0x00, 0x02))
            b = hb.add(pcibridge(gp, 1, "0000:00:1c.0", 0x01, 0x02, "0604 [8086:1bb8] [8086:0000] 11", GEN3_X1))
            b2 = b.add(pcibridge(gp, 2, "0000:01:00.0", 0x02, 0x02, "0604 [1a03:1150] [1a03:1150] 06", GEN3_X1))
            b2.add(pcidev(gp, "0000:02:00.0", "0300 [1a03:2000] [1a03:2000] 52", "0.000000"))
            # 4 NVSwitches behind the baseboard's Switchtec management switch
            hb = pkg.add(hostbridge(gp, 0x04, 0x0A))
            rp = hb.add(pcibridge(gp, 1, "0000:04:01.0", 0x05, 0x0A, "0604 [8086:352a] [8086:0000] 04", GEN4_X2))
            up = rp.add(pcibridge(gp, 2, "0000:05:00.0", 0x06, 0x0A, "0604 [11f8:4128] [11f8:4128] 00", GEN4_X2))
            for k in range(4):
                bus = 0x07 + k
                dn = up.add(pcibridge(gp, 3, "0000:06:%02x.0" % k, bus, bus, "0604 [11f8:4128] [11f8:4128] 00", GEN4_X2))
                sw = dn.add(pcidev(gp, "0000:%02x:00.0" % bus, "0680 [10de:22a3] [10de:1796] a1", GEN4_X2, subtype="NVSwitch"))
                nvswitch_gps.append(sw.attrs[1][1])
            # 2 M.2 boot drives (RAID-1)
            hb = pkg.add(hostbridge(gp, 0x0C, 0x0E))
            for k, bus in enumerate((0x0D, 0x0E)):
                rp = hb.add(pcibridge(gp, 1, "0000:0c:%02x.0" % (1 + 2 * k), bus, bus, "0604 [8086:352b] [8086:0000] 04", GEN4_X4))
                d = rp.add(pcidev(gp, "0000:%02x:00.0" % bus, "0108 [144d:a80a] [144d:a813] 00", GEN4_X4))
                d.add(disk(gp, "nvme%dn1" % next(nvme), 1875374424))

        # GPU / compute-NIC / NVMe PCIe switches (bus order), with the storage card slotted in bus order
        items = [("gpu", i) for i in range(8) if (i // 4) == p] + [("storage", s) for s in STORAGE if s[0] == p]
        items.sort(key=lambda it: GPU_BUS[it[1]] - 5 if it[0] == "gpu" else it[1][1])
        for kind, it in items:
            if kind == "storage":
                _, hbbus, nicbus, (rdma1, rdma2) = it
                hb = pkg.add(hostbridge(gp, hbbus, nicbus))
                rp = hb.add(pcibridge(gp, 1, "0000:%02x:01.0" % hbbus, nicbus, nicbus, "0604 [8086:352a] [8086:0000] 04", GEN5_X16))
                n = int(rdma1.split("_")[1])
                f0 = rp.add(pcidev(gp, "0000:%02x:00.0" % nicbus, "0200 [15b3:1021] [15b3:0040] 00", GEN5_X16))
                mac = "a0:88:c2:d2:%02x:%02x" % (nicbus, 0)
                for od in eth_osdevs(gp, "enp%ds0f0np0" % nicbus, rdma1, 0x100 + n, 0x100 + n, mac):
                    f0.add(od)
                f1 = rp.add(pcidev(gp, "0000:%02x:00.1" % nicbus, "0200 [15b3:1021] [15b3:0040] 00", GEN5_X16))
                mac = "a0:88:c2:d2:%02x:%02x" % (nicbus, 1)
                for od in eth_osdevs(gp, "enp%ds0f1np1" % nicbus, rdma2, 0x101 + n, 0x100 + n, mac):
                    f1.add(od)
                continue
            i = it
            g = GPU_BUS[i]
            r = g - 5                               # host bridge / root bus
            nic_bus, nvme_bus = g - 2, g - 1
            hb = pkg.add(hostbridge(gp, r, g))
            rp = hb.add(pcibridge(gp, 1, "0000:%02x:01.0" % r, r + 1, g, "0604 [8086:352a] [8086:0000] 04", GEN5_X16))
            up = rp.add(pcibridge(gp, 2, "0000:%02x:00.0" % (r + 1), r + 2, g, "0604 [1000:c030] [1000:100b] b0", GEN5_X16))
            dn = up.add(pcibridge(gp, 3, "0000:%02x:00.0" % (r + 2), nic_bus, nic_bus, "0604 [1000:c030] [1000:100b] b0", GEN5_X16))
            nic = dn.add(pcidev(gp, "0000:%02x:00.0" % nic_bus, "0207 [15b3:1021] [15b3:0041] 00", GEN5_X16))
            n = int(COMPUTE_NIC[i].split("_")[1])
            for od in ib_osdevs(gp, "ibp%ds0" % nic_bus, COMPUTE_NIC[i], n, 4, "0x%x" % (0x101 + i)):
                nic.add(od)
            dn = up.add(pcibridge(gp, 3, "0000:%02x:01.0" % (r + 2), nvme_bus, nvme_bus, "0604 [1000:c030] [1000:100b] b0", GEN4_X4))
            d = dn.add(pcidev(gp, "0000:%02x:00.0" % nvme_bus, "0108 [144d:a824] [144d:a809] 00", GEN4_X4))
            d.add(disk(gp, "nvme%dn1" % next(nvme), 3750748848))
            dn = up.add(pcibridge(gp, 3, "0000:%02x:02.0" % (r + 2), g, g, "0604 [1000:c030] [1000:100b] b0", GEN5_X16))
            gpu = dn.add(pcidev(gp, "0000:%02x:00.0" % g, GPU_PCI, GEN5_X16))
            gpu.add(osdev(gp, "cuda%d" % i, 5, subtype="CUDA", infos=[
                ("Backend", "CUDA"), ("GPUVendor", "NVIDIA Corporation"), ("GPUModel", GPU_MODEL),
                ("CUDAGlobalMemorySize", str(CUDA_MEM_KIB)), ("CUDAL2CacheSize", "51200"),
                ("CUDAMultiProcessors", "132"), ("CUDACoresPerMP", "128"), ("CUDASharedMemorySizePerMP", "48")]))
            nv = gpu.add(osdev(gp, "nvml%d" % i, 1, subtype="NVML", infos=[
                ("Backend", "NVML"), ("GPUVendor", "NVIDIA Corporation"), ("GPUModel", GPU_MODEL),
                ("NVIDIASerial", "165000000000%d" % i),
                ("NVIDIAUUID", "GPU-00000000-0000-0000-0000-0000000000%02x" % (0xa0 + i))]))
            nvml_gps.append(nv.attrs[1][1])
    return machine, nvml_gps, nvswitch_gps


def values_block(tag, values, indent="    "):
    out = []
    for k in range(0, len(values), 10):
        s = "".join("%s " % v for v in values[k:k + 10])
        out.append('%s<%s length="%d">%s</%s>' % (indent, tag, len(s), s, tag))
    return out


def render():
    machine, nvml_gps, nvswitch_gps = build()
    out = [HEADER.rstrip("\n"), '<topology version="2.0">']
    machine.write(out, 1)
    # NUMA latency (SLIT), as on every 2-socket Sapphire Rapids without SNC
    out.append('  <distances2 type="NUMANode" nbobjs="2" kind="5" name="NUMALatency" indexing="os">')
    out += values_block("indexes", [0, 1])
    out += values_block("u64values", [10, 21, 21, 10])
    out.append("  </distances2>")
    # NVLinkBandwidth, GPUs (NVML osdevs) first, then NVSwitch PCI objects, like hwloc's NVML backend
    objs = ["OSDev:%d" % g for g in nvml_gps] + ["PCIDev:%d" % g for g in nvswitch_gps]
    n = len(objs)
    m = [[0] * n for _ in range(n)]
    for i in range(n):
        m[i][i] = 1000000
    for gi in range(len(nvml_gps)):
        for si, links in enumerate(NVSWITCH_LINKS):
            sj = len(nvml_gps) + si
            m[gi][sj] = m[sj][gi] = links * NVLINK_BW
    out.append('  <distances2hetero nbobjs="%d" kind="25" name="NVLinkBandwidth">' % n)
    out += values_block("indexes", objs)
    out += values_block("u64values", [v for row in m for v in row])
    out.append("  </distances2hetero>")
    out.append('  <support name="custom.exported_support"/>')
    out.append('  <cpukind cpuset="%s">' % bitmap(range(NPUS)))
    out.append('    <info name="FrequencyMaxMHz" value="3800"/>')
    out.append("  </cpukind>")
    out.append("</topology>")
    return "\n".join(out) + "\n" + TRAILER


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        ok = DEFAULT_OUT.read_text() == text
        print("dgx-h200.xml is up to date" if ok else "dgx-h200.xml differs from generator output")
        sys.exit(0 if ok else 1)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(text)
    print("wrote %s (%d bytes)" % (out, len(text)))


if __name__ == "__main__":
    main()
