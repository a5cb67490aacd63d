import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Creates a user, admin or agent token (admins only) and returns its secret, this once.
    public func createToken(_ r: TokenRequest, by p: Principal) throws(ControllerError) -> TokenView {
        try requireAdmin(p, to: "create tokens")
        let user = r.user.trimmingCharacters(in: .whitespaces)
        guard !user.isEmpty, !user.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ControllerError(.badRequest, "a token needs a user name without spaces, not '\(r.user)'")
        }
        if let node = r.node {
            guard r.admin != true else { throw ControllerError(.badRequest, "a token is for an admin or a node's agent, not both") }
            _ = try nodeIndex(node)
        }
        let role: TokenRole = r.node != nil ? .agent : r.admin == true ? .admin : .user
        let (id, secret) = try stored { () throws(StateStoreError) in
            try store.createToken(user: user, role: role, node: r.node, at: clock())
        }
        logger.notice(
            "token created",
            metadata: ["token": "\(id)", "user": "\(user)", "role": "\(role.rawValue)", "by": "\(p.user)"])
        return TokenView(id: id, user: user, role: role.rawValue, secret: secret)
    }
}
