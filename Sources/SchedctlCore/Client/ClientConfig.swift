import Foundation
import RasporedAPI
import Scheduler

/// Where the controller is, which token to present and which CAs to trust for its certificate, from (strongest
/// first) `--controller`/`--token`/`--ca-file`, `RASPORED_CONTROLLER`/`RASPORED_TOKEN`/`RASPORED_CA`, the config
/// file (`RASPORED_CONFIG`, default `~/.config/raspored/config.yaml`: `controller:`, `token:` or `tokenFile:`,
/// `ca:`), and the default controller `http://127.0.0.1:8420`. Without a CA file an `https` controller's
/// certificate is checked against the system's trust store.
struct ClientConfig: Equatable {
    static let defaultController = "http://127.0.0.1:8420"

    var controller: String
    var token: String?
    /// A PEM bundle of the CAs to trust (instead of the system's) for an `https` controller.
    var caFile: String? = nil

    /// Resolves the configuration; a config file that exists but is wrong is an error, not ignored. A plain
    /// `http` controller on another machine is refused unless `allowPlainHTTP` (`--allow-plain-http`): the
    /// token would cross the network in the clear.
    static func resolve(
        controllerFlag: String?, tokenFlag: String?, caFlag: String? = nil, allowPlainHTTP: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClientConfig {
        let file = try ConfigFile.load(environment: environment)
        var controller =
            controllerFlag ?? nonEmpty(environment["RASPORED_CONTROLLER"]) ?? file?.controller
            ?? defaultController
        while controller.hasSuffix("/") { controller.removeLast() }
        if !controller.contains("://") { controller = "http://" + controller }
        guard let url = URL(string: controller), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw CLIError("the controller address '\(controller)' is not an http(s) URL such as \(defaultController)")
        }
        guard allowPlainHTTP || PlainHTTP.allows(url: url) else { throw CLIError(PlainHTTP.clientRefusal(controller)) }
        var token = tokenFlag ?? nonEmpty(environment["RASPORED_TOKEN"]) ?? file?.token
        if token == nil, let tokenFile = file?.tokenFile {
            do {
                token = try String(contentsOfFile: tokenFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CLIError("\(file!.path): tokenFile: cannot read '\(tokenFile)'")
            }
        }
        let caFile = caFlag ?? nonEmpty(environment["RASPORED_CA"]) ?? file?.ca
        return ClientConfig(controller: controller, token: nonEmpty(token), caFile: caFile)
    }

    /// The token, or an error telling how to get one.
    func requireToken() throws -> String {
        guard let token else {
            throw CLIError(
                "no token: pass --token, set RASPORED_TOKEN, or put 'token:' or 'tokenFile:' in "
                    + "~/.config/raspored/config.yaml; an admin creates one with 'schedctl token create --user NAME' "
                    + "(the controller's first admin token is in its STATE/admin.token)")
        }
        return token
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `~/.config/raspored/config.yaml`, read with the engine's YAML reader so mistakes name the line.
struct ConfigFile: Equatable {
    var path: String
    var controller: String?
    var token: String?
    /// Absolute, or relative to the config file's directory; `~/` is the home directory.
    var tokenFile: String?
    /// The CA bundle (`ca:`), a path read as `tokenFile:` is.
    var ca: String? = nil

    static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["RASPORED_CONFIG"], !explicit.isEmpty { return explicit }
        let home = environment["XDG_CONFIG_HOME"].map { $0 } ?? environment["HOME"].map { $0 + "/.config" }
        return home.map { $0 + "/raspored/config.yaml" }
    }

    /// nil when there is no config file (only an explicit `RASPORED_CONFIG` must exist).
    static func load(environment: [String: String]) throws -> ConfigFile? {
        guard let path = defaultPath(environment: environment) else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            if environment["RASPORED_CONFIG"].map({ !$0.isEmpty }) == true {
                throw CLIError("\(path): no such config file (named by RASPORED_CONFIG)")
            }
            return nil
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CLIError("\(path): cannot read the config file")
        }
        do {
            let root = try ConfigNode.parse(text, file: path)
            guard root.isMapping else {
                throw root.error("expected a mapping with controller:, token:, tokenFile: or ca:")
            }
            try root.onlyKeys(["controller", "token", "tokenFile", "ca"])
            var file = ConfigFile(
                path: path, controller: try root.optional("controller")?.string(),
                token: try root.optional("token")?.string(), tokenFile: try root.optional("tokenFile")?.string(),
                ca: try root.optional("ca")?.string())
            let directory = (path as NSString).deletingLastPathComponent
            file.tokenFile = file.tokenFile.map { resolvePath($0, relativeTo: directory, environment) }
            file.ca = file.ca.map { resolvePath($0, relativeTo: directory, environment) }
            return file
        } catch {
            throw CLIError("\(error)")
        }
    }

    static func resolvePath(_ p: String, relativeTo dir: String, _ environment: [String: String]) -> String {
        if p.hasPrefix("~/"), let home = environment["HOME"] { return home + p.dropFirst(1) }
        if p.hasPrefix("/") { return p }
        return dir + "/" + p
    }
}
