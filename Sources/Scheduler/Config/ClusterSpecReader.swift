import Foundation

/// Reads cluster.yaml into a `ClusterSpec`, refusing any inconsistency with its file, line and field.
///
/// The format is documented in docs/cluster-yaml.md.
extension ClusterSpec {
    /// Reads and validates the file at `path`.
    public static func load(file path: String) throws(ConfigError) -> ClusterSpec {
        try parse(yaml: try ConfigNode.readFile(path), file: path)
    }

    /// Parses and validates cluster.yaml text; `file` names it in errors.
    public static func parse(yaml text: String, file: String? = "cluster.yaml") throws(ConfigError) -> ClusterSpec {
        let root = try ConfigNode.parse(text, file: file)
        try root.onlyKeys([
            "name", "gpuModels", "nodeTypes", "nodes", "fabric", "storage", "partitions", "accounts", "placement",
            "scheduling", "simulation", "security",
        ])
        let name = try root.optional("name")?.string() ?? "cluster"

        var models: [GPUModel] = []
        if let gm = try root.optional("gpuModels") {
            for (key, value) in try gm.entries() {
                try value.onlyKeys(["memory", "relativeSpeed", "pciDeviceIds"])
                let memory = try value.required("memory").byteSize()
                if memory == .zero { throw try value.required("memory").error("GPU memory must be more than 0") }
                let speed = try value.optional("relativeSpeed")?.double() ?? 1.0
                if speed <= 0 { throw try value.required("relativeSpeed").error("relative speed must be more than 0") }
                models.append(GPUModel(name: key, memory: memory, relativeSpeed: speed))
            }
        }

        let typesNode = try root.required("nodeTypes")
        var types: [NodeType] = []
        for (key, value) in try typesNode.entries() {
            types.append(try readNodeType(key, value, models: models))
        }
        if types.isEmpty { throw typesNode.error("declare at least one node type") }
        if types.count > 64 { throw typesNode.error("at most 64 node types are supported") }

        var switches: [FabricSwitch] = []
        if let fabric = try root.optional("fabric") {
            try fabric.onlyKeys(["switches"])
            for s in try fabric.required("switches").elements() {
                try s.onlyKeys(["name", "parent"])
                let sw = FabricSwitch(name: try s.required("name").string(), parent: try s.optional("parent")?.string())
                if switches.contains(where: { $0.name == sw.name }) {
                    throw s.error("switch '\(sw.name)' is declared twice")
                }
                switches.append(sw)
            }
            for (i, sw) in switches.enumerated() {
                if let p = sw.parent, !switches.contains(where: { $0.name == p }) {
                    throw try fabric.required("switches").elements()[i].error("unknown parent switch '\(p)'")
                }
            }
        }

        var nodes: [Node] = []
        let nodesNode = try root.required("nodes")
        for entry in try nodesNode.elements() {
            try entry.onlyKeys(["name", "type", "switch", "nvlinkDomain", "features"])
            let nameNode = try entry.required("name")
            guard let names = RangeList.expandHosts(try nameNode.string()) else {
                throw nameNode.error("cannot read node names '\(try nameNode.string())' (write dgx01 or dgx[01-06])")
            }
            let typeNode = try entry.required("type")
            let typeName = try typeNode.string()
            guard let type = types.first(where: { $0.name == typeName }) else {
                throw entry.error(
                    "unknown node type '\(typeName)' (declared: \(types.map(\.name).joined(separator: ", ")))")
            }
            var switchName = "default"
            if let sw = try entry.optional("switch") {
                switchName = try sw.string()
                guard switches.contains(where: { $0.name == switchName }) else {
                    throw sw.error(
                        "unknown switch '\(switchName)' (declared: \(switches.map(\.name).joined(separator: ", ")))")
                }
            } else if !switches.isEmpty {
                throw entry.error("missing 'switch': the fabric declares switches, so every node names its leaf")
            }
            let domain = try entry.optional("nvlinkDomain")?.string()
            if type.interconnect == .nvlinkDomain && domain == nil {
                throw entry.error(
                    "node type '\(type.name)' has an NVLink domain across nodes; name it with 'nvlinkDomain'")
            }
            let own = try entry.optional("features").map { (f) throws(ConfigError) in try readFeatures(f) } ?? []
            let features = Array(Set(type.features + own)).sorted()
            for n in names {
                if nodes.contains(where: { $0.name == n }) { throw nameNode.error("node '\(n)' is declared twice") }
                nodes.append(
                    Node(name: n, type: type.name, fabricSwitch: switchName, nvlinkDomain: domain, features: features))
            }
        }
        if nodes.isEmpty { throw nodesNode.error("declare at least one node") }
        if switches.isEmpty { switches = [FabricSwitch(name: "default", parent: nil)] }
        let parents = Set(switches.compactMap(\.parent))
        for (i, node) in nodes.enumerated() where parents.contains(node.fabricSwitch) {
            throw nodesNode.error(
                "nodes[\(i)] (\(node.name)): switch '\(node.fabricSwitch)' is not a leaf; nodes attach to leaf switches"
            )
        }

        var shared = ByteSize.zero
        if let storage = try root.optional("storage") {
            try storage.onlyKeys(["shared"])
            shared = try storage.optional("shared")?.byteSize() ?? .zero
        }

        var accounts: [Account] = []
        if let acc = try root.optional("accounts") {
            for (key, value) in try acc.entries() {
                try value.onlyKeys(["description", "share", "parent", "limits", "coordinators"])
                let share = try value.optional("share")?.double() ?? 1
                if share <= 0 { throw try value.required("share").error("a share must be more than 0") }
                accounts.append(
                    Account(
                        name: key, description: try value.optional("description")?.string() ?? "", share: share,
                        parent: try value.optional("parent")?.string(),
                        limits: try value.optional("limits").map { (l) throws(ConfigError) in
                            try AccountLimits(config: l)
                        }
                            ?? AccountLimits(),
                        coordinators: try value.optional("coordinators")?.stringList() ?? []))
            }
            for (i, a) in accounts.enumerated() {
                if let p = a.parent, !accounts.contains(where: { $0.name == p }) {
                    throw try acc.entries()[i].1.error("unknown parent account '\(p)'")
                }
            }
        }

        var partitions: [Partition] = []
        let allNames = nodes.map(\.name)
        if let parts = try root.optional("partitions") {
            for (key, value) in try parts.entries() {
                partitions.append(try readPartition(key, value, nodes: allNames, accounts: accounts))
            }
            if partitions.count > 64 { throw parts.error("at most 64 partitions are supported") }
            if partitions.filter(\.isDefault).count > 1 {
                throw parts.error("more than one partition is marked default")
            }
        }
        if partitions.isEmpty {
            partitions = [
                Partition(
                    name: "default", isDefault: true, maxTime: .days(7), defaultTime: .days(1), coresPerGPU: 1,
                    memoryPerGPU: .gibibytes(8), defaultCores: 1, defaultMemory: .gibibytes(4), nodes: allNames,
                    accounts: [])
            ]
        }

        var placement = PlacementSettings()
        if let p = try root.optional("placement") {
            placement = try readPlacement(p)
        }

        var spec = ClusterSpec(
            name: name, gpuModels: models, nodeTypes: types, nodes: nodes, switches: switches, sharedStorage: shared,
            partitions: partitions, accounts: accounts)
        spec.placement = placement
        if let s = try root.optional("scheduling") { spec.scheduling = try SchedulingSettings(config: s) }
        if let s = try root.optional("security") {
            try s.onlyKeys(["rootUsers", "maxJobsPerUser", "submissionsPerMinute"])
            spec.rootUsers = try s.optional("rootUsers")?.stringList() ?? []
            if let m = try s.optional("maxJobsPerUser") {
                spec.admission.maxJobsPerUser = try m.int(in: 1...10_000_000)
            }
            if let r = try s.optional("submissionsPerMinute") {
                spec.admission.submissionsPerMinute = try r.int(in: 1...1_000_000)
            }
        }
        return spec
    }

