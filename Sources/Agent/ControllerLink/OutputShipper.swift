import Foundation
import Glibc

/// Sends a run's output file to the controller in appended chunks, from the offset the controller holds.
///
/// A 409 reply (the controller holds a different amount: it restarted, or an earlier chunk was lost on the
/// way) moves the offset to where the controller says and carries on from there.
public struct OutputShipper: Sendable {
    /// The largest chunk in one request.
    public var chunkSize: Int
    /// At most this many chunks per call for a running run, so one chatty job does not starve the others;
    /// a final flush sends everything.
    public var chunksPerPass: Int

    public init(chunkSize: Int = 1 << 20, chunksPerPass: Int = 8) {
        self.chunkSize = max(1, chunkSize)
        self.chunksPerPass = max(1, chunksPerPass)
    }

    /// What one call achieved.
    public struct Progress: Sendable, Hashable {
        /// Bytes the controller holds now.
        public var offset: Int64
        /// The controller holds the whole file as it is now (with `final`: all of the run's output).
        public var caughtUp: Bool
    }

    /// Ships `path` from `offset`. With `final`, keeps going to the end of the file. Throws the transport's
    /// error; what was accepted before it is lost only to this call (the controller keeps it, and the next
    /// call's 409 says so).
    ///
    /// `owner` is the uid the job ran as. The agent reads with root's rights while the job chose the path and
    /// can swap it for a link at any time, so the file is opened without following a final symbolic link and
    /// shipped only if what was opened is a regular file owned by `owner`: a job cannot have the agent ship
    /// it another user's file.
    public func ship(
        path: String, runId: String, from offset: Int64, final: Bool, owner: UInt32? = nil,
        over transport: some ControllerTransport
    ) async throws -> Progress {
        let fd = Self.openOwned(path, owner: owner)
        // No file (the job never opened it, or it was removed), or not the job's: there is nothing to ship.
        guard fd >= 0 else { return Progress(offset: offset, caughtUp: true) }
        defer { close(fd) }
        var offset = offset
        var sent = 0
        var lastResume: Int64?
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while final || sent < chunksPerPass {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunkSize, off_t(offset)) }
            guard count > 0 else { return Progress(offset: offset, caughtUp: true) }
            switch try await transport.sendOutput(runId: runId, offset: offset, bytes: Array(buffer[0..<count])) {
            case .accepted:
                offset += Int64(count)
                sent += 1
                lastResume = nil
            case .resume(let size):
                // Twice the same answer for the same offset would loop for ever.
                if lastResume == size && size == offset {
                    throw ControllerCallError.rejected(
                        status: 409, message: "the controller keeps refusing \(runId)'s output at offset \(size)")
                }
                lastResume = size
                offset = size
            }
        }
        return Progress(offset: offset, caughtUp: false)
    }

    /// `path` opened for reading when it is a regular file owned by `owner` (any owner when nil); -1 otherwise.
    static func openOwned(_ path: String, owner: UInt32?) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return -1 }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, owner.map({ st.st_uid == $0 }) ?? true else {
            close(fd)
            return -1
        }
        return fd
    }
}
