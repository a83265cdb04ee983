import HTTP
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var p = RequestParser()
    _ = p.parse(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
