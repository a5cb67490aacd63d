import ServiceLifecycle

/// Deletes ended jobs older than the controller's history retention (`schedulerd --keep-history`), at start
/// and then every ten minutes, a batch per transaction so no commit holds the store long. It ends when the
/// service group shuts down.
public struct HistoryPurger: Service {
    let core: ControllerCore
    let interval: Duration

    public init(core: ControllerCore, interval: Duration = .seconds(600)) {
        self.core = core
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await core.purgeHistory()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
