import ProcParsers

extension CgroupReader {
    /// The figures of one unit, each nil where the file is absent (controller not enabled,
    /// IO accounting off, no per-cgroup PSI).
    public struct Counters: Equatable, Sendable {
        public var cpuMicros: UInt64?
        public var memoryBytes: UInt64?
        public var anonBytes: UInt64?
        public var tasks: UInt64?
        public var io: CgroupIO?
        public var pressure: (cpu: Double, memory: Double, io: Double)?
        /// The `some` lines' `total=` (microseconds stalled since the cgroup was made), read with
        /// `pressure` from the same files: raw counters for exporters.
        public var pressureTotalMicros: (cpu: UInt64, memory: UInt64, io: UInt64)?

        public init() {}

        public static func == (a: Counters, b: Counters) -> Bool {
            a.cpuMicros == b.cpuMicros && a.memoryBytes == b.memoryBytes && a.anonBytes == b.anonBytes && a.tasks == b.tasks
                && a.io == b.io && a.pressure?.cpu == b.pressure?.cpu && a.pressure?.memory == b.pressure?.memory && a.pressure?.io == b.pressure?.io
                && a.pressureTotalMicros?.cpu == b.pressureTotalMicros?.cpu && a.pressureTotalMicros?.memory == b.pressureTotalMicros?.memory
                && a.pressureTotalMicros?.io == b.pressureTotalMicros?.io
        }
    }
}
