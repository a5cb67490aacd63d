import Foundation
import Glibc

/// A program run here, in the foreground of schedctl's terminal, with default signal actions and an empty
/// signal mask whatever schedctl had; schedctl ignores SIGINT and SIGQUIT while it runs (the program's to
/// handle, as a shell does), as salloc does.
enum LocalShell {
    /// Runs `command` with `environment` and returns its exit status (128 + the signal that ended it).
    static func run(_ command: [String], environment: [String: String]) async throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let interrupt = signal(SIGINT, SIG_IGN)
        let quit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, interrupt)
            signal(SIGQUIT, quit)
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, command[0], nil, &attributes, argv, envp)
        guard rc == 0 else { throw CLIError("cannot run \(command[0]): \(String(cString: strerror(rc)))") }
        let child = pid
        let status = await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
            // waitpid blocks: on a thread of its own, not one of the tasks' shared threads.
            Thread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                done.resume(returning: status)
            }.start()
        }
        let signalled = status & 0x7f
        return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
    }
}
