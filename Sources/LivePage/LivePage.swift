/// The live page's files (HTML, CSS, JS under `web/`), embedded at build time by the EmbedPage
/// plugin into `embeddedFiles` and served by the daemon as they are.
public enum LivePage {
    public struct Asset: Sendable {
        /// The URL path it is served at: `/` for index.html, `/NAME` for the others.
        public let path: String
        public let contentType: String
        public let bytes: [UInt8]
    }

    public static let assets: [Asset] = embeddedFiles.map { file in
        Asset(path: file.name == "index.html" ? "/" : "/" + file.name,
              contentType: contentType(of: file.name), bytes: Array(file.text.utf8))
    }

    /// index.html, served at `/`.
    public static let index: Asset = {
        guard let page = asset(at: "/") else { preconditionFailure("Sources/LivePage/web has no index.html") }
        return page
    }()

    /// The asset served at `path`, if any.
    public static func asset(at path: Substring) -> Asset? {
        assets.first { $0.path == path }
    }

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        return "application/octet-stream"
    }
}
