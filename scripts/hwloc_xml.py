"""Writing hwloc v2 XML the way `lstopo --of xml` does (hwloc 2.9): bitmaps, escaping, objects, PCI bridges and
devices, OS devices, distance value blocks. Used by gen-dgx-h200-topology.py; Python 3 standard library only."""


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


def values_block(tag, values, indent="    "):
    out = []
    for k in range(0, len(values), 10):
        s = "".join("%s " % v for v in values[k:k + 10])
        out.append('%s<%s length="%d">%s</%s>' % (indent, tag, len(s), s, tag))
    return out
