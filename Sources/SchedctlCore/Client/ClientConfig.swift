import Foundation
import Scheduler

/// Where the controller is and which token to present, from (strongest first) `--controller`/`--token`,
/// `RASPORED_CONTROLLER`/`RASPORED_TOKEN`, the config file (`RASPORED_CONFIG`, default
/// `~/.config/raspored/config.yaml`: `controller:`, `token:` or `tokenFile:`), and the default
/// controller `http://127.0.0.1:8420`.
struct ClientConfig: Equatable {
    static let defaultController = "http://127.0.0.1:8420"

    var controller: String
    var token: String?

    /// Resolves the configuration; a config file that exists but is wrong is an error, not ignored.
    static func resolve(
        controllerFlag: String?, tokenFlag: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ClientConfig {
        let file = try ConfigFile.load(environment: environment)
        var controller = controllerFlag ?? nonEmpty(environment["RASPORED_CONTROLLER"]) ?? file?.controller
            ?? defaultController
        while controller.hasSuffix("/") { controller.removeLast() }
        if !controller.contains("://") { controller = "http://" + controller }
        guard let url = URL(string: controller), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw CLIError("the controller address '\(controller)' is not an http(s) URL such as \(defaultController)")
        }
        var token = tokenFlag ?? nonEmpty(environment["RASPORED_TOKEN"]) ?? file?.token
        if token == nil, let tokenFile = file?.tokenFile {
            do {
                token = try String(contentsOfFile: tokenFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CLIError("\(file!.path): tokenFile: cannot read '\(tokenFile)'")
            }
        }
        return ClientConfig(controller: controller, token: nonEmpty(token))
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
            guard root.isMapping else { throw root.error("expected a mapping with controller:, token: or tokenFile:") }
            try root.onlyKeys(["controller", "token", "tokenFile"])
            var file = ConfigFile(
                path: path, controller: try root.optional("controller")?.string(),
                token: try root.optional("token")?.string(), tokenFile: try root.optional("tokenFile")?.string())
            if let t = file.tokenFile {
                file.tokenFile = resolvePath(t, relativeTo: (path as NSString).deletingLastPathComponent, environment)
            }
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