    private static func readNodeType(_ name: String, _ n: ConfigNode, models: [GPUModel]) throws(ConfigError)
        -> NodeType
    {
        try n.onlyKeys([
            "description", "sockets", "coresPerSocket", "threadsPerCore", "scratch", "gpus", "numa", "nics",
            "features",
        ])
        let sockets = try n.required("sockets").int()
        let coresPerSocket = try n.required("coresPerSocket").int()
        let threads = try n.optional("threadsPerCore")?.int() ?? 1
        if sockets < 1 { throw try n.required("sockets").error("a node needs at least one socket") }
        if coresPerSocket < 1 { throw try n.required("coresPerSocket").error("a socket needs at least one core") }
        if threads < 1 { throw try n.required("threadsPerCore").error("at least one thread per core") }
        if sockets * coresPerSocket > CPUSet.capacity {
            throw n.error("\(sockets * coresPerSocket) cores; at most \(CPUSet.capacity) per node are supported")
        }
        let scratch = try n.optional("scratch")?.byteSize() ?? .zero

        var gpuModel: GPUModel?
        var gpuCount = 0
        var interconnect = GPUInterconnect.pcie
        let gpusNode = try n.optional("gpus")
        if let g = gpusNode {
            try g.onlyKeys(["model", "count", "interconnect", "pciBusIds"])
            let modelNode = try g.required("model")
            let modelName = try modelNode.string()
            guard let m = models.first(where: { $0.name == modelName }) else {
                throw modelNode.error(
                    "unknown GPU model '\(modelName)' (declared in gpuModels: \(models.map(\.name).joined(separator: ", ")))"
                )
            }
            gpuModel = m
            gpuCount = try g.required("count").int()
            if gpuCount < 0 || gpuCount > 64 {
                throw try g.required("count").error("a node holds 0 to 64 GPUs, not \(gpuCount)")
            }
            if let ic = try g.optional("interconnect") {
                let s = try ic.string()
                guard let v = GPUInterconnect(rawValue: s) else {
                    throw ic.error("unknown interconnect '\(s)' (nvswitch, nvlink-pairs, nvlink-domain, pcie)")
                }
                interconnect = v
            }
        }
        var busIds: [String] = []
        for entry in try gpusNode?.optional("pciBusIds")?.elements() ?? [] {
            let text = try entry.string()
            guard let id = PCIBusId.normalized(text) else {
                throw entry.error(
                    "'\(text)' is not a PCI bus id: expected [domain:]bus:device.function in hex, e.g. 0000:18:00.0")
            }
            busIds.append(id)
        }
        if !busIds.isEmpty && busIds.count != gpuCount {
            throw try gpusNode!.required("pciBusIds").error("\(busIds.count) PCI bus ids for \(gpuCount) GPUs")
        }

        let numaNode = try n.required("numa")
        let numaEntries = try numaNode.elements()
        if numaEntries.isEmpty { throw numaNode.error("declare at least one NUMA domain") }
        var domains: [NUMADomain] = []
        var gpuNuma = [Int?](repeating: nil, count: gpuCount)
        var nicNuma: [String: Int] = [:]
        for (i, d) in numaEntries.enumerated() {
            try d.onlyKeys(["socket", "memory", "cores", "gpus", "nics"])
            let socketNode = try d.required("socket")
            let socket = try socketNode.int()
            if socket < 0 || socket >= sockets {
                throw socketNode.error("NUMA \(i) on socket \(socket), but the node type has \(sockets) socket(s)")
            }
            let memory = try d.required("memory").byteSize()
            var gpus: [Int] = []
            if let gn = try d.optional("gpus") {
                gpus = try gn.intList()
                for g in gpus {
                    if g < 0 || g >= gpuCount {
                        throw gn.error("\(name): GPU \(g) on NUMA \(i), but the node type has \(gpuCount) GPUs")
                    }
                    if let other = gpuNuma[g] {
                        throw gn.error("\(name): GPU \(g) is on NUMA \(other) and on NUMA \(i)")
                    }
                    gpuNuma[g] = i
                }
            }
            for nic in try d.optional("nics")?.stringList() ?? [] { nicNuma[nic] = i }
            var cores: [Int] = []
            if let cn = try d.optional("cores") {
                cores = try cn.intList()
                if let bad = cores.first(where: { $0 < 0 || $0 >= sockets * coresPerSocket }) {
                    throw cn.error("core \(bad) is outside 0-\(sockets * coresPerSocket - 1)")
                }
            }
            domains.append(NUMADomain(index: i, socket: socket, cores: cores, memory: memory, gpus: gpus.sorted()))
        }
        // Cores not listed: split each socket's cores evenly over its domains, in order.
        if domains.allSatisfy({ $0.cores.isEmpty }) {
            for s in 0..<sockets {
                let mine = domains.indices.filter { domains[$0].socket == s }
                if mine.isEmpty { throw numaNode.error("socket \(s) has no NUMA domain") }
                if coresPerSocket % mine.count != 0 {
                    throw numaNode.error(
                        "\(coresPerSocket) cores per socket do not split evenly over \(mine.count) NUMA domains; list 'cores' per domain"
                    )
                }
                let per = coresPerSocket / mine.count
                for (k, d) in mine.enumerated() {
                    let first = s * coresPerSocket + k * per
                    domains[d].cores = Array(first..<(first + per))
                }
            }
        } else {
            var seen = Set<Int>()
            for (i, d) in domains.enumerated() {
                if d.cores.isEmpty { throw numaEntries[i].error("list 'cores' for every NUMA domain, or for none") }
                for c in d.cores where !seen.insert(c).inserted {
                    throw numaEntries[i].error("core \(c) is in two NUMA domains")
                }
            }
            if seen.count != sockets * coresPerSocket {
                throw numaNode.error(
                    "the NUMA domains list \(seen.count) cores, but the node type has \(sockets * coresPerSocket)")
            }
        }
        if let missing = gpuNuma.firstIndex(where: { $0 == nil }) {
            if domains.count == 1 {
                for g in 0..<gpuCount { gpuNuma[g] = 0 }
                domains[0].gpus = Array(0..<gpuCount)
            } else {
                throw numaNode.error(
                    "\(name): GPU \(missing) is on no NUMA domain; list every GPU under one domain's 'gpus'")
            }
        }
        if domains.filter({ !$0.gpus.isEmpty }).count > 8 {
            throw numaNode.error("more than 8 NUMA domains hold GPUs; at most 8 are supported")
        }

        var nics: [NICSlot] = []
        var gpuNic = [String?](repeating: nil, count: gpuCount)
        if let nn = try n.optional("nics") {
            for e in try nn.elements() {
                try e.onlyKeys(["name", "kind", "speed", "numa", "gpu", "role", "ports"])
                let nicName = try e.required("name").string()
                if nics.contains(where: { $0.name == nicName }) { throw e.error("NIC '\(nicName)' is declared twice") }
                let kindText = try e.optional("kind")?.string() ?? "infiniband"
                guard let kind = NICKind(rawValue: kindText) else {
                    throw try e.required("kind").error("unknown NIC kind '\(kindText)' (infiniband, ethernet, efa)")
                }
                var speed: Int?
                if let sn = try e.optional("speed") {
                    let t = try sn.string().lowercased().replacingOccurrences(of: "gb/s", with: "")
                        .replacingOccurrences(of: "gb", with: "")
                    guard let v = Int(t.trimmingCharacters(in: .whitespaces)), v > 0 else {
                        throw sn.error("expected a link speed in Gb/s such as 400 or 400Gb, found '\(try sn.string())'")
                    }
                    speed = v
                }
                var numa = nicNuma[nicName]
                if let gn = try e.optional("gpu") {
                    let g = try gn.int()
                    if g < 0 || g >= gpuCount {
                        throw gn.error("NIC \(nicName) next to GPU \(g), but the node type has \(gpuCount) GPUs")
                    }
                    if let other = gpuNic[g] {
                        throw gn.error("GPU \(g) already has NIC \(other) behind its PCIe switch")
                    }
                    gpuNic[g] = nicName
                    numa = numa ?? gpuNuma[g]
                }
                if let nnuma = try e.optional("numa") {
                    let v = try nnuma.int()
                    if v < 0 || v >= domains.count {
                        throw nnuma.error("NIC \(nicName) on NUMA \(v), but the node type has \(domains.count)")
                    }
                    numa = v
                }
                guard let numa else {
                    throw e.error("NIC \(nicName): say which NUMA domain ('numa') or GPU ('gpu') it sits next to")
                }
                let nextToGPU = try e.optional("gpu") != nil
                let role = try e.optional("role")?.string() ?? (nextToGPU ? "compute" : "storage")
                let ports = try e.optional("ports")?.int() ?? 1
                if ports < 1 { throw try e.required("ports").error("a NIC has at least one port") }
                for p in 0..<ports {
                    let portName = ports == 1 ? nicName : "\(nicName):\(p + 1)"
                    nics.append(NICSlot(name: portName, kind: kind, speedGbps: speed, numa: numa, role: role))
                }
            }
        }
        for nic in nicNuma.keys.sorted() where !nics.contains(where: { $0.name == nic || $0.name.hasPrefix(nic + ":") })
        {
            throw numaNode.error("NIC '\(nic)' is listed under a NUMA domain but not declared under 'nics'")
        }
        let gpus = (0..<gpuCount).map { g in
            GPUSlot(
                index: g, model: gpuModel!.name, memory: gpuModel!.memory, numa: gpuNuma[g]!, nic: gpuNic[g],
                pciBusId: busIds.isEmpty ? nil : busIds[g])
        }
        return NodeType(
            name: name, description: try n.optional("description")?.string() ?? name, sockets: sockets,
            coresPerSocket: coresPerSocket, threadsPerCore: threads, numa: domains, gpus: gpus, nics: nics,
            interconnect: interconnect, scratch: scratch,
            features: try n.optional("features").map { (f) throws(ConfigError) in try readFeatures(f) } ?? [])
    }

