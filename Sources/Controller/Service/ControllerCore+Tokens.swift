import Foundation
import Logging
import RasporedAPI
import Scheduler

extension ControllerCore {
    /// Creates a user or admin token (admins only) and returns its secret, this once.
    public func createToken(_ r: TokenRequest, by p: Principal) throws(ControllerError) -> TokenView {
        try requireAdmin(p, to: "create tokens")
        let user = r.user.trimmingCharacters(in: .whitespaces)
        guard !user.isEmpty, !user.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ControllerError(.badRequest, "a token needs a user name without spaces, not '\(r.user)'")
        }
        let role: TokenRole = r.admin == true ? .admin : .user
        let (id, secret) = try stored { () throws(StateStoreError) in
            try store.createToken(user: user, role: role, at: clock())
        }
        logger.notice(
            "token created",
            metadata: ["token": "\(id)", "user": "\(user)", "role": "\(role.rawValue)", "by": "\(p.user)"])
        return TokenView(id: id, user: user, role: role.rawValue, secret: secret)
    }
}
