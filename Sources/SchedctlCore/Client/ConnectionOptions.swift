import ArgumentParser
import Foundation

/// `--controller URL`, `--token SECRET`, `--ca-file FILE` and `--allow-plain-http`, on every command that
/// talks to the controller.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The controller's URL (default: RASPORED_CONTROLLER, the config file, or http://127.0.0.1:8420).")
    var controller: String?

    @Option(help: "The API token (default: RASPORED_TOKEN, or token:/tokenFile: in ~/.config/raspored/config.yaml).")
    var token: String?

    @Option(
        help: ArgumentHelp(
            "Trust the CAs in this PEM file for an https controller (default: RASPORED_CA, ca: in the config file, "
                + "or the system's trust store).", valueName: "file"))
    var caFile: String?

    @Flag(help: "Allow an http:// controller on another machine (the token then crosses the network in the clear).")
    var allowPlainHTTP = false

    func client() throws -> ControllerClient {
        try ControllerClient(
            ClientConfig.resolve(
                controllerFlag: controller, tokenFlag: token, caFlag: caFile, allowPlainHTTP: allowPlainHTTP))
    }
}

/// Path segments are the controller's names and ids; escape what a URL path cannot carry.
func pathSegment(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}