    /// A `features` list (a YAML list, or one comma-separated text): names `NodeFeature.nameProblem` accepts,
    /// at most `NodeFeature.maxCount`, each once.
    private static func readFeatures(_ n: ConfigNode) throws(ConfigError) -> [String] {
        let names = try n.stringList()
        if names.count > NodeFeature.maxCount {
            throw n.error("at most \(NodeFeature.maxCount) features, not \(names.count)")
        }
        var out: [String] = []
        for name in names {
            if let why = NodeFeature.nameProblem(name) { throw n.error(why) }
            if out.contains(name) { throw n.error("feature '\(name)' is listed twice") }
            out.append(name)
        }
        return out
    }

    private static func readPartition(
        _ name: String, _ n: ConfigNode, nodes: [String], accounts: [Account]
    ) throws(ConfigError) -> Partition {
        try n.onlyKeys([
            "default", "nodes", "maxTime", "defaultTime", "coresPerGpu", "memoryPerGpu", "defaultCores",
            "defaultMemory", "accounts", "priority", "preemptible", "maxKillGrace", "multiNodeJobs",
        ])
        var members = nodes
        if let nn = try n.optional("nodes") {
            let text = try nn.isSequence ? nn.stringList().joined(separator: ",") : nn.string()
            if text != "all" {
                guard let list = RangeList.expandHosts(text) else { throw nn.error("cannot read node list '\(text)'") }
                for m in list where !nodes.contains(m) { throw nn.error("unknown node '\(m)'") }
                members = list
            }
        }
        let maxTime = try n.optional("maxTime")?.timeSpan() ?? .days(365)
        let defaultTime = try n.optional("defaultTime")?.timeSpan() ?? maxTime
        if defaultTime > maxTime {
            throw try n.required("defaultTime").error("default time \(defaultTime) is longer than maxTime \(maxTime)")
        }
        let accs = try n.optional("accounts")?.stringList() ?? []
        for a in accs where !accounts.contains(where: { $0.name == a }) {
            throw try n.required("accounts").error("unknown account '\(a)'")
        }
        let coresPerGPU = try n.optional("coresPerGpu")?.nonNegativeInt() ?? 1
        var multiNode = MultiNodeJobs.wholeNodes
        if let m = try n.optional("multiNodeJobs") {
            let text = try m.string()
            guard let value = MultiNodeJobs(rawValue: text) else {
                throw m.error(
                    "multiNodeJobs is \(MultiNodeJobs.allCases.map(\.rawValue).joined(separator: " or ")), not "
                        + "'\(TerminalText.escaped(text))'")
            }
            multiNode = value
        }
        var partition = Partition(
            name: name, isDefault: try n.optional("default")?.bool() ?? false, maxTime: maxTime,
            defaultTime: defaultTime,
            coresPerGPU: coresPerGPU, memoryPerGPU: try n.optional("memoryPerGpu")?.byteSize() ?? .gibibytes(8),
            defaultCores: try n.optional("defaultCores")?.nonNegativeInt() ?? 1,
            defaultMemory: try n.optional("defaultMemory")?.byteSize() ?? .gibibytes(4), nodes: members, accounts: accs,
            priority: try n.optional("priority")?.nonNegativeInt() ?? 0,
            preemptible: try n.optional("preemptible")?.bool() ?? false,
            maxKillGrace: try n.optional("maxKillGrace")?.timeSpan(
                atMost: TimeSpan(seconds: Int64(JobControls.maxSeconds)))
                ?? .minutes(5))
        partition.multiNodeJobs = multiNode
        return partition
    }

