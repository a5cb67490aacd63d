import CSchedctlHandoff
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A schedctl that stays up for its user and runs the `submit` commands other schedctl processes hand it
/// (CSchedctlHandoff, CSchedctlFront, whose header describes the exchange): a script's loop of submits then
/// starts this binary's runtime once, not once per job. Each command runs as the user's own schedctl would:
/// with the client's arguments, environment, working directory, umask and standard descriptors, one at a
/// time. It takes only clients of its own user (`SO_PEERCRED`), on a socket in a folder only that user may
/// enter; only from the same executable (device, inode, size and modification time), so a rebuilt schedctl
/// never talks to an old server (the old one says so and stops); and only from the same context (mount and
/// network namespaces, groups), so a command from inside a container, or under `sg`, runs where it was
/// typed. It stops after `idleSeconds` without a command, or after `maxCommands` commands.
public enum HandoffServer {
    /// The hidden command that runs a server: `schedctl __serve SOCKET`.
    public static let command = "__serve"
    public static let idleSeconds: Int32 = 30
    public static let maxCommands = 10_000
    /// How long a client may take to send its message once connected, in ms.
    static let messageTimeoutMs: Int32 = 5_000

    /// Starts a server for this user when the command just run (a submit) found none, unless
    /// RASPORED_SCHEDCTL_SERVER=off or the command ran in a job: a server started there would live in the
    /// job's cgroup and end with it, perhaps in the middle of another command.
    public static func startIfWanted() {
        guard schedctl_handoff_server_wanted() != 0 else { return }
        let environment = ProcessInfo.processInfo.environment
        guard environment["RASPORED_SCHEDCTL_SERVER"] != "off", environment["RASPORED_JOB_ID"] == nil else { return }
        var path = [CChar](repeating: 0, count: Int(SCHEDCTL_HANDOFF_MAX_PATH))
        var folder = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard schedctl_handoff_path(&path, path.count, &folder, folder.count) == 0 else { return }
        schedctl_handoff_start_server(path)
    }

