import ArgumentParser
import Foundation

/// `--controller URL` and `--token SECRET`, on every command that talks to the controller.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The controller's URL (default: RASPORED_CONTROLLER, the config file, or http://127.0.0.1:8420).")
    var controller: String?

    @Option(help: "The API token (default: RASPORED_TOKEN, or token:/tokenFile: in ~/.config/raspored/config.yaml).")
    var token: String?

    func client() throws -> ControllerClient {
        try ControllerClient(ClientConfig.resolve(controllerFlag: controller, tokenFlag: token))
    }
}

/// Path segments are the controller's names and ids; escape what a URL path cannot carry.
func pathSegment(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}
