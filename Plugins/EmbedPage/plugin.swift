// Build-tool plugin of the LivePage target: turns the files under its `web/` directory into one
// generated Swift source (EmbeddedFiles.swift in the plugin work directory) that the target
// compiles, so the page ships inside the binary with nothing read at run time.
//
// The web files are the command's declared inputs: editing one re-runs the generator and
// recompiles LivePage (and nothing else changes). Adding or removing a file changes the target's
// file list, which makes SwiftPM ask this plugin again.
import PackagePlugin

@main
struct EmbedPage: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        // SwiftPM hands files it cannot compile itself (html, css, js) to the target's plugins.
        let web = module.sourceFiles
            .filter { $0.type == .unknown && $0.url.pathComponents.dropLast().last == "web" }
            .map(\.url)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding the live page (\(web.map(\.lastPathComponent).joined(separator: ", ")))",
                executable: try context.tool(named: "EmbedPageTool").url,
                arguments: [output.path(percentEncoded: false)] + web.map { $0.path(percentEncoded: false) },
                inputFiles: web,
                outputFiles: [output]),
        ]
    }
}