    /// Serves on `socket` (whose folder it makes, mode 0700, when missing) until idle; the exit status.
    public static func serve(socket path: String) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // Holding no client's directory between commands.
        chdir("/")
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !folder.isEmpty, mkdir(folder, 0o700) != 0, errno != EEXIST { return 1 }
        guard !folder.isEmpty, schedctl_handoff_folder_is_private(folder) != 0 else { return 1 }
        var identity = [UInt64](repeating: 0, count: Int(SCHEDCTL_HANDOFF_IDENTITY))
        guard schedctl_handoff_identity(&identity) == 0 else { return 1 }
        guard let (listener, inode) = listen(on: path) else { return 1 }
        defer {
            // The socket's name is this server's only while no newer server took it.
            var st = stat()
            if lstat(path, &st) == 0, st.st_ino == inode { unlink(path) }
            close(listener)
        }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { return 1 }
        var served = 0
        while served < maxCommands {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, idleSeconds * 1000)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { break }
            let client = schedctl_handoff_accept(listener)
            guard client >= 0 else { continue }
            defer { close(client) }
            guard schedctl_handoff_peer_is_me(client) != 0,
                schedctl_handoff_write_all(client, [UInt8(ascii: "A")], 1) == 0
            else { continue }
            switch take(client, identity: identity, null: null) {
            case .served: served += 1
            case .refused: continue
            case .stale: return 0
            }
        }
        return 0
    }

    /// A listening socket at `path` and its inode: bound under a name of its own, then renamed over
    /// `path`, so two servers started at once leave one name that answers.
    static func listen(on path: String) -> (Int32, ino_t)? {
        let temporary = path + ".\(getpid())"
        guard temporary.utf8.count < Int(SCHEDCTL_HANDOFF_MAX_PATH) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(temporary.utf8) + [0])
        }
        unlink(temporary)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        var st = stat()
        guard bound == 0, Glibc.listen(fd, 64) == 0, lstat(temporary, &st) == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            close(fd)
            return nil
        }
        return (fd, st.st_ino)
    }

    enum Outcome { case served, refused, stale }

    /// One client's command, after the server's 'A': read, checked, answered 'Y' and run, or refused.
    static func take(_ client: Int32, identity: [UInt64], null: Int32) -> Outcome {
        var fds = [Int32](repeating: -1, count: Int(SCHEDCTL_HANDOFF_FDS))
        let length = schedctl_handoff_receive_header(client, &fds, messageTimeoutMs)
        guard length >= 0 else { return .refused }
        defer { for fd in fds { close(fd) } }
        var payload = [UInt8](repeating: 0, count: Int(length))
        guard schedctl_handoff_read_all(client, &payload, payload.count, messageTimeoutMs) == 0,
            let command = HandoffCommand(payload)
        else { return .refused }
        let executable = Int(SCHEDCTL_HANDOFF_EXECUTABLE)
        guard command.identity.prefix(executable) == identity.prefix(executable) else {
            _ = schedctl_handoff_write_all(client, [UInt8(ascii: "S")], 1)
            return .stale
        }
        guard command.identity == identity else {
            _ = schedctl_handoff_write_all(client, [UInt8(ascii: "N")], 1)
            return .refused
        }
        // A client that gave up waiting (its side shut down) runs the command itself: nothing runs here.
        // Otherwise, once 'Y' is written, the command is this server's to run.
        guard schedctl_handoff_client_left(client) == 0,
            schedctl_handoff_write_all(client, [UInt8(ascii: "Y")], 1) == 0
        else { return .refused }
        var status = run(command, fds: fds, null: null)
        _ = withUnsafeBytes(of: &status) { schedctl_handoff_write_all(client, $0.baseAddress, 4) }
        return .served
    }

    /// Runs `command` with the client's descriptors as 0, 1 and 2, its working directory, umask and
    /// environment; puts /dev/null, / and an empty environment back afterwards.
    static func run(_ command: HandoffCommand, fds: [Int32], null: Int32) -> Int32 {
        for i in 0..<3 { dup2(fds[i], Int32(i)) }
        defer {
            schedctl_handoff_flush()
            for i in 0..<3 { dup2(null, Int32(i)) }
            chdir("/")
            // The client's environment (its token among it) stays no longer than its command.
            _ = schedctl_handoff_set_environment(nil, 0)
        }
        umask(mode_t(command.umask))
        let entries = command.environment.map { strdup($0) }
        defer { for e in entries { free(e) } }
        var pointers = entries
        guard schedctl_handoff_set_environment(&pointers, pointers.count) == 0 else {
            printError("the schedctl server could not set the command's environment")
            return ExitStatus.usage
        }
        guard fchdir(fds[3]) == 0 else {
            printError("cannot enter the command's directory: \(String(cString: strerror(errno)))")
            return ExitStatus.usage
        }
        return Schedctl.executeWaiting(command.arguments)
    }
}

/// A client's message after its header (schedctl_handoff.h): its identity, umask, arguments and environment.
struct HandoffCommand: Equatable {
    var identity: [UInt64]
    var umask: UInt32
    var arguments: [String]
    var environment: [String]

    /// Nil for a payload that does not read as one: too short, counts that its strings do not meet, or
    /// bytes after them.
    init?(_ payload: [UInt8]) {
        guard payload.count >= Int(SCHEDCTL_HANDOFF_FIXED) else { return nil }
        // In the machine's byte order: both ends are the same executable.
        func u64(_ at: Int) -> UInt64 {
            payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        }
        func u32(_ at: Int) -> UInt32 {
            payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        }
        let words = Int(SCHEDCTL_HANDOFF_IDENTITY)
        identity = (0..<words).map { u64($0 * 8) }
        umask = u32(words * 8)
        let argumentCount = Int(u32(words * 8 + 4))
        let environmentCount = Int(u32(words * 8 + 8))
        var strings: [String] = []
        var start = Int(SCHEDCTL_HANDOFF_FIXED)
        let wanted = argumentCount + environmentCount
        // Each string takes at least its NUL, so counts larger than the bytes left cannot be met.
        guard wanted <= payload.count - start else { return nil }
        while strings.count < wanted {
            guard let end = payload[start...].firstIndex(of: 0) else { return nil }
            strings.append(String(decoding: payload[start..<end], as: UTF8.self))
            start = end + 1
        }
        guard start == payload.count else { return nil }
        arguments = Array(strings[..<argumentCount])
        environment = Array(strings[argumentCount...])
    }
}
