/// A value written on the wire as its text (`description`) and read back with `init(parsing:)`: array specs
/// ("0-99%8"), job references ("42_7"). A text that does not parse is a decoding error with the parser's
/// words.
public protocol TextCodable: Codable, CustomStringConvertible {
    init(parsing text: String) throws
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
