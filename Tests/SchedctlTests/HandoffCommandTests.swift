import CSchedctlHandoff
import Testing

@testable import SchedctlCore

/// A handed-off command's payload (schedctl_handoff.h) as the server reads it, and what it refuses.
@Suite struct HandoffCommandTests {
    /// A payload as schedctl_handoff_send lays it out.
    func payload(identity: [UInt64], umask: UInt32, strings: [String], arguments: Int, environment: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for v in identity { withUnsafeBytes(of: v) { bytes += $0 } }
        for v in [umask, UInt32(arguments), UInt32(environment)] { withUnsafeBytes(of: v) { bytes += $0 } }
        for s in strings { bytes += Array(s.utf8) + [0] }
        return bytes
    }

    let identity: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    @Test func readsTheIdentityUmaskArgumentsAndEnvironment() throws {
        let bytes = payload(
            identity: identity, umask: 0o027, strings: ["submit", "--gpus", "1", "", "A=b", "PATH=/usr/bin"],
            arguments: 4, environment: 2)
        #expect(bytes.count == Int(SCHEDCTL_HANDOFF_FIXED) + 35)
        let c = try #require(HandoffCommand(bytes))
        #expect(c.identity == identity)
        #expect(c.umask == 0o027)
        #expect(c.arguments == ["submit", "--gpus", "1", ""])
        #expect(c.environment == ["A=b", "PATH=/usr/bin"])
    }

    @Test func refusesPayloadsThatDoNotAddUp() {
        let good = payload(
            identity: identity, umask: 0, strings: ["submit", "X=1"], arguments: 1, environment: 1)
        #expect(HandoffCommand(good) != nil)
        // Too short for its fixed part.
        #expect(HandoffCommand(Array(good.prefix(Int(SCHEDCTL_HANDOFF_FIXED) - 1))) == nil)
        // A string without its NUL.
        #expect(HandoffCommand(Array(good.dropLast())) == nil)
        // Bytes after the last string.
        #expect(HandoffCommand(good + [65]) == nil)
        // More strings counted than there are.
        let short = payload(
            identity: identity, umask: 0, strings: ["submit"], arguments: 1, environment: 1)
        #expect(HandoffCommand(short) == nil)
        // Counts no payload of this size could meet (each string takes a byte at least).
        let huge = payload(
            identity: identity, umask: 0, strings: ["x"], arguments: 0x7fff_ffff, environment: 0x7fff_ffff)
        #expect(HandoffCommand(huge) == nil)
    }
}
