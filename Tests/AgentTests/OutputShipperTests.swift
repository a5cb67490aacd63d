import Foundation
import RasporedAPI
import Testing

@testable import Agent

/// Output chunks, offsets and the controller's 409 "resume from here", over a scripted controller.
@Suite struct OutputShipperTests {
    func file(_ text: String) throws -> (URL, String) {
        let dir = try temporaryDirectory("ship")
        let path = dir.appendingPathComponent("out").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test func aFinalFlushSendsEverythingInCappedChunks() async throws {
        let (dir, path) = try file("abcdefghij")
        defer { try? FileManager.default.removeItem(at: dir) }
        let controller = ScriptedController()
        let shipper = OutputShipper(chunkSize: 4, chunksPerPass: 1)
        let p = try await shipper.ship(path: path, runId: "1", from: 0, final: true, over: controller)
        #expect(p == .init(offset: 10, caughtUp: true))
        #expect(await controller.outputCalls.map(\.offset) == [0, 4, 8])
        #expect(await controller.outputCalls.map(\.count) == [4, 4, 2])
        #expect(await controller.output["1"] == Array("abcdefghij".utf8))
    }

    @Test func aRunningRunSendsAtMostAPassfulAndResumesWhereItStopped() async throws {
        let (dir, path) = try file("abcdefghij")
        defer { try? FileManager.default.removeItem(at: dir) }
        let controller = ScriptedController()
        let shipper = OutputShipper(chunkSize: 4, chunksPerPass: 2)
        let first = try await shipper.ship(path: path, runId: "1", from: 0, final: false, over: controller)
        #expect(first == .init(offset: 8, caughtUp: false))
        let second = try await shipper.ship(path: path, runId: "1", from: first.offset, final: false, over: controller)
        #expect(second == .init(offset: 10, caughtUp: true))
        // The file grows; only the increment goes.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("KL".utf8))
        try handle.close()
        let third = try await shipper.ship(path: path, runId: "1", from: second.offset, final: false, over: controller)
        #expect(third == .init(offset: 12, caughtUp: true))
        #expect(await controller.outputCalls.map(\.offset) == [0, 4, 8, 10])
        #expect(await controller.output["1"] == Array("abcdefghijKL".utf8))
    }

    @Test func a409MovesTheOffsetToWhatTheControllerHolds() async throws {
        let (dir, path) = try file("abcdefghij")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shipper = OutputShipper(chunkSize: 4, chunksPerPass: 10)

        // The agent thinks it shipped 8 bytes (its saved offset), the controller kept 6 (it restarted).
        let behind = ScriptedController()
        await behind.hold("1", Array("abcdef".utf8))
        let p = try await shipper.ship(path: path, runId: "1", from: 8, final: true, over: behind)
        #expect(p == .init(offset: 10, caughtUp: true))
        #expect(await behind.outputCalls.map(\.offset) == [8, 6])
        #expect(await behind.output["1"] == Array("abcdefghij".utf8))

        // The agent starts over from 0 (no saved offset): what the controller has is skipped.
        let ahead = ScriptedController()
        await ahead.hold("1", Array("abcdef".utf8))
        let q = try await shipper.ship(path: path, runId: "1", from: 0, final: true, over: ahead)
        #expect(q == .init(offset: 10, caughtUp: true))
        #expect(await ahead.output["1"] == Array("abcdefghij".utf8))
    }

    @Test func aControllerThatKeepsRefusingTheSameOffsetIsAnErrorNotALoop() async throws {
        let (dir, path) = try file("abc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let controller = ScriptedController()
        await controller.setOutputOverride { _, _ in .resume(at: 0) }
        await #expect(throws: ControllerCallError.self) {
            try await OutputShipper().ship(path: path, runId: "1", from: 0, final: true, over: controller)
        }
        #expect(await controller.outputCalls.count == 2)
    }

    @Test func noFileMeansNothingToShip() async throws {
        let controller = ScriptedController()
        let p = try await OutputShipper().ship(
            path: "/nonexistent/raspored-out", runId: "1", from: 0, final: true, over: controller)
        #expect(p == .init(offset: 0, caughtUp: true))
        #expect(await controller.outputCalls.isEmpty)
    }
}
