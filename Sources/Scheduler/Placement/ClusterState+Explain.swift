extension ClusterState {
    /// Why a request that could run on this cluster cannot run now: the binding constraint, named
    /// with the node and domain that came closest. Looks at buckets, not at every node.
    func explainNotNow(_ r: ResolvedRequest, tally: CheckTally) -> PlacementRefusal {
        let eligible = eligiblePools(r)
        let partition = spec.partitions[r.partition]
        let unavailable = self.unavailable.filter {
            pools[nodes[$0].pool].partitions & r.partitionBit != 0
                && r.filter?.contains(pool: nodes[$0].pool, ordinal: nodes[$0].ordinal) != false
        }
        let suffix: String
        if unavailable.isEmpty {
            suffix = ""
        } else {
            let names = unavailable.prefix(3).map { spec.nodes[$0].name }.joined(separator: ", ")
            let more = unavailable.count > 3 ? ", …" : ""
            suffix =
                "; \(unavailable.count) node\(unavailable.count == 1 ? " is" : "s are") down or draining (\(names)\(more))"
        }
        // A filtered request is told which nodes it was weighed on.
        let scope = r.filter.map { " (it may use only \($0.text))" } ?? ""
        func refuse(_ m: String) -> PlacementRefusal { PlacementRefusal(.notNow, m + scope + suffix) }
        let shape = eligible.first?.shape ?? (try? r.shapes.first { (try? $0.get()) != nil }?.get())
        guard let shape else { return refuse("no node of partition \(partition.name) can take it now") }
        if let f = r.filter {
            // The nodes it may use that are up (each is in its pool's buckets while up).
            var up = 0
            for (p, _) in eligible {
                for sig in pools[p].active { up += pools[p].buckets.count(sig, in: f.masks[p]) }
            }
            if up == 0 {
                return PlacementRefusal(.notNow, "the nodes it may use (\(f.text)) are down or draining" + suffix)
            }
        }

        if shape.gang && !shape.exclusive {
            // A gang on shared nodes: how many nodes have its GPUs free (the first few named).
            var holding = 0
            var named: [Int] = []
            for (p, _) in eligible {
                let layout = layouts[pools[p].layout]
                for sig in pools[p].active where layout.total(sig) >= shape.gpusPerNode {
                    holding +=
                        r.filter.map { pools[p].buckets.count(sig, in: $0.masks[p]) } ?? pools[p].buckets.count(sig)
                    var o = nextInBucket(p, sig, from: 0, r)
                    while let ordinal = o, named.count < 3 {
                        named.append(pools[p].members[ordinal])
                        o = nextInBucket(p, sig, from: ordinal + 1, r)
                    }
                }
            }
            let gpus = "\(shape.gpusPerNode) free GPU\(shape.gpusPerNode == 1 ? "" : "s")"
            let each = "\(shape.nodes) nodes with \(gpus) each requested"
            if holding < shape.nodes {
                let listed = named.sorted().prefix(3).map { spec.nodes[$0].name }.joined(separator: ", ")
                return refuse(
                    "\(each); \(holding == 0 ? "none has them" : "only \(holding) \(holding == 1 ? "has" : "have") them (\(listed))")"
                )
            }
            if let c = tally.lackCores {
                return refuse(
                    "\(each), \(shape.cores) cores next to them: too few nodes have the cores (\(spec.nodes[c.node].name): \(c.free) free)"
                )
            }
            if let m = tally.lackMemory {
                return refuse(
                    "\(each), \(shape.memory) of memory next to them: too few nodes have the memory (\(spec.nodes[m.node].name): \(m.free) free)"
                )
            }
            if let s = tally.lackScratch {
                return refuse(
                    "\(each), \(shape.scratch) of scratch: too few nodes have it (\(spec.nodes[s.node].name): \(s.free) free)"
                )
            }
            return refuse("\(each): no \(shape.nodes) nodes meet the rules now")
        }
        if shape.gang || shape.exclusive {
            var idle: [Int] = []
            for (p, _) in eligible {
                var o = nextIdle(p, from: 0, r)
                while let ordinal = o, idle.count < shape.nodes {
                    idle.append(pools[p].members[ordinal])
                    o = nextIdle(p, from: ordinal + 1, r)
                }
            }
            var idleCount = 0
            for (p, _) in eligible {
                idleCount += r.filter.map { pools[p].idle.count(in: $0.masks[p]) } ?? pools[p].idle.count
            }
            let what = shape.nodes == 1 ? "a whole idle node" : "\(shape.nodes) whole idle nodes"
            let listed = idle.sorted().prefix(3).map { spec.nodes[$0].name }.joined(separator: ", ")
            return refuse(
                "\(what) requested; \(idleCount == 0 ? "none is" : "only \(idleCount) \(idleCount == 1 ? "is" : "are")") idle\(idleCount > 0 ? " (\(listed))" : "")"
            )
        }

        if let c = tally.lackCores {
            let where_ = c.domain >= 0 ? "\(spec.nodes[c.node].name) NUMA \(c.domain)" : spec.nodes[c.node].name
            return refuse(
                "\(shape.cores) cores next to the GPUs: the nodes with enough free GPUs lack cores (\(where_): \(c.free) free, \(c.need) needed)"
            )
        }
        if let m = tally.lackMemory {
            let where_ = m.domain >= 0 ? "\(spec.nodes[m.node].name) NUMA \(m.domain)" : spec.nodes[m.node].name
            return refuse(
                "\(shape.memory) of memory next to the GPUs: the nodes with enough free GPUs lack memory (\(where_): \(m.free) free, \(m.need) needed)"
            )
        }
        if let s = tally.lackScratch {
            return refuse(
                "\(shape.scratch) of scratch: the nodes with enough free GPUs lack scratch (\(spec.nodes[s.node].name): \(s.free) free)"
            )
        }
        if shape.gpusPerNode == 0 {
            return refuse("\(shape.cores) cores and \(shape.memory) of memory on one node: no node has them free")
        }

        let g = shape.gpusPerNode
        var bestDomain: (free: Int, node: Int, domain: Int)?
        var bestNode: (free: Int, node: Int)?
        var freeTotal = 0
        for (p, _) in eligible {
            let pool = pools[p]
            let layout = layouts[pool.layout]
            for sig in pool.active {
                guard let first = nextInBucket(p, sig, from: 0, r) else { continue }
                let node = pool.members[first]
                let total = layout.total(sig)
                freeTotal +=
                    total * (r.filter.map { pool.buckets.count(sig, in: $0.masks[p]) } ?? pool.buckets.count(sig))
                if bestNode == nil || (total, -node) > (bestNode!.free, -bestNode!.node) { bestNode = (total, node) }
                for k in layout.capacity.indices {
                    let f = layout.digit(sig, k)
                    let d = layout.gpuDomains[k]
                    if bestDomain == nil || (f, -node, -d) > (bestDomain!.free, -bestDomain!.node, -bestDomain!.domain)
                    {
                        bestDomain = (f, node, d)
                    }
                }
            }
        }
        let inAll = "; \(freeTotal) GPU\(freeTotal == 1 ? " is" : "s are") free in all"
        if let b = bestDomain, r.request.sameNuma, b.free < g {
            return refuse(
                "\(g) GPUs on one NUMA domain: at most \(b.free) \(b.free == 1 ? "is" : "are") free on one domain (\(spec.nodes[b.node].name) NUMA \(b.domain))\(inAll)"
            )
        }
        if let b = bestNode, b.free < g {
            return refuse(
                "\(g) GPUs on one node: at most \(b.free) \(b.free == 1 ? "is" : "are") free on one node (\(spec.nodes[b.node].name))\(inAll)"
            )
        }
        if bestNode == nil {
            return refuse("\(g) GPUs on one node: no node of partition \(partition.name) is up")
        }
        return refuse("\(g) GPUs on one node: no free placement meets the rules now")
    }
}
