import Glibc
import Procstream

// Thin entry point: parse the command line, then hand over to the server.
switch Configuration.parse(Array(CommandLine.arguments.dropFirst())) {
case .failure(let error):
    Log.error("\(error.description) (see procstreamd --help)")
    exit(2)
case .success(.help):
    print(Configuration.usage)
case .success(.version):
    print("procstreamd \(Configuration.version)")
case .success(.run(let config)):
    if config.once {
        exit(Server.printOnce(config) ? 0 : 1)
    }
    do {
        let server = try Server(config: config)
        try server.run()
    } catch {
        Log.error("\(error)")
        exit(1)
    }
}
