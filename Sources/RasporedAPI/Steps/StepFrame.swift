import Foundation

/// One WebSocket message of a step's stream, between schedctl, the controller and the agent (docs/api.md,
/// "Steps"). Every message is binary: a type byte, then the payload: raw bytes for terminal data, two
/// big-endian 16-bit numbers for a window size, one byte for a signal, JSON for the rest.
///
/// | type | frame | from → to | payload |
/// |---|---|---|---|
/// | 1 | start | client → controller, first | `StepRequest` JSON |
/// | 2 | started | controller → client | `StepStarted` JSON |
/// | 3 | stdin | client → agent | bytes |
/// | 4 | stdin end | client → agent | none |
/// | 5 | stdout | agent → client | bytes (a pty's whole output) |
/// | 6 | stderr | agent → client | bytes |
/// | 7 | resize | client → agent | rows, cols |
/// | 8 | signal | client → agent | signal number (`forwardable` only) |
/// | 9 | exit | agent → client, last | `StepExit` JSON |
/// | 10 | failed | controller → client, last | the reason, UTF-8 |
public enum StepFrame: Hashable, Sendable {
    case start(StepRequest)
    case started(StepStarted)
    case stdin([UInt8])
    case stdinEnd
    case stdout([UInt8])
    case stderr([UInt8])
    case resize(rows: UInt16, cols: UInt16)
    case signal(Int32)
    case exit(StepExit)
    case failed(String)

    /// Terminal data is sent in frames of at most this many bytes.
    public static let maxData = 8 * 1024
    /// No message is larger (a start frame's JSON is the largest).
    public static let maxMessage = StepRequest.maxBytes * 2 + 4096
    /// Signals a client may send to its step: SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGTERM
    /// (Linux numbers). Nothing else reaches the step's processes.
    public static let forwardable: Set<Int32> = [1, 2, 3, 9, 10, 12, 15]

    /// The message's bytes.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json(_ type: UInt8, _ value: some Encodable) -> [UInt8] {
            [type] + ((try? encoder.encode(value)).map { [UInt8]($0) } ?? [])
        }
        switch self {
        case .start(let r): return json(1, r)
        case .started(let s): return json(2, s)
        case .stdin(let b): return [3] + b
        case .stdinEnd: return [4]
        case .stdout(let b): return [5] + b
        case .stderr(let b): return [6] + b
        case .resize(let rows, let cols):
            return [7, UInt8(rows >> 8), UInt8(rows & 0xff), UInt8(cols >> 8), UInt8(cols & 0xff)]
        case .signal(let s): return [8, UInt8(clamping: s)]
        case .exit(let e): return json(9, e)
        case .failed(let reason): return [10] + Array(reason.utf8)
        }
    }

    /// Reads a message; a `StepFrameError` for one that is not a frame.
    public init(decoding message: some Collection<UInt8>) throws(StepFrameError) {
        guard let type = message.first else { throw StepFrameError("an empty message") }
        let payload = Array(message.dropFirst())
        func json<T: Decodable>(_ t: T.Type) throws(StepFrameError) -> T {
            do { return try JSONDecoder().decode(T.self, from: Data(payload)) } catch {
                throw StepFrameError("a frame of type \(type) whose JSON does not read: \(error)")
            }
        }
        switch type {
        case 1: self = .start(try json(StepRequest.self))
        case 2: self = .started(try json(StepStarted.self))
        case 3: self = .stdin(payload)
        case 4: self = .stdinEnd
        case 5: self = .stdout(payload)
        case 6: self = .stderr(payload)
        case 7:
            guard payload.count == 4 else { throw StepFrameError("a resize frame carries 4 bytes") }
            self = .resize(
                rows: UInt16(payload[0]) << 8 | UInt16(payload[1]), cols: UInt16(payload[2]) << 8 | UInt16(payload[3]))
        case 8:
            guard payload.count == 1 else { throw StepFrameError("a signal frame carries 1 byte") }
            self = .signal(Int32(payload[0]))
        case 9: self = .exit(try json(StepExit.self))
        case 10: self = .failed(String(decoding: payload, as: UTF8.self))
        default: throw StepFrameError("unknown frame type \(type)")
        }
    }

    /// `bytes` as stdout (or stderr) frames of at most `maxData` bytes each.
    public static func chunks(_ bytes: some Collection<UInt8>, stderr: Bool = false) -> [StepFrame] {
        let all = Array(bytes)
        return stride(from: 0, to: all.count, by: maxData).map { start in
            let part = Array(all[start..<min(start + maxData, all.count)])
            return stderr ? .stderr(part) : .stdout(part)
        }
    }
}

/// A message that is not a step frame.
public struct StepFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
