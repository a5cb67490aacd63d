import Foundation
import Glibc

/// schedctl's own terminal during a `--pty` step: raw mode (every key, Ctrl-C included, goes to the step's
/// terminal, which echoes and interprets it), restored on `restore()`; and its window size.
final class LocalTerminal: @unchecked Sendable {
    private let fd: Int32
    private var saved: termios?

    init(fd: Int32 = STDIN_FILENO) { self.fd = fd }

    /// Whether `fd` is a terminal.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Puts the terminal in raw mode (as `cfmakeraw`), remembering how it was.
    func makeRaw() {
        var mode = termios()
        guard tcgetattr(fd, &mode) == 0 else { return }
        saved = mode
        cfmakeraw(&mode)
        // TCSADRAIN, not TCSAFLUSH: keys typed ahead, before the step started, still go to it.
        _ = tcsetattr(fd, TCSADRAIN, &mode)
    }

    /// Puts back the mode `makeRaw` found.
    func restore() {
        guard var mode = saved else { return }
        _ = tcsetattr(fd, TCSAFLUSH, &mode)
        saved = nil
    }

    /// The window's rows and columns, or nil when not a terminal.
    static func size(_ fd: Int32 = STDOUT_FILENO) -> (rows: UInt16, cols: UInt16)? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return nil }
        return (size.ws_row, size.ws_col)
    }
}