    private static func readPlacement(_ n: ConfigNode) throws(ConfigError) -> PlacementSettings {
        try n.onlyKeys(["policy", "shapeMix", "mixHalfLife"])
        var s = PlacementSettings()
        if let p = try n.optional("policy") {
            let name = try p.string()
            guard PlacementPolicyName(rawValue: name) != nil else {
                throw p.error(
                    "unknown placement policy '\(name)' (\(PlacementPolicyName.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            s.policy = PlacementPolicyName(rawValue: name)!
        }
        if let mix = try n.optional("shapeMix") {
            var weights: [Int: Double] = [:]
            for (k, v) in try mix.entries() {
                guard let size = Int(k), size > 0 else { throw v.error("shape sizes are GPU counts, found '\(k)'") }
                let w = try v.double()
                if w < 0 { throw v.error("a weight must not be negative") }
                weights[size] = w
            }
            s.shapeMix = weights
        }
        if let h = try n.optional("mixHalfLife") {
            s.mixHalfLife = try h.int()
            if s.mixHalfLife < 1 { throw h.error("the half-life is a count of placements, at least 1") }
        }
        return s
    }
}

/// PCI bus ids in one spelling, so cluster.yaml, hwloc ("0000:18:00.0") and nvidia-smi ("00000000:18:00.0")
/// compare equal.
public enum PCIBusId {
    /// "00000000:18:00.0", "0000:18:00.0" and "18:00.0" → "0000:18:00.0": lowercase hex, the domain with four
    /// digits (more only when its value needs them), a two-digit bus and device, a one-digit function; nil
    /// when `text` is not of the form [domain:]bus:device.function (domain up to 8 hex digits, device < 0x20,
    /// function < 8).
    public static func normalized(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let domainText = parts.count == 3 ? parts[0] : "0"
        let slot = parts[parts.count - 1].split(separator: ".", omittingEmptySubsequences: false)
        func hex(_ s: Substring, maxDigits: Int) -> UInt32? {
            guard !s.isEmpty, s.count <= maxDigits, s.allSatisfy(\.isHexDigit) else { return nil }
            return UInt32(s, radix: 16)
        }
        guard slot.count == 2, let domain = hex(domainText, maxDigits: 8),
            let bus = hex(parts[parts.count - 2], maxDigits: 2), let device = hex(slot[0], maxDigits: 2),
            device < 0x20, let function = hex(slot[1], maxDigits: 1), function < 8
        else { return nil }
        func padded(_ v: UInt32, _ width: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(padded(domain, 4)):\(padded(bus, 2)):\(padded(device, 2)).\(function)"
    }
}
