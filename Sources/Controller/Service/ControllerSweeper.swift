import ServiceLifecycle

/// The controller's periodic sweep as a swift-service-lifecycle service, beside the HTTP servers in the
/// daemon's service group: about twice a second it declares silent nodes down, stops jobs that ran past
/// their time limits, and runs a full pass once a reservation's window is over (`ControllerCore.sweep`).
/// It ends when the group shuts down gracefully (SIGTERM, SIGINT) or is cancelled; a sweep under way
/// finishes first, so no change is left half made.
public struct ControllerSweeper: Service {
    let core: ControllerCore
    let interval: Duration

    public init(core: ControllerCore, interval: Duration = .milliseconds(500)) {
        self.core = core
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // The sleep ends early on graceful shutdown; the sweep itself is never cut short.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            await core.sweep()
        }
    }
}
