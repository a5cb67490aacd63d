/// A mistake in a configuration or request file, located by file, line and field path.
///
/// Its description reads "cluster.yaml:42: nodes[6]: unknown node type 'dgx-h300'".
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's name as the user gave it; nil for text that came from elsewhere (an API body).
    public var file: String?
    /// 1-based line, when known.
    public var line: Int?
    /// Path of the field, e.g. "nodes[6].type"; empty for the whole document.
    public var path: String
    public var message: String

    public init(file: String?, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var out = ""
        if let file {
            out += line.map { "\(file):\($0): " } ?? "\(file): "
        } else if let line {
            out += "line \(line): "
        }
        if !path.isEmpty { out += "\(path): " }
        return out + message
    }
}
