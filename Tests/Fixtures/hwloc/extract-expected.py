#!/usr/bin/env python3
"""Regenerate expected.json / EXPECTED.md (ground truth for the hwloc fixtures).

Usage (from this directory, needs hwloc 2.9 tools: `apt-get install hwloc`):
    python3 extract-expected.py            # writes expected.json and EXPECTED.md
    python3 extract-expected.py --check    # exits 1 if the files on disk differ

Python 3 stdlib only. Every number comes from the hwloc command-line tools,
never from parsing the fixture directly:
  * counts ............ `hwloc-calc -i FILE -N <package|numa|core|pu> all`
  * everything else ... `lstopo-no-graphics -i FILE --whole-io --of xml -`
                        (hwloc 2.9 re-export, so hwloc-1.x input is normalised
                        to the 2.x schema first), parsed with xml.etree
  * GPU/NIC NUMA ...... `hwloc-info -i FILE --whole-io --local-memory pci=BUSID`
                        / `... --local-memory os=NAME` -> "os index" (P#)
The definitions used (what counts as a GPU, NIC, NVSwitch) are written into
EXPECTED.md by this script.
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = ["ipa20.xml", "nvidiaDGX2.xml", "coral-lassen.xml",
            "topo.jwb0004.xml", "topo.jwc09n003.xml", "dgx-h200.xml"]
# Hand-written notes (from each <source>.PROVENANCE.md plus inspection of the hwloc output); copied into
# expected.json ("quirks") and EXPECTED.md.
QUIRKS = {
    "ipa20.xml": [
        "3 OS devices per GPU (opencl0dN CoProc/OpenCL, cudaN CoProc/CUDA, nvmlN GPU/NVML): 12 GPU-ish osdevs for 4 GPUs; dedup by PCI bus id",
        "all NVIDIAUUID = GPU-00000000-0000-0000-0000-000000000000 and NVIDIASerial zeros (anonymised): dedup by UUID collapses 4 GPUs to 1",
        "SNC4: 8 NUMA nodes (4 per package, under Group objects inside L3); GPU NUMA P# 3,1,7,5 in bus order; NUMA P#0 is smaller",
        "only mlx5_0 is Port1State=4 (ACTIVE); mlx5_1..3 are 1 (DOWN) with Port1LID 0xffff",
        "dual-port ConnectX-6 4d:00.0/.1 (mlx5_0/mlx5_1) shares the PCIe switch of GPU 4e:00.0 (2 HCAs for 1 GPU); GPU cb:00.0 has no HCA in its switch",
        "IPoIB netdev names are mixed: renamed hsi0, ibs2f1, ibp94s0, ibp218s0",
        "non-NVIDIA display device Matrox 102b:0536 class 0300 (VGA) at 03:00.0; 4 Intel accelerators class 0b40 (not GPUs)",
        "Block 'sda' (LIO-ORG iSCSI) is attached to the Machine, not to a PCI device",
        "NVLinkBandwidth is a homogeneous distances2 over nvml0..3 (150000 per pair = 6 NVLink4 links, 1000000 diagonal)",
        "exported by hwloc 2.12.2; loads in 2.9.0 and re-exports byte-identically",
    ],
    "nvidiaDGX2.xml": [
        "CPU part trimmed by the hwloc developers: 2 cores / 2 PUs per package (PU P#0,1,24,25), not the real 2x24 cores",
        "NVML osdevs are osdev_type 5 (CoProc) without subtype (hwloc dev build PR-436); only info Backend=NVML identifies them; no CUDA osdevs, so no GPU memory size",
        "12 NVSwitch PCI objects (subtype NVSwitch, 10de:1ac2 class 0680, subsystem 0000:0000); 0000:66:00.0 has null ids '0000 [0000:0000]' -> 12 by subtype, 11 by vendor+class",
        "NVLinkBandwidth is distances2hetero (28 objs: nvml0..15 + 12 NVSwitch PCIDevs), 25000 per GPU-NVSwitch link, diagonal 0 (newer hwloc writes 1000000); inter-baseboard trunks absent",
        "no NICs at all; GPUs behind 5-level PLX (10b5:9781) switch trees",
    ],
    "coral-lassen.xml": [
        "POWER9 SMT4; PU P# are 8-87,96-175 (system-reserved cores absent; Machine complete_cpuset is larger than cpuset)",
        "NUMA os indexes are 0 and 8 (not 0,1): never assume NUMA P# == package index",
        "Core os_index values are sparse (8..92, 2056..2140)",
        "non-zero PCI domains (0003:, 0004:, 0005:, 0033:, 0035:)",
        "nvmlN osdevs have no subtype attribute (hwloc 2.2 export; osdev_type 1 + info Backend=NVML); cudaN has subtype CUDA; 2 osdevs per GPU",
        "PCIDev objects carry PCIVendor/PCIDevice name infos",
        "2 dual-port ConnectX-5 HCAs (mlx5_0/1 on socket 0, mlx5_2/3 on socket 1), all ports ACTIVE; no HCA shares a PCIe switch with a GPU",
        "IPoIB netdevs renamed hsi0..hsi3",
    ],
    "topo.jwb0004.xml": [
        "no GPU OS devices (no CUDA/NVML backend): GPUs only visible as PCI 10de:20b0 class 0302; no model or memory info",
        "NPS4: 8 NUMA nodes; GPUs only on NUMA P#1,3,5,7, and bus order != NUMA order (03:00.0 is on NUMA 3)",
        "each GPU shares a PCIe switch with one ConnectX-6 HDR HCA (1:1), all ports ACTIVE",
        "16 Misc(MemoryModule) objects; 2 L3 caches per NUMA node; ASPEED VGA 1a03:2000 class 0300 at 62:00.0",
    ],
    "topo.jwc09n003.xml": [
        "hwloc v1 XML (1.11.9): no version attribute, hwloc.dtd, os_index on I/O objects, no gp_index, online_cpuset, v1 <distances> (unnamed after import)",
        "GPU-type OS devices that are NOT NVIDIA GPUs: DRM 'card0' and 'controlD64' under the Matrox VGA 02:00.0; counting GPU osdevs gives 2 wrong GPUs and misses the 4 real V100s",
        "no NVIDIA OS devices: GPUs only as PCI 10de:1db1 class 0302",
        "2 GPUs + 1 EDR HCA per PCIe switch (2:1)",
        "24 Misc(MemoryModule) objects",
    ],
    "dgx-h200.xml": [
        "AUTHORED, not a capture (Machine info FixtureOrigin; marker comment after </topology> because hwloc's minimal XML parser rejects comments before/inside <topology>)",
        "2 OS devices per GPU (cudaN CoProc/CUDA with CUDAGlobalMemorySize, nvmlN GPU/NVML with distinct UUIDs)",
        "storage cards are dual-port ConnectX-7 with both ports Ethernet class 0200 with RoCE OpenFabrics devices (LID 0x0, ACTIVE), as cluster.yaml declares",
        "non-NVIDIA VGA (ASPEED 1a03:2000 class 0300) on package 0; 4 NVSwitches (10de:22a3 class 0680) with NVLinkBandwidth distances2hetero",
        "a U.2 NVMe shares each GPU/HCA PCIe switch",
    ],
}

COMMANDS = {  # how each expected.json field was produced (also in every entry as "commands")
    "sockets": "hwloc-calc -i FILE -N package all",
    "numaNodes": "hwloc-calc -i FILE -N numa all",
    "cores": "hwloc-calc -i FILE -N core all",
    "pus": "hwloc-calc -i FILE -N pu all",
    "puOsIndexes": "hwloc-calc -i FILE -p -I pu all",
    "numaMemoryBytes": "lstopo-no-graphics -i FILE --whole-io --of xml - : NUMANode@local_memory, sorted by os_index",
    "gpus": "lstopo-no-graphics -i FILE --whole-io --of xml - : PCIDev with vendor 10de and class 0300|0302, unique bus ids",
    "gpuNuma": "hwloc-info -i FILE --whole-io --local-memory pci=BUSID : 'os index'",
    "nvswitches": "lstopo-no-graphics -i FILE --whole-io --of xml - : PCIDev subtype=NVSwitch or vendor 10de class 0680",
    "nics": "lstopo-no-graphics -i FILE --whole-io --of xml - : OSDev osdev_type 3 (OpenFabrics) then 2 (Network) under PCIDev",
}

NOT_HWLOC = [
    ("aliyun-simai-nccl-topo-dump/topo_8A100_4CX6.xml", "NCCL topology dump"),
    ("aws-ofi-nccl-topo/p4d-24xl-topo.xml", "NCCL NCCL_TOPO_FILE"),
    ("azure-azhpc-images-nccl-topo/ndv4-topo.xml", "NCCL NCCL_TOPO_FILE"),
    ("azure-azhpc-images-nccl-topo/ndv5-topo.xml", "NCCL NCCL_TOPO_FILE"),
]

OSDEV_TYPES = {"0": "Block", "1": "GPU", "2": "Network", "3": "OpenFabrics",
               "4": "DMA", "5": "CoProc"}


def run(cmd):
    p = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def hwloc_version():
    return run(["hwloc-info", "--version"])[1].strip()


def pci_type(s):
    # "0302 [10de:2330] [10de:16c0] a1" -> class, vendor, device, subvendor, subdevice, rev
    m = re.match(r"([0-9a-f]{4}) \[([0-9a-f]{4}):([0-9a-f]{4})\] \[([0-9a-f]{4}):([0-9a-f]{4})\] ([0-9a-f]+)", s or "")
    if not m:
        return None
    return dict(zip(("cls", "vendor", "device", "subvendor", "subdevice", "rev"), m.groups()))


def infos(el):
    return {i.get("name"): i.get("value") for i in el.findall("info")}


def local_numa(file, location):
    """Physical (os) indexes of the NUMA nodes hwloc considers local to `location`."""
    rc, out, err = run(["hwloc-info", "-i", file, "--whole-io", "--local-memory", location])
    idx = [int(x) for x in re.findall(r"^ os index = (\d+)$", out, re.M)]
    return idx


def compress(nums):
    """[0,1,2,5] -> "0-2,5" (hwloc-calc --physical list format)."""
    nums = sorted(nums)
    out, start, prev = [], None, None
    for n in nums + [None]:
        if start is None:
            start = prev = n
        elif n is not None and n == prev + 1:
            prev = n
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = n
    return ",".join(out)


def analyse(file):
    res = {"file": file, "quirks": QUIRKS.get(file, []), "commands": COMMANDS}
    rc, xml_out, err = run(["lstopo-no-graphics", "-i", file, "--whole-io", "--of", "xml", "-"])
    warnings = [l for l in err.splitlines() if l.strip()]
    res["loadWarnings"] = warnings
    if rc != 0:
        res["loadError"] = err.strip()
        return res
    root = ET.fromstring(xml_out)

    for key, typ in (("sockets", "package"), ("numaNodes", "numa"), ("cores", "core"), ("pus", "pu")):
        rc, out, _ = run(["hwloc-calc", "-i", file, "-N", typ, "all"])
        res[key] = int(out.strip())

    parent = {}
    for p in root.iter():
        for c in p:
            parent[c] = p

    def ancestors(el):
        out = []
        while el in parent:
            el = parent[el]
            out.append(el)
        return out

    objs = list(root.iter("object"))
    numas = sorted((o for o in objs if o.get("type") == "NUMANode"), key=lambda o: int(o.get("os_index")))
    res["numaOsIndexes"] = [int(o.get("os_index")) for o in numas]
    res["numaMemoryBytes"] = [int(o.get("local_memory", "0")) for o in numas]
    pkgs = [o for o in objs if o.get("type") == "Package"]
    res["cpuModel"] = sorted({infos(p).get("CPUModel", "?") for p in pkgs})
    machine = root.find("object")
    res["dmiProduct"] = infos(machine).get("DMIProductName")
    res["fixtureOrigin"] = infos(machine).get("FixtureOrigin", "capture")
    rc, out, _ = run(["hwloc-calc", "-i", file, "-p", "-I", "pu", "all"])
    res["puOsIndexes"] = compress([int(x) for x in out.strip().split(",")])
    res["hwlocVersionOfCapture"] = infos(machine).get("hwlocVersion")

    pcidevs = [o for o in objs if o.get("type") == "PCIDev"]

    def osdevs(pci):
        return [c for c in pci.findall("object") if c.get("type") == "OSDev"]

    # --- GPUs: physical NVIDIA display/3D PCI functions, one per PCI bus id ---
    gpus = []
    for p in pcidevs:
        t = pci_type(p.get("pci_type"))
        if t and t["vendor"] == "10de" and t["cls"] in ("0300", "0302"):
            ods = osdevs(p)
            model = None
            mem_kib = None
            uuid = None
            for od in ods:
                inf = infos(od)
                model = model or inf.get("GPUModel")
                uuid = uuid or inf.get("NVIDIAUUID")
                if "CUDAGlobalMemorySize" in inf:
                    mem_kib = int(inf["CUDAGlobalMemorySize"])
            bus = p.get("pci_busid")
            gpus.append({
                "pciBusId": bus,
                "pciId": f"{t['vendor']}:{t['device']}",
                "pciClass": "0x" + t["cls"],
                "numa": local_numa(file, f"pci={bus}"),
                "model": model,
                "cudaGlobalMemoryKiB": mem_kib,
                "nvidiaUuid": uuid,
                "osdevs": [f"{od.get('name')}({od.get('subtype') or OSDEV_TYPES.get(od.get('osdev_type'))})" for od in ods],
            })
    gpus.sort(key=lambda g: g["pciBusId"])
    res["gpus"] = len(gpus)
    res["gpuPciBusIds"] = [g["pciBusId"] for g in gpus]
    for g in gpus:   # every fixture has exactly one local NUMA node per GPU; keep gpuNuma a flat [Int]
        if len(g["numa"]) != 1:
            raise SystemExit(f"{file}: GPU {g['pciBusId']} has local NUMA nodes {g['numa']}")
    res["gpuNuma"] = [g["numa"][0] for g in gpus]
    res["gpuDetails"] = gpus
    uuids = [g["nvidiaUuid"] for g in gpus if g["nvidiaUuid"]]
    res["distinctGpuUuids"] = len(set(uuids))
    res["gpuOsdevCount"] = sum(1 for o in objs if o.get("type") == "OSDev" and o.get("osdev_type") in ("1", "5"))

    # --- NVSwitches: PCI objects with subtype NVSwitch, or NVIDIA class 0x0680 ---
    nvs = []
    for p in pcidevs:
        t = pci_type(p.get("pci_type"))
        if p.get("subtype") == "NVSwitch" or (t and t["vendor"] == "10de" and t["cls"] == "0680"):
            nvs.append({"pciBusId": p.get("pci_busid"), "pciType": p.get("pci_type"),
                        "subtypeNVSwitch": p.get("subtype") == "NVSwitch"})
    res["nvswitches"] = len(nvs)
    res["nvswitchDetails"] = nvs

    # --- NICs: Network + OpenFabrics OS devices; physical NIC = PCI class 02xx ---
    nics = []
    for p in pcidevs:
        t = pci_type(p.get("pci_type"))
        for od in osdevs(p):
            ty = OSDEV_TYPES.get(od.get("osdev_type"))
            if ty not in ("Network", "OpenFabrics"):
                continue
            inf = infos(od)
            nics.append({
                "name": od.get("name"),
                "type": ty,
                "pciBusId": p.get("pci_busid"),
                "pciId": f"{t['vendor']}:{t['device']}" if t else None,
                "pciClass": "0x" + t["cls"] if t else None,
                "pciLinkSpeedGBps": float(p.get("pci_link_speed", "0")),
                "numa": local_numa(file, f"os={od.get('name')}"),
                "portStates": {k: int(v) for k, v in inf.items() if re.fullmatch(r"Port\d+State", k)},
                "infos": {k: v for k, v in inf.items() if k.startswith("Port") or k in ("NodeGUID", "Address", "LinkSpeed")},
            })
    nics.sort(key=lambda n: (n["type"] != "OpenFabrics", n["pciBusId"], n["name"]))
    res["nics"] = [n["name"] for n in nics]
    res["openFabricsDevices"] = [n["name"] for n in nics if n["type"] == "OpenFabrics"]
    res["networkDevices"] = [n["name"] for n in nics if n["type"] == "Network"]
    res["nicDetails"] = nics
    nic_pcis = sorted({p.get("pci_busid") for p in pcidevs
                       if (pci_type(p.get("pci_type")) or {}).get("cls", "").startswith("02")})
    res["nicPciFunctions"] = nic_pcis

    # --- GPU <-> NIC affinity: NICs whose PCI function shares a PCIe switch (lowest common
    # ancestor is a PCI-PCI bridge, bridge_type 1-1) with the GPU ---
    by_bus = {p.get("pci_busid"): p for p in pcidevs}
    pairs = {}
    for g in gpus:
        ganc = ancestors(by_bus[g["pciBusId"]])
        same = []
        for n in nics:
            if n["type"] != "OpenFabrics":
                continue
            nanc = set(ancestors(by_bus[n["pciBusId"]]))
            lca = next((a for a in ganc if a in nanc), None)
            if lca is not None and lca.get("type") == "Bridge" and lca.get("bridge_type") == "1-1":
                same.append(n["name"])
        pairs[g["pciBusId"]] = same
    res["gpuNicSameSwitch"] = pairs

    res["distances"] = [f"{d.get('name') or '(unnamed, kind ' + d.get('kind') + ')'}({d.tag},{d.get('nbobjs')} objs)"
                        for d in root if d.tag in ("distances2", "distances2hetero")]
    res["miscObjects"] = sum(1 for o in objs if o.get("type") == "Misc")
    return res


def fmt_bytes(b):
    return f"{b} ({b / 2**30:.1f} GiB)"


def render_md(all_res, version):
    L = []
    L.append("# hwloc fixture ground truth\n")
    L.append(f"Generated by `python3 extract-expected.py` with **{version}** (Debian 12 package `hwloc`). "
             "Do not edit by hand; rerun the script. Machine-readable copy: `expected.json`.\n")
    L.append("## Commands and definitions\n")
    L.append("| field | exact command / rule |")
    L.append("|---|---|")
    L.append("| sockets / numaNodes / cores / pus | `hwloc-calc -i FILE -N package all` (resp. `numa`, `core`, `pu`) |")
    L.append("| numaMemoryBytes, numaOsIndexes | `lstopo-no-graphics -i FILE --whole-io --of xml -`: `local_memory` of each `NUMANode`, sorted by `os_index` (same value as `hwloc-info -i FILE numa:N` -> `local memory`) |")
    L.append("| gpus, gpuPciBusIds | same XML export: `PCIDev` whose `pci_type` has vendor `10de` and class `0300`/`0302`, one per PCI bus id (CUDA/NVML/OpenCL OS devices are NOT counted) |")
    L.append("| gpuNuma | `hwloc-info -i FILE --whole-io --local-memory pci=BUSID` -> `os index` (physical NUMA P#) |")
    L.append("| nvswitches | `PCIDev` with `subtype=\"NVSwitch\"` or vendor `10de` + class `0680` |")
    L.append("| nics | names of all `Network` (osdev_type 2) and `OpenFabrics` (osdev_type 3) OS devices under a PCI device, OpenFabrics first. One IB port shows up twice (e.g. `mlx5_0` + `ib0`); `nicPciFunctions` = physical PCI functions of class 02xx |")
    L.append("| NIC numa | `hwloc-info -i FILE --whole-io --local-memory os=NAME` |")
    L.append("| gpuNicSameSwitch | OpenFabrics devices whose PCI function's lowest common ancestor with the GPU is a PCI-PCI bridge (`bridge_type=\"1-1\"`), i.e. same PCIe switch |")
    L.append("")
    L.append("## Files under /work/shared/data that are NOT hwloc XML (not copied)\n")
    L.append("`lstopo-no-graphics -i FILE --whole-io` exits 1 on each, printing \"ignoring object of class \u2018system\u2019 not at the top the xml hierarchy\" and "
             "\"XML component discovery failed.\" (their root element `<system version=\"1\">` is NCCL's topology format).\n")
    for f, what in NOT_HWLOC:
        L.append(f"- `{f}` ({what})")
    L.append("")
    L.append("## Summary\n")
    L.append("| file | sockets | NUMA | cores | PUs | GPUs | NVSwitch | OpenFabrics | Network | NIC PCI fns | load |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for f, r in all_res.items():
        if "loadError" in r:
            L.append(f"| {f} | - | - | - | - | - | - | - | - | - | FAILED |")
            continue
        L.append(f"| {f} | {r['sockets']} | {r['numaNodes']} | {r['cores']} | {r['pus']} | {r['gpus']} | "
                 f"{r['nvswitches']} | {len(r['openFabricsDevices'])} | {len(r['networkDevices'])} | "
                 f"{len(r['nicPciFunctions'])} | {'ok' if not r['loadWarnings'] else 'warnings'} |")
    L.append("")
    for f, r in all_res.items():
        L.append(f"## {f}\n")
        if "loadError" in r:
            L.append(f"**Failed to load:** `{r['loadError']}`\n")
            continue
        L.append(f"- origin: {r['fixtureOrigin']}")
        L.append(f"- DMI product: {r['dmiProduct']!s}; CPU model: {', '.join(r['cpuModel'])}; exported by hwloc {r['hwlocVersionOfCapture'] or 'n/a'}")
        L.append(f"- load warnings (stderr of lstopo): {r['loadWarnings'] or 'none'}")
        if r["quirks"]:
            L.append("- quirks:")
            L += [f"  - {q}" for q in r["quirks"]]
        L.append(f"- sockets={r['sockets']} numaNodes={r['numaNodes']} cores={r['cores']} pus={r['pus']}; PU P# (`hwloc-calc -i FILE -p -I pu all`): {r['puOsIndexes']}")
        L.append("- NUMA (P# : bytes): " + ", ".join(f"P#{i}: {fmt_bytes(b)}" for i, b in zip(r['numaOsIndexes'], r['numaMemoryBytes'])))
        L.append(f"- GPU OS devices in file (GPU+CoProc osdev_type, before dedup): {r['gpuOsdevCount']}; distinct NVIDIAUUID values: {r['distinctGpuUuids']}")
        L.append(f"- NVSwitches: {r['nvswitches']}" + ("" if not r['nvswitchDetails'] else " (" + ", ".join(
            f"{n['pciBusId']} `{n['pciType']}`" for n in r['nvswitchDetails']) + ")"))
        L.append(f"- distance matrices: {', '.join(r['distances']) or 'none'}; Misc objects: {r['miscObjects']}")
        L.append("")
        if r["gpuDetails"]:
            L.append("| GPU PCI bus id | PCI id | class | NUMA P# | model (GPUModel info) | CUDAGlobalMemorySize KiB | OS devices | same-switch OpenFabrics |")
            L.append("|---|---|---|---|---|---|---|---|")
            for g in r["gpuDetails"]:
                L.append(f"| {g['pciBusId']} | {g['pciId']} | {g['pciClass']} | {','.join(map(str, g['numa']))} | {g['model'] or '-'} | "
                         f"{g['cudaGlobalMemoryKiB'] or '-'} | {' '.join(g['osdevs']) or '(none)'} | {' '.join(r['gpuNicSameSwitch'][g['pciBusId']]) or '-'} |")
            L.append("")
        if r["nicDetails"]:
            L.append("| NIC OS device | type | PCI bus id | PCI id | class | PCI link GB/s | NUMA P# | port state (4=ACTIVE, 1=DOWN) | LID |")
            L.append("|---|---|---|---|---|---|---|---|---|")
            for n in r["nicDetails"]:
                lid = n["infos"].get("Port1LID", "-")
                ps = ", ".join(f"{k}={v}" for k, v in n["portStates"].items()) or "-"
                L.append(f"| {n['name']} | {n['type']} | {n['pciBusId']} | {n['pciId']} | {n['pciClass']} | {n['pciLinkSpeedGBps']:.2f} | "
                         f"{','.join(map(str, n['numa']))} | {ps} | {lid} |")
            L.append("")
    return "\n".join(L) + "\n"


def main():
    version = hwloc_version()
    COMMANDS["hwloc"] = version
    all_res = {}
    for f in FIXTURES:
        if (HERE / f).exists():
            all_res[f] = analyse(f)
    expected = {}
    for f, r in all_res.items():
        expected[f] = r
    js = json.dumps(expected, indent=2) + "\n"
    md = render_md(all_res, version)
    if "--check" in sys.argv:
        ok = (HERE / "expected.json").read_text() == js and (HERE / "EXPECTED.md").read_text() == md
        print("up to date" if ok else "expected.json / EXPECTED.md differ from a fresh run")
        sys.exit(0 if ok else 1)
    (HERE / "expected.json").write_text(js)
    (HERE / "EXPECTED.md").write_text(md)
    print(f"wrote expected.json and EXPECTED.md for {len(all_res)} fixtures")


if __name__ == "__main__":
    main()
