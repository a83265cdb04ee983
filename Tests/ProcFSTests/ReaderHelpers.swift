import ProcFS
import ProcParsers

/// The fixture trees' files read through the daemon's reader and parsers, as the collectors do.
extension ProcReader {
    mutating func stat() -> Result<CPUStat, SourceError> { read("stat") { (b) throws(ParseError) in try Parse.stat(b) }.map { $0! } }
    mutating func meminfo() -> Result<MemInfo, SourceError> { read("meminfo") { (b) throws(ParseError) in try Parse.meminfo(b) }.map { $0! } }
    mutating func loadavg() -> Result<LoadAvg, SourceError> { read("loadavg") { (b) throws(ParseError) in try Parse.loadavg(b) }.map { $0! } }
    mutating func uptime() -> Result<Double, SourceError> { read("uptime") { (b) throws(ParseError) in try Parse.uptime(b) }.map { $0! } }
}
