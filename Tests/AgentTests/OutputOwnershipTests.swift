import Foundation
import Glibc
import Testing

@testable import Agent

/// The shipper reads a job's output with the agent's rights; it must not follow the job's links to files
/// that are not the job's.
@Suite struct OutputOwnershipTests {
    @Test func onlyARegularFileOfTheJobsOwnerIsOpened() throws {
        let dir = try temporaryDirectory("owned")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("out").path
        try "output\n".write(toFile: file, atomically: false, encoding: .utf8)
        let me = geteuid()

        let fd = OutputShipper.openOwned(file, owner: me)
        #expect(fd >= 0)
        close(fd)
        // Someone else's file: the job's uid is not the owner.
        #expect(OutputShipper.openOwned(file, owner: me &+ 4242) == -1)
        // A link the job put in place of its output, to a file it cannot read itself.
        let link = dir.appendingPathComponent("link").path
        #expect(symlink(file, link) == 0)
        #expect(OutputShipper.openOwned(link, owner: me) == -1)
        // Not a regular file (a FIFO would block the agent; a directory has no output).
        #expect(OutputShipper.openOwned(dir.path, owner: me) == -1)
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(OutputShipper.openOwned(fifo, owner: me) == -1)
    }
}
