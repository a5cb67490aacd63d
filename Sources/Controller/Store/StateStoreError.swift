import Scheduler

/// A state store failure that says what failed: the operation, the database file, and SQLite's words.
public struct StateStoreError: Error, CustomStringConvertible {
    /// What kind of failure, for callers that map it (the HTTP layer: 404, 409, 500).
    public enum Kind: Hashable, Sendable {
        /// The database could not be opened or prepared.
        case cannotOpen
        /// There is no cluster state to open: no database, an empty (0-byte) one, or one without the schema.
        case missing
        /// A new cluster state was asked for where a database already holds one.
        case exists
        /// The database was written by a newer controller (it has migrations this one does not know).
        case newerSchema
        /// A read or write failed.
        case io
        /// A row could not be turned back into a value (a corrupt or hand-edited database).
        case corrupt
        /// The job or token does not exist.
        case notFound
        /// The job cannot take the event in its state; `transitionError` says why.
        case refused
        /// The caller passed something the store cannot record (an agent token without a node).
        case invalid
    }

    public var kind: Kind
    /// The whole sentence. I/O failures begin with "state store:"; refusals and missing jobs are plain
    /// sentences a user can be shown ("job 42 is completed; it cannot be cancelled").
    public var message: String
    /// The lifecycle refusal, when `kind` is `.refused`.
    public var transitionError: JobTransitionError?

    public init(_ kind: Kind, _ message: String, transitionError: JobTransitionError? = nil) {
        self.kind = kind
        self.message = message
        self.transitionError = transitionError
    }

    public var description: String { message }

    /// A new cluster state refused where `path` holds one.
    static func exists(_ path: String) -> StateStoreError {
        StateStoreError(
            .exists,
            "state store: \(path) already holds a cluster state; a new one is never created over it "
                + "(to use it, start without --init)")
    }

    static func io(_ what: String, _ path: String, _ error: any Error) -> StateStoreError {
        if let e = error as? StateStoreError { return e }
        if let e = error as? JobTransitionError { return StateStoreError(.refused, e.description, transitionError: e) }
        return StateStoreError(.io, "state store: cannot \(what) in \(path): \(error)")
    }
}
