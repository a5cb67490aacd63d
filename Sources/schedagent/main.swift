import Agent
import Foundation
let n = try DiscoveredNode.discover(CommandLine.arguments.count > 1 ? .xml(path: CommandLine.arguments[1]) : .live)
let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
var m = n; m.coreList = []; 
print(String(decoding: try e.encode(m), as: UTF8.self))
