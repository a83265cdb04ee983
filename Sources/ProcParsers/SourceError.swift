/// A source that could not be read or parsed, named the way events and logs name it.
public struct SourceError: Error, Equatable, Sendable, CustomStringConvertible {
    public let source: String
    public let message: String
    /// The event fields this failure nulled (set by the registry from the collector).
    public var fields: [String]

    public init(source: String, message: String, fields: [String] = []) {
        self.source = source
        self.message = message
        self.fields = fields
    }

    public var description: String { "\(source): \(message)" }
}
