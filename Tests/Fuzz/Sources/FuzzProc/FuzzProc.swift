import ProcFS
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? Parse.meminfo(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
